//! `cargo run --example run_vectors -- PATH...`: runs vector files or folders
//! natively and ends with `N passed, M failed` (exit status 1 when M > 0).

#[path = "../tests/support/files.rs"]
mod files;
#[path = "../tests/support/runner.rs"]
mod runner;

fn main() {
    let args: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let paths = if args.is_empty() { files::default_paths() } else { args };
    let found = match files::vector_files(&paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let skips = files::skips();
    let mut results = Vec::new();
    for f in &found {
        match std::fs::read_to_string(f) {
            Ok(text) => results.extend(runner::run_file(&f.display().to_string(), &text, &skips)),
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                std::process::exit(2);
            }
        }
    }
    let (report, failed) = runner::report(&results);
    print!("{report}");
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
