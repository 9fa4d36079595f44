//! Runs every conformance vector natively: ../shared/vectors and tests/vectors.

#[path = "support/files.rs"]
mod files;
#[path = "support/runner.rs"]
mod runner;

#[test]
fn all_vectors_pass() {
    let found = files::vector_files(&files::default_paths()).expect("vector folders");
    let shared = found.iter().filter(|f| f.to_string_lossy().contains("shared")).count();
    assert!(shared > 0, "no shared vectors found beside the repository (../shared/vectors)");
    let skips = files::skips();
    let mut results = Vec::new();
    for f in &found {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        results.extend(runner::run_file(&name, &text, &skips));
    }
    let (report, failed) = runner::report(&results);
    print!("{report}");
    assert!(results.len() >= 69, "only {} cases ran", results.len());
    assert_eq!(failed, 0, "{report}");
}
