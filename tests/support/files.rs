//! Finding vector files on disk (native hosts only).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The default vector folders: the shared public vectors beside the repository
/// and the project's own.
pub fn default_paths() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    vec![root.join("../shared/vectors"), root.join("tests/vectors")]
}

/// Every `*.json` file named, or inside a folder named, sorted.
pub fn vector_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json"))
                .collect();
            inside.sort();
            files.extend(inside);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(format!("{}: no such file or folder", p.display()));
        }
    }
    Ok(files)
}

pub fn skips() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vector-skips.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| "[]".into());
    super::runner::parse_skips(&text)
}
