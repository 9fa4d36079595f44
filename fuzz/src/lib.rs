//! The fuzz harness: one function per fuzz target, each taking the raw input bytes.
//!
//! No libFuzzer in here, so the native test `tests/fuzz_regressions.rs` includes this very
//! file (`#[path]`) and runs every saved input in `tests/fuzz-regressions/` through the same
//! entry points and the same checks as the fuzzer.
//!
//! Input layouts (what `fuzz/make-corpus.py` writes):
//! - `evaluate_json`, `evaluate_mutated`: `request NUL state`
//! - `apply_json`: `state NUL mutations`
//! - `allowed_actions_json`: `state NUL actor NUL now` (now as decimal text; 0 when not a number)
//! - `abi_split`: one byte `n` (documents, `n % 5`), `n` little-endian `i32` lengths, then the
//!   input area the lengths cut into documents (the C ABI's `tcr_*(ptr, len…)` calls).
//!
//! A missing part is empty text. Bytes that are not UTF-8 are replaced (U+FFFD), except in
//! `abi_split`, which hands the raw bytes to `split_documents`.

use serde_json::Value;
use talk_call_rules::route::Endpoint;
use talk_call_rules::{input, Outcome};
use talk_call_rules::{InCall, Permissions, SystemMessage};

/// A harness function: one fuzz input in, a panic on any broken invariant.
pub type Harness = fn(&[u8]);

/// Every harness function, by target name.
pub const TARGETS: [(&str, Harness); 5] = [
    ("evaluate_json", evaluate_json),
    ("apply_json", apply_json),
    ("allowed_actions_json", allowed_actions_json),
    ("abi_split", abi_split),
    ("evaluate_mutated", evaluate_mutated),
];

/// The NUL-separated parts of `data` (at most `n`; the last one keeps any further NULs).
pub fn parts(data: &[u8], n: usize) -> Vec<String> {
    let mut out: Vec<String> = data.splitn(n, |&b| b == 0).map(|p| String::from_utf8_lossy(p).into_owned()).collect();
    out.resize(n, String::new());
    out
}

/// Reads an answer (the engine writes it with serde_json; objects keep their order).
fn parse(out: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(out)
}

/// The keys of an outcome, in order (what `Outcome::to_value` writes).
const OUTCOME_KEYS: [&str; 6] = ["status", "data", "message", "reason", "mutations", "effects"];

/// An answer must be JSON; an outcome (always for `evaluate`; for `apply` and `allowedActions`
/// when the answer has exactly an outcome's keys, as a state or a map never has) must carry a
/// status in 100..=599 and, when the input was refused, exactly 400 with reason `bad-input`.
fn check_answer(what: &str, out: &str, must_be_outcome: bool) -> Value {
    let v = parse(out).unwrap_or_else(|e| panic!("{what}: the answer is not JSON ({e}): {out:.300}"));
    let is_outcome = matches!(&v, Value::Object(m) if m.keys().map(String::as_str).eq(OUTCOME_KEYS));
    assert!(is_outcome || !must_be_outcome, "{what}: not an outcome: {out:.300}");
    if is_outcome {
        let status = v.get("status").and_then(Value::as_i64);
        assert!(matches!(status, Some(100..=599)), "{what}: no status in 100..=599: {out:.300}");
        if v.get("reason").and_then(Value::as_str) == Some("bad-input") {
            assert_eq!(status, Some(400), "{what}: bad-input without 400: {out:.300}");
        }
    }
    v
}

/// `explain` echoes the outcome's status whatever it is and names a known reason (`bad-input`
/// for anything else) with a sentence.
fn check_explained(out: &str) {
    let v = parse(out).unwrap_or_else(|e| panic!("explain_json: the answer is not JSON ({e}): {out:.300}"));
    assert!(v.get("reason").and_then(Value::as_str).is_some(), "explain_json: no reason: {out:.300}");
    assert!(
        v.get("explanation").and_then(Value::as_str).is_some_and(|e| !e.is_empty()),
        "explain_json: no explanation: {out:.300}"
    );
}

/// `ocs` answers an envelope with a status code in 100..=599.
fn check_envelope(out: &str) {
    let v = parse(out).unwrap_or_else(|e| panic!("ocs_json: the answer is not JSON ({e}): {out:.300}"));
    let code = v.get("ocs").and_then(|o| o.get("meta")).and_then(|m| m.get("statuscode")).and_then(Value::as_i64);
    assert!(matches!(code, Some(100..=599)), "ocs_json: no statuscode in 100..=599: {out:.300}");
}

pub fn evaluate_json(data: &[u8]) {
    let p = parts(data, 2);
    let out = talk_call_rules::evaluate_json(&p[0], &p[1]);
    check_answer("evaluate_json", &out, true);
}

pub fn apply_json(data: &[u8]) {
    let p = parts(data, 2);
    let out = talk_call_rules::apply_json(&p[0], &p[1]);
    check_answer("apply_json", &out, false);
    // The envelope and the explanation of whatever came back must also be answered.
    check_envelope(&talk_call_rules::ocs_json(&out));
    check_explained(&talk_call_rules::explain_json(&out));
}

pub fn allowed_actions_json(data: &[u8]) {
    let p = parts(data, 3);
    let now = p[2].trim().parse::<i64>().unwrap_or(0);
    let out = talk_call_rules::allowed_actions_json(&p[0], &p[1], now, "");
    check_answer("allowed_actions_json", &out, false);
}

pub fn abi_split(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else { return };
    let n = usize::from(n % 5);
    let mut lens = Vec::with_capacity(n);
    let mut rest = rest;
    for _ in 0..n {
        let mut b = [0u8; 4];
        let k = rest.len().min(4);
        b[..k].copy_from_slice(&rest[..k]);
        rest = &rest[k..];
        lens.push(i32::from_le_bytes(b));
    }
    match talk_call_rules::abi::split_documents(rest, &lens) {
        Ok(docs) => {
            assert_eq!(docs.len(), n);
            let mut at = 0usize;
            for (d, &len) in docs.iter().zip(&lens) {
                assert_eq!(d.len(), len as usize, "a document of the wrong length");
                assert_eq!(d.as_bytes(), &rest[at..at + d.len()], "a document from the wrong place");
                at += d.len();
            }
            match docs[..] {
                [outcome] => {
                    check_envelope(&talk_call_rules::ocs_json(outcome));
                    check_explained(&talk_call_rules::explain_json(outcome));
                }
                [request, state] => {
                    check_answer("evaluate_json", &talk_call_rules::evaluate_json(request, state), true);
                    check_answer("apply_json", &talk_call_rules::apply_json(state, request), false);
                }
                [state, actor, now] => {
                    let now = now.trim().parse::<i64>().unwrap_or(0);
                    check_answer(
                        "allowed_actions_json",
                        &talk_call_rules::allowed_actions_json(state, actor, now, ""),
                        false,
                    );
                }
                _ => {}
            }
        }
        Err(e) => {
            assert!(e.starts_with("input: document "), "unexpected split error: {e}");
            check_answer("abi error", &Outcome::bad_input(e).to_json(), true);
        }
    }
}

/// `request NUL state`, both expected to be valid JSON (the structure-aware mutator keeps
/// them so): evaluates and checks the authorization invariants of `tests/properties.rs`
/// on whatever rows and request the mutations produced.
pub fn evaluate_mutated(data: &[u8]) {
    let p = parts(data, 2);
    // Read as the engine reads any document (a key given twice is refused, not dropped).
    let (Ok(req), Ok(st)) =
        (talk_call_rules::document::tree(&p[0], "request"), talk_call_rules::document::tree(&p[1], "state"))
    else {
        return;
    };
    let o = talk_call_rules::evaluate(&req, &st);
    let out = o.to_json();
    check_answer("evaluate", &out, true);

    // The text twin agrees (below the limits, as written and as the values write back:
    // white space and the writing of numbers count against them in the text only).
    let (req_text, st_text) = (req.to_string(), st.to_string());
    if p[0].len().max(req_text.len()) < input::MAX_REQUEST_BYTES
        && p[1].len().max(st_text.len()) < input::MAX_DOCUMENT_BYTES
    {
        assert_eq!(talk_call_rules::evaluate_json(&p[0], &p[1]), out, "evaluate_json and evaluate disagree");
    }
    if o.reason.code() == "bad-input" {
        assert!(o.mutations.is_empty() && o.effects.is_empty(), "bad-input with mutations or effects: {out}");
        return;
    }
    let (Ok(model), Ok(raw)) = (input::state(&st), input::request(&req)) else {
        panic!("a decision ({out}) on input the reader refuses");
    };

    // Failures change nothing except what the server also persists before failing.
    if o.status >= 400 {
        for m in &o.mutations {
            let v = m.to_value();
            let keys: Vec<&str> = match v.get("set") {
                Some(Value::Object(s)) => s.keys().map(String::as_str).collect(),
                _ => vec![],
            };
            let allowed = match v.get("op").and_then(Value::as_str) {
                Some("updateRoom") => keys.iter().all(|k| ["lobbyState", "lobbyTimer", "callPermissions"].contains(k)),
                Some("updateAttendee") => keys == ["permissions"],
                _ => false,
            };
            assert!(allowed, "a failure ({}) with the mutation {v}", o.status);
        }
        for e in &o.effects {
            let v = e.to_value();
            let t = v.get("type").and_then(Value::as_str).unwrap_or_default();
            let lobby_lifted = t == "systemMessage"
                && matches!(
                    v.get("message").and_then(Value::as_str),
                    Some("lobby_timer_reached" | "breakout_rooms_started")
                );
            assert!(
                t == "storeRecordingConsent" || t == "ensureOneToOneFilled" || lobby_lifted,
                "a failure with the effect {v}"
            );
        }
    }

    // The mutations apply, and the new state is still valid input.
    let list = Value::Array(o.mutations.iter().map(|m| m.to_value()).collect());
    let after = talk_call_rules::apply(&st, &list)
        .unwrap_or_else(|e| panic!("the outcome's own mutations do not apply: {}", e.to_json()));
    if let Err(e) = input::state(&after) {
        panic!("the state after the mutations is no longer valid: {e}");
    }

    let Ok(route) = talk_call_rules::route::route(&raw.method, &raw.path) else {
        assert!(o.mutations.is_empty() && o.effects.is_empty(), "a routing failure that changes something");
        return;
    };
    let now = raw.now;
    let caller = talk_call_rules::guard::resolve_caller(&model, &raw.actor);
    let Some((ai, si)) = caller else {
        assert!(o.mutations.is_empty(), "mutations without a caller: {out}");
        return;
    };
    let attendee = &model.attendees[ai];
    let moderator = attendee.participant_type.is_moderator();
    let perm = talk_call_rules::permissions::effective(&model.config, &model.room, attendee);
    let own_session = si.map(|i| model.sessions[i].session_id.as_str());
    let has_effect = |t: &str| o.effects.iter().any(|e| e.to_value().get("type").and_then(Value::as_str) == Some(t));

    // Only moderators end the call for everyone; nobody else touches another session.
    let end_all = o
        .effects
        .iter()
        .any(|e| matches!(e, talk_call_rules::Effect::SystemMessage { message: SystemMessage::CallEndedEveryone, .. }));
    let touches_others = o.mutations.iter().any(|m| {
        matches!(m, talk_call_rules::Mutation::UpdateSession { session_id, .. } if Some(session_id.as_str()) != own_session)
    });
    if end_all || touches_others {
        assert!(moderator && route.endpoint == Endpoint::Leave, "a non-moderator ended the call for everyone: {out}");
    }

    // Nobody joins a read-only or changelog conversation.
    if route.endpoint == Endpoint::Join && o.status == 200 {
        let changelog = model.room.room_type == talk_call_rules::RoomType::Changelog;
        assert!(!model.room.read_only && !changelog, "joined a read-only or changelog conversation: {out}");
    }

    // The lobby holds back every non-moderator without LOBBY_IGNORE.
    if matches!(route.endpoint, Endpoint::Peers | Endpoint::Join) && o.status == 200 && lobby_holds(&model.room, now) {
        assert!(moderator || perm.contains(Permissions::LOBBY_IGNORE), "passed the lobby: {out}");
    }

    // Ring and dial-out need CALL_START.
    if has_effect("ring") || has_effect("dialOut") {
        assert!(perm.contains(Permissions::CALL_START), "rang or dialled out without CALL_START: {out}");
    }

    // Flags stored for the caller's own session never carry audio or video they may not publish.
    if !end_all {
        for m in &o.mutations {
            if let talk_call_rules::Mutation::UpdateSession { session_id, set } = m {
                if Some(session_id.as_str()) != own_session {
                    continue;
                }
                if let Some(flags) = set
                    .iter()
                    .find(|(k, _)| *k == talk_call_rules::apply::SessionColumn::InCall)
                    .and_then(|(_, v)| v.as_i64())
                {
                    let flags = InCall::from_column(flags);
                    assert!(
                        !flags.contains(InCall::WITH_AUDIO) || perm.contains(Permissions::PUBLISH_AUDIO),
                        "audio without PUBLISH_AUDIO: {out}"
                    );
                    assert!(
                        !flags.contains(InCall::WITH_VIDEO) || perm.contains(Permissions::PUBLISH_VIDEO),
                        "video without PUBLISH_VIDEO: {out}"
                    );
                }
            }
        }
    }
}

/// The lobby still applies after the server read it: on, and its timer not yet
/// passed in a conversation where the server may lift it.
fn lobby_holds(room: &talk_call_rules::Room, now: i64) -> bool {
    room.lobby_state != talk_call_rules::LobbyState::None && !(room.lobby_timer_expired(now) && room.lobby_settable())
}
