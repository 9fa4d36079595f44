//! Mutations → new state. Works on the JSON tree itself, so every field the
//! rules do not own (unknown columns, host annotations) survives untouched,
//! in its place.

use crate::input::{Fields, MAX_MUTATIONS};
use crate::json::Value;
use crate::reader::{shape, InputError};

/// Applies `mutations` in order to a copy of `state`.
pub fn apply(state: &Value, mutations: &Value) -> Result<Value, InputError> {
    let Value::Array(list) = mutations else {
        return Err(shape!("mutations: expected an array, got {}", mutations.kind()));
    };
    if list.len() > MAX_MUTATIONS {
        return Err(shape!("mutations: {} entries exceed the limit of {MAX_MUTATIONS}", list.len()));
    }
    Fields::of(state, "state")?;
    let mut next = state.clone();
    for (i, m) in list.iter().enumerate() {
        apply_one(&mut next, m, &format!("mutations[{i}]"))?;
    }
    Ok(next)
}

fn apply_one(state: &mut Value, m: &Value, path: &str) -> Result<(), InputError> {
    let f = Fields::of(m, path)?;
    let set = match f.get("set") {
        Some(Value::Object(set)) => set.clone(),
        Some(v) => return Err(shape!("{path}.set: expected an object, got {}", v.kind())),
        None => return Err(shape!("{path}.set: required")),
    };
    let op = f.required_string("op")?;
    let row = match op.as_str() {
        "updateRoom" => match state.get_mut("room") {
            Some(room @ Value::Object(_)) => room,
            _ => return Err(shape!("{path}: state.room is missing or not an object")),
        },
        "updateSession" => {
            let id = f.required_string("sessionId")?;
            find_row(state, "sessions", |r| r.get("sessionId").and_then(Value::as_str) == Some(id.as_str()))
                .ok_or_else(|| shape!("{path}: no session \"{id}\" in state.sessions"))?
        }
        "updateAttendee" => {
            let id = f.required_int("attendeeId", 1, crate::input::MAX_SAFE_INT)?;
            find_row(state, "attendees", |r| r.get("attendeeId").and_then(Value::as_i64) == Some(id))
                .ok_or_else(|| shape!("{path}: no attendee {id} in state.attendees"))?
        }
        other => return Err(shape!("{path}.op: unknown operation \"{other}\"")),
    };
    for (k, v) in set {
        row.insert(k, v);
    }
    Ok(())
}

fn find_row<'a>(state: &'a mut Value, table: &str, pick: impl Fn(&Value) -> bool) -> Option<&'a mut Value> {
    match state.get_mut(table)? {
        Value::Array(rows) => rows.iter_mut().find(|r| pick(r)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn keeps_unknown_fields_and_order() {
        let state = parse(
            r#"{"x":1,"room":{"token":"abcd","zz":[1],"callFlag":0},"sessions":[{"sessionId":"s","inCall":0,"extra":{"a":null}}],"attendees":[{"attendeeId":3,"note":"n"}]}"#,
        )
        .unwrap();
        let muts = parse(
            r#"[{"op":"updateRoom","set":{"callFlag":7,"activeSince":5}},{"op":"updateSession","sessionId":"s","set":{"inCall":7}},{"op":"updateAttendee","attendeeId":3,"set":{"lastJoinedCall":5}}]"#,
        )
        .unwrap();
        let next = apply(&state, &muts).unwrap();
        assert_eq!(
            next.to_json(),
            r#"{"x":1,"room":{"token":"abcd","zz":[1],"callFlag":7,"activeSince":5},"sessions":[{"sessionId":"s","inCall":7,"extra":{"a":null}}],"attendees":[{"attendeeId":3,"note":"n","lastJoinedCall":5}]}"#
        );
        assert_eq!(apply(&state, &Value::Array(vec![])).unwrap(), state);
    }

    #[test]
    fn refuses_mutations_it_cannot_place() {
        let state = parse(r#"{"room":{},"sessions":[],"attendees":[]}"#).unwrap();
        for bad in [
            r#"{}"#,
            r#"[{"op":"updateSession","sessionId":"nope","set":{}}]"#,
            r#"[{"op":"updateAttendee","attendeeId":9,"set":{}}]"#,
            r#"[{"op":"dropTable","set":{}}]"#,
            r#"[{"op":"updateRoom","set":5}]"#,
            r#"[{"op":"updateRoom"}]"#,
        ] {
            assert!(apply(&state, &parse(bad).unwrap()).is_err(), "{bad}");
        }
        assert!(apply(&Value::Int(1), &Value::Array(vec![])).is_err());
    }
}
