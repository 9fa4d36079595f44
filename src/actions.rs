//! What the caller could do right now, for a UI that enables buttons and says
//! why not: every call action is answered by running the very request through
//! [`crate::decide`], so the map can never disagree with `evaluate`.

use crate::input::RawRequest;
use crate::json::Value;
use crate::model::{Actor, Request, State, ACTOR_PHONES};
use crate::outcome::{Mutation, Outcome, Reason};

/// A human sentence for every reason code (stable; translate by the code).
pub fn explanation(reason: Reason) -> &'static str {
    reason.explanation()
}

/// `{ status, reason, explanation }` for an outcome (its `reason` decides).
/// Without a known reason code the input is not an outcome: that is bad input (400).
pub fn explain(outcome: &Value) -> Value {
    let known = outcome.get("reason").and_then(Value::as_str).and_then(Reason::from_code);
    let (reason, status) = match known {
        Some(r) => (r, outcome.get("status").cloned().unwrap_or(Value::Null)),
        None => (Reason::BadInput, Value::Int(400)),
    };
    Value::object().with("status", status).with("reason", reason.code()).with("explanation", explanation(reason))
}

fn request(method: &str, path: String, body: Value, actor: &Actor, now: i64) -> RawRequest {
    RawRequest {
        method: method.to_string(),
        path,
        content_type: crate::input::DEFAULT_CONTENT_TYPE.to_string(),
        body,
        request: Request { actor: actor.clone(), now },
    }
}

/// One entry: the modelled request and what the server would answer (`brief`: the
/// answer alone, without the sentence and the request).
fn entry(raw: &RawRequest, st: &State, brief: bool) -> (Value, Outcome) {
    let o = crate::decide(raw, st);
    let v = Value::object()
        .with("allowed", (200..300).contains(&o.status) && o.reason == Reason::Ok)
        .with("status", i64::from(o.status))
        .with("reason", o.reason.code());
    if brief {
        return (v, o);
    }
    let v = v.with("explanation", explanation(o.reason)).with(
        "request",
        Value::object()
            .with("method", raw.method.as_str())
            .with("path", raw.path.as_str())
            .with("body", raw.body.clone()),
    );
    (v, o)
}

/// The caller's session flags after the outcome (the mutation it would persist).
fn stored_flags(o: &Outcome) -> Option<i64> {
    o.mutations.iter().find_map(|m| match m {
        Mutation::UpdateSession { set, .. } => set.iter().find(|(k, _)| *k == "inCall").and_then(|(_, v)| v.as_i64()),
        _ => None,
    })
}

fn starts_call(o: &Outcome) -> bool {
    o.mutations.iter().any(|m| match m {
        Mutation::UpdateRoom { set } => set.iter().any(|(k, v)| *k == "activeSince" && !v.is_null()),
        _ => false,
    })
}

/// The request bodies to model: `options.join` (default `{}`: flags 7) and
/// `options.updateFlags` (default `{"flags":7}`); null or absent options use the defaults.
/// `options.brief` (default false): entries without `explanation` and `request`.
fn read_options(options: &Value) -> Result<(Value, Value, bool), String> {
    let pick = |key: &str, default: Value| match options.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(b @ Value::Object(_)) => Ok(b.clone()),
        Some(other) => Err(format!("options.{key}: expected an object (a request body), got {}", other.kind())),
    };
    match options {
        Value::Null | Value::Object(_) => {
            let brief = match options.get("brief") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => return Err(format!("options.brief: expected a boolean, got {}", other.kind())),
            };
            Ok((pick("join", Value::object())?, pick("updateFlags", Value::object().with("flags", 7))?, brief))
        }
        other => Err(format!("options: expected an object, got {}", other.kind())),
    }
}

/// Who the caller resolves to (spec §1.3) and their effective permissions, or null.
fn caller_info(st: &State, caller: Option<(usize, Option<usize>)>) -> Value {
    let Some((a, s)) = caller else { return Value::Null };
    let at = &st.attendees[a];
    let session = s.map(|i| &st.sessions[i]);
    Value::object()
        .with("attendeeId", at.attendee_id)
        .with("actorType", at.actor_type.as_str())
        .with("actorId", at.actor_id.as_str())
        .with("participantType", at.participant_type as i64)
        .with("permissions", crate::permissions::effective(&st.config, &st.room, at).column())
        .with("sessionId", session.map(|s| s.session_id.as_str()))
        .with("inCall", session.map(|s| s.in_call.column()))
}

/// For the caller (`actor`), every call action with the status and reason the server
/// would answer at `now`; `options` may give the bodies of the join and update-flags
/// requests to model, and ask for brief entries (see [`read_options`]). Errors are
/// `bad-input` details.
pub fn allowed_actions(st: &State, actor: &Actor, now: i64, options: &Value) -> Result<Value, String> {
    let (join_body, update_body, brief) = read_options(options)?;
    let base = format!("/call/{}", st.room.token);
    let empty = Value::object;
    let caller = crate::guard::resolve_caller(st, actor);

    let (mut join, o) = entry(&request("POST", base.clone(), join_body, actor, now), st, brief);
    // Joining again with the same flags writes nothing: those flags stay.
    let current = caller.and_then(|(_, s)| s).map(|i| st.sessions[i].in_call);
    let flags = stored_flags(&o).or(current.filter(|_| o.status == 200).map(|f| f.column()));
    join.set("flags", flags.map_or(Value::Null, Value::Int));
    join.set("startsCall", starts_call(&o).into());

    let (update, _) = entry(&request("PUT", base.clone(), update_body, actor, now), st, brief);
    let (leave, _) = entry(&request("DELETE", base.clone(), empty(), actor, now), st, brief);
    let (mut end_all, o) = entry(&request("DELETE", base.clone(), empty().with("all", true), actor, now), st, brief);
    // A non-moderator's `all` is a plain leave: answered 200, but nobody else leaves.
    let ends = caller.is_some_and(|(a, _)| crate::endpoint::leave::ends_for_everyone(&st.attendees[a]));
    end_all.set("allowed", (o.status == 200 && ends).into());
    let (peers, _) = entry(&request("GET", base.clone(), empty(), actor, now), st, brief);

    let me = caller.map(|(a, _)| st.attendees[a].attendee_id);
    let targets = |phones: bool| -> Value {
        let kind = if phones { "dialout" } else { "ring" };
        Value::Array(
            st.attendees
                .iter()
                .filter(|a| Some(a.attendee_id) != me && (a.actor_type == ACTOR_PHONES) == phones)
                .map(|a| {
                    let raw = request("POST", format!("{base}/{kind}/{}", a.attendee_id), empty(), actor, now);
                    entry(&raw, st, brief).0.with("attendeeId", a.attendee_id)
                })
                .collect(),
        )
    };
    Ok(Value::object()
        .with("caller", caller_info(st, caller))
        .with("join", join)
        .with("updateFlags", update)
        .with("leave", leave)
        .with("endForEveryone", end_all)
        .with("peers", peers)
        .with("ring", targets(false))
        .with("dialOut", targets(true)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn explain_gives_the_sentence_of_the_reason() {
        let e = explain(&parse(r#"{"status":412,"reason":"lobby"}"#).unwrap());
        assert_eq!(
            e.to_json(),
            r#"{"status":412,"reason":"lobby","explanation":"The lobby is active and you are not a moderator."}"#
        );
        let not_an_outcome = explain(&parse(r#"{"status":200}"#).unwrap());
        assert_eq!(not_an_outcome.get("reason").and_then(Value::as_str), Some("bad-input"));
    }

    #[test]
    fn a_user_in_a_lobby_room_sees_why() {
        let state = parse(
            r#"{"config":{"startCalls":0},"room":{"token":"abcd1234","type":3,"lobbyState":1},
            "attendees":[{"attendeeId":1,"actorType":"users","actorId":"mod","participantType":1},
                         {"attendeeId":2,"actorType":"users","actorId":"u","participantType":3,"permissions":17},
                         {"attendeeId":3,"actorType":"phones","actorId":"ph","participantType":3,"phoneNumber":"+49"}],
            "sessions":[{"sessionId":"s2","attendeeId":2,"inCall":0,"lastPing":100}]}"#,
        )
        .unwrap();
        let map =
            crate::allowed_actions(&state, &parse(r#"{"userId":"u","sessionId":"s2"}"#).unwrap(), 100, &Value::Null)
                .unwrap();
        let field = |path: &[&str]| path.iter().fold(&map, |v, k| v.get(k).unwrap()).to_json();
        assert_eq!(field(&["join", "reason"]), "\"lobby\"");
        assert_eq!(field(&["join", "allowed"]), "false");
        assert_eq!(field(&["peers", "status"]), "412");
        assert_eq!(field(&["leave", "allowed"]), "true");
        assert_eq!(field(&["endForEveryone", "allowed"]), "false");
        let Some(Value::Array(ring)) = map.get("ring") else { panic!() };
        assert_eq!(ring.len(), 1, "the other user only; phones are dialled");
        assert_eq!(ring[0].get("reason").unwrap().to_json(), "\"no-start-permission\"");
        let Some(Value::Array(dial)) = map.get("dialOut") else { panic!() };
        assert_eq!(dial[0].get("attendeeId").unwrap().to_json(), "3");
        assert_eq!(field(&["caller", "permissions"]), "17");
        let moderator =
            crate::allowed_actions(&state, &parse(r#"{"userId":"mod"}"#).unwrap(), 100, &Value::Null).unwrap();
        assert_eq!(moderator.get("join").unwrap().get("reason").unwrap().to_json(), "\"no-session\"");
        assert_eq!(moderator.get("caller").unwrap().get("sessionId").unwrap().to_json(), "null");
        assert!(crate::allowed_actions(&state, &Value::Int(1), 100, &Value::Null).is_err());
        let stranger =
            crate::allowed_actions(&state, &parse(r#"{"userId":"nobody"}"#).unwrap(), 100, &Value::Null).unwrap();
        assert!(stranger.get("caller").unwrap().is_null());
        let bad = parse(r#"{"join":5}"#).unwrap();
        assert!(crate::allowed_actions(&state, &parse("{}").unwrap(), 100, &bad).is_err());
    }

    #[test]
    fn brief_entries_are_the_full_entries_without_sentence_and_request() {
        let state = parse(
            r#"{"room":{"token":"abcd1234","type":2,"callFlag":7,"activeSince":90},
            "attendees":[{"attendeeId":1,"actorType":"users","actorId":"mod","participantType":1},
                         {"attendeeId":2,"actorType":"users","actorId":"u","participantType":3},
                         {"attendeeId":3,"actorType":"phones","actorId":"ph","participantType":3}],
            "sessions":[{"sessionId":"s1","attendeeId":1,"inCall":7,"lastPing":100}]}"#,
        )
        .unwrap();
        let actor = parse(r#"{"userId":"mod","sessionId":"s1"}"#).unwrap();
        let options = |brief: &str| parse(&format!(r#"{{"join":{{"flags":3}},"brief":{brief}}}"#)).unwrap();
        let full = crate::allowed_actions(&state, &actor, 100, &options("false")).unwrap();
        let brief = crate::allowed_actions(&state, &actor, 100, &options("true")).unwrap();
        // The full answer with every `explanation` and `request` taken out is the brief one.
        fn strip(v: &Value) -> Value {
            match v {
                Value::Object(m) => Value::Object(
                    m.iter()
                        .filter(|(k, _)| *k != "explanation" && *k != "request")
                        .map(|(k, v)| (k.clone(), strip(v)))
                        .collect(),
                ),
                Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
                other => other.clone(),
            }
        }
        assert_eq!(strip(&full).to_json(), brief.to_json());
        assert!(brief.get("ring").unwrap().to_json().contains(r#""attendeeId":2"#));
        assert!(brief.to_json().len() < full.to_json().len() / 2);
        for bad in [r#"{"brief":1}"#, r#"{"brief":"yes"}"#] {
            let err = crate::allowed_actions(&state, &actor, 100, &parse(bad).unwrap()).unwrap_err();
            assert!(err.to_value().to_json().contains("options.brief: expected a boolean"), "{bad}");
        }
    }
}
