//! `cargo xtask <task>`: the Rust half of the test tooling. See `usage()`.

use std::path::PathBuf;
use std::process::ExitCode;
use xtask::{check, native, transcript::Transcript, vectors};

fn usage() -> &'static str {
    "usage: cargo xtask TASK [ARGS]

  vector-files [PATH...]          the vector files to run, one per line (default: the public set —
                                  tests/conformance, or ../shared/vectors when that is newer — and tests/vectors)
  native [PATH...]                run the vectors on the native host and judge them
  check --transcript FILE [PATH...]
                                  judge a host's transcript (JSON lines) against the vectors
  vendor-vectors [DIR]            copy the public vectors (default ../shared/vectors) into tests/conformance
  sync-vectors                    report how ../shared/vectors differs from the vendored copy
  gen [--check]                   write the generated copies of the engine's facts: reason codes, limits,
                                  writable columns, Talk's constants, the C ABI's exports (js/facts.mjs,
                                  php/src/Facts.php, the generated blocks of js/index.d.ts and docs/reasons.md);
                                  --check: fail when one is out of date
  lint [DIR]                      comments in src/ cite the server's code, not documents outside the
                                  repository, and name local files that exist; README.md at most 300
                                  lines; relative links of the markdown documents resolve (one line
                                  per finding, then \"N findings\"; exit 1 when N > 0); DIR: another
                                  checkout (default: this repository)

Reports end with exactly \"N passed, M failed\"; the exit status is 0 only when M is 0 (2: usage or input errors)."
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::from(2)
        }
    }
}

/// The files named (as given), or the default set (named relative to the repository).
fn files(paths: &[String]) -> Result<Vec<vectors::VectorFile>, String> {
    let root = vectors::root();
    if paths.is_empty() {
        let (files, notice) = vectors::default_files(&root)?;
        if let Some(n) = notice {
            eprintln!("xtask: {n}");
        }
        return Ok(vectors::read_files(&root, &files));
    }
    let mut out = Vec::new();
    for p in paths {
        let path = PathBuf::from(p);
        if path.is_dir() {
            for f in vectors::expand(&[path])? {
                let name = f.to_string_lossy().into_owned();
                out.push(vectors::VectorFile::read(&f, name));
            }
        } else if path.is_file() {
            out.push(vectors::VectorFile::read(&path, p.clone()));
        } else {
            return Err(format!("vectors: no such file or folder: {p}"));
        }
    }
    Ok(out)
}

fn judge(files: &[vectors::VectorFile], transcript: &Transcript) -> Result<ExitCode, String> {
    let skips = vectors::skips(&vectors::root())?;
    let report = check::check(files, transcript, &skips);
    print!("{}", report.render());
    Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some((task, rest)) = args.split_first() else {
        eprintln!("{}", usage());
        return Ok(ExitCode::from(2));
    };
    match task.as_str() {
        "vector-files" => {
            for f in files(rest)? {
                println!("{}", f.name);
            }
            Ok(ExitCode::SUCCESS)
        }
        "native" => {
            let files = files(rest)?;
            judge(&files, &native::drive(&files))
        }
        "check" => {
            let (Some(flag), Some(path)) = (rest.first(), rest.get(1)) else { return Err(usage().into()) };
            if flag != "--transcript" {
                return Err(usage().into());
            }
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            let transcript = Transcript::parse(&text)?;
            if transcript.is_empty() {
                return Err(format!("{path}: the host reported no step at all"));
            }
            judge(&files(&rest[2..])?, &transcript)
        }
        "vendor-vectors" => {
            let root = vectors::root();
            let from = rest.first().map(PathBuf::from).unwrap_or_else(|| vectors::shared_dir(&root));
            let n = vectors::vendor(&root, &from)?;
            println!("vendored {n} files from {} into {}", from.display(), vectors::VENDORED_DIR);
            Ok(ExitCode::SUCCESS)
        }
        "sync-vectors" => {
            let root = vectors::root();
            let set = vectors::public_set(&root)?;
            match set.notice {
                Some(n) => println!("{n}"),
                None if vectors::shared_dir(&root).is_dir() => {
                    println!("{} matches the vendored {}", vectors::shared_dir(&root).display(), vectors::VENDORED_DIR)
                }
                None => println!("no shared vectors beside the repository; {} runs", vectors::VENDORED_DIR),
            }
            Ok(ExitCode::SUCCESS)
        }
        "gen" => {
            let root = vectors::root();
            if rest.first().map(String::as_str) == Some("--check") {
                let stale = xtask::gen::stale(&root)?;
                if stale.is_empty() {
                    println!("the generated copies are up to date");
                    return Ok(ExitCode::SUCCESS);
                }
                for p in stale {
                    println!("out of date: {} (run `cargo xtask gen`)", p.display());
                }
                return Ok(ExitCode::FAILURE);
            }
            for (path, text) in xtask::gen::outputs(&root)? {
                std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
                println!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        "lint" => {
            let root = rest.first().map(PathBuf::from).unwrap_or_else(vectors::root);
            let findings = xtask::lint::lint(&root)?;
            print!("{}", xtask::lint::render(&findings));
            Ok(if findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        "-h" | "--help" | "help" => {
            println!("{}", usage());
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown task {other:?}\n{}", usage())),
    }
}
