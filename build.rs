//! Embeds the conformance vectors for the wasm-bindgen tests, which run where no
//! file system is (headless Chromium) and use every request of the vectors as
//! input. `TCR_VECTORS` (paths separated by ':') replaces the default folders.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=TCR_VECTORS");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let paths: Vec<PathBuf> = match std::env::var("TCR_VECTORS") {
        Ok(v) if !v.is_empty() => v.split(':').map(PathBuf::from).collect(),
        _ => vec![root.join("tests/conformance"), root.join("tests/vectors")],
    };
    let mut files = Vec::new();
    for p in &paths {
        println!("cargo:rerun-if-changed={}", p.display());
        collect(p, &mut files);
    }
    files.sort();
    let mut out = String::from("pub const VECTORS: &[(&str, &str)] = &[\n");
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy();
        let _ = writeln!(out, "    ({name:?}, include_str!({:?})),", f.canonicalize().unwrap().display());
    }
    out.push_str("];\n");
    std::fs::write(PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("vectors.rs"), out).unwrap();
}

fn collect(p: &Path, files: &mut Vec<PathBuf>) {
    if p.is_dir() {
        for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
            let f = e.path();
            if f.extension().is_some_and(|x| x == "json") {
                println!("cargo:rerun-if-changed={}", f.display());
                files.push(f);
            }
        }
    } else if p.is_file() {
        files.push(p.to_path_buf());
    }
}
