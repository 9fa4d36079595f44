//! Saved fuzz inputs, replayed on every `cargo test`: each file in `tests/fuzz-regressions/`
//! goes through every fuzz entry point (`fuzz/src/lib.rs`, included as is, so the checks are the
//! fuzzer's own: no panic, a JSON answer with a valid status, bad input answered 400, and the
//! authorization invariants of `evaluate_mutated`).
//!
//! Add an input: copy it from `fuzz/artifacts/<target>/` (a crash) or `fuzz/corpus/<target>/`
//! into `tests/fuzz-regressions/`, named `<target>-<what>.bin`. Layouts: see fuzz/src/lib.rs.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

#[test]
fn every_saved_input_is_answered_by_every_entry_point() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "bin"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "expected at least 5 saved inputs in {}", dir.display());
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        for (target, run) in harness::TARGETS {
            if let Err(e) = catch_unwind(AssertUnwindSafe(|| run(&data))) {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{} via {target}: {msg:.400}", file.file_name().unwrap().to_string_lossy()));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// The layouts the fuzz targets read are what the harness says they are.
#[test]
fn the_harness_splits_like_the_fuzzer() {
    assert_eq!(harness::parts(b"a\0b\0c", 2), ["a", "b\0c"]);
    assert_eq!(harness::parts(b"only", 3), ["only", "", ""]);
    assert_eq!(harness::parts(b"\xff\0{}", 2), ["\u{fffd}", "{}"]);
}
