//! The WebAssembly boundary (wasm32 only). Nothing here decides anything: it
//! converts and calls the core.
//!
//! * The wasm-bindgen exports below are the module's API (typed in the glue's `.d.ts`):
//!   - objects: `evaluate`, `apply`, `ocs`, `allowedActions`, `explain`, `version`,
//!     `facts` take and answer JS values through serde-wasm-bindgen (its JSON-compatible
//!     serializer: maps become plain objects);
//!   - text: `evaluateJson`, `applyJson`, `ocsJson`, `allowedActionsJson`, `explainJson`,
//!     `versionJson`, `factsJson` take each document as UTF-8 bytes (`&[u8]`: the glue copies a
//!     `TextEncoder.encode` result in with one native `set`) and answer JSON text.
//!
//!   Bad input is answered, never thrown: a `bad-input` outcome (an envelope for `ocs`).
//!   JS values are read field by field: the depth and row limits apply as to text, the byte
//!   limits only to text (a JS string of a known field is copied whatever its length).
//!   `js/index.mjs` is a thin façade over these exports (init, fail-soft wrappers, trap
//!   recovery).
//! * The C ABI (`tcr_*`, version [`crate::abi::ABI_VERSION`]) is for hosts without JS glue (the
//!   PHP bridge):
//!   1. `tcr_input_reserve(len) -> ptr`: a module-owned input area of at least `len`
//!      bytes (0 when `len` exceeds the limit). Write the input documents back to back
//!      from its start.
//!   2. `tcr_evaluate(request_len, state_len) -> out_len`, `tcr_apply(state_len,
//!      mutations_len) -> out_len`, `tcr_ocs(outcome_len) -> out_len`,
//!      `tcr_allowed_actions(state_len, actor_len, options_len, now: i64) -> out_len`
//!      (`options_len` may be 0: default request bodies),
//!      `tcr_explain(outcome_len) -> out_len`, `tcr_version() -> out_len`,
//!      `tcr_facts() -> out_len`: read the input area, write the answer.
//!   3. `tcr_output_ptr() -> ptr`: the answer of the last call, valid until the next call.
//!
//!   All integers are `i32` (wasm32 pointers and lengths) but `now` (`i64`); text is UTF-8
//!   JSON. The host never frees anything. Bad input (including invalid UTF-8 or lengths that
//!   do not fit the input area) is answered with a `bad-input` outcome.

use crate::document::{self, HostError, Tree};
use crate::api;
use crate::error::InputError;
use crate::input;
use crate::outcome::Outcome;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

/// Talc instead of the default dlmalloc: reading a state allocates a string per
/// id and name, and Talc makes those allocations cheaper and the module smaller
/// (see docs/performance.md). wasm32 here has no threads (no atomics).
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** The request: `{ method, path, body?, actor?, now, contentType? }` (README, "API"). */
export interface Request { method: string; path: string; body?: Record<string, unknown> | [] | null; actor?: Actor | null; now: number; contentType?: string | null; [field: string]: unknown }
/** Who asks: the logged-in user, the room session the cookie names, the user's groups. */
export interface Actor { userId?: string | null; sessionId?: string | null; groups?: string[] | null; [field: string]: unknown }
/** The stored rows: `{ config?, room, attendees?, sessions?, foreignAttendees?, users? }` (README, "API"). */
export interface State { config?: Record<string, unknown> | null; room: Record<string, unknown>; attendees?: Record<string, unknown>[] | null; sessions?: Record<string, unknown>[] | null; foreignAttendees?: Record<string, unknown>[] | null; users?: Record<string, { displayName?: string | null }> | null; [field: string]: unknown }
/** A row change: `updateRoom`, `updateSession` or `updateAttendee`, with the columns it sets. */
export type Mutation = { op: 'updateRoom'; set: Record<string, unknown> } | { op: 'updateSession'; sessionId: string; set: Record<string, unknown> } | { op: 'updateAttendee'; attendeeId: number; set: Record<string, unknown> };
/** A side effect for the host (`type`: storeRecordingConsent, ensureOneToOneFilled, notifyCallStarted, ring, dialOut, systemMessage, stopRecording, signalingInCall). */
export type Effect = { type: string; [field: string]: unknown };
/** What the server would answer. */
export interface Outcome { status: number; data: unknown; message: string; reason: string; mutations: Mutation[]; effects: Effect[] }
/** The OCS v2 envelope of an outcome. */
export interface OcsEnvelope { ocs: { meta: { status: 'ok' | 'failure'; statuscode: number; message: string }; data: unknown } }
/** `{ status, reason, explanation }`. */
export interface Explanation { status: unknown; reason: string; explanation: string }
/** Every call action for one caller, or a bad-input Outcome. */
export type AllowedActions = { caller: Record<string, unknown> | null; join: Record<string, unknown>; updateFlags: Record<string, unknown>; leave: Record<string, unknown>; endForEveryone: Record<string, unknown>; peers: Record<string, unknown>; ring: Record<string, unknown>[]; dialOut: Record<string, unknown>[] } | Outcome;
/** `allowedActions` options: the bodies to model, and brief entries. */
export interface AllowedActionsOptions { join?: Record<string, unknown> | null; updateFlags?: Record<string, unknown> | null; brief?: boolean | null }
/** `{ crate, version, talkApi, serverParity, abi }`. */
export interface Version { crate: string; version: string; talkApi: string; serverParity: string; abi: number }
/** The reason codes, limits, writable columns and bad-input shapes (README, "API"). */
export type Facts = Record<string, unknown>;
"#;

impl HostError for serde_wasm_bindgen::Error {
    fn syntax(&self) -> Option<(usize, usize)> {
        None
    }

    fn message(&self) -> String {
        let text = self.to_string();
        match text.strip_prefix("Error: ") {
            Some(m) => m.to_string(),
            None => text,
        }
    }
}

/// Reads a document from a JS value.
fn from_js<T: for<'de> Deserialize<'de>>(v: &JsValue, what: &'static str) -> Result<T, InputError> {
    document::read(what, true, |cx| T::deserialize(cx.root(serde_wasm_bindgen::Deserializer::from(v.clone()))))
}

/// Reads and checks the stored rows from a JS value.
fn state_js(v: &JsValue) -> Result<crate::model::State, InputError> {
    from_js::<input::Rows>(v, "state")?.check()
}

/// An answer as plain JS objects (serde-wasm-bindgen's JSON-compatible serializer).
fn to_js(v: &impl Serialize) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::NULL)
}

/// A document given as bytes: UTF-8 within its limit, or the refusal.
fn text<'a>(bytes: &'a [u8], what: &'static str, max: usize) -> Result<&'a str, InputError> {
    if bytes.len() > max {
        return Err(InputError::too_large(what, bytes.len(), max));
    }
    std::str::from_utf8(bytes)
        .map_err(|e| InputError::shape(format!("{what}: not UTF-8 (at byte {})", e.valid_up_to())))
}

/// `now` from JS: whole seconds in 0..2^53−1.
fn seconds(now: f64) -> Result<i64, Outcome> {
    if now.fract() == 0.0 && (0.0..=input::MAX_SAFE_INT as f64).contains(&now) {
        Ok(now as i64)
    } else {
        Err(Outcome::bad_input(format!("now: {now} is out of range 0..{}", input::MAX_SAFE_INT)))
    }
}

/// Decides a request: `evaluate(request, state) -> Outcome`.
#[wasm_bindgen(js_name = evaluate, unchecked_return_type = "Outcome")]
pub fn evaluate_js(
    #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
    #[wasm_bindgen(unchecked_param_type = "State")] state: JsValue,
) -> JsValue {
    let outcome = from_js::<crate::model::Request>(&request, "request")
        .and_then(|r| Ok((r, state_js(&state)?)))
        .map_or_else(Outcome::bad_input, |(r, st)| crate::decide::decide(&r, &st));
    to_js(&outcome)
}

/// `evaluate` over the UTF-8 bytes of the request and state JSON: the outcome's JSON.
#[wasm_bindgen(js_name = evaluateJson)]
pub fn evaluate_json_js(request: &[u8], state: &[u8]) -> String {
    text(request, "request", input::MAX_REQUEST_BYTES)
        .and_then(|r| Ok((r, text(state, "state", input::MAX_DOCUMENT_BYTES)?)))
        .map_or_else(|e| Outcome::bad_input(e).to_json(), |(r, s)| api::evaluate_json(r, s))
}

/// Applies mutations to a copy of the state: the new state, or a bad-input Outcome.
#[wasm_bindgen(js_name = apply, unchecked_return_type = "State | Outcome")]
pub fn apply_js(
    #[wasm_bindgen(unchecked_param_type = "State")] state: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Mutation[]")] mutations: JsValue,
) -> JsValue {
    let result = from_js::<Tree>(&state, "state")
        .and_then(|s| Ok((s, from_js::<Tree>(&mutations, "mutations")?)))
        .map_err(Outcome::bad_input)
        .and_then(|(s, m)| api::apply(&s.0, &m.0));
    match result {
        Ok(v) => to_js(&v),
        Err(o) => to_js(&o),
    }
}

/// `apply` over the UTF-8 bytes of the state and mutations JSON.
#[wasm_bindgen(js_name = applyJson)]
pub fn apply_json_js(state: &[u8], mutations: &[u8]) -> String {
    text(state, "state", input::MAX_DOCUMENT_BYTES)
        .and_then(|s| Ok((s, text(mutations, "mutations", input::MAX_DOCUMENT_BYTES)?)))
        .map_or_else(|e| Outcome::bad_input(e).to_json(), |(s, m)| api::apply_json(s, m))
}

/// The OCS v2 envelope the server would send for an outcome.
#[wasm_bindgen(js_name = ocs, unchecked_return_type = "OcsEnvelope")]
pub fn ocs_js(#[wasm_bindgen(unchecked_param_type = "Outcome")] outcome: JsValue) -> JsValue {
    let envelope = match from_js::<Tree>(&outcome, "outcome") {
        Ok(v) => api::ocs(&v.0),
        Err(e) => api::bad_input_envelope(e),
    };
    to_js(&envelope)
}

/// `ocs` over the UTF-8 bytes of the outcome JSON.
#[wasm_bindgen(js_name = ocsJson)]
pub fn ocs_json_js(outcome: &[u8]) -> String {
    match text(outcome, "outcome", input::MAX_DOCUMENT_BYTES) {
        Ok(o) => api::ocs_json(o),
        Err(e) => api::bad_input_envelope(e).to_string(),
    }
}

/// For the caller, every call action with the status and reason the server would answer
/// at `now` (unix seconds), or a bad-input Outcome.
#[wasm_bindgen(js_name = allowedActions, unchecked_return_type = "AllowedActions")]
pub fn allowed_actions_js(
    #[wasm_bindgen(unchecked_param_type = "State")] state: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Actor")] actor: JsValue,
    now: f64,
    #[wasm_bindgen(unchecked_param_type = "AllowedActionsOptions | null | undefined")] options: JsValue,
) -> JsValue {
    let answer = seconds(now).and_then(|now| {
        let options = from_js::<Tree>(&options, "options").map_err(Outcome::bad_input)?.0;
        let actor = from_js::<Tree>(&actor, "actor").map_err(Outcome::bad_input)?.0;
        let actor = document::value(&actor, "actor").map_err(Outcome::bad_input)?;
        let st = state_js(&state).map_err(Outcome::bad_input)?;
        crate::actions::allowed_actions(&st, &actor, now, &options).map_err(Outcome::bad_input)
    });
    match answer {
        Ok(a) => to_js(&a),
        Err(o) => to_js(&o),
    }
}

/// `allowedActions` over UTF-8 JSON bytes (`options` may be empty: defaults).
#[wasm_bindgen(js_name = allowedActionsJson)]
pub fn allowed_actions_json_js(state: &[u8], actor: &[u8], now: f64, options: &[u8]) -> String {
    let docs = text(state, "state", input::MAX_DOCUMENT_BYTES).and_then(|s| {
        Ok((s, text(actor, "actor", input::MAX_REQUEST_BYTES)?, text(options, "options", input::MAX_REQUEST_BYTES)?))
    });
    match (docs, seconds(now)) {
        (Err(e), _) => Outcome::bad_input(e).to_json(),
        (_, Err(o)) => o.to_json(),
        (Ok((s, a, o)), Ok(now)) => api::allowed_actions_json(s, a, now, o),
    }
}

/// `{ status, reason, explanation }`: a stable English sentence for an outcome's reason.
#[wasm_bindgen(js_name = explain, unchecked_return_type = "Explanation")]
pub fn explain_js(#[wasm_bindgen(unchecked_param_type = "Outcome")] outcome: JsValue) -> JsValue {
    let explained = match from_js::<Tree>(&outcome, "outcome") {
        Ok(v) => api::explain(&v.0),
        Err(e) => api::explain(&Outcome::bad_input(e).to_value()),
    };
    to_js(&explained)
}

/// `explain` over the UTF-8 bytes of the outcome JSON.
#[wasm_bindgen(js_name = explainJson)]
pub fn explain_json_js(outcome: &[u8]) -> String {
    match text(outcome, "outcome", input::MAX_DOCUMENT_BYTES) {
        Ok(o) => api::explain_json(o),
        Err(e) => api::explain(&Outcome::bad_input(e).to_value()).to_string(),
    }
}

/// `{ crate, version, talkApi, serverParity, abi }`.
#[wasm_bindgen(js_name = version, unchecked_return_type = "Version")]
pub fn version_js() -> JsValue {
    to_js(&api::version())
}

/// `version` as JSON text.
#[wasm_bindgen(js_name = versionJson)]
pub fn version_json_js() -> String {
    api::version().to_string()
}

/// The reason codes, limits, writable columns and bad-input shapes every host copies.
#[wasm_bindgen(js_name = facts, unchecked_return_type = "Facts")]
pub fn facts_js() -> JsValue {
    to_js(&api::facts())
}

/// `facts` as JSON text.
#[wasm_bindgen(js_name = factsJson)]
pub fn facts_json_js() -> String {
    api::facts().to_string()
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
    crate::abi::ABI_VERSION as i32
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
    with_documents(&[request_len, state_len], |d| api::evaluate_json(d[0], d[1]))
}

#[no_mangle]
pub extern "C" fn tcr_apply(state_len: i32, mutations_len: i32) -> i32 {
    with_documents(&[state_len, mutations_len], |d| api::apply_json(d[0], d[1]))
}

#[no_mangle]
pub extern "C" fn tcr_ocs(outcome_len: i32) -> i32 {
    with_documents(&[outcome_len], |d| api::ocs_json(d[0]))
}

#[no_mangle]
pub extern "C" fn tcr_allowed_actions(state_len: i32, actor_len: i32, options_len: i32, now: i64) -> i32 {
    with_documents(&[state_len, actor_len, options_len], |d| api::allowed_actions_json(d[0], d[1], now, d[2]))
}

#[no_mangle]
pub extern "C" fn tcr_explain(outcome_len: i32) -> i32 {
    with_documents(&[outcome_len], |d| api::explain_json(d[0]))
}

#[no_mangle]
pub extern "C" fn tcr_version() -> i32 {
    with_documents(&[], |_| api::version().to_string())
}

#[no_mangle]
pub extern "C" fn tcr_facts() -> i32 {
    with_documents(&[], |_| api::facts().to_string())
}
