//! # talk-call-rules
//!
//! The rules of the Nextcloud Talk Call API v4, as the Talk 18 server applies
//! them: request + stored rows in, HTTP status, response body, row mutations and
//! side effects out. Pure functions over plain data: no clock (time is
//! `request.now`), no I/O, no globals. The WebAssembly bindings live in `wasm`
//! and only convert at the boundary.
//!
//! ```
//! let request = r#"{"method":"GET","path":"/call/abcd1234","actor":{"userId":"alice"},"now":1700000000}"#;
//! let state = r#"{"room":{"token":"abcd1234","type":2},
//!   "attendees":[{"attendeeId":1,"actorType":"users","actorId":"alice","participantType":1}]}"#;
//! let outcome = talk_call_rules::evaluate_json(request, state);
//! assert!(outcome.starts_with(r#"{"status":200,"data":[]"#));
//! ```

// An `Outcome` in `Err` is the answer itself (a refusal from the router or the
// guards), built once per call and returned to the host: boxing it would only
// add an allocation to every refused request.
#![allow(clippy::result_large_err)]

pub mod abi;
pub mod actions;
pub mod apply;
pub mod call_end;
pub mod context;
pub mod document;
pub mod endpoint;
pub mod error;
pub mod facts;
pub mod guard;
pub mod index;
pub mod input;
pub mod model;
pub mod outcome;
pub mod permissions;
pub mod reading;
pub mod route;
pub mod sha1;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

use context::Ctx;
pub use error::{ErrorKind, InputError};
use input::check_size;
pub use model::{Request, State};
pub use outcome::{Data, Effect, Mutation, Outcome, Reason};
use route::Endpoint;
use serde_json::{json, Value};
use std::borrow::Cow;

/// Decides one request against the stored rows.
///
/// Order: the shapes of request and state, the route (404/405), the routed
/// endpoint's body fields, then the server's own checks (see `guard`) and the
/// endpoint's rules. Bad input never panics: it is a 400 `bad-input` outcome.
pub fn evaluate(request: &Value, state: &Value) -> Outcome {
    evaluate_text(&request.to_string(), &state.to_string())
}

/// [`evaluate`] over JSON text, reading the rows straight into the model.
pub fn evaluate_text(request: &str, state: &str) -> Outcome {
    if let Err(e) = check_size(request, "request", input::MAX_REQUEST_BYTES)
        .and_then(|_| check_size(state, "state", input::MAX_DOCUMENT_BYTES))
    {
        return Outcome::bad_input(e);
    }
    let request = match input::request_text(request) {
        Ok(r) => r,
        Err(e) => return Outcome::bad_input(e),
    };
    match input::state_text(state) {
        Ok(st) => decide(&request, &st),
        Err(e) => Outcome::bad_input(e),
    }
}

/// [`evaluate`] over rows already read: the route, the body fields, the
/// server's checks in order (see `guard`), then the endpoint's rules.
pub fn decide(request: &Request, st: &State) -> Outcome {
    let route = match route::route(&request.method, &request.path) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let params = match input::params(route.endpoint, request) {
        Ok(p) => p,
        Err(e) => return Outcome::bad_input(e),
    };
    let mut cx = Ctx::new(st, &request.actor, request.now, params);
    let mut outcome = match guard::check(&mut cx, &route, &request.actor) {
        Err(o) => o,
        Ok(caller) => match route.endpoint {
            Endpoint::Peers => endpoint::peers::run(&cx),
            Endpoint::Join => endpoint::join::run(&mut cx, &caller),
            Endpoint::UpdateFlags => {
                let flags = cx.params.flags.unwrap_or_default();
                endpoint::update_flags::run(&mut cx, &caller, flags)
            }
            Endpoint::Leave => endpoint::leave::run(&mut cx, &caller),
            Endpoint::Ring => endpoint::ring::run(&mut cx, &caller, route.attendee_id),
            Endpoint::DialOut => endpoint::dialout::run(&mut cx, &caller, route.attendee_id),
        },
    };
    outcome.mutations = cx.mutations;
    outcome.effects = cx.effects;
    if (200..300).contains(&outcome.status) {
        // `ocs.meta.message`: "OK" on success, the exception's message otherwise ("" when none).
        outcome.message = Cow::Borrowed("OK");
    }
    outcome
}

/// Parses any JSON document, refusing oversized ones before reading a byte of them.
pub fn parse_document(text: &str, what: &'static str, max: usize) -> Result<Value, InputError> {
    check_size(text, what, max)?;
    document::tree(text, what)
}

/// [`evaluate`] over JSON text, answering JSON text.
pub fn evaluate_json(request: &str, state: &str) -> String {
    evaluate_text(request, state).to_json()
}

/// Applies mutations to a copy of the state; bad input gives a `bad-input` outcome.
pub fn apply(state: &Value, mutations: &Value) -> Result<Value, Outcome> {
    apply::apply(state, mutations).map_err(Outcome::bad_input)
}

/// [`apply`] over JSON text: the new state, or a `bad-input` outcome.
pub fn apply_json(state: &str, mutations: &str) -> String {
    let result = parse_document(state, "state", input::MAX_DOCUMENT_BYTES)
        .and_then(|s| Ok((s, parse_document(mutations, "mutations", input::MAX_DOCUMENT_BYTES)?)))
        .map_err(Outcome::bad_input)
        .and_then(|(s, m)| apply(&s, &m));
    match result {
        Ok(v) => v.to_string(),
        Err(o) => o.to_json(),
    }
}

/// What [`ocs`] reads of an outcome.
#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(deserialize_with = "status")]
    status: i64,
    #[serde(default, deserialize_with = "reading::string")]
    message: String,
    #[serde(default)]
    data: Value,
}

fn status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    reading::int(d, 100, 599)?.ok_or_else(|| D::Error::custom("required"))
}

/// The OCS v2 envelope the server sends for an outcome (`status`, `message`, `data`).
pub fn ocs(outcome: &Value) -> Value {
    match document::value::<Envelope>(outcome, "outcome") {
        Ok(e) => outcome::envelope(e.status, &e.message, e.data),
        Err(e) => bad_input_envelope(e),
    }
}

/// The envelope of a `bad-input` outcome, for `ocs` of something that is not an outcome.
pub fn bad_input_envelope(detail: impl Into<String>) -> Value {
    let o = Outcome::bad_input(detail);
    outcome::envelope(i64::from(o.status), &o.message, o.data.to_value())
}

/// [`ocs`] over JSON text.
pub fn ocs_json(outcome: &str) -> String {
    match parse_document(outcome, "outcome", input::MAX_DOCUMENT_BYTES) {
        Ok(v) => ocs(&v),
        Err(e) => bad_input_envelope(e),
    }
    .to_string()
}

/// For the caller, every call action with the status and reason the server would
/// answer now (see [`actions`]); bad input gives a `bad-input` outcome.
pub fn allowed_actions(state: &Value, actor: &Value, now: i64, options: &Value) -> Result<Value, Outcome> {
    allowed_actions_text(&state.to_string(), &actor.to_string(), now, options).map(|a| a.to_value())
}

/// [`allowed_actions`] over the state and actor as JSON text, read straight into the model.
pub fn allowed_actions_text(
    state: &str,
    actor: &str,
    now: i64,
    options: &Value,
) -> Result<actions::AllowedActions, Outcome> {
    check_size(state, "state", input::MAX_DOCUMENT_BYTES)
        .and_then(|_| check_size(actor, "actor", input::MAX_REQUEST_BYTES))
        .map_err(Outcome::bad_input)?;
    if !(0..=input::MAX_SAFE_INT).contains(&now) {
        return Err(Outcome::bad_input(format!("now: {now} is out of range 0..{}", input::MAX_SAFE_INT)));
    }
    let actor = input::actor_text(actor).map_err(Outcome::bad_input)?;
    let st = input::state_text(state).map_err(Outcome::bad_input)?;
    actions::allowed_actions(&st, &actor, now, options).map_err(Outcome::bad_input)
}

/// [`allowed_actions`] over JSON text (`options` may be empty: defaults).
pub fn allowed_actions_json(state: &str, actor: &str, now: i64, options: &str) -> String {
    let options = if options.trim().is_empty() {
        Ok(Value::Null)
    } else {
        parse_document(options, "options", input::MAX_REQUEST_BYTES)
    };
    let result = options.map_err(Outcome::bad_input).and_then(|o| allowed_actions_text(state, actor, now, &o));
    match result {
        Ok(v) => serde_json::to_string(&v).unwrap_or_default(),
        Err(o) => o.to_json(),
    }
}

/// A stable English sentence for an outcome's reason code: `{status, reason, explanation}`.
pub fn explain(outcome: &Value) -> Value {
    actions::explain(outcome)
}

/// [`explain`] over JSON text.
pub fn explain_json(outcome: &str) -> String {
    match parse_document(outcome, "outcome", input::MAX_DOCUMENT_BYTES) {
        Ok(v) => explain(&v).to_string(),
        Err(e) => explain(&Outcome::bad_input(e).to_value()).to_string(),
    }
}

/// Version of the rules, of the Talk API they implement and of the C ABI.
pub fn version() -> Value {
    json!({
        "crate": env!("CARGO_PKG_NAME"),
        "version": env!("CARGO_PKG_VERSION"),
        "talkApi": "v4",
        "serverParity": "talk-18",
        "abi": ABI_VERSION,
    })
}

/// The reason codes, limits and bad-input shapes every host copies (see [`facts`]).
pub fn facts() -> Value {
    facts::facts()
}

/// Version of the C-ABI exports (`tcr_*`), bumped on any incompatible change.
pub const ABI_VERSION: i64 = 1;
