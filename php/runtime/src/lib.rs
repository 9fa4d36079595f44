//! The PHP bridge's runtime: `libtcr_php.so`, loaded by `php/src/Internal/Fast.php`
//! through FFI (declarations in `php/runtime/tcr_php.h`).
//!
//! Why a library of our own instead of a generic `wasm.h` runtime:
//!
//! - **One instance per worker process.** The module is a pure function of its input, so one
//!   instance can serve every request a PHP-FPM worker handles. PHP frees every object at the
//!   end of a request, so the instance has to live here, in a process-wide table keyed by the
//!   module's path; the library is linked with `-z nodelete` (see `build.rs`) so that PHP's
//!   `dlclose` at the end of a request does not take the table with it.
//! - **One compilation per machine.** wasmtime compiles the module to machine code (Cranelift,
//!   ~0.5 s); the result is kept in a disk cache (`cache.rs`) and loaded in about two
//!   milliseconds by the next process.
//! - **One FFI crossing per call.** `tcr_php_answer` copies the input documents in, calls the
//!   export and copies the answer out; the `wasm.h` path needs a dozen crossings and PHP-side
//!   bookkeeping per call.
//!
//! Every entry point catches panics and answers a status instead: a bug here must never take
//! a PHP worker down. A wasm trap drops the instance (its memory may be inconsistent) and a
//! fresh one is made from the compiled module, which costs microseconds.

mod cache;

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use wasmtime::{
    Config, Engine, ExternType, Func, HeapType, InstancePre, Linker, Memory, Module, Store, TypedFunc, Val, ValType,
};

/// The version of this library's C functions (`tcr_php_abi()`); the PHP side refuses others.
pub const ABI: u32 = 1;

/// A linear memory larger than this after a call is given back: the instance is dropped and
/// made again on the next call (from the compiled module: microseconds), so one huge request
/// does not pin its memory in the worker for the rest of its life.
const MAX_KEPT_MEMORY: usize = 64 << 20;

const JS_IMPORT_TRAP: &str =
    "talk-call-rules: the module called one of its JavaScript imports, which this host does not provide";

// ---- statuses (tcr_php.h has the same numbers) ----

/// `tcr_php_open` statuses.
pub mod open_status {
    pub const OK: u32 = 0;
    pub const WASM_MISSING: u32 = 1;
    pub const WASM_INVALID: u32 = 2;
    pub const WASM_VERSION: u32 = 3;
    pub const RUNTIME: u32 = 4;
}

/// Where the instance `tcr_php_open` answered with came from.
pub mod source {
    /// The instance this process already had.
    pub const KEPT: u32 = 0;
    /// A new instance of the module this process had already compiled or loaded.
    pub const INSTANTIATED: u32 = 1;
    /// Machine code from the disk cache.
    pub const DISK: u32 = 2;
    /// Compiled now.
    pub const COMPILED: u32 = 3;
}

/// `tcr_php_answer` / `tcr_php_invoke` statuses.
pub mod call_status {
    pub const OK: u32 = 0;
    /// The module trapped; `ptr`/`len` hold the message, `rebuilt` says whether a fresh
    /// instance is ready.
    pub const TRAP: u32 = 1;
    /// The handle is unknown, or its module was replaced (the .wasm changed): open again.
    pub const STALE: u32 = 2;
    /// `tcr_input_reserve` refused the documents (above the module's input limit).
    pub const TOO_LARGE: u32 = 3;
    /// No such export, or not the signature the call needs (a programmer error).
    pub const SIGNATURE: u32 = 4;
    /// No instance could be made (the message says why).
    pub const UNUSABLE: u32 = 5;
    /// A bug in this library (a panic), caught.
    pub const INTERNAL: u32 = 6;
}

#[repr(C)]
pub struct OpenResult {
    pub status: u32,
    pub handle: u32,
    pub generation: u32,
    pub source: u32,
    /// `cache::Outcome` as a number (what the disk cache did during this open).
    pub cache: u32,
    /// 1 when the cache could not be used (`cache` is `Unusable`; the message, "cache-unsafe: …"
    /// or "cache-error: …", says why) for a reason this process has not reported before: the
    /// bridge logs it then, so a worker logs a problem once, not on every request.
    pub warn: u32,
    /// Nanoseconds spent on each step of this open (0 when the step did not run).
    pub stat_ns: u64,
    pub read_ns: u64,
    pub load_ns: u64,
    pub instantiate_ns: u64,
    pub store_ns: u64,
    /// Starting wasmtime in this process (the first open only).
    pub engine_ns: u64,
    /// The error (status != OK), else a note from the disk cache ("" when none).
    pub message: *const c_char,
    pub message_len: usize,
}

#[repr(C)]
pub struct Answer {
    pub status: u32,
    pub rebuilt: u32,
    /// `tcr_php_invoke`: the export's result (an i32 result sign-extended).
    pub value: i64,
    /// The answer (status OK) or the message (otherwise); valid until this thread's next call.
    pub ptr: *const u8,
    pub len: usize,
}

#[repr(C)]
#[derive(Default, Clone, Copy)]
pub struct Stats {
    pub opens: u64,
    pub kept: u64,
    pub instantiations: u64,
    pub compiles: u64,
    pub disk_hits: u64,
    pub disk_writes: u64,
    pub disk_rejects: u64,
    pub traps: u64,
    pub memory_resets: u64,
    pub modules: u64,
    pub process_id: u64,
}

// ---- the process-wide table ----

/// What identifies the file's content cheaply: a changed file changes one of these
/// (a rename over it changes the inode; an edit in place, mtime/ctime/size).
#[derive(Clone, Copy, PartialEq, Eq)]
struct FileKey {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_ns: i64,
    ctime: i64,
    ctime_ns: i64,
}

impl FileKey {
    fn of(m: &std::fs::Metadata) -> FileKey {
        FileKey {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: m.mtime(),
            mtime_ns: m.mtime_nsec(),
            ctime: m.ctime(),
            ctime_ns: m.ctime_nsec(),
        }
    }
}

struct Live {
    store: Store<()>,
    memory: Memory,
    funcs: HashMap<String, Func>,
    reserve: TypedFunc<i32, i32>,
    output: TypedFunc<(), i32>,
}

struct Entry {
    key: FileKey,
    hash: u128,
    generation: u32,
    pre: InstancePre<()>,
    exports: Vec<String>,
    live: Option<Live>,
}

struct Runtime {
    engine: Engine,
    slots: Vec<Option<Entry>>,
    by_path: HashMap<PathBuf, usize>,
    next_generation: u32,
    stats: Stats,
}

static RUNTIME: OnceLock<Result<Mutex<Runtime>, String>> = OnceLock::new();

fn runtime() -> Result<MutexGuard<'static, Runtime>, String> {
    let rt = RUNTIME.get_or_init(|| {
        let mut config = Config::new();
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        Engine::new(&config)
            .map(|engine| {
                Mutex::new(Runtime {
                    engine,
                    slots: Vec::new(),
                    by_path: HashMap::new(),
                    next_generation: 1,
                    stats: Stats::default(),
                })
            })
            .map_err(|e| format!("wasmtime could not start: {e:#}"))
    });
    match rt {
        // A panic while the lock was held left the table as it was between two steps, all of
        // which keep it consistent: carry on.
        Ok(m) => Ok(m.lock().unwrap_or_else(|p| p.into_inner())),
        Err(e) => Err(e.clone()),
    }
}

// ---- thread-local answer buffers ----

thread_local! {
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static MSG: RefCell<String> = const { RefCell::new(String::new()) };
    static OPEN: RefCell<OpenResult> = const { RefCell::new(OpenResult {
        status: 0, handle: 0, generation: 0, source: 0, cache: 0, warn: 0,
        stat_ns: 0, read_ns: 0, load_ns: 0, instantiate_ns: 0, store_ns: 0, engine_ns: 0,
        message: std::ptr::null(), message_len: 0,
    }) };
    static ANSWER: RefCell<Answer> = const { RefCell::new(Answer { status: 0, rebuilt: 0, value: 0, ptr: std::ptr::null(), len: 0 }) };
    static STATS: RefCell<Stats> = const { RefCell::new(Stats {
        opens: 0, kept: 0, instantiations: 0, compiles: 0, disk_hits: 0, disk_writes: 0,
        disk_rejects: 0, traps: 0, memory_resets: 0, modules: 0, process_id: 0,
    }) };
}

/// Keeps `bytes` in this thread's output buffer; answers its address.
fn keep_output(bytes: &[u8]) -> (*const u8, usize) {
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        // Do not pin a huge buffer for the rest of the worker's life after one huge answer.
        if o.capacity() > (8 << 20) && bytes.len() < (1 << 20) {
            *o = Vec::new();
        }
        o.clear();
        o.extend_from_slice(bytes);
        (o.as_ptr(), o.len())
    })
}

fn keep_message(text: &str) -> (*const u8, usize) {
    MSG.with(|m| {
        let mut m = m.borrow_mut();
        m.clear();
        m.push_str(text);
        (m.as_ptr(), m.len())
    })
}

fn answer(status: u32, rebuilt: bool, value: i64, (ptr, len): (*const u8, usize)) -> *const Answer {
    ANSWER.with(|a| {
        let mut a = a.borrow_mut();
        *a = Answer { status, rebuilt: rebuilt as u32, value, ptr, len };
        &*a as *const Answer
    })
}

fn failed(status: u32, rebuilt: bool, message: &str) -> *const Answer {
    answer(status, rebuilt, 0, keep_message(message))
}

/// Bytes given by PHP; an empty slice for a null pointer or zero length.
///
/// # Safety
/// `ptr` must point to `len` readable bytes when it is not null.
unsafe fn bytes<'a>(ptr: *const c_char, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr as *const u8, len)
    }
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    let what = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("internal error in libtcr_php: {what}")
}

// ---- C functions ----

/// The version of these C functions.
#[no_mangle]
pub extern "C" fn tcr_php_abi() -> u32 {
    ABI
}

/// The module at `path`, ready to call: the instance this process already has when the file is
/// unchanged, else the module from this process's table, the disk cache (`cache_dir`; empty:
/// no disk cache) or a fresh compilation. `required` is a comma-separated list of function
/// exports that must exist (checked once per module).
///
/// # Safety
/// Pointers must point to the given number of readable bytes (or be null with length 0).
#[no_mangle]
pub unsafe extern "C" fn tcr_php_open(
    path: *const c_char,
    path_len: usize,
    cache_dir: *const c_char,
    cache_dir_len: usize,
    required: *const c_char,
    required_len: usize,
) -> *const OpenResult {
    let path = PathBuf::from(OsStr::from_bytes(bytes(path, path_len)));
    let cache_dir = bytes(cache_dir, cache_dir_len);
    let cache_dir = (!cache_dir.is_empty()).then(|| PathBuf::from(OsStr::from_bytes(cache_dir)));
    let required = String::from_utf8_lossy(bytes(required, required_len)).into_owned();
    let mut r = OpenResult {
        status: open_status::OK,
        handle: 0,
        generation: 0,
        source: source::KEPT,
        cache: cache::Outcome::NotAsked as u32,
        warn: 0,
        stat_ns: 0,
        read_ns: 0,
        load_ns: 0,
        instantiate_ns: 0,
        store_ns: 0,
        engine_ns: 0,
        message: std::ptr::null(),
        message_len: 0,
    };
    let note = match catch_unwind(AssertUnwindSafe(|| open(&path, cache_dir.as_deref(), &required, &mut r))) {
        Ok(Ok(note)) => note,
        Ok(Err((status, message))) => {
            r.status = status;
            message
        }
        Err(p) => {
            r.status = open_status::RUNTIME;
            panic_text(p)
        }
    };
    let (ptr, len) = keep_message(&note);
    r.message = ptr as *const c_char;
    r.message_len = len;
    OPEN.with(|o| {
        *o.borrow_mut() = r;
        o.as_ptr() as *const OpenResult
    })
}

fn nanos(since: Instant) -> u64 {
    since.elapsed().as_nanos() as u64
}

type OpenError = (u32, String);

fn open(path: &Path, cache_dir: Option<&Path>, required: &str, r: &mut OpenResult) -> Result<String, OpenError> {
    let t = Instant::now();
    let started = RUNTIME.get().is_some();
    let mut rt = runtime().map_err(|e| (open_status::RUNTIME, e))?;
    if !started {
        r.engine_ns = nanos(t);
    }
    rt.stats.opens += 1;
    let t = Instant::now();
    let meta = std::fs::metadata(path).map_err(|e| (open_status::WASM_MISSING, missing(path, &e)))?;
    if !meta.is_file() {
        return Err((open_status::WASM_MISSING, format!("the module {} is not a file", path.display())));
    }
    let key = FileKey::of(&meta);
    r.stat_ns = nanos(t);

    let slot = rt.by_path.get(path).copied();
    let mut note = String::new();
    let unchanged = slot.and_then(|s| rt.slots[s].as_ref()).is_some_and(|e| e.key == key);
    if !unchanged {
        let t = Instant::now();
        let wasm = std::fs::read(path).map_err(|e| (open_status::WASM_MISSING, missing(path, &e)))?;
        if !wasm.starts_with(b"\0asm") {
            forget(&mut rt, path);
            return Err((open_status::WASM_INVALID, "not a WebAssembly binary".into()));
        }
        let hash = xxhash_rust::xxh3::xxh3_128(&wasm);
        r.read_ns = nanos(t);
        let same_module = slot.and_then(|s| rt.slots[s].as_mut()).filter(|e| e.hash == hash);
        if let Some(e) = same_module {
            // Touched, or copied over with the same bytes: keep the module (and the handles).
            e.key = key;
        } else {
            let t = Instant::now();
            let (module, outcome, cache_note) = load(&mut rt, &wasm, hash, cache_dir, r);
            r.load_ns = nanos(t).saturating_sub(r.store_ns);
            r.cache = outcome as u32;
            r.warn = (outcome == cache::Outcome::Unusable && cache::first_report(&cache_note)) as u32;
            note = cache_note;
            let module = match module {
                Ok(m) => m,
                Err(e) => {
                    forget(&mut rt, path);
                    return Err((open_status::WASM_INVALID, e));
                }
            };
            let (pre, exports) = match prepare(&rt.engine, &module) {
                Ok(p) => p,
                Err(e) => {
                    forget(&mut rt, path);
                    return Err(e);
                }
            };
            let generation = rt.next_generation;
            rt.next_generation = rt.next_generation.wrapping_add(1).max(1);
            rt.stats.modules += 1;
            let entry = Entry { key, hash, generation, pre, exports, live: None };
            match slot {
                Some(s) => rt.slots[s] = Some(entry),
                None => {
                    rt.slots.push(Some(entry));
                    let s = rt.slots.len() - 1;
                    rt.by_path.insert(path.to_path_buf(), s);
                }
            }
        }
    }

    let s = rt.by_path[path];
    let Runtime { slots, stats, .. } = &mut *rt;
    let entry = slots[s].as_mut().expect("the slot was just filled");
    let missing: Vec<&str> =
        required.split(',').map(str::trim).filter(|n| !n.is_empty() && !entry.exports.iter().any(|e| e == n)).collect();
    if !missing.is_empty() {
        return Err((open_status::WASM_VERSION, format!("lacks the C-ABI exports {}", missing.join(", "))));
    }
    if entry.live.is_none() {
        let t = Instant::now();
        entry.live = Some(instantiate(&entry.pre).map_err(|e| (open_status::WASM_INVALID, e))?);
        stats.instantiations += 1;
        r.instantiate_ns = nanos(t);
        if r.source == source::KEPT {
            r.source = source::INSTANTIATED;
        }
    } else {
        stats.kept += 1;
    }
    r.handle = s as u32;
    r.generation = entry.generation;
    Ok(note)
}

fn missing(path: &Path, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        format!("the module {} does not exist", path.display())
    } else {
        format!("the module {} is not readable: {e}", path.display())
    }
}

fn forget(rt: &mut Runtime, path: &Path) {
    if let Some(s) = rt.by_path.get(path).copied() {
        rt.slots[s] = None;
    }
}

/// The compiled module: from the disk cache when it holds a good copy, else compiled (and then
/// stored there). Never fails because of the cache: any problem with it means compiling.
fn load(
    rt: &mut Runtime,
    wasm: &[u8],
    hash: u128,
    cache_dir: Option<&Path>,
    r: &mut OpenResult,
) -> (Result<Module, String>, cache::Outcome, String) {
    let engine = rt.engine.clone();
    let place = cache_dir.map(|d| cache::Place::new(d, hash, &engine));
    let mut outcome = cache::Outcome::Disabled;
    let mut note = String::new();
    if let Some(place) = &place {
        match place.load(&engine) {
            cache::Loaded::Module(m) => {
                rt.stats.disk_hits += 1;
                r.source = source::DISK;
                return (Ok(m), cache::Outcome::Hit, note);
            }
            cache::Loaded::Absent => outcome = cache::Outcome::Miss,
            cache::Loaded::Rejected(why) => {
                rt.stats.disk_rejects += 1;
                outcome = cache::Outcome::Rejected;
                note = why;
            }
            cache::Loaded::Unusable(why) => {
                outcome = cache::Outcome::Unusable;
                note = why.to_string();
            }
        }
    }
    r.source = source::COMPILED;
    rt.stats.compiles += 1;
    let module = match Module::new(&engine, wasm) {
        Ok(m) => m,
        Err(e) => return (Err(format!("not a WebAssembly module this runtime can compile: {e:#}")), outcome, note),
    };
    if let (Some(place), cache::Outcome::Miss | cache::Outcome::Rejected) = (&place, outcome) {
        let t = Instant::now();
        match place.store(&module) {
            Ok(()) => {
                rt.stats.disk_writes += 1;
                if outcome == cache::Outcome::Miss {
                    outcome = cache::Outcome::Written;
                }
            }
            Err(why) => {
                outcome = cache::Outcome::Unusable;
                // The problem first (the note starts with its code), then what came before.
                note = if note.is_empty() { why.to_string() } else { format!("{why} (before that: {note})") };
            }
        }
        r.store_ns = nanos(t);
    }
    (Ok(module), outcome, note)
}

/// Binds every import (wasm-bindgen's JavaScript glue, never called on the C-ABI path) to a
/// function that traps, and lists the function exports.
fn prepare(engine: &Engine, module: &Module) -> Result<(InstancePre<()>, Vec<String>), OpenError> {
    let mut linker: Linker<()> = Linker::new(engine);
    linker.allow_shadowing(true);
    for import in module.imports() {
        match import.ty() {
            ExternType::Func(ty) => {
                linker
                    .func_new(import.module(), import.name(), ty, |_, _, _| {
                        Err(wasmtime::format_err!("{JS_IMPORT_TRAP}"))
                    })
                    .map_err(|e| {
                        (open_status::WASM_INVALID, format!("cannot bind the import {}: {e:#}", import.name()))
                    })?;
            }
            _ => {
                return Err((open_status::WASM_INVALID, format!("imports {}, which is not a function", import.name())));
            }
        }
    }
    if !module.exports().any(|e| e.name() == "memory" && matches!(e.ty(), ExternType::Memory(_))) {
        return Err((open_status::WASM_INVALID, "exports no memory".into()));
    }
    let exports =
        module.exports().filter(|e| matches!(e.ty(), ExternType::Func(_))).map(|e| e.name().to_string()).collect();
    let pre = linker
        .instantiate_pre(module)
        .map_err(|e| (open_status::WASM_INVALID, format!("cannot be instantiated: {e:#}")))?;
    Ok((pre, exports))
}

fn instantiate(pre: &InstancePre<()>) -> Result<Live, String> {
    let mut store = Store::new(pre.module().engine(), ());
    let instance = pre.instantiate(&mut store).map_err(|e| format!("cannot be instantiated: {e:#}"))?;
    let memory = instance.get_memory(&mut store, "memory").ok_or("exports no memory")?;
    let mut funcs = HashMap::new();
    for export in pre.module().exports() {
        if let Some(f) = instance.get_func(&mut store, export.name()) {
            funcs.insert(export.name().to_string(), f);
        }
    }
    let reserve = instance
        .get_typed_func::<i32, i32>(&mut store, "tcr_input_reserve")
        .map_err(|e| format!("lacks the C-ABI exports tcr_input_reserve ({e:#})"))?;
    let output = instance
        .get_typed_func::<(), i32>(&mut store, "tcr_output_ptr")
        .map_err(|e| format!("lacks the C-ABI exports tcr_output_ptr ({e:#})"))?;
    Ok(Live { store, memory, funcs, reserve, output })
}

/// What a failed call means for the instance.
enum CallError {
    /// The module trapped or answered outside its memory: the instance must go.
    Trap(String),
    Signature(String),
    TooLarge,
}

fn trap_text(e: &wasmtime::Error) -> String {
    // The root cause is the trap (or the import's message) and comes first; the outer layer
    // is wasmtime's wasm backtrace.
    let root = e.root_cause().to_string();
    let outer = e.to_string();
    if outer == root {
        root
    } else {
        format!("{root} ({})", outer.trim_end_matches(':').trim())
    }
}

/// Runs `f` on the live instance of `handle`/`generation`, making one first if needed; after a
/// trap drops the instance and makes a fresh one.
fn with_live(
    handle: u32,
    generation: u32,
    f: impl FnOnce(&mut Live) -> Result<(i64, Option<(*const u8, usize)>), CallError>,
) -> *const Answer {
    let mut rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return failed(call_status::UNUSABLE, false, &e),
    };
    let Runtime { slots, stats, .. } = &mut *rt;
    let Some(entry) = slots.get_mut(handle as usize).and_then(Option::as_mut).filter(|e| e.generation == generation)
    else {
        return failed(call_status::STALE, false, "the module was replaced or forgotten; open it again");
    };
    if entry.live.is_none() {
        match instantiate(&entry.pre) {
            Ok(l) => {
                stats.instantiations += 1;
                entry.live = Some(l);
            }
            Err(e) => return failed(call_status::UNUSABLE, false, &e),
        }
    }
    let live = entry.live.as_mut().expect("just made");
    match f(live) {
        Ok((value, out)) => {
            if live.memory.data_size(&live.store) > MAX_KEPT_MEMORY {
                entry.live = None;
                stats.memory_resets += 1;
            }
            answer(call_status::OK, false, value, out.unwrap_or((std::ptr::null(), 0)))
        }
        Err(CallError::TooLarge) => {
            failed(call_status::TOO_LARGE, false, "the documents exceed the input limit of the module")
        }
        Err(CallError::Signature(m)) => failed(call_status::SIGNATURE, false, &m),
        Err(CallError::Trap(m)) => {
            stats.traps += 1;
            entry.live = None;
            let rebuilt = match instantiate(&entry.pre) {
                Ok(l) => {
                    stats.instantiations += 1;
                    entry.live = Some(l);
                    true
                }
                Err(_) => false,
            };
            failed(call_status::TRAP, rebuilt, &m)
        }
    }
}

/// Copies up to three documents back to back into the module's input area, calls `export`
/// with their lengths (and `now` as a last i64 argument when `with_now` is not 0), and answers
/// the module's output (copied: valid until this thread's next call).
///
/// # Safety
/// Pointers must point to the given number of readable bytes (or be null with length 0).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn tcr_php_answer(
    handle: u32,
    generation: u32,
    export: *const c_char,
    export_len: usize,
    docs: u32,
    a: *const c_char,
    a_len: usize,
    b: *const c_char,
    b_len: usize,
    c: *const c_char,
    c_len: usize,
    now: i64,
    with_now: u32,
) -> *const Answer {
    let export = bytes(export, export_len);
    let all = [bytes(a, a_len), bytes(b, b_len), bytes(c, c_len)];
    let docs = &all[..(docs as usize).min(3)];
    let r = catch_unwind(AssertUnwindSafe(|| {
        with_live(handle, generation, |live| {
            let export =
                std::str::from_utf8(export).map_err(|_| CallError::Signature("export name is not UTF-8".into()))?;
            let func = *live.funcs.get(export).ok_or_else(|| CallError::Signature(format!("no export {export}")))?;
            let total: usize = docs.iter().map(|d| d.len()).sum();
            let total32 = i32::try_from(total).map_err(|_| CallError::TooLarge)?;
            let ptr = live
                .reserve
                .call(&mut live.store, total32)
                .map_err(|e| CallError::Trap(format!("tcr_input_reserve: {}", trap_text(&e))))?
                as u32 as usize;
            if ptr == 0 {
                return Err(CallError::TooLarge);
            }
            let mem = live.memory.data_mut(&mut live.store);
            let size = mem.len();
            let area = mem.get_mut(ptr..ptr.saturating_add(total)).ok_or_else(|| {
                CallError::Trap(format!("tcr_input_reserve: input area {ptr}+{total} outside the {size}-byte memory"))
            })?;
            let mut at = 0;
            for d in docs {
                area[at..at + d.len()].copy_from_slice(d);
                at += d.len();
            }
            let mut params: Vec<Val> = docs.iter().map(|d| Val::I32(d.len() as i32)).collect();
            if with_now != 0 {
                params.push(Val::I64(now));
            }
            let len = call(live, export, func, &params)? as u32 as usize;
            let out = live
                .output
                .call(&mut live.store, ())
                .map_err(|e| CallError::Trap(format!("tcr_output_ptr: {}", trap_text(&e))))?
                as u32 as usize;
            let mem = live.memory.data(&live.store);
            let bytes = mem.get(out..out.saturating_add(len)).ok_or_else(|| {
                CallError::Trap(format!("{export}: answer {out}+{len} outside the {}-byte memory", mem.len()))
            })?;
            Ok((len as i64, Some(keep_output(bytes))))
        })
    }));
    r.unwrap_or_else(|p| failed(call_status::INTERNAL, false, &panic_text(p)))
}

/// Calls `export` with up to four integer arguments (each converted to the parameter's type,
/// i32 or i64; a nullable reference parameter gets null) and answers its result in `value`. For the version check, tests and
/// diagnostics.
///
/// # Safety
/// `export` must point to `export_len` readable bytes.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn tcr_php_invoke(
    handle: u32,
    generation: u32,
    export: *const c_char,
    export_len: usize,
    nargs: u32,
    a0: i64,
    a1: i64,
    a2: i64,
    a3: i64,
) -> *const Answer {
    let export = bytes(export, export_len);
    let r = catch_unwind(AssertUnwindSafe(|| {
        with_live(handle, generation, |live| {
            let export =
                std::str::from_utf8(export).map_err(|_| CallError::Signature("export name is not UTF-8".into()))?;
            let func = *live.funcs.get(export).ok_or_else(|| CallError::Signature(format!("no export {export}")))?;
            let ty = func.ty(&live.store);
            let given = &[a0, a1, a2, a3][..(nargs as usize).min(4)];
            if ty.params().len() != given.len() {
                return Err(CallError::Signature(format!(
                    "{export} takes {} arguments, {} given",
                    ty.params().len(),
                    given.len()
                )));
            }
            let params = ty
                .params()
                .zip(given)
                .map(|(t, v)| match &t {
                    ValType::I32 => Ok(Val::I32(*v as i32)),
                    ValType::I64 => Ok(Val::I64(*v)),
                    // A reference gets null, as a wasm.h host passing zeros would.
                    ValType::Ref(r) if r.is_nullable() => match r.heap_type().top() {
                        HeapType::Extern => Ok(Val::null_extern_ref()),
                        HeapType::Func => Ok(Val::null_func_ref()),
                        HeapType::Any => Ok(Val::null_any_ref()),
                        _ => Err(CallError::Signature(format!("{export} takes a {t} argument"))),
                    },
                    other => Err(CallError::Signature(format!("{export} takes a {other} argument"))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((call(live, export, func, &params)?, None))
        })
    }));
    r.unwrap_or_else(|p| failed(call_status::INTERNAL, false, &panic_text(p)))
}

/// Calls `func` and answers its only result (i32 sign-extended, or i64), 0 when it has none.
fn call(live: &mut Live, export: &str, func: Func, params: &[Val]) -> Result<i64, CallError> {
    let ty = func.ty(&live.store);
    let want: Vec<ValType> = ty.params().collect();
    let matches = want.len() == params.len()
        && want.iter().zip(params).all(|(w, p)| match w {
            ValType::I32 => matches!(p, Val::I32(_)),
            ValType::I64 => matches!(p, Val::I64(_)),
            ValType::Ref(_) => matches!(p, Val::ExternRef(None) | Val::FuncRef(None) | Val::AnyRef(None)),
            _ => false,
        });
    if !matches {
        return Err(CallError::Signature(format!("{export} does not take these arguments")));
    }
    let mut results = vec![Val::I32(0); ty.results().len()];
    if results.len() > 1 {
        return Err(CallError::Signature(format!("{export} returns {} values", results.len())));
    }
    func.call(&mut live.store, params, &mut results).map_err(|e| CallError::Trap(trap_text(&e)))?;
    Ok(match results.first() {
        Some(Val::I32(v)) => *v as i64,
        Some(Val::I64(v)) => *v,
        _ => 0,
    })
}

/// Counters of this process (for tests and the benchmark).
#[no_mangle]
pub extern "C" fn tcr_php_stats() -> *const Stats {
    let s = catch_unwind(|| runtime().map(|rt| rt.stats).unwrap_or_default()).unwrap_or_default();
    STATS.with(|st| {
        *st.borrow_mut() = Stats { process_id: std::process::id() as u64, ..s };
        st.as_ptr() as *const Stats
    })
}

/// Drops every module and instance this process holds (the next open loads again). For tests
/// and the benchmark; handles given out before become stale.
#[no_mangle]
pub extern "C" fn tcr_php_forget() {
    let _ = catch_unwind(|| {
        if let Ok(mut rt) = runtime() {
            for s in rt.slots.iter_mut() {
                *s = None;
            }
            rt.by_path.clear();
        }
    });
}
