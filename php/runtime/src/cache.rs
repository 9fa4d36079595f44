//! The disk cache of compiled modules: wasmtime's own serialisation (`Module::serialize` /
//! `Module::deserialize`) behind a header of ours.
//!
//! Loading a file of this cache means running its machine code as the web server's user, so
//! the file must be one that only this user (or root) could have put there. Every step works
//! on file descriptors, never twice on a path, so nothing can be swapped between a check and
//! a use:
//!
//! - the folder's path must be absolute; it is walked from `/` one name at a time
//!   (`openat(…, O_NOFOLLOW)` relative to the folder above, then `fstat` of what was opened):
//!   every folder above the cache folder must belong to root or to this process's effective
//!   user, and must not be writable by its group or by others unless it has the sticky bit
//!   (as `/tmp` has); a symbolic link above the cache folder is followed only when it belongs to
//!   root or to this user (its target is then walked and checked the same way); trailing
//!   slashes are ignored;
//! - the cache folder itself must be a real folder (not a symbolic link), belong to this user
//!   and not be writable by its group or by others; when it is missing, `store` creates it
//!   with mode 0700 and then opens and checks it like any other;
//! - the file is opened relative to the folder's descriptor with `O_NOFOLLOW | O_NONBLOCK` (a
//!   named pipe in its place cannot block the worker), and is read only when `fstat` says it is
//!   a regular file with one link, belonging to this user and not writable by its group or by
//!   others;
//! - its header is ours, its length is right and the xxh3 checksum of its body matches (a
//!   truncated or damaged file is never handed to wasmtime);
//! - wasmtime accepts it (`deserialize` refuses machine code of another wasmtime version or of
//!   another engine configuration, and the file name carries both as well).
//!
//! A failed trust check is a `Problem::Unsafe` ("cache-unsafe: …"): the cache is not used and
//! nothing is written, and the bridge logs it once per process (`first_report`). An I/O error
//! is a `Problem::Error` ("cache-error: …"). A damaged file is "rejected" and replaced. In
//! every case the caller compiles instead. Files are written under a temporary name created
//! with `O_CREAT | O_EXCL | O_NOFOLLOW` (mode 0600) in the folder, then renamed into place
//! within it, so concurrent workers never read a half-written file; two workers compiling at
//! once both write, and either copy is right.

use std::collections::{HashSet, VecDeque};
use std::ffi::{CStr, CString, OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

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
    /// The folder or file cannot be used (unsafe, not writable, ...): compiled, not stored.
    Unusable = 5,
    /// No cache folder was given.
    Disabled = 6,
}

pub enum Loaded {
    Module(Module),
    Absent,
    Rejected(String),
    Unusable(Problem),
}

/// Why the cache cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A trust check failed: another user could have chosen the file's content.
    Unsafe(String),
    /// The folder or file cannot be created, opened or written (permissions, full disk, ...).
    Error(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unsafe(why) => write!(f, "cache-unsafe: {why}"),
            Problem::Error(why) => write!(f, "cache-error: {why}"),
        }
    }
}

use Problem::{Error as Failed, Unsafe};

const MAGIC: &[u8; 16] = b"talk-call-rules\x01";
const HEADER: usize = 16 + 8 + 8;

/// At most this many symbolic links are followed above the cache folder (as the kernel does).
const MAX_LINKS: usize = 40;

/// Descriptors that only name a folder (no read permission needed on the folders above).
#[cfg(any(target_os = "linux", target_os = "android"))]
const O_DIR: libc::c_int = libc::O_PATH | libc::O_DIRECTORY;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const O_DIR: libc::c_int = libc::O_RDONLY | libc::O_DIRECTORY;

pub struct Place {
    dir: PathBuf,
    name: String,
}

impl Place {
    /// The file for the module with content hash `hash` compiled by `engine`.
    pub fn new(dir: &Path, hash: u128, engine: &Engine) -> Place {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        env!("CARGO_PKG_VERSION").hash(&mut h);
        MAGIC.hash(&mut h);
        Place { dir: dir.to_path_buf(), name: format!("{hash:032x}-{:016x}.cwasm", h.finish()) }
    }

    /// The file's path, for messages (it is never opened by path).
    fn shown(&self) -> PathBuf {
        folder_path(&self.dir).join(&self.name)
    }

    pub fn load(&self, engine: &Engine) -> Loaded {
        let folder = match open_folder(&self.dir, false) {
            Ok(Some(fd)) => fd,
            Ok(None) => return Loaded::Absent,
            Err(p) => return Loaded::Unusable(p),
        };
        after_folder_check();
        let file = self.shown();
        let mut f = match open_file(&folder, &self.name, &file) {
            Ok(Some(f)) => f,
            Ok(None) => return Loaded::Absent,
            Err(Opened::Unusable(p)) => return Loaded::Unusable(p),
            Err(Opened::Rejected(why)) => return Loaded::Rejected(why),
        };
        let mut bytes = Vec::new();
        if let Err(e) = f.read_to_end(&mut bytes) {
            return Loaded::Rejected(format!("cannot read {}: {e}", file.display()));
        }
        let body = match check(&bytes) {
            Ok(body) => body,
            Err(why) => return Loaded::Rejected(format!("{}: {why}", file.display())),
        };
        // SAFETY: the body is exactly what `store` wrote (length and checksum checked) into a
        // file only this user can have written (checked above, by descriptor); wasmtime checks
        // that it was made by this version and configuration.
        match unsafe { Module::deserialize(engine, body) } {
            Ok(m) => Loaded::Module(m),
            Err(e) => Loaded::Rejected(format!("{}: wasmtime refused it: {e:#}", file.display())),
        }
    }

    pub fn store(&self, module: &Module) -> Result<(), Problem> {
        let folder = match open_folder(&self.dir, true)? {
            Some(fd) => fd,
            None => return Err(Failed(format!("cannot create the cache folder {}", self.dir.display()))),
        };
        after_folder_check();
        let file = self.shown();
        let body = module.serialize().map_err(|e| Failed(format!("cannot serialise the module: {e:#}")))?;
        let mut bytes = Vec::with_capacity(HEADER + body.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&body).to_le_bytes());
        bytes.extend_from_slice(&body);

        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let tmp = cstring(
            OsStr::new(&format!(
                ".{}.{}-{}.tmp",
                self.name,
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            )),
            &file,
        )?;
        let name = cstring(OsStr::new(&self.name), &file)?;
        let fd = openat(
            folder.as_raw_fd(),
            &tmp,
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_NOCTTY,
            0o600,
        )
        .map_err(|e| Failed(format!("cannot write {}: {e}", file.display())))?;
        let mut f = File::from(fd);
        let written = f.write_all(&bytes).and_then(|()| {
            drop(f);
            renameat(folder.as_raw_fd(), &tmp, &name)
        });
        written.map_err(|e| {
            // SAFETY: plain syscall on a descriptor we own and a NUL-terminated name.
            unsafe { libc::unlinkat(folder.as_raw_fd(), tmp.as_ptr(), 0) };
            Failed(format!("cannot write {}: {e}", file.display()))
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

/// Whether this process has not reported `problem` before (the bridge logs a problem once per
/// process, not on every request). Remembers at most 64 problems.
pub fn first_report(problem: &str) -> bool {
    static REPORTED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let mut seen = REPORTED.get_or_init(|| Mutex::new(HashSet::new())).lock().unwrap_or_else(|p| p.into_inner());
    if seen.contains(problem) || seen.len() >= 64 {
        return false;
    }
    seen.insert(problem.to_string());
    true
}

// ---- the folder, by descriptor ----

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The path without trailing slashes (and `.` components): what the messages show.
fn folder_path(dir: &Path) -> PathBuf {
    dir.components().collect()
}

/// The names to walk from `/`: every component but the root (`..` included: it is opened and
/// checked like any other folder).
fn names(p: &Path) -> VecDeque<OsString> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect()
}

fn cstring(name: &OsStr, shown: &Path) -> Result<CString, Problem> {
    CString::new(name.as_bytes()).map_err(|_| Unsafe(format!("{} contains a NUL byte", shown.display())))
}

fn retry<T>(mut f: impl FnMut() -> Result<T, io::Error>) -> io::Result<T> {
    loop {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

fn openat(dir: RawFd, name: &CStr, flags: libc::c_int, mode: libc::mode_t) -> io::Result<OwnedFd> {
    retry(|| {
        // SAFETY: a NUL-terminated name; the descriptor is ours (or AT_FDCWD).
        let fd = unsafe { libc::openat(dir, name.as_ptr(), flags | libc::O_CLOEXEC, mode as libc::c_uint) };
        if fd < 0 {
            Err(io::Error::last_os_error())
        } else {
            // SAFETY: openat answered a new descriptor that nothing else owns.
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        }
    })
}

fn fstat(fd: RawFd) -> io::Result<libc::stat> {
    // SAFETY: stat is plain old data; fstat fills it or fails.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    retry(|| if unsafe { libc::fstat(fd, &mut st) } == 0 { Ok(()) } else { Err(io::Error::last_os_error()) })?;
    Ok(st)
}

/// What `name` in `dir` is, without following it (only to choose what to do next and to
/// explain a refusal: what is trusted is always checked again on the descriptor).
fn lstatat(dir: RawFd, name: &CStr) -> io::Result<libc::stat> {
    // SAFETY: as in fstat; a NUL-terminated name.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    retry(|| {
        if unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    })?;
    Ok(st)
}

fn readlinkat(dir: RawFd, name: &CStr) -> io::Result<OsString> {
    let mut buf = vec![0u8; libc::PATH_MAX as usize + 1];
    // SAFETY: the buffer is writable for its length; a NUL-terminated name.
    let n = retry(|| {
        let n = unsafe { libc::readlinkat(dir, name.as_ptr(), buf.as_mut_ptr() as *mut libc::c_char, buf.len()) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    })?;
    if n >= buf.len() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "symbolic link target too long"));
    }
    buf.truncate(n);
    Ok(OsString::from_vec(buf))
}

fn renameat(dir: RawFd, from: &CStr, to: &CStr) -> io::Result<()> {
    // SAFETY: NUL-terminated names; the descriptor is ours.
    retry(|| {
        if unsafe { libc::renameat(dir, from.as_ptr(), dir, to.as_ptr()) } == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    })
}

fn kind(mode: libc::mode_t) -> libc::mode_t {
    mode & libc::S_IFMT
}

fn what(mode: libc::mode_t) -> &'static str {
    match kind(mode) {
        libc::S_IFREG => "a regular file",
        libc::S_IFDIR => "a folder",
        libc::S_IFLNK => "a symbolic link",
        libc::S_IFIFO => "a named pipe",
        libc::S_IFSOCK => "a socket",
        libc::S_IFCHR => "a character device",
        libc::S_IFBLK => "a block device",
        _ => "of an unknown kind",
    }
}

fn open_root() -> Result<OwnedFd, Problem> {
    let fd = openat(libc::AT_FDCWD, c"/", O_DIR, 0).map_err(|e| Failed(format!("cannot open /: {e}")))?;
    let st = fstat(fd.as_raw_fd()).map_err(|e| Failed(format!("cannot inspect /: {e}")))?;
    above(&st, Path::new("/"))?;
    Ok(fd)
}

/// A folder above the cache folder: whoever can rename or replace its entries could replace
/// the cache folder (or a folder between), so only root and this user may.
fn above(st: &libc::stat, path: &Path) -> Result<(), Problem> {
    let me = euid();
    if st.st_uid != 0 && st.st_uid != me {
        return Err(Unsafe(format!(
            "{}, above the cache folder, belongs to uid {}: only root or this process's uid {me} may own the folders above it",
            path.display(),
            st.st_uid
        )));
    }
    if st.st_mode & 0o022 != 0 && st.st_mode & libc::S_ISVTX == 0 {
        return Err(Unsafe(format!(
            "{}, above the cache folder, is writable by group or others without the sticky bit (mode {:o}): another user could replace the cache folder",
            path.display(),
            st.st_mode & 0o7777
        )));
    }
    Ok(())
}

/// The cache folder itself.
fn folder(st: &libc::stat, path: &Path) -> Result<(), Problem> {
    let me = euid();
    if st.st_uid != me {
        return Err(Unsafe(format!(
            "the cache folder {} belongs to uid {}, not to this process's uid {me}",
            path.display(),
            st.st_uid
        )));
    }
    if kind(st.st_mode) != libc::S_IFDIR {
        return Err(Unsafe(format!("the cache folder {} is {}, not a folder", path.display(), what(st.st_mode))));
    }
    if st.st_mode & 0o022 != 0 {
        return Err(Unsafe(format!(
            "the cache folder {} is writable by group or others (mode {:o})",
            path.display(),
            st.st_mode & 0o7777
        )));
    }
    Ok(())
}

/// The cache folder, opened and checked by descriptor, and every folder above it checked on
/// the way (see the module's documentation). `Ok(None)`: it, or a folder above it, does not
/// exist (and `create` is false).
fn open_folder(dir: &Path, create: bool) -> Result<Option<OwnedFd>, Problem> {
    let shown = folder_path(dir);
    if !dir.is_absolute() {
        return Err(Unsafe(format!("the cache folder {} is not an absolute path", dir.display())));
    }
    let mut pending = names(dir);
    let mut cur = open_root()?;
    let mut at = PathBuf::from("/");
    let mut links = 0;
    while let Some(name) = pending.pop_front() {
        let last = pending.is_empty();
        let here = if name == ".." {
            at.parent().map(Path::to_path_buf).unwrap_or_else(|| at.clone())
        } else {
            at.join(&name)
        };
        let c = cstring(&name, &shown)?;
        let st = match lstatat(cur.as_raw_fd(), &c) {
            Ok(st) => st,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if !create {
                    return Ok(None);
                }
                if !last {
                    return Err(Failed(format!(
                        "cannot create the cache folder {}: {} does not exist",
                        shown.display(),
                        here.display()
                    )));
                }
                // SAFETY: a NUL-terminated name; the descriptor is ours.
                if unsafe { libc::mkdirat(cur.as_raw_fd(), c.as_ptr(), 0o700) } != 0 {
                    let e = io::Error::last_os_error();
                    if e.kind() != io::ErrorKind::AlreadyExists {
                        return Err(Failed(format!("cannot create the cache folder {}: {e}", shown.display())));
                    }
                }
                lstatat(cur.as_raw_fd(), &c)
                    .map_err(|e| Failed(format!("cannot use the cache folder {}: {e}", shown.display())))?
            }
            Err(e) => {
                return Err(Failed(format!("cannot use the cache folder {}: {}: {e}", shown.display(), here.display())))
            }
        };
        if kind(st.st_mode) == libc::S_IFLNK {
            if last {
                return Err(Unsafe(format!("the cache folder {} is a symbolic link", here.display())));
            }
            let me = euid();
            if st.st_uid != 0 && st.st_uid != me {
                return Err(Unsafe(format!(
                    "{}, above the cache folder, is a symbolic link of uid {}: only root or this process's uid {me} may own the links above it",
                    here.display(),
                    st.st_uid
                )));
            }
            links += 1;
            if links > MAX_LINKS {
                return Err(Unsafe(format!("too many symbolic links above the cache folder {}", shown.display())));
            }
            // The link's folder is checked and the link belongs to root or to this user: nobody
            // else can have changed it since.
            let target = readlinkat(cur.as_raw_fd(), &c)
                .map_err(|e| Failed(format!("cannot read the symbolic link {}: {e}", here.display())))?;
            let target = PathBuf::from(target);
            let mut next = names(&target);
            next.extend(pending.drain(..));
            pending = next;
            if target.is_absolute() {
                cur = open_root()?;
                at = PathBuf::from("/");
            }
            continue;
        }
        if last {
            // Explains a refusal; what is accepted is checked again on the descriptor below.
            folder(&st, &here)?;
        } else if kind(st.st_mode) != libc::S_IFDIR {
            return Err(Failed(format!(
                "cannot use the cache folder {}: {} is {}, not a folder",
                shown.display(),
                here.display(),
                what(st.st_mode)
            )));
        }
        let fd = openat(cur.as_raw_fd(), &c, O_DIR | libc::O_NOFOLLOW, 0).map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) | Some(libc::ENOTDIR) | Some(libc::ENOENT) => {
                Unsafe(format!("{} was replaced while it was being checked", here.display()))
            }
            _ => Failed(format!("cannot use the cache folder {}: {}: {e}", shown.display(), here.display())),
        })?;
        let st = fstat(fd.as_raw_fd()).map_err(|e| Failed(format!("cannot inspect {}: {e}", here.display())))?;
        if kind(st.st_mode) != libc::S_IFDIR {
            return Err(Unsafe(format!("{} was replaced while it was being checked", here.display())));
        }
        if last {
            folder(&st, &here)?;
            return Ok(Some(fd));
        }
        above(&st, &here)?;
        cur = fd;
        at = here;
    }
    // The path names `/` itself (or only `..` of it).
    let st = fstat(cur.as_raw_fd()).map_err(|e| Failed(format!("cannot inspect {}: {e}", at.display())))?;
    folder(&st, &at)?;
    Ok(Some(cur))
}

enum Opened {
    Unusable(Problem),
    Rejected(String),
}

/// The cache file `name` of the folder, opened relative to its descriptor and checked by
/// descriptor before a byte is read. `Ok(None)`: there is none.
fn open_file(folder: &OwnedFd, name: &str, shown: &Path) -> Result<Option<File>, Opened> {
    let c = cstring(OsStr::new(name), shown).map_err(Opened::Unusable)?;
    let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY;
    let fd = match openat(folder.as_raw_fd(), &c, flags, 0) {
        Ok(fd) => fd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            // Explain why; a file of this user that cannot be opened is replaced.
            return Err(match lstatat(folder.as_raw_fd(), &c) {
                Ok(st) if kind(st.st_mode) == libc::S_IFLNK => {
                    Opened::Unusable(Unsafe(format!("{} is a symbolic link", shown.display())))
                }
                Ok(st) if st.st_uid != euid() => Opened::Unusable(Unsafe(format!(
                    "{} belongs to uid {}, not to this process's uid {}",
                    shown.display(),
                    st.st_uid,
                    euid()
                ))),
                _ => Opened::Rejected(format!("cannot open {}: {e}", shown.display())),
            });
        }
    };
    let st = fstat(fd.as_raw_fd()).map_err(|e| Opened::Rejected(format!("cannot inspect {}: {e}", shown.display())))?;
    let refuse = |why: String| Err(Opened::Unusable(Unsafe(why)));
    if kind(st.st_mode) != libc::S_IFREG {
        return refuse(format!("{} is {}, not a regular file", shown.display(), what(st.st_mode)));
    }
    if st.st_uid != euid() {
        return refuse(format!(
            "{} belongs to uid {}, not to this process's uid {}",
            shown.display(),
            st.st_uid,
            euid()
        ));
    }
    if st.st_mode & 0o022 != 0 {
        return refuse(format!("{} is writable by group or others (mode {:o})", shown.display(), st.st_mode & 0o7777));
    }
    if st.st_nlink != 1 {
        return refuse(format!("{} has {} links: a hard link to it exists elsewhere", shown.display(), st.st_nlink));
    }
    Ok(Some(File::from(fd)))
}

// ---- tests ----

// Runs between the check of the folder and its first use, in unit tests only (production
// builds compile an empty function): a folder swapped at that moment must change nothing,
// which proves that no step goes through the path again.
#[cfg(test)]
thread_local! {
    static AFTER_FOLDER_CHECK: std::cell::RefCell<Option<Box<dyn FnMut()>>> = const { std::cell::RefCell::new(None) };
}

fn after_folder_check() {
    #[cfg(test)]
    AFTER_FOLDER_CHECK.with(|h| {
        if let Some(f) = h.borrow_mut().as_mut() {
            f()
        }
    });
}

#[cfg(test)]
mod tests;
