//! The native host: runs each vector's steps through the Rust API and writes
//! what it got, exactly as the Node, Chromium and PHP drivers do through their
//! bridges (the transcript format is in [`crate::transcript`]).

use crate::transcript::{line, Transcript};
use crate::vectors::{steps_of, VectorFile};
use talk_call_rules::json::Value;

/// Runs every case of `files` and records what happened.
pub fn drive(files: &[VectorFile]) -> Transcript {
    let mut t = Transcript::default();
    let host = Value::object().with("host", "native").with("version", talk_call_rules::version());
    t.add(host).expect("a header line");
    for f in files {
        let Ok(cases) = &f.cases else { continue };
        for (index, case) in cases.iter().enumerate() {
            for l in drive_case(&f.name, index, case) {
                t.add(l).expect("the driver writes well-formed lines");
            }
        }
    }
    t
}

fn drive_case(file: &str, index: usize, case: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let (mut state, steps) = match (case.get("state"), steps_of(case)) {
        (Some(s), Ok(steps)) => (s.clone(), steps),
        (None, _) => return vec![line(file, index, None).with("error", "the case has no state")],
        (_, Err(e)) => return vec![line(file, index, None).with("error", e)],
    };
    for (i, step) in steps.iter().enumerate() {
        let at = line(file, index, Some(i + 1));
        if let Some(kind) = step.get("fixture").and_then(Value::as_str) {
            match fixture(&mut state, kind, step) {
                Ok(()) => out.push(at.with("fixture", kind)),
                Err(e) => {
                    out.push(at.with("error", format!("fixture {kind}: {e}")));
                    break;
                }
            }
            continue;
        }
        let Some(request) = step.get("request") else {
            out.push(at.with("error", "a step without request or fixture"));
            break;
        };
        let outcome = talk_call_rules::evaluate(request, &state).to_value();
        let mutations = outcome.get("mutations").cloned().unwrap_or(Value::Array(vec![]));
        match talk_call_rules::apply(&state, &mutations) {
            Ok(next) => {
                state = next;
                out.push(at.with("outcome", outcome).with("state", state.clone()));
            }
            Err(o) => {
                out.push(
                    at.with("error", format!("apply refused the outcome's mutations: {}", o.to_value().to_json())),
                );
                break;
            }
        }
    }
    out
}

fn rows_mut<'a>(state: &'a mut Value, table: &str) -> Result<&'a mut Vec<Value>, String> {
    if state.get(table).is_none() {
        state.set(table, Value::Array(vec![]));
    }
    match state.get_mut(table) {
        Some(Value::Array(rows)) => Ok(rows),
        _ => Err(format!("state.{table} is not a list")),
    }
}

fn merge(target: &mut Value, set: &Value) -> Result<(), String> {
    let Value::Object(m) = set else { return Err("set is not an object".into()) };
    if !matches!(target, Value::Object(_)) {
        *target = Value::object();
    }
    for (k, v) in m {
        target.insert(k.clone(), v.clone());
    }
    Ok(())
}

fn object_mut<'a>(state: &'a mut Value, key: &str) -> &'a mut Value {
    if state.get(key).is_none() {
        state.set(key, Value::object());
    }
    state.get_mut(key).expect("just set")
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
        return Err(format!("no {} {}", table.trim_end_matches('s'), id.to_json()));
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
        "setRoom" => merge(object_mut(state, "room"), &arg("set")?)?,
        "setConfig" => merge(object_mut(state, "config"), &arg("set")?)?,
        "setAttendee" => {
            let id = arg("attendeeId")?;
            let set = arg("set")?;
            let row = rows_mut(state, "attendees")?
                .iter_mut()
                .find(|a| same_id(a.get("attendeeId"), &id))
                .ok_or(format!("no attendee {}", id.to_json()))?;
            merge(row, &set)?;
        }
        "ping" => {
            let id = arg("sessionId")?;
            let at = arg("at")?;
            let row = rows_mut(state, "sessions")?
                .iter_mut()
                .find(|s| same_id(s.get("sessionId"), &id))
                .ok_or(format!("no session {}", id.to_json()))?;
            row.set("lastPing", at);
        }
        other => return Err(format!("unknown fixture {other:?}")),
    }
    Ok(())
}
