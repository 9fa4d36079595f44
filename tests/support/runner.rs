//! The conformance-vector runner shared by the native tests, the `run_vectors`
//! example and the wasm-bindgen tests (Node and headless Chromium). It follows
//! the matching rules of the contract: fixtures edit the running state,
//! requests are evaluated, checked against `expect`, and their mutations applied.

#![allow(dead_code)]

use talk_call_rules::json::{self, Value};

pub struct CaseResult {
    pub file: String,
    pub name: String,
    /// `Some(reason)` when skipped by name (tests/vector-skips.json).
    pub skipped: Option<String>,
    /// `Some("step N: what differed")` when failed.
    pub failure: Option<String>,
}

/// `(name, reason)` pairs from tests/vector-skips.json.
pub fn parse_skips(text: &str) -> Vec<(String, String)> {
    let Ok(Value::Array(items)) = json::parse(text) else { panic!("tests/vector-skips.json is not a JSON array") };
    items
        .iter()
        .map(|i| {
            let name = i.get("name").and_then(Value::as_str).expect("skip entry without name");
            let reason = i.get("reason").and_then(Value::as_str).expect("skip entry without reason");
            (name.to_string(), reason.to_string())
        })
        .collect()
}

pub fn run_file(file: &str, text: &str, skips: &[(String, String)]) -> Vec<CaseResult> {
    let cases = match json::parse(text) {
        Ok(Value::Array(c)) => c,
        Ok(_) => return vec![broken(file, "the file is not a JSON array")],
        Err(e) => return vec![broken(file, &e.to_string())],
    };
    cases
        .iter()
        .map(|case| {
            let name = case.get("name").and_then(Value::as_str).unwrap_or("(unnamed)").to_string();
            let skipped = skips.iter().find(|(n, _)| *n == name).map(|(_, r)| r.clone());
            let failure = if skipped.is_some() { None } else { run_case(case).err() };
            CaseResult { file: file.to_string(), name, skipped, failure }
        })
        .collect()
}

fn broken(file: &str, why: &str) -> CaseResult {
    CaseResult { file: file.into(), name: "(file)".into(), skipped: None, failure: Some(why.into()) }
}

fn run_case(case: &Value) -> Result<(), String> {
    let mut state = case.get("state").cloned().ok_or("case without state")?;
    let single;
    let steps: &[Value] = match case.get("steps") {
        Some(Value::Array(s)) => s,
        Some(_) => return Err("steps is not an array".into()),
        None => {
            single = [case.clone()];
            &single
        }
    };
    for (i, step) in steps.iter().enumerate() {
        let n = i + 1;
        if let Some(f) = step.get("fixture").and_then(Value::as_str) {
            fixture(&mut state, f, step).map_err(|e| format!("step {n} (fixture {f}): {e}"))?;
            continue;
        }
        let request = step.get("request").ok_or_else(|| format!("step {n}: no request"))?;
        let expect = step.get("expect").ok_or_else(|| format!("step {n}: no expect"))?;
        let outcome = talk_call_rules::evaluate(request, &state).to_value();
        check(&outcome, expect, &state).map_err(|e| format!("step {n} ({}): {e}", describe(request)))?;
        let mutations = outcome.get("mutations").cloned().unwrap_or(Value::Array(vec![]));
        state = talk_call_rules::apply(&state, &mutations)
            .map_err(|o| format!("step {n}: apply failed: {}", o.to_value().to_json()))?;
    }
    Ok(())
}

fn describe(request: &Value) -> String {
    let s = |k: &str| request.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
    format!("{} {}", s("method"), s("path"))
}

fn rows_mut<'a>(state: &'a mut Value, table: &str) -> Result<&'a mut Vec<Value>, String> {
    if state.get(table).is_none() {
        state.set(table, Value::Array(vec![]));
    }
    match state {
        Value::Object(m) => match m.iter_mut().find(|(k, _)| k == table) {
            Some((_, Value::Array(rows))) => Ok(rows),
            _ => Err(format!("state.{table} is not an array")),
        },
        _ => Err("state is not an object".into()),
    }
}

fn merge(target: &mut Value, set: &Value) -> Result<(), String> {
    let Value::Object(m) = set else { return Err("set is not an object".into()) };
    for (k, v) in m {
        target.set(k, v.clone());
    }
    Ok(())
}

fn object_mut<'a>(state: &'a mut Value, key: &str) -> Result<&'a mut Value, String> {
    if state.get(key).is_none() {
        state.set(key, Value::object());
    }
    match state {
        Value::Object(m) => Ok(&mut m.iter_mut().find(|(k, _)| k == key).ok_or("missing")?.1),
        _ => Err("state is not an object".into()),
    }
}

fn fixture(state: &mut Value, kind: &str, step: &Value) -> Result<(), String> {
    let id_of = |v: &Value, k: &str| v.get(k).cloned().ok_or(format!("{k} missing"));
    match kind {
        "addSession" => rows_mut(state, "sessions")?.push(id_of(step, "session")?),
        "addAttendee" => rows_mut(state, "attendees")?.push(id_of(step, "attendee")?),
        "removeSession" => {
            let id = id_of(step, "sessionId")?;
            rows_mut(state, "sessions")?.retain(|s| s.get("sessionId") != Some(&id));
        }
        "removeAttendee" => {
            let id = id_of(step, "attendeeId")?;
            rows_mut(state, "attendees")?.retain(|a| !num_eq(a.get("attendeeId"), Some(&id)));
            rows_mut(state, "sessions")?.retain(|s| !num_eq(s.get("attendeeId"), Some(&id)));
        }
        "setRoom" => merge(object_mut(state, "room")?, &id_of(step, "set")?)?,
        "setConfig" => merge(object_mut(state, "config")?, &id_of(step, "set")?)?,
        "setAttendee" => {
            let id = id_of(step, "attendeeId")?;
            let set = id_of(step, "set")?;
            let row = rows_mut(state, "attendees")?
                .iter_mut()
                .find(|a| num_eq(a.get("attendeeId"), Some(&id)))
                .ok_or("no such attendee")?;
            merge(row, &set)?;
        }
        "ping" => {
            let id = id_of(step, "sessionId")?;
            let at = id_of(step, "at")?;
            let row = rows_mut(state, "sessions")?
                .iter_mut()
                .find(|s| s.get("sessionId") == Some(&id))
                .ok_or("no such session")?;
            row.set("lastPing", at);
        }
        other => return Err(format!("unknown fixture {other}")),
    }
    Ok(())
}

fn num_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => deep_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Decimal(d) => d.parse().ok(),
        _ => None,
    }
}

/// JSON equality: numbers by value, objects regardless of key order.
pub fn deep_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| b.get(k).is_some_and(|w| deep_eq(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| deep_eq(v, w)),
        _ => match (as_f64(a), as_f64(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// Every key of `partial` has an equal value in `full`.
fn contains(full: &Value, partial: &Value) -> Result<(), String> {
    let Value::Object(m) = partial else { return Err("expected partial row is not an object".into()) };
    for (k, want) in m {
        let got = full.get(k).unwrap_or(&Value::Null);
        if !deep_eq(got, want) {
            return Err(format!("{k} is {} but {} was expected", got.to_json(), want.to_json()));
        }
    }
    Ok(())
}

fn check(outcome: &Value, expect: &Value, before: &Value) -> Result<(), String> {
    let got = |k: &str| outcome.get(k).cloned().unwrap_or(Value::Null);
    for key in ["status", "data", "message", "reason"] {
        if let Some(want) = expect.get(key) {
            if !deep_eq(&got(key), want) {
                return Err(format!(
                    "{key}: got {} expected {} (outcome {})",
                    got(key).to_json(),
                    want.to_json(),
                    short(outcome)
                ));
            }
        }
    }
    let mutations = got("mutations");
    if expect.get("mutations").and_then(Value::as_str) == Some("none")
        && !matches!(&mutations, Value::Array(a) if a.is_empty())
    {
        return Err(format!("mutations: expected none, got {}", mutations.to_json()));
    }
    if let Some(want) = expect.get("state") {
        let after = talk_call_rules::apply(before, &mutations).map_err(|o| o.to_value().to_json())?;
        check_state(&after, want)?;
    }
    if let Some(Value::Array(want)) = expect.get("peers") {
        let key = |p: &Value| {
            ["actorType", "actorId", "sessionId"]
                .iter()
                .map(|k| p.get(k).map(Value::to_json).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("|")
        };
        let Value::Array(data) = got("data") else { return Err("peers: data is not a list".into()) };
        let mut have: Vec<String> = data.iter().map(key).collect();
        let mut need: Vec<String> = want.iter().map(key).collect();
        have.sort();
        need.sort();
        if have != need {
            return Err(format!("peers: got [{}] expected [{}]", have.join(", "), need.join(", ")));
        }
    }
    let effects = match got("effects") {
        Value::Array(e) => e,
        _ => vec![],
    };
    if let Some(Value::Array(want)) = expect.get("effects") {
        for w in want {
            if !effects.iter().any(|e| effect_matches(e, w)) {
                return Err(format!(
                    "effects: none matches {} (effects {})",
                    w.to_json(),
                    Value::Array(effects.clone()).to_json()
                ));
            }
        }
    }
    if let Some(Value::Array(types)) = expect.get("noEffects") {
        for t in types {
            if let Some(e) = effects.iter().find(|e| e.get("type") == Some(t)) {
                return Err(format!("noEffects: found {}", e.to_json()));
            }
        }
    }
    Ok(())
}

fn short(outcome: &Value) -> String {
    let mut s = outcome.to_json();
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

fn effect_matches(effect: &Value, want: &Value) -> bool {
    let Value::Object(m) = want else { return false };
    m.iter().all(|(k, w)| {
        let g = effect.get(k).unwrap_or(&Value::Null);
        if k == "attendeeIds" {
            let set = |v: &Value| {
                let mut ids: Vec<String> = match v {
                    Value::Array(a) => a.iter().map(Value::to_json).collect(),
                    _ => vec![],
                };
                ids.sort();
                ids
            };
            matches!((g, w), (Value::Array(_), Value::Array(_))) && set(g) == set(w)
        } else {
            deep_eq(g, w)
        }
    })
}

fn check_state(state: &Value, want: &Value) -> Result<(), String> {
    if let Some(room) = want.get("room") {
        contains(state.get("room").unwrap_or(&Value::Null), room).map_err(|e| format!("state.room: {e}"))?;
    }
    for (table, id_key) in [("sessions", "sessionId"), ("attendees", "attendeeId")] {
        let Some(Value::Object(rows)) = want.get(table) else { continue };
        let have = match state.get(table) {
            Some(Value::Array(a)) => a.as_slice(),
            _ => &[],
        };
        for (id, partial) in rows {
            let row = have.iter().find(|r| {
                r.get(id_key).is_some_and(|v| match v {
                    Value::Str(s) => s == id,
                    other => other.to_json() == *id,
                })
            });
            match (row, partial) {
                (None, Value::Null) => {}
                (Some(_), Value::Null) => return Err(format!("state.{table}.{id}: row should not exist")),
                (None, _) => return Err(format!("state.{table}.{id}: row missing")),
                (Some(r), p) => contains(r, p).map_err(|e| format!("state.{table}.{id}: {e}"))?,
            }
        }
    }
    Ok(())
}

/// "N passed, M failed" plus one line per failing case.
pub fn report(results: &[CaseResult]) -> (String, usize) {
    let mut out = String::new();
    let failed: Vec<&CaseResult> = results.iter().filter(|r| r.failure.is_some()).collect();
    for r in &failed {
        out.push_str(&format!("FAIL {} :: {} :: {}\n", r.file, r.name, r.failure.as_deref().unwrap_or("")));
    }
    let skipped = results.iter().filter(|r| r.skipped.is_some()).count();
    let passed = results.len() - failed.len() - skipped;
    if skipped > 0 {
        out.push_str(&format!("{skipped} skipped by name (tests/vector-skips.json)\n"));
    }
    out.push_str(&format!("{passed} passed, {} failed\n", failed.len()));
    (out, failed.len())
}
