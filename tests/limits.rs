//! Resource limits, checked on the answers (timings: `cargo run --release --example limits`
//! and `./build.sh bench-limits`): a 10 MB payload and 10,000-deep nesting — arrays and
//! objects, in the request and in the state — are answered 400 `bad-input`, by every JSON
//! entry point, and the next valid request still gets its normal answer.
#![cfg(not(target_arch = "wasm32"))]

use serde_json::Value;
use talk_call_rules::{allowed_actions_json, apply_json, evaluate_json, explain_json, input, ocs_json};

fn parse(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text)
}

const TEN_MB: usize = 10 * 1000 * 1000;
const DEEP: usize = 10_000;

const REQUEST: &str = r#"{"method":"POST","path":"/call/abcd1234","body":{"flags":3},"actor":{"userId":"alice","sessionId":"s1"},"now":1700000000}"#;
const STATE: &str = r#"{"room":{"token":"abcd1234","type":2},"attendees":[{"attendeeId":1,"actorType":"users","actorId":"alice","participantType":1}],"sessions":[{"sessionId":"s1","attendeeId":1,"inCall":0,"lastPing":1700000000}]}"#;
const ACTOR: &str = r#"{"userId":"alice"}"#;

fn deep_array() -> String {
    format!("{}1{}", "[".repeat(DEEP), "]".repeat(DEEP))
}

fn deep_object() -> String {
    format!("{}1{}", "{\"a\":".repeat(DEEP), "}".repeat(DEEP))
}

/// `{"x":"aaaa…"}` of at least `n` bytes.
fn big_string_doc(n: usize) -> String {
    format!("{{\"x\":\"{}\"}}", "a".repeat(n))
}

/// `[0,0,0,…]` of at least `n` bytes (many small values, not one long token).
fn big_array_doc(n: usize) -> String {
    let mut s = String::with_capacity(n + 2);
    s.push_str("[0");
    while s.len() < n {
        s.push_str(",0");
    }
    s.push(']');
    s
}

/// The request with `value` in the given field (`body`, or an unknown top-level field).
fn request_with(field: &str, value: &str) -> String {
    format!(
        r#"{{"method":"POST","path":"/call/abcd1234","{field}":{value},"actor":{{"userId":"alice","sessionId":"s1"}},"now":1700000000}}"#
    )
}

/// The state with `value` as an unknown room field (kept by apply, skipped by the reader).
fn state_with(value: &str) -> String {
    STATE.replacen(r#""type":2"#, &format!(r#""type":2,"hostField":{value}"#), 1)
}

#[track_caller]
fn assert_bad_input(out: &str, what: &str, detail: &str) {
    let v = parse(out).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {out:.200}"));
    assert!(out.len() < 1000, "{what}: the answer echoes the payload ({} bytes)", out.len());
    let data = if let Some(ocs) = v.get("ocs") {
        // ocs(): the envelope of the bad-input outcome.
        assert_eq!(
            ocs.get("meta").and_then(|m| m.get("statuscode")).and_then(Value::as_i64),
            Some(400),
            "{what}: {out}"
        );
        ocs.get("data")
    } else {
        assert_eq!(v.get("status").and_then(Value::as_i64), Some(400), "{what}: {out:.300}");
        assert_eq!(v.get("reason").and_then(Value::as_str), Some("bad-input"), "{what}: {out:.300}");
        v.get("data")
    };
    assert_eq!(data.and_then(|d| d.get("error")).and_then(Value::as_str), Some("bad-input"), "{what}: {out}");
    let got = data.and_then(|d| d.get("detail")).and_then(Value::as_str).unwrap_or_default();
    assert!(got.contains(detail), "{what}: detail {got:?} does not mention {detail:?}");
}

#[track_caller]
fn assert_valid_request_still_answered() {
    let out = evaluate_json(REQUEST, STATE);
    let v = parse(&out).unwrap();
    assert_eq!(v.get("status").and_then(Value::as_i64), Some(200), "{out}");
    assert_eq!(v.get("reason").and_then(Value::as_str), Some("ok"), "{out}");
}

#[test]
fn the_valid_request_is_answered() {
    assert_valid_request_still_answered();
}

#[test]
fn ten_megabytes_are_bad_input_everywhere() {
    const { assert!(TEN_MB > input::MAX_DOCUMENT_BYTES && TEN_MB > input::MAX_REQUEST_BYTES) };
    for doc in [big_string_doc(TEN_MB), big_array_doc(TEN_MB)] {
        assert!(doc.len() >= TEN_MB);
        // As the whole document, and wrapped into a valid request or state.
        let in_request = request_with("body", &doc);
        let in_state = state_with(&doc);
        assert_bad_input(&evaluate_json(&doc, STATE), "request", "exceed the limit");
        assert_bad_input(&evaluate_json(&in_request, STATE), "request.body", "exceed the limit");
        assert_bad_input(&evaluate_json(REQUEST, &doc), "state", "exceed the limit");
        assert_bad_input(&evaluate_json(REQUEST, &in_state), "state.room", "exceed the limit");
        assert_bad_input(&apply_json(&in_state, "[]"), "apply state", "exceed the limit");
        assert_bad_input(&apply_json(STATE, &doc), "apply mutations", "exceed the limit");
        assert_bad_input(
            &allowed_actions_json(&in_state, ACTOR, 1_700_000_000, ""),
            "allowedActions state",
            "exceed the limit",
        );
        assert_bad_input(
            &allowed_actions_json(STATE, &doc, 1_700_000_000, ""),
            "allowedActions actor",
            "exceed the limit",
        );
        assert_bad_input(&ocs_json(&doc), "ocs", "exceed the limit");
        let explained = parse(&explain_json(&doc)).unwrap();
        assert_eq!(explained.get("reason").and_then(Value::as_str), Some("bad-input"));
        assert_valid_request_still_answered();
    }
}

#[test]
fn ten_thousand_deep_nesting_is_bad_input_everywhere() {
    for deep in [deep_array(), deep_object()] {
        // Well under the size limits: the depth limit is what answers.
        assert!(deep.len() < input::MAX_REQUEST_BYTES);
        // evaluate reads as it goes: a whole document that is an array is refused for its type
        // before its depth is seen; anything inside an object is refused for its depth.
        let whole = if deep.starts_with('[') { "expected an object, got an array" } else { "nesting deeper than 64" };
        for (what, request, state, detail) in [
            ("request", deep.clone(), STATE.to_string(), whole),
            ("request.body", request_with("body", &deep), STATE.to_string(), "nesting deeper than 64"),
            ("request (unknown field)", request_with("extra", &deep), STATE.to_string(), "nesting deeper than 64"),
            ("state", REQUEST.to_string(), deep.clone(), whole),
            ("state.room (unknown field)", REQUEST.to_string(), state_with(&deep), "nesting deeper than 64"),
            ("both", deep.clone(), deep.clone(), whole),
        ] {
            assert_bad_input(&evaluate_json(&request, &state), what, detail);
        }
        assert_bad_input(&apply_json(&state_with(&deep), "[]"), "apply state", "nesting deeper");
        assert_bad_input(&apply_json(STATE, &deep), "apply mutations", "nesting deeper");
        assert_bad_input(
            &allowed_actions_json(&state_with(&deep), ACTOR, 1_700_000_000, ""),
            "allowedActions state",
            "nesting deeper",
        );
        assert_bad_input(
            &allowed_actions_json(STATE, &deep, 1_700_000_000, ""),
            "allowedActions actor",
            "nesting deeper",
        );
        assert_bad_input(&ocs_json(&deep), "ocs", "nesting deeper");
        assert_valid_request_still_answered();
    }
}

#[test]
fn nesting_at_the_limit_is_read() {
    // 64 levels in an unknown field are fine (the limit is inclusive); 65 are not.
    let at = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    // The room object is level 2 of the state: 62 more levels make 64.
    let ok = evaluate_json(REQUEST, &state_with(&at(62)));
    assert_eq!(parse(&ok).unwrap().get("reason").and_then(Value::as_str), Some("ok"), "{ok}");
    assert_bad_input(&evaluate_json(REQUEST, &state_with(&at(63))), "65 levels", "nesting deeper than 64");
}
