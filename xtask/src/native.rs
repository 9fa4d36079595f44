//! The native host: runs each vector's steps through the Rust API and writes
//! what it got, exactly as the Node, Chromium and PHP drivers do through their
//! bridges (the transcript format is in [`crate::transcript`]).
//!
//! Like those drivers it talks to the engine in JSON text (`evaluate_json`,
//! `apply_json`, the functions the PHP bridge calls) and reads the answers with
//! the matcher's own parser ([`crate::json`]), so what the matcher judges never
//! went through the engine's parser on this side.

use crate::json;
use crate::transcript::{line, Transcript};
use crate::vectors::{steps_of, VectorFile};
use serde_json::{Map, Value};

/// How a host reaches the engine: `evaluate` and `apply` over JSON text, and the engine's version.
pub struct Bridge<'a> {
    pub host: &'a str,
    pub version: String,
    pub evaluate: &'a dyn Fn(&str, &str) -> String,
    pub apply: &'a dyn Fn(&str, &str) -> String,
}

/// Runs every case of `files` through the Rust API and records what happened.
pub fn drive(files: &[VectorFile]) -> Transcript {
    let bridge = Bridge {
        host: "native",
        version: talk_call_rules::version().to_string(),
        evaluate: &talk_call_rules::evaluate_json,
        apply: &talk_call_rules::apply_json,
    };
    drive_with(&bridge, files)
}

/// Runs every case of `files` through `bridge` (the wasm-bindgen suite drives the module's
/// exports with it) and records what happened.
pub fn drive_with(bridge: &Bridge, files: &[VectorFile]) -> Transcript {
    let mut t = Transcript::default();
    let version = json::parse(&bridge.version).expect("the engine's version is JSON");
    t.add(serde_json::json!({ "host": bridge.host, "version": version })).expect("a header line");
    for f in files {
        let Ok(cases) = &f.cases else { continue };
        for (index, case) in cases.iter().enumerate() {
            for l in drive_case(bridge, &f.name, index, case) {
                t.add(l).expect("the driver writes well-formed lines");
            }
        }
    }
    t
}

/// `line` with one more member.
fn with(mut line: Value, key: &str, value: impl Into<Value>) -> Value {
    if let Value::Object(m) = &mut line {
        m.insert(key.to_string(), value.into());
    }
    line
}

/// An engine answer that is an outcome rather than a state (the test the JS and
/// PHP drivers make of `apply`'s answer).
fn is_outcome(v: &Value) -> bool {
    v.get("status").is_some_and(Value::is_number) && v.get("reason").is_some() && v.get("room").is_none()
}

fn drive_case(bridge: &Bridge, file: &str, index: usize, case: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let (mut state, steps) = match (case.get("state"), steps_of(case)) {
        (Some(s), Ok(steps)) => (s.clone(), steps),
        (None, _) => return vec![with(line(file, index, None), "error", "the case has no state")],
        (_, Err(e)) => return vec![with(line(file, index, None), "error", e)],
    };
    for (i, step) in steps.iter().enumerate() {
        let at = line(file, index, Some(i + 1));
        if let Some(kind) = step.get("fixture").and_then(Value::as_str) {
            match fixture(&mut state, kind, step) {
                Ok(()) => out.push(with(at, "fixture", kind)),
                Err(e) => {
                    out.push(with(at, "error", format!("fixture {kind}: {e}")));
                    break;
                }
            }
            continue;
        }
        let Some(request) = step.get("request") else {
            out.push(with(at, "error", "a step without request or fixture"));
            break;
        };
        let state_text = state.to_string();
        let answer = (bridge.evaluate)(&request.to_string(), &state_text);
        let outcome = match json::parse(&answer) {
            Ok(o) => o,
            Err(e) => {
                out.push(with(at, "error", format!("evaluate answered something that is not JSON: {e}")));
                break;
            }
        };
        let mutations = match outcome.get("mutations") {
            Some(m @ Value::Array(_)) => m.clone(),
            _ => Value::Array(vec![]),
        };
        let next = match json::parse(&(bridge.apply)(&state_text, &mutations.to_string())) {
            Ok(n) => n,
            Err(e) => {
                out.push(with(at, "error", format!("apply answered something that is not JSON: {e}")));
                break;
            }
        };
        if is_outcome(&next) {
            let data = next.get("data").cloned().unwrap_or(Value::Null);
            out.push(with(at, "error", format!("apply refused the outcome's mutations: {data}")));
            break;
        }
        state = next;
        out.push(with(with(at, "outcome", outcome), "state", state.clone()));
    }
    out
}

fn table<'a>(state: &'a mut Value, key: &str) -> Result<&'a mut Value, String> {
    let Value::Object(m) = state else { return Err("the state is not an object".into()) };
    Ok(m.entry(key).or_insert(Value::Null))
}

/// The rows of a table (created empty when absent).
fn rows_mut<'a>(state: &'a mut Value, key: &str) -> Result<&'a mut Vec<Value>, String> {
    let rows = table(state, key)?;
    if rows.is_null() {
        *rows = Value::Array(vec![]);
    }
    match rows {
        Value::Array(rows) => Ok(rows),
        _ => Err(format!("state.{key} is not a list")),
    }
}

/// Sets the members of `set` on `target` (made an object first when it is not one).
fn merge(target: &mut Value, set: &Value) -> Result<(), String> {
    let Value::Object(set) = set else { return Err("set is not an object".into()) };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(m) = target {
        for (k, v) in set {
            m.insert(k.clone(), v.clone());
        }
    }
    Ok(())
}

fn same_id(a: Option<&Value>, b: &Value) -> bool {
    a.is_some_and(|a| crate::check::deep_eq(a, b))
}

/// Removes the row of `table` whose `key` is `id`; a missing row is an error.
fn remove(state: &mut Value, table: &str, key: &str, id: &Value) -> Result<(), String> {
    let rows = rows_mut(state, table)?;
    let before = rows.len();
    rows.retain(|r| !same_id(r.get(key), id));
    if rows.len() == before {
        return Err(format!("no {} {}", table.trim_end_matches('s'), id));
    }
    Ok(())
}

/// The fixture steps of the contract; a row that does not exist is an error.
fn fixture(state: &mut Value, kind: &str, step: &Value) -> Result<(), String> {
    let arg = |k: &str| step.get(k).cloned().ok_or(format!("{k} missing"));
    match kind {
        "addSession" => rows_mut(state, "sessions")?.push(arg("session")?),
        "addAttendee" => rows_mut(state, "attendees")?.push(arg("attendee")?),
        "removeSession" => remove(state, "sessions", "sessionId", &arg("sessionId")?)?,
        "removeAttendee" => {
            let id = arg("attendeeId")?;
            remove(state, "attendees", "attendeeId", &id)?;
            rows_mut(state, "sessions")?.retain(|s| !same_id(s.get("attendeeId"), &id));
        }
        "setRoom" => merge(table(state, "room")?, &arg("set")?)?,
        "setConfig" => merge(table(state, "config")?, &arg("set")?)?,
        "setAttendee" => {
            let id = arg("attendeeId")?;
            let set = arg("set")?;
            let row = rows_mut(state, "attendees")?
                .iter_mut()
                .find(|a| same_id(a.get("attendeeId"), &id))
                .ok_or(format!("no attendee {id}"))?;
            merge(row, &set)?;
        }
        "ping" => {
            let id = arg("sessionId")?;
            let at = arg("at")?;
            let row = rows_mut(state, "sessions")?
                .iter_mut()
                .find(|s| same_id(s.get("sessionId"), &id))
                .ok_or(format!("no session {id}"))?;
            row["lastPing"] = at; // a row found by its sessionId is an object
        }
        other => return Err(format!("unknown fixture {other:?}")),
    }
    Ok(())
}
