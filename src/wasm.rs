//! The WebAssembly boundary (wasm32 only). Nothing here decides anything: it
//! converts and calls the core.
//!
//! * The C ABI below (`tcr_*`) is what every host calls: the JS bridge
//!   (`js/index.mjs`, through `TextEncoder.encodeInto` and one `TextDecoder`
//!   read) and the PHP bridge (through a wasm runtime).
//! * Two wasm-bindgen functions remain, `evaluate` (objects in, objects out) and
//!   `version`, for users of the raw glue and for the wasm-bindgen tests. The
//!   bridge does not use them: objects cross faster as JSON text (see README,
//!   "Size and speed"), and every other wasm-bindgen export would only add glue.
//!
//! ## C ABI (version [`crate::ABI_VERSION`])
//! All integers are `i32` (wasm32 pointers and lengths) but `now` (`i64`); text is UTF-8 JSON.
//! 1. `tcr_input_reserve(len) -> ptr`: a module-owned input area of at least `len`
//!    bytes (0 when `len` exceeds the limit). Write the input documents back to back
//!    from its start.
//! 2. `tcr_evaluate(request_len, state_len) -> out_len`, `tcr_apply(state_len,
//!    mutations_len) -> out_len`, `tcr_ocs(outcome_len) -> out_len`,
//!    `tcr_allowed_actions(state_len, actor_len, options_len, now: i64) -> out_len`
//!    (`options_len` may be 0: default request bodies),
//!    `tcr_explain(outcome_len) -> out_len`, `tcr_version() -> out_len`,
//!    `tcr_facts() -> out_len`: read the input area, write the answer.
//! 3. `tcr_output_ptr() -> ptr`: the answer of the last call, valid until the next call.
//!
//! The host never frees anything. Bad input (including invalid UTF-8 or lengths
//! that do not fit the input area) is answered with a `bad-input` outcome.

use crate::{input, Outcome};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

/// Talc instead of the default dlmalloc: reading a state allocates a string per
/// id and name, and Talc makes those allocations cheaper and the module smaller
/// (see README, "Size and speed"). wasm32 here has no threads (no atomics).
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A JS value as JSON text: one `JSON.stringify` (which refuses cycles and
/// BigInts), with the limits and error details of the JS bridge's object API.
fn js_text(v: &JsValue, what: &str, max: usize) -> Result<String, String> {
    let text =
        js_sys::JSON::stringify(v).map_err(|e| format!("{what}: not serialisable as JSON ({})", message_of(&e)))?;
    // JSON.stringify answers undefined (not a string) for undefined, functions and symbols.
    if !JsValue::from(&text).is_string() {
        return Err(format!("{what}: not a JSON value (undefined, a function or a symbol)"));
    }
    // Refuse oversized text before it is copied into linear memory, which never shrinks.
    // A UTF-16 length never exceeds the UTF-8 byte count, so nothing acceptable is refused.
    if text.length() as usize > max {
        return Err(format!("{what}: more than {max} bytes exceed the limit of {max}"));
    }
    text.as_string().ok_or_else(|| format!("{what}: not a JSON value"))
}

/// The `message` of a thrown JS error, if it has one.
fn message_of(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_default()
}

/// An answer as plain JS objects: its JSON text through the engine's own
/// `JSON.parse`, which builds objects much faster than one boundary call per field.
fn parsed(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::NULL)
}

/// Decides a request: `evaluate(request, state) -> Outcome`.
#[wasm_bindgen(js_name = evaluate)]
pub fn evaluate_js(request: JsValue, state: JsValue) -> JsValue {
    let outcome = js_text(&request, "request", input::MAX_REQUEST_BYTES)
        .and_then(|r| Ok((r, js_text(&state, "state", input::MAX_DOCUMENT_BYTES)?)))
        .map_or_else(Outcome::bad_input, |(r, s)| crate::evaluate_text(&r, &s));
    parsed(&outcome.to_json())
}

/// `{ crate, version, talkApi, serverParity, abi }`.
#[wasm_bindgen(js_name = version)]
pub fn version_js() -> JsValue {
    parsed(&crate::version().to_string())
}

// ---- C ABI ----

/// Largest input area: two of the largest documents.
const MAX_INPUT: usize = 2 * input::MAX_DOCUMENT_BYTES;

/// The module-owned input and output areas of the C ABI.
struct Buffers {
    input: Vec<u8>,
    output: String,
}

/// wasm32 without the atomics feature has exactly one thread, so the areas need
/// no lock; a `RefCell` still catches any re-entrant use instead of aliasing.
struct SingleThreaded(RefCell<Buffers>);
// SAFETY: this module is only compiled for wasm32-unknown-unknown without
// atomics, where no second thread can exist.
unsafe impl Sync for SingleThreaded {}

static BUFFERS: SingleThreaded = SingleThreaded(RefCell::new(Buffers { input: Vec::new(), output: String::new() }));

#[no_mangle]
pub extern "C" fn tcr_abi_version() -> i32 {
    crate::ABI_VERSION as i32
}

#[no_mangle]
pub extern "C" fn tcr_input_reserve(len: i32) -> *mut u8 {
    let Ok(len) = usize::try_from(len) else { return std::ptr::null_mut() };
    if len > MAX_INPUT {
        return std::ptr::null_mut();
    }
    let b = &mut BUFFERS.0.borrow_mut().input;
    // The area only grows, so a call of the usual size writes into memory that is
    // already there instead of zeroing it again; it is given back after a large call.
    if b.len() < len {
        b.resize(len, 0);
    } else if b.len() > 4 * len.max(1 << 16) {
        b.truncate(len);
        b.shrink_to_fit();
    }
    b.as_mut_ptr()
}

#[no_mangle]
pub extern "C" fn tcr_output_ptr() -> *const u8 {
    BUFFERS.0.borrow().output.as_ptr()
}

/// Splits the input area into documents of the given lengths.
fn with_documents(lens: &[i32], f: impl FnOnce(&[&str]) -> String) -> i32 {
    let answer = match crate::abi::split_documents(&BUFFERS.0.borrow().input, lens) {
        Ok(docs) => f(&docs),
        Err(e) => Outcome::bad_input(e).to_json(),
    };
    let len = answer.len() as i32;
    BUFFERS.0.borrow_mut().output = answer;
    len
}

#[no_mangle]
pub extern "C" fn tcr_evaluate(request_len: i32, state_len: i32) -> i32 {
    with_documents(&[request_len, state_len], |d| crate::evaluate_json(d[0], d[1]))
}

#[no_mangle]
pub extern "C" fn tcr_apply(state_len: i32, mutations_len: i32) -> i32 {
    with_documents(&[state_len, mutations_len], |d| crate::apply_json(d[0], d[1]))
}

#[no_mangle]
pub extern "C" fn tcr_ocs(outcome_len: i32) -> i32 {
    with_documents(&[outcome_len], |d| crate::ocs_json(d[0]))
}

#[no_mangle]
pub extern "C" fn tcr_allowed_actions(state_len: i32, actor_len: i32, options_len: i32, now: i64) -> i32 {
    with_documents(&[state_len, actor_len, options_len], |d| crate::allowed_actions_json(d[0], d[1], now, d[2]))
}

#[no_mangle]
pub extern "C" fn tcr_explain(outcome_len: i32) -> i32 {
    with_documents(&[outcome_len], |d| crate::explain_json(d[0]))
}

#[no_mangle]
pub extern "C" fn tcr_version() -> i32 {
    with_documents(&[], |_| crate::version().to_string())
}

#[no_mangle]
pub extern "C" fn tcr_facts() -> i32 {
    with_documents(&[], |_| crate::facts().to_string())
}
