//! The one matcher: judges what a host did with the conformance vectors.
//!
//! Every host (native, Node, headless Chromium, PHP) is a thin driver that runs
//! each case's steps through its own bridge and writes a transcript, one JSON
//! object per line (see [`crate::transcript`]). This module compares the
//! transcript with the vectors' `expect` blocks by the contract's matching
//! rules, so a vector is judged the same way whichever host ran it.
//!
//! Matching rules (CONTRACT.md, "Conformance vectors"), made strict where the
//! contract leaves room: `status` is required; `data` is deep-equal; `message`
//! and `reason` equal; `mutations` is either "none" or the exact list; `state`
//! is a partial state contained in the state after the step (rows keyed by id,
//! `null` = the row must not exist, any other top-level key compared as a
//! partial object); `peers` a multiset of `{actorType, actorId, sessionId}`;
//! `effects` partial matches (`attendeeIds` as sets); `noEffects` types that
//! must not appear. An unknown `expect` key is an error in the vector.
//!
//! Vectors and transcripts are read by [`crate::json`] (serde_json), never by
//! the engine's own parser, and compared as `serde_json::Value`s.

pub use crate::json::deep_eq;
use crate::transcript::{Step, Transcript};
use crate::vectors::{steps_of, VectorFile};
use serde_json::Value;

const EXPECT_KEYS: [&str; 9] =
    ["status", "data", "message", "reason", "state", "peers", "effects", "noEffects", "mutations"];

/// The effect types of the contract (CONTRACT.md, "Effects").
const EFFECT_TYPES: [&str; 8] = [
    "storeRecordingConsent",
    "ensureOneToOneFilled",
    "notifyCallStarted",
    "ring",
    "dialOut",
    "systemMessage",
    "stopRecording",
    "signalingInCall",
];

/// A case skipped by name, with the evidence (tests/vector-skips.json).
pub struct Skip {
    pub name: String,
    pub reason: String,
}

#[derive(Default)]
pub struct Report {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// One line per failing (or skipped) case.
    pub lines: Vec<String>,
}

impl Report {
    /// The failure lines, then exactly "N passed, M failed".
    pub fn render(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            out.push_str(l);
            out.push('\n');
        }
        out.push_str(&format!("{} passed, {} failed\n", self.passed, self.failed));
        out
    }
}

/// Judges every case of `files` by what the transcript says the host did.
pub fn check(files: &[VectorFile], transcript: &Transcript, skips: &[Skip]) -> Report {
    let mut report = Report::default();
    for f in files {
        let cases = match &f.cases {
            Ok(c) => c,
            Err(e) => {
                report.failed += 1;
                report.lines.push(format!("FAIL {} :: (file) :: {e}", f.name));
                continue;
            }
        };
        for (index, case) in cases.iter().enumerate() {
            let name = case.get("name").and_then(Value::as_str).unwrap_or("(unnamed case)");
            if let Some(s) = skips.iter().find(|s| s.name == name) {
                report.skipped += 1;
                report.lines.push(format!("SKIP {} :: {name} :: {}", f.name, s.reason));
                continue;
            }
            match check_case(case, &f.name, index, transcript) {
                Ok(()) => report.passed += 1,
                Err(e) => {
                    report.failed += 1;
                    report.lines.push(format!("FAIL {} :: {name} :: {e}", f.name));
                }
            }
        }
    }
    report
}

fn check_case(case: &Value, file: &str, index: usize, transcript: &Transcript) -> Result<(), String> {
    let steps = steps_of(case)?;
    if let Some(e) = transcript.case_error(file, index) {
        return Err(format!("the host could not run the case: {e}"));
    }
    for (i, step) in steps.iter().enumerate() {
        let n = i + 1;
        let at = match step.get("request") {
            Some(r) => format!("step {n}/{} ({})", steps.len(), describe(r)),
            None => format!("step {n}/{}", steps.len()),
        };
        let got = transcript.step(file, index, n).ok_or_else(|| format!("{at}: the host reported nothing"))?;
        match got {
            Step::Error(e) => return Err(format!("{at}: {e}")),
            Step::Fixture(kind) => {
                let want = step.get("fixture").and_then(Value::as_str);
                if want != Some(kind.as_str()) {
                    return Err(format!("{at}: the host applied fixture {kind:?}, the vector has {want:?}"));
                }
            }
            Step::Evaluated { outcome, state } => {
                if step.get("fixture").is_some() {
                    return Err(format!("{at}: the host evaluated a request where the vector has a fixture"));
                }
                let expect = step.get("expect").ok_or_else(|| format!("{at}: the vector has no expect"))?;
                compare(outcome, state, expect).map_err(|e| format!("{at}: {e}"))?;
            }
        }
    }
    Ok(())
}

fn describe(request: &Value) -> String {
    let s = |k: &str| request.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
    format!("{} {}", s("method"), s("path"))
}

/// Compares one outcome, and the state after its mutations, with an `expect` block.
pub fn compare(outcome: &Value, after: &Value, expect: &Value) -> Result<(), String> {
    let Value::Object(keys) = expect else { return Err("expect is not an object".into()) };
    if let Some(k) = keys.keys().find(|k| !EXPECT_KEYS.contains(&k.as_str())) {
        return Err(format!("unknown expect key {k:?}"));
    }
    let got = |k: &str| outcome.get(k).cloned().unwrap_or(Value::Null);
    if expect.get("status").is_none() {
        return Err("expect.status is missing (it is required)".into());
    }
    for key in ["status", "data", "message", "reason"] {
        if let Some(want) = expect.get(key) {
            if !deep_eq(&got(key), want) {
                return Err(format!("{key}: got {} expected {} (outcome {})", got(key), want, short(outcome)));
            }
        }
    }
    let mutations = match outcome.get("mutations") {
        None => Value::Array(vec![]),
        Some(m) => m.clone(),
    };
    let none_expected = matches!(expect.get("mutations"), Some(Value::String(s)) if s == "none");
    let none_made = matches!(&mutations, Value::Array(a) if a.is_empty());
    match expect.get("mutations") {
        Some(_) if none_expected && !none_made => {
            return Err(format!("mutations: expected none, got {mutations}"));
        }
        Some(want) if !none_expected && !deep_eq(&mutations, want) => {
            return Err(format!("mutations: got {mutations} expected {want}"));
        }
        _ => {}
    }
    if let Some(want) = expect.get("state") {
        check_state(after, want)?;
    }
    if let Some(want) = expect.get("peers") {
        check_peers(&got("data"), want)?;
    }
    let effects = match got("effects") {
        Value::Array(e) => e,
        _ => vec![],
    };
    if let Some(want) = expect.get("effects") {
        let Value::Array(want) = want else { return Err("expect.effects is not a list".into()) };
        for w in want {
            if !effects.iter().any(|e| effect_matches(e, w)) {
                return Err(format!("effects: none matches {w} (effects {})", Value::Array(effects.clone())));
            }
        }
    }
    if let Some(types) = expect.get("noEffects") {
        let Value::Array(types) = types else { return Err("expect.noEffects is not a list".into()) };
        for t in types {
            // A type the engine never emits would make the check pass by itself.
            if !t.as_str().is_some_and(|t| EFFECT_TYPES.contains(&t)) {
                return Err(format!("expect.noEffects: {t} is not an effect type"));
            }
            if let Some(e) = effects.iter().find(|e| e.get("type") == Some(t)) {
                return Err(format!("noEffects: found {e}"));
            }
        }
    }
    Ok(())
}

fn check_peers(data: &Value, want: &Value) -> Result<(), String> {
    let key = |p: &Value| {
        ["actorType", "actorId", "sessionId"]
            .iter()
            .map(|k| p.get(k).map(Value::to_string).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("|")
    };
    let (Value::Array(data), Value::Array(want)) = (data, want) else {
        return Err(format!("peers: data is not a list ({data})"));
    };
    let mut have: Vec<String> = data.iter().map(key).collect();
    let mut need: Vec<String> = want.iter().map(key).collect();
    have.sort();
    need.sort();
    if have != need {
        return Err(format!("peers: got [{}] expected [{}]", have.join(", "), need.join(", ")));
    }
    Ok(())
}

fn short(outcome: &Value) -> String {
    let mut s = outcome.to_string();
    if s.len() > 600 {
        let mut cut = 600;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// Every key of `partial` has an equal value in `full` (absent counts as null).
fn contains(full: &Value, partial: &Value) -> Result<(), String> {
    let Value::Object(m) = partial else { return Err("the expected partial row is not an object".into()) };
    for (k, want) in m {
        let got = full.get(k).unwrap_or(&Value::Null);
        if !deep_eq(got, want) {
            return Err(format!("{k} is {got} but {want} was expected"));
        }
    }
    Ok(())
}

fn effect_matches(effect: &Value, want: &Value) -> bool {
    let Value::Object(m) = want else { return false };
    m.iter().all(|(k, w)| {
        let g = effect.get(k).unwrap_or(&Value::Null);
        if k == "attendeeIds" {
            let set = |v: &Value| {
                let mut ids: Vec<String> = match v {
                    Value::Array(a) => a.iter().map(Value::to_string).collect(),
                    _ => vec![],
                };
                ids.sort();
                ids.dedup();
                ids
            };
            matches!((g, w), (Value::Array(_), Value::Array(_))) && set(g) == set(w)
        } else {
            deep_eq(g, w)
        }
    })
}

fn check_state(state: &Value, want: &Value) -> Result<(), String> {
    let Value::Object(parts) = want else { return Err("expect.state is not an object".into()) };
    for (key, part) in parts {
        let id_key = match key.as_str() {
            "sessions" => "sessionId",
            "attendees" => "attendeeId",
            _ => {
                let have = state.get(key).unwrap_or(&Value::Null);
                if !matches!(have, Value::Object(_)) {
                    return Err(format!("state.{key}: missing in the new state"));
                }
                contains(have, part).map_err(|e| format!("state.{key}: {e}"))?;
                continue;
            }
        };
        let Value::Object(rows) = part else { return Err(format!("expect.state.{key} is not an object")) };
        let have = match state.get(key) {
            Some(Value::Array(a)) => a.as_slice(),
            _ => &[],
        };
        for (id, partial) in rows {
            // A string id is the key itself; any other id is the key read as JSON (attendee 3 is "3").
            let id_value = crate::json::parse(id).ok();
            let row = have.iter().find(|r| match r.get(id_key) {
                Some(Value::String(s)) => s == id,
                Some(v) => id_value.as_ref().is_some_and(|k| deep_eq(v, k)),
                None => false,
            });
            match (row, partial) {
                (None, Value::Null) => {}
                (Some(_), Value::Null) => return Err(format!("state.{key}.{id}: the row should not exist")),
                (None, _) => return Err(format!("state.{key}.{id}: row missing")),
                (Some(r), p) => contains(r, p).map_err(|e| format!("state.{key}.{id}: {e}"))?,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        crate::json::parse(s).unwrap()
    }

    #[test]
    fn status_is_required_and_unknown_keys_are_errors() {
        let o = v(r#"{"status":200,"data":[],"mutations":[],"effects":[]}"#);
        let st = v("{}");
        assert!(compare(&o, &st, &v(r#"{"status":200}"#)).is_ok());
        assert!(compare(&o, &st, &v(r#"{"data":[]}"#)).unwrap_err().contains("required"));
        assert!(compare(&o, &st, &v(r#"{"status":200,"stauts":1}"#)).unwrap_err().contains("unknown"));
        assert!(compare(&o, &st, &v(r#"{"status":404}"#)).is_err());
    }

    #[test]
    fn mutations_none_or_exact() {
        let o = v(r#"{"status":200,"mutations":[{"op":"updateRoom","set":{"callFlag":7}}]}"#);
        let st = v("{}");
        assert!(compare(&o, &st, &v(r#"{"status":200,"mutations":"none"}"#)).is_err());
        let exact = r#"{"status":200,"mutations":[{"op":"updateRoom","set":{"callFlag":7}}]}"#;
        assert!(compare(&o, &st, &v(exact)).is_ok());
        assert!(compare(&o, &st, &v(r#"{"status":200,"mutations":[]}"#)).is_err());
    }

    #[test]
    fn state_rows_by_id_and_other_keys_as_partial_objects() {
        let o = v(r#"{"status":200}"#);
        let st = v(r#"{"room":{"callFlag":7},"config":{"startCalls":1},
            "sessions":[{"sessionId":"s","inCall":7}],"attendees":[{"attendeeId":3,"permissions":0}]}"#);
        let ok = r#"{"status":200,"state":{"room":{"callFlag":7},"config":{"startCalls":1},
            "sessions":{"s":{"inCall":7},"gone":null},"attendees":{"3":{"permissions":0}}}}"#;
        assert!(compare(&o, &st, &v(ok)).is_ok());
        assert!(compare(&o, &st, &v(r#"{"status":200,"state":{"config":{"startCalls":2}}}"#)).is_err());
        assert!(compare(&o, &st, &v(r#"{"status":200,"state":{"sessions":{"s":null}}}"#)).is_err());
        assert!(compare(&o, &st, &v(r#"{"status":200,"state":{"users":{}}}"#)).is_err());
    }

    #[test]
    fn effects_partial_with_attendee_sets_and_peers_as_multisets() {
        let o = v(r#"{"status":200,"data":[{"actorType":"users","actorId":"a","sessionId":"1","lastPing":5}],
            "effects":[{"type":"notifyCallStarted","attendeeIds":[2,1],"silent":false}]}"#);
        let st = v("{}");
        let want = r#"{"status":200,"effects":[{"type":"notifyCallStarted","attendeeIds":[1,2]}],
            "peers":[{"actorType":"users","actorId":"a","sessionId":"1"}],"noEffects":["ring"]}"#;
        assert!(compare(&o, &st, &v(want)).is_ok());
        assert!(compare(&o, &st, &v(r#"{"status":200,"noEffects":["notifyCallStarted"]}"#)).is_err());
        assert!(compare(&o, &st, &v(r#"{"status":200,"peers":[]}"#)).is_err());
    }
}
