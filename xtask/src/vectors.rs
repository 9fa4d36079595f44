//! Finding the conformance vectors, and the vendored copy of the public set.
//!
//! The public vectors are vendored in `tests/conformance/` (with
//! `VENDORED.sha1`, the digest of every file as copied), so a clone of the
//! repository runs on its own. When a `../shared/vectors` folder (or
//! `$TCR_SHARED_VECTORS`) sits beside the repository, it is compared with the
//! record: if it changed since it was vendored it is the newer set, so it is the
//! one that runs, and the difference is reported (`cargo xtask vendor-vectors`
//! copies it in).

use crate::json;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

/// One vector file: its name as given (how reports and transcripts call it) and
/// its cases, or why it could not be read (read by [`crate::json`], never by the
/// engine's parser).
pub struct VectorFile {
    pub name: String,
    pub cases: Result<Vec<Value>, String>,
}

impl VectorFile {
    pub fn read(path: &Path, name: String) -> VectorFile {
        match fs::read_to_string(path) {
            Ok(text) => VectorFile::parse(name, &text),
            Err(e) => VectorFile { name, cases: Err(format!("cannot read: {e}")) },
        }
    }

    /// A vector file from its text (the wasm-bindgen suite embeds the files).
    pub fn parse(name: String, text: &str) -> VectorFile {
        let cases = json::parse(text).map_err(|e| format!("not JSON: {e}")).and_then(|v| match v {
            Value::Array(c) => Ok(c),
            _ => Err("a vector file is a JSON array of cases".to_string()),
        });
        VectorFile { name, cases }
    }
}

/// The steps of a case (a single-step case is one step).
pub fn steps_of(case: &Value) -> Result<Vec<Value>, String> {
    match case.get("steps") {
        Some(Value::Array(s)) => Ok(s.clone()),
        Some(_) => Err("steps is not a list".into()),
        None => {
            let request = case.get("request").cloned().ok_or("a case without steps needs a request")?;
            let expect = case.get("expect").cloned().unwrap_or(Value::Null);
            Ok(vec![serde_json::json!({ "request": request, "expect": expect })])
        }
    }
}

/// The repository root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the repository").to_path_buf()
}

pub const VENDORED_DIR: &str = "tests/conformance";
pub const OWN_DIR: &str = "tests/vectors";
const RECORD: &str = "VENDORED.sha1";

/// The public vectors beside the repository, if any.
pub fn shared_dir(root: &Path) -> PathBuf {
    match std::env::var_os("TCR_SHARED_VECTORS") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => root.join("../shared/vectors"),
    }
}

/// Every `*.json` file named, or inside a folder named (not recursing into
/// hidden entries), sorted by path.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "json"))
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

/// `(file name, sha1)` of every `*.json` file of a folder, sorted.
fn digests(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for f in expand(&[dir.to_path_buf()])? {
        let bytes = fs::read(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name, talk_call_rules::sha1::hex(&bytes)));
    }
    Ok(out)
}

fn read_record(root: &Path) -> Result<Vec<(String, String)>, String> {
    let path = root.join(VENDORED_DIR).join(RECORD);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (hash, name) = line.split_once("  ").ok_or_else(|| format!("{}: bad line {line:?}", path.display()))?;
        out.push((name.to_string(), hash.to_string()));
    }
    out.sort();
    Ok(out)
}

/// Which public set runs, and why.
pub struct PublicSet {
    pub dir: PathBuf,
    /// Set when the shared folder differs from what was vendored.
    pub notice: Option<String>,
}

/// The public vector folder to run: the vendored copy, unless a shared folder
/// beside the repository changed since it was vendored (then that newer set).
/// Fails when the vendored copy was edited by hand.
pub fn public_set(root: &Path) -> Result<PublicSet, String> {
    let vendored = root.join(VENDORED_DIR);
    let record = read_record(root)?;
    if digests(&vendored)? != record {
        return Err(format!(
            "{VENDORED_DIR}/ no longer matches {VENDORED_DIR}/{RECORD}: the vendored vectors are copied, never edited \
             (skip a wrong vector by name in tests/vector-skips.json; `cargo xtask vendor-vectors DIR` copies a new set)"
        ));
    }
    let shared = shared_dir(root);
    if !shared.is_dir() {
        return Ok(PublicSet { dir: vendored, notice: None });
    }
    let diff = difference(&record, &digests(&shared)?, &vendored, &shared);
    if diff.is_empty() {
        return Ok(PublicSet { dir: vendored, notice: None });
    }
    let notice = format!(
        "{} differs from the vendored {VENDORED_DIR}/ (it is the newer set, so it runs):\n{}\n\
         (`cargo xtask vendor-vectors` copies it into the repository)",
        shared.display(),
        diff.join("\n")
    );
    Ok(PublicSet { dir: shared, notice: Some(notice) })
}

/// Files added, removed or changed, and for changed files the cases that differ.
fn difference(old: &[(String, String)], new: &[(String, String)], old_dir: &Path, new_dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for (name, hash) in new {
        match old.iter().find(|(n, _)| n == name) {
            None => out.push(format!("  + {name} (new file)")),
            Some((_, h)) if h != hash => {
                out.push(format!("  ~ {name}: {}", case_changes(&old_dir.join(name), &new_dir.join(name))))
            }
            Some(_) => {}
        }
    }
    for (name, _) in old {
        if !new.iter().any(|(n, _)| n == name) {
            out.push(format!("  - {name} (gone)"));
        }
    }
    out
}

fn case_changes(old: &Path, new: &Path) -> String {
    let cases = |p: &Path| -> Vec<(String, String)> {
        match VectorFile::read(p, String::new()).cases {
            Ok(c) => c
                .iter()
                .map(|c| (c.get("name").and_then(Value::as_str).unwrap_or("").to_string(), c.to_string()))
                .collect(),
            Err(_) => Vec::new(),
        }
    };
    let (a, b) = (cases(old), cases(new));
    let mut parts = Vec::new();
    for (name, text) in &b {
        match a.iter().find(|(n, _)| n == name) {
            None => parts.push(format!("added {name:?}")),
            Some((_, t)) if t != text => parts.push(format!("changed {name:?}")),
            Some(_) => {}
        }
    }
    for (name, _) in &a {
        if !b.iter().any(|(n, _)| n == name) {
            parts.push(format!("removed {name:?}"));
        }
    }
    if parts.is_empty() {
        "formatting only".into()
    } else {
        parts.join("; ")
    }
}

/// The default vector files: the public set, then the project's own vectors.
pub fn default_files(root: &Path) -> Result<(Vec<PathBuf>, Option<String>), String> {
    let public = public_set(root)?;
    let files = expand(&[public.dir, root.join(OWN_DIR)])?;
    Ok((files, public.notice))
}

/// Copies every `*.json` file and the README of `from` into `tests/conformance/`
/// (replacing the old copy) and records their digests.
pub fn vendor(root: &Path, from: &Path) -> Result<usize, String> {
    let files = expand(&[from.to_path_buf()])?;
    if files.is_empty() {
        return Err(format!("{}: no vector files", from.display()));
    }
    let dir = root.join(VENDORED_DIR);
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for old in expand(std::slice::from_ref(&dir))? {
        fs::remove_file(&old).map_err(|e| e.to_string())?;
    }
    for f in &files {
        fs::copy(f, dir.join(f.file_name().unwrap())).map_err(|e| format!("{}: {e}", f.display()))?;
    }
    // The README and the contract it points to travel with the vectors (links made local).
    if let Ok(readme) = fs::read_to_string(from.join("README.md")) {
        let note = format!(
            "<!-- Vendored from {} by `cargo xtask vendor-vectors`; the matching rules are implemented once, \
             in xtask/src/check.rs. -->\n\n",
            from.display().to_string().trim_start_matches(&format!("{}/", root.display()))
        );
        let readme = readme.replace("../CONTRACT.md", "CONTRACT.md");
        fs::write(dir.join("README.md"), note + &readme).map_err(|e| e.to_string())?;
    }
    if from.join("../CONTRACT.md").is_file() {
        fs::copy(from.join("../CONTRACT.md"), dir.join("CONTRACT.md")).map_err(|e| e.to_string())?;
    }
    let mut record = String::from(
        "# sha1 of each public vector file as vendored (sha1sum format). Do not edit the files: a newer\n\
         # set is vendored with `cargo xtask vendor-vectors DIR`; a wrong vector is skipped by name in\n\
         # tests/vector-skips.json with the evidence.\n",
    );
    for (name, hash) in digests(&dir)? {
        record.push_str(&format!("{hash}  {name}\n"));
    }
    fs::write(dir.join(RECORD), record).map_err(|e| e.to_string())?;
    Ok(files.len())
}

/// The skips of tests/vector-skips.json.
pub fn skips(root: &Path) -> Result<Vec<crate::check::Skip>, String> {
    let path = root.join("tests/vector-skips.json");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_skips(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The skips of the text of tests/vector-skips.json.
pub fn parse_skips(text: &str) -> Result<Vec<crate::check::Skip>, String> {
    let Ok(Value::Array(items)) = json::parse(text) else {
        return Err("not a JSON array".to_string());
    };
    items
        .iter()
        .map(|i| {
            let s = |k: &str| i.get(k).and_then(Value::as_str).map(str::to_string);
            match (s("name"), s("reason")) {
                (Some(name), Some(reason)) if !reason.is_empty() => Ok(crate::check::Skip { name, reason }),
                _ => Err("every skip needs a name and the evidence (reason)".to_string()),
            }
        })
        .collect()
}

/// Reads the files, naming each by its path relative to the repository root when
/// it lies inside it (so every host names files alike).
pub fn read_files(root: &Path, files: &[PathBuf]) -> Vec<VectorFile> {
    files.iter().map(|f| VectorFile::read(f, display_name(root, f))).collect()
}

pub fn display_name(root: &Path, file: &Path) -> String {
    let abs = fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    match abs.strip_prefix(&root) {
        Ok(rel) => rel.to_string_lossy().into_owned(),
        Err(_) => file.to_string_lossy().into_owned(),
    }
}
