//! The disk cache against the attacks its checks exist for. Run with
//! `cargo test --release --manifest-path php/runtime/Cargo.toml --target-dir target/php-runtime`
//! (php/run-tests.sh does; the release build's dependencies are reused). The tests that need
//! another user's files (chown) run only as root.

use super::*;
use std::ffi::{CString, OsStr};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

/// An empty module (what the tests load).
const REAL: &[u8] = b"\0asm\x01\0\0\0";
/// A module exporting a memory: the "attacker's" code, told apart by its export.
const IMPOSTOR: &[u8] =
    &[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 1, 7, 10, 1, 6, b'm', b'e', b'm', b'o', b'r', b'y', 2, 0];

/// Another user's uid (nobody on Debian).
const OTHER: u32 = 65534;

struct Temp(PathBuf);

impl Temp {
    /// A fresh folder (mode 0700) in the temporary folder.
    fn new() -> Temp {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "tcr-cache-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&p).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o700)).unwrap();
        Temp(p)
    }

    /// A folder in it with this mode.
    fn dir(&self, name: &str, mode: u32) -> PathBuf {
        let p = self.0.join(name);
        fs::create_dir(&p).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
        p
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn engine() -> Engine {
    Engine::default()
}

fn place(dir: &Path, wasm: &[u8], e: &Engine) -> Place {
    Place::new(dir, xxhash_rust::xxh3::xxh3_128(wasm), e)
}

fn compiled(wasm: &[u8], e: &Engine) -> Module {
    Module::new(e, wasm).unwrap()
}

fn is_impostor(m: &Module) -> bool {
    m.exports().count() > 0
}

/// The cache files in `dir`.
fn cache_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect();
    files.sort();
    files
}

fn cache_file(dir: &Path) -> PathBuf {
    let files = cache_files(dir);
    assert_eq!(files.len(), 1, "one cache file in {}", dir.display());
    files[0].clone()
}

/// What a load answered, as text (the module: "real" or "impostor").
fn outcome(l: Loaded) -> String {
    match l {
        Loaded::Module(m) => (if is_impostor(&m) { "impostor" } else { "real" }).to_string(),
        Loaded::Absent => "absent".to_string(),
        Loaded::Rejected(why) => format!("rejected: {why}"),
        Loaded::Unusable(why) => format!("unusable: {why}"),
    }
}

/// The next folder check of this thread is followed by what an attacker who can write the
/// folder above would do: the cache folder is moved away and a symbolic link to `to` takes
/// its name.
fn swap_after_check(dir: &Path, moved: &Path, to: &Path) {
    let (dir, moved, to) = (dir.to_path_buf(), moved.to_path_buf(), to.to_path_buf());
    let mut done = false;
    AFTER_FOLDER_CHECK.with(|h| {
        *h.borrow_mut() = Some(Box::new(move || {
            if !done {
                done = true;
                fs::rename(&dir, &moved).unwrap();
                symlink(&to, &dir).unwrap();
            }
        }))
    });
}

fn no_hook() {
    AFTER_FOLDER_CHECK.with(|h| *h.borrow_mut() = None);
}

/// A valid cache file of the impostor under the name the real module's file has, in `to`:
/// what an attacker who can store files of the web server's user somewhere (an upload
/// feature) prepares.
fn forge(t: &Temp, e: &Engine, real_name: &OsStr, to: &Path) {
    let forge = t.dir("forge", 0o700);
    place(&forge, IMPOSTOR, e).store(&compiled(IMPOSTOR, e)).unwrap();
    fs::rename(cache_file(&forge), to.join(real_name)).unwrap();
    assert_eq!(outcome(place(to, REAL, e).load(e)), "impostor", "the forged file loads where it is");
}

// ---- 1. the folder swapped for a symbolic link between the check and the open ----

#[test]
fn a_folder_swapped_for_a_link_after_its_check_is_not_followed_when_loading() {
    let t = Temp::new();
    let e = engine();
    let cache = t.dir("cache", 0o700);
    place(&cache, REAL, &e).store(&compiled(REAL, &e)).unwrap();
    let name = cache_file(&cache).file_name().unwrap().to_os_string();
    let uploads = t.dir("uploads", 0o700);
    forge(&t, &e, &name, &uploads);

    swap_after_check(&cache, &t.0.join("moved"), &uploads);
    let loaded = outcome(place(&cache, REAL, &e).load(&e));
    no_hook();
    assert!(fs::symlink_metadata(&cache).unwrap().file_type().is_symlink(), "the swap happened");
    assert_eq!(loaded, "real", "the file was opened through the swapped-in link");
}

#[test]
fn a_folder_swapped_for_a_link_after_its_check_is_not_followed_when_storing() {
    let t = Temp::new();
    let e = engine();
    let cache = t.dir("cache", 0o700);
    let elsewhere = t.dir("elsewhere", 0o700);
    let moved = t.0.join("moved");
    swap_after_check(&cache, &moved, &elsewhere);
    let stored = place(&cache, REAL, &e).store(&compiled(REAL, &e));
    no_hook();
    assert!(stored.is_ok(), "{stored:?}");
    assert!(fs::symlink_metadata(&cache).unwrap().file_type().is_symlink(), "the swap happened");
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0, "written through the swapped-in link");
    assert_eq!(cache_files(&moved).len(), 1, "written into the folder that was checked");
}

// ---- 2. a named pipe in place of the file ----

#[test]
fn a_named_pipe_in_place_of_the_file_does_not_block() {
    let t = Temp::new();
    let e = engine();
    let cache = t.dir("cache", 0o700);
    place(&cache, REAL, &e).store(&compiled(REAL, &e)).unwrap();
    let file = cache_file(&cache);
    fs::remove_file(&file).unwrap();
    let c = CString::new(file.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);

    let (tx, rx) = mpsc::channel();
    let dir = cache.clone();
    std::thread::spawn(move || {
        let e = engine();
        let _ = tx.send(outcome(place(&dir, REAL, &e).load(&e)));
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(loaded) => {
            assert!(loaded.starts_with("unusable: cache-unsafe:"), "{loaded}");
            assert!(loaded.contains("a named pipe"), "{loaded}");
        }
        Err(_) => {
            // Let the blocked reader go (a writer opening the pipe), then fail.
            let _ = fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&file);
            panic!("loading blocked on a named pipe in place of the cache file");
        }
    }
}

// ---- 3. a trailing slash ----

#[test]
fn a_trailing_slash_does_not_hide_a_symbolic_link() {
    let t = Temp::new();
    let e = engine();
    let real = t.dir("real", 0o700);
    let link = t.0.join("link");
    symlink(&real, &link).unwrap();
    let slashed = PathBuf::from(format!("{}/", link.display()));

    let stored = place(&slashed, REAL, &e).store(&compiled(REAL, &e));
    assert!(stored.is_err(), "a link given as {} was written through", slashed.display());
    assert_eq!(fs::read_dir(&real).unwrap().count(), 0);
    place(&real, REAL, &e).store(&compiled(REAL, &e)).unwrap();
    let loaded = outcome(place(&slashed, REAL, &e).load(&e));
    assert!(loaded.starts_with("unusable: cache-unsafe:"), "{loaded}");
    assert!(loaded.contains("is a symbolic link"), "{loaded}");

    // A real folder given with trailing slashes is that folder.
    let slashed_real = PathBuf::from(format!("{}//", real.display()));
    assert_eq!(outcome(place(&slashed_real, REAL, &e).load(&e)), "real");
}

// ---- 4. hard links ----

#[test]
fn a_hard_linked_cache_file_is_refused() {
    let t = Temp::new();
    let e = engine();
    let cache = t.dir("cache", 0o700);
    place(&cache, REAL, &e).store(&compiled(REAL, &e)).unwrap();
    let other = t.dir("other", 0o700);
    fs::hard_link(cache_file(&cache), other.join("x")).unwrap();
    let loaded = outcome(place(&cache, REAL, &e).load(&e));
    assert!(loaded.starts_with("unusable: cache-unsafe:"), "{loaded}");
    assert!(loaded.contains("has 2 links"), "{loaded}");
}

// ---- the folders above ----

#[test]
fn a_folder_above_writable_by_others_needs_the_sticky_bit() {
    let t = Temp::new();
    let e = engine();
    let open = t.dir("open", 0o777);
    let cache = open.join("cache");
    let stored = place(&cache, REAL, &e).store(&compiled(REAL, &e)).map_err(|p| p.to_string());
    let why = stored.expect_err("stored under a folder anyone can write");
    assert!(why.starts_with("cache-unsafe:"), "{why}");
    assert!(
        why.contains(&format!("{}, above the cache folder, is writable by group or others", open.display())),
        "{why}"
    );
    assert!(!cache.exists(), "the folder was created");
    fs::create_dir(&cache).unwrap();
    fs::set_permissions(&cache, fs::Permissions::from_mode(0o700)).unwrap();
    let loaded = outcome(place(&cache, REAL, &e).load(&e));
    assert!(loaded.starts_with("unusable: cache-unsafe:") && loaded.contains("sticky"), "{loaded}");

    // Group-writable is the same.
    fs::set_permissions(&open, fs::Permissions::from_mode(0o770)).unwrap();
    assert!(outcome(place(&cache, REAL, &e).load(&e)).contains("writable by group or others"));

    // With the sticky bit (as /tmp), nobody else can rename or remove this user's entries.
    fs::set_permissions(&open, fs::Permissions::from_mode(0o1777)).unwrap();
    place(&cache, REAL, &e).store(&compiled(REAL, &e)).unwrap();
    assert_eq!(outcome(place(&cache, REAL, &e).load(&e)), "real");
}

#[test]
fn a_folder_above_of_another_user_is_refused() {
    if !root() {
        eprintln!("skipped: needs root (chown)");
        return;
    }
    let t = Temp::new();
    let e = engine();
    let theirs = t.dir("theirs", 0o755);
    std::os::unix::fs::chown(&theirs, Some(OTHER), Some(OTHER)).unwrap();
    let cache = theirs.join("cache");
    let why = place(&cache, REAL, &e).store(&compiled(REAL, &e)).map_err(|p| p.to_string()).unwrap_err();
    assert!(why.contains(&format!("{}, above the cache folder, belongs to uid {OTHER}", theirs.display())), "{why}");
}

#[test]
fn a_link_above_the_folder_is_followed_when_root_or_this_user_owns_it() {
    let t = Temp::new();
    let e = engine();
    let real = t.dir("real", 0o700);
    symlink(&real, t.0.join("absolute")).unwrap();
    symlink("real", t.0.join("relative")).unwrap();
    symlink("relative/../real", t.0.join("chained")).unwrap();
    for via in ["absolute", "relative", "chained"] {
        let cache = t.0.join(via).join("cache");
        place(&cache, REAL, &e).store(&compiled(REAL, &e)).unwrap();
        assert_eq!(outcome(place(&cache, REAL, &e).load(&e)), "real", "{via}");
        assert_eq!(cache_files(&real.join("cache")).len(), 1, "{via}");
    }
    // The target is checked like any folder above.
    let open = t.dir("open", 0o777);
    symlink(&open, t.0.join("to-open")).unwrap();
    let why = outcome(place(&t.0.join("to-open/cache"), REAL, &e).load(&e));
    assert!(why.contains("without the sticky bit"), "{why}");
    // A loop.
    symlink("loop", t.0.join("loop")).unwrap();
    let why = outcome(place(&t.0.join("loop/cache"), REAL, &e).load(&e));
    assert!(why.contains("too many symbolic links"), "{why}");
}

#[test]
fn a_link_above_the_folder_of_another_user_is_refused() {
    if !root() {
        eprintln!("skipped: needs root (lchown)");
        return;
    }
    let t = Temp::new();
    let e = engine();
    let real = t.dir("real", 0o700);
    let link = t.0.join("link");
    symlink(&real, &link).unwrap();
    std::os::unix::fs::lchown(&link, Some(OTHER), Some(OTHER)).unwrap();
    let why = outcome(place(&link.join("cache"), REAL, &e).load(&e));
    assert!(why.contains(&format!("is a symbolic link of uid {OTHER}")), "{why}");
}

// ---- the folder and the file ----

#[test]
fn a_folder_of_another_user_is_refused() {
    if !root() {
        eprintln!("skipped: needs root (chown)");
        return;
    }
    let t = Temp::new();
    let e = engine();
    // What a user who created /tmp/talk-call-rules-<uid> first leaves.
    let squatted = t.dir("squatted", 0o700);
    std::os::unix::fs::chown(&squatted, Some(OTHER), Some(OTHER)).unwrap();
    let why = place(&squatted, REAL, &e).store(&compiled(REAL, &e)).map_err(|p| p.to_string()).unwrap_err();
    assert!(why.starts_with("cache-unsafe:") && why.contains(&format!("belongs to uid {OTHER}")), "{why}");
    assert!(outcome(place(&squatted, REAL, &e).load(&e)).contains(&format!("belongs to uid {OTHER}")));
}

#[test]
fn a_file_of_another_user_or_writable_by_others_is_refused() {
    let t = Temp::new();
    let e = engine();
    let cache = t.dir("cache", 0o700);
    place(&cache, REAL, &e).store(&compiled(REAL, &e)).unwrap();
    let file = cache_file(&cache);
    fs::set_permissions(&file, fs::Permissions::from_mode(0o646)).unwrap();
    assert!(outcome(place(&cache, REAL, &e).load(&e)).contains("is writable by group or others"));
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    if root() {
        std::os::unix::fs::chown(&file, Some(OTHER), Some(OTHER)).unwrap();
        let why = outcome(place(&cache, REAL, &e).load(&e));
        assert!(
            why.starts_with("unusable: cache-unsafe:") && why.contains(&format!("belongs to uid {OTHER}")),
            "{why}"
        );
    }
    // A symbolic link in place of the file.
    fs::remove_file(&file).unwrap();
    symlink("/dev/null", &file).unwrap();
    assert!(outcome(place(&cache, REAL, &e).load(&e)).contains("is a symbolic link"));
}

#[test]
fn a_relative_path_is_refused() {
    let e = engine();
    let why = outcome(place(Path::new("relative/cache"), REAL, &e).load(&e));
    assert!(why.contains("is not an absolute path"), "{why}");
}

#[test]
fn a_missing_folder_is_created_0700_with_files_0600() {
    let t = Temp::new();
    let e = engine();
    let cache = t.0.join("new");
    assert_eq!(outcome(place(&cache, REAL, &e).load(&e)), "absent");
    assert!(!cache.exists(), "loading creates nothing");
    place(&cache, REAL, &e).store(&compiled(REAL, &e)).unwrap();
    assert_eq!(fs::metadata(&cache).unwrap().mode() & 0o777, 0o700);
    let file = cache_file(&cache);
    assert_eq!(fs::metadata(&file).unwrap().mode() & 0o777, 0o600);
    assert_eq!(fs::read_dir(&cache).unwrap().count(), 1, "no temporary file left");
    assert_eq!(outcome(place(&cache, REAL, &e).load(&e)), "real");
    // A missing folder above is not created.
    let why = place(&t.0.join("a/b"), REAL, &e).store(&compiled(REAL, &e)).map_err(|p| p.to_string()).unwrap_err();
    assert!(why.starts_with("cache-error:") && why.contains("does not exist"), "{why}");
}

#[test]
fn a_problem_is_reported_once_per_process() {
    let problem = format!("cache-unsafe: test {}", std::process::id());
    assert!(first_report(&problem));
    assert!(!first_report(&problem));
}
