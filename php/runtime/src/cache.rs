//! The disk cache of compiled modules: wasmtime's own serialisation (`Module::serialize` /
//! `Module::deserialize`) behind a header of ours.
//!
//! Loading machine code from a file means trusting that file, so a file is used only when
//!
//! - the folder is ours: owned by this process's effective user, not writable by group or
//!   others, not a symbolic link (an attacker who can write it could make PHP run anything);
//! - the file is ours in the same way, and a regular file (opened with `O_NOFOLLOW`);
//! - its header is ours, its length is right and the xxh3 checksum of its body matches (a
//!   truncated or damaged file is never handed to wasmtime);
//! - wasmtime accepts it (`deserialize` refuses machine code of another wasmtime version or of
//!   another engine configuration, and the file name carries both as well).
//!
//! Anything else is "rejected" or "unusable", and the caller compiles instead. Files are
//! written to a temporary name and renamed into place, so concurrent workers never read a
//! half-written file; two workers compiling at once both write, and either copy is right.

use std::fs::{self, File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::{Engine, Module};

/// What the disk cache did during one `tcr_php_open` (the numbers are in `tcr_php.h`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
pub enum Outcome {
    /// The module was already in this process: the disk was not asked.
    NotAsked = 0,
    /// Loaded from the disk cache.
    Hit = 1,
    /// Not there: compiled and stored.
    Written = 2,
    /// Not there: compiled, but not stored (see `Unusable` for why when storing failed).
    Miss = 3,
    /// A file was there but was refused (damaged, or another wasmtime): compiled (and stored
    /// again when possible).
    Rejected = 4,
    /// The folder or file cannot be used (not ours, not writable, ...): compiled, not stored.
    Unusable = 5,
    /// No cache folder was given.
    Disabled = 6,
}

pub enum Loaded {
    Module(Module),
    Absent,
    Rejected(String),
    Unusable(String),
}

const MAGIC: &[u8; 16] = b"talk-call-rules\x01";
const HEADER: usize = 16 + 8 + 8;

pub struct Place {
    dir: PathBuf,
    file: PathBuf,
}

impl Place {
    /// The file for the module with content hash `hash` compiled by `engine`.
    pub fn new(dir: &Path, hash: u128, engine: &Engine) -> Place {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        env!("CARGO_PKG_VERSION").hash(&mut h);
        MAGIC.hash(&mut h);
        let file = dir.join(format!("{hash:032x}-{:016x}.cwasm", h.finish()));
        Place { dir: dir.to_path_buf(), file }
    }

    pub fn load(&self, engine: &Engine) -> Loaded {
        if let Err(why) = usable_dir(&self.dir, false) {
            return match why {
                DirProblem::Absent => Loaded::Absent,
                DirProblem::Other(why) => Loaded::Unusable(why),
            };
        }
        let mut f =
            match OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC).open(&self.file) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Absent,
                Err(e) => return Loaded::Rejected(format!("cannot open {}: {e}", self.file.display())),
            };
        if let Err(why) = ours(&f, &self.file) {
            return Loaded::Unusable(why);
        }
        let mut bytes = Vec::new();
        if let Err(e) = f.read_to_end(&mut bytes) {
            return Loaded::Rejected(format!("cannot read {}: {e}", self.file.display()));
        }
        let body = match check(&bytes) {
            Ok(body) => body,
            Err(why) => return Loaded::Rejected(format!("{}: {why}", self.file.display())),
        };
        // SAFETY: the body is exactly what `store` wrote (length and checksum checked) into a
        // file only this user can write; wasmtime checks that it was made by this version and
        // configuration.
        match unsafe { Module::deserialize(engine, body) } {
            Ok(m) => Loaded::Module(m),
            Err(e) => Loaded::Rejected(format!("{}: wasmtime refused it: {e:#}", self.file.display())),
        }
    }

    pub fn store(&self, module: &Module) -> Result<(), String> {
        usable_dir(&self.dir, true).map_err(|p| match p {
            DirProblem::Absent => format!("cannot create the cache folder {}", self.dir.display()),
            DirProblem::Other(why) => why,
        })?;
        let body = module.serialize().map_err(|e| format!("cannot serialise the module: {e:#}"))?;
        let mut bytes = Vec::with_capacity(HEADER + body.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&body).to_le_bytes());
        bytes.extend_from_slice(&body);

        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let tmp = self.dir.join(format!(
            ".{}.{}-{}.tmp",
            self.file.file_name().and_then(|n| n.to_str()).unwrap_or("module"),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| -> std::io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&tmp)?;
            f.write_all(&bytes)?;
            f.flush()?;
            drop(f);
            fs::rename(&tmp, &self.file)
        })();
        written.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            format!("cannot write {}: {e}", self.file.display())
        })
    }
}

/// The body of a cache file, when its header, length and checksum are right.
fn check(bytes: &[u8]) -> Result<&[u8], &'static str> {
    if bytes.len() < HEADER || &bytes[..16] != MAGIC {
        return Err("not a cache file of this library");
    }
    let len = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let sum = u64::from_le_bytes(bytes[24..32].try_into().expect("8 bytes"));
    let body = &bytes[HEADER..];
    if body.len() as u64 != len {
        return Err("truncated or extended");
    }
    if xxhash_rust::xxh3::xxh3_64(body) != sum {
        return Err("damaged (checksum mismatch)");
    }
    Ok(body)
}

enum DirProblem {
    Absent,
    Other(String),
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The folder exists (created with mode 0700 when `create`), is a real folder, is owned by
/// this user and is not writable by anyone else.
fn usable_dir(dir: &Path, create: bool) -> Result<(), DirProblem> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !create {
                return Err(DirProblem::Absent);
            }
            if let Err(e) = fs::DirBuilder::new().mode(0o700).create(dir) {
                if e.kind() != std::io::ErrorKind::AlreadyExists {
                    return Err(DirProblem::Other(format!("cannot create the cache folder {}: {e}", dir.display())));
                }
            }
            fs::symlink_metadata(dir).map_err(|e| DirProblem::Other(format!("{}: {e}", dir.display())))?
        }
        Err(e) => return Err(DirProblem::Other(format!("cannot use the cache folder {}: {e}", dir.display()))),
    };
    if !meta.is_dir() {
        return Err(DirProblem::Other(format!(
            "the cache folder {} is not a folder (or is a symbolic link)",
            dir.display()
        )));
    }
    if meta.uid() != euid() {
        return Err(DirProblem::Other(format!(
            "the cache folder {} belongs to uid {}, not to this process's uid {}",
            dir.display(),
            meta.uid(),
            euid()
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(DirProblem::Other(format!(
            "the cache folder {} is writable by group or others (mode {:o})",
            dir.display(),
            meta.mode() & 0o7777
        )));
    }
    Ok(())
}

fn ours(f: &File, path: &Path) -> Result<(), String> {
    let meta = f.metadata().map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    if meta.uid() != euid() || meta.mode() & 0o022 != 0 {
        return Err(format!("{} belongs to another user or is writable by others", path.display()));
    }
    Ok(())
}
