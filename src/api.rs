//! The host-facing entry points: JSON text or `serde_json::Value` in, JSON out.
//!
//! Each reads and size-checks its documents, then calls the pure core (`decide`, `apply`,
//! `actions`); bad input is answered as a 400 `bad-input` outcome, never a panic.

use crate::abi::ABI_VERSION;
use crate::actions::{self, AllowedActions};
use crate::decide::decide;
use crate::document;
use crate::error::InputError;
use crate::input::{self, check_size};
use crate::model::{Request, State};
use crate::outcome::{self, Outcome};
use crate::reading;
use serde_json::{json, Value};

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

/// Reads the stored rows from JSON text into the model [`decide`] takes: the shapes, ranges
/// and cross-checks of every host (duplicate ids, sessions of unknown attendees), with the
/// size limit.
pub fn read_state(text: &str) -> Result<State, InputError> {
    check_size(text, "state", input::MAX_DOCUMENT_BYTES)?;
    input::state_text(text)
}

/// [`read_state`] for a document already parsed.
pub fn read_state_value(state: &Value) -> Result<State, InputError> {
    input::state(state)
}

/// Reads a request from JSON text into the model [`decide`] takes, with the size limit.
pub fn read_request(text: &str) -> Result<Request, InputError> {
    check_size(text, "request", input::MAX_REQUEST_BYTES)?;
    input::request_text(text)
}

/// [`read_request`] for a document already parsed.
pub fn read_request_value(request: &Value) -> Result<Request, InputError> {
    input::request(request)
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
    crate::apply::apply(state, mutations).map_err(Outcome::bad_input)
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
/// answer now (see [`AllowedActions`]); bad input gives a `bad-input` outcome.
pub fn allowed_actions(state: &Value, actor: &Value, now: i64, options: &Value) -> Result<Value, Outcome> {
    allowed_actions_text(&state.to_string(), &actor.to_string(), now, options).map(|a| a.to_value())
}

/// [`allowed_actions`] over the state and actor as JSON text, read straight into the model.
pub fn allowed_actions_text(
    state: &str,
    actor: &str,
    now: i64,
    options: &Value,
) -> Result<AllowedActions, Outcome> {
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
    crate::facts::facts()
}
