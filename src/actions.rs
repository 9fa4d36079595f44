//! What the caller could do right now, for a UI that enables buttons and says
//! why not: every call action is answered by running the very request through
//! [`crate::decide::decide`], so the map can never disagree with `evaluate`.

use crate::apply::{RoomColumn, SessionColumn};
use crate::model::{Actor, Request, State, ACTOR_PHONES};
use crate::outcome::{kind, Mutation, Outcome, Reason};
use serde::Serialize;
use serde_json::{json, Map, Value};

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
        None => (Reason::BadInput, Value::from(400)),
    };
    json!({ "status": status, "reason": reason.code(), "explanation": explanation(reason) })
}

/// The request an entry models (its method, path and body).
#[derive(Clone, Debug, Serialize)]
pub struct ModelledRequest {
    /// The HTTP method.
    pub method: &'static str,
    /// The path (`/call/{token}`, `/call/{token}/ring/{attendeeId}`, …).
    pub path: String,
    /// The JSON body sent.
    pub body: Map<String, Value>,
}

/// What the server would answer to one call action.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The server would accept it (2xx with reason `ok`; `endForEveryone`: and end the call).
    pub allowed: bool,
    /// The status the server would answer.
    pub status: u16,
    /// The reason code of that answer.
    pub reason: Reason,
    /// The sentence of the reason (not in brief answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<&'static str>,
    /// The modelled request (not in brief answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<ModelledRequest>,
    /// `join` only: the caller's session flags afterwards (null without a session).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<Option<i64>>,
    /// `join` only: the join would start the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_call: Option<bool>,
    /// `ring` and `dialOut` entries: the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attendee_id: Option<i64>,
}

/// The caller as the engine resolves it (as `lib/Middleware/InjectionMiddleware.php::getLoggedInOrGuest`
/// does), their effective permissions and whether they may start a call.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallerInfo {
    /// The caller's attendee id.
    pub attendee_id: i64,
    /// The caller's actor type.
    pub actor_type: String,
    /// The caller's actor id.
    pub actor_id: String,
    /// The caller's participant type (Talk's `Participant::OWNER` 1 … `GUEST_MODERATOR` 6).
    pub participant_type: i64,
    /// The caller's effective permissions (Talk's `Attendee::PERMISSIONS_*` bits).
    pub permissions: i64,
    /// `canStartCall` of Talk's conversation API for this participant (`lib/Participant.php::canStartCall`,
    /// as `lib/Service/RoomFormatter.php::formatRoomV4` reports it): whether a
    /// join of theirs may start the call, whatever else would refuse the join now.
    pub can_start_call: bool,
    /// The caller's room session, when the request names one.
    pub session_id: Option<String>,
    /// That session's call flags.
    pub in_call: Option<i64>,
}

/// Every call action for one caller: `{ caller, join, updateFlags, leave, endForEveryone,
/// peers, ring[], dialOut[] }`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowedActions {
    /// Who the caller resolves to; `None` when not a participant.
    pub caller: Option<CallerInfo>,
    /// `POST /call/{token}`.
    pub join: Entry,
    /// `PUT /call/{token}`.
    pub update_flags: Entry,
    /// `DELETE /call/{token}`.
    pub leave: Entry,
    /// `DELETE /call/{token}` with `all: true`.
    pub end_for_everyone: Entry,
    /// `GET /call/{token}`.
    pub peers: Entry,
    /// `POST /call/{token}/ring/{attendeeId}`, one per user attendee.
    pub ring: Vec<Entry>,
    /// `POST /call/{token}/dialout/{attendeeId}`, one per phone attendee.
    pub dial_out: Vec<Entry>,
}

impl AllowedActions {
    /// The map as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

fn request(method: &'static str, path: String, body: Map<String, Value>, actor: &Actor, now: i64) -> Request {
    Request {
        method: method.to_string(),
        path,
        content_type: crate::input::default_content_type(),
        body,
        actor: actor.clone(),
        now,
    }
}

/// One entry: what the server would answer to the modelled request (`brief`: the answer
/// alone, without the sentence and the request).
fn entry(raw: Request, st: &State, brief: bool) -> (Entry, Outcome) {
    let o = crate::decide::decide(&raw, st);
    let mut e = Entry {
        allowed: (200..300).contains(&o.status) && o.reason == Reason::Ok,
        status: o.status,
        reason: o.reason,
        explanation: None,
        request: None,
        flags: None,
        starts_call: None,
        attendee_id: None,
    };
    if !brief {
        e.explanation = Some(explanation(o.reason));
        let method = ["GET", "POST", "PUT", "DELETE"].into_iter().find(|m| *m == raw.method).unwrap_or("POST");
        e.request = Some(ModelledRequest { method, path: raw.path, body: raw.body });
    }
    (e, o)
}

/// The caller's session flags after the outcome (the mutation it would persist).
fn stored_flags(o: &Outcome) -> Option<i64> {
    o.mutations.iter().find_map(|m| match m {
        Mutation::UpdateSession { set, .. } => {
            set.iter().find(|(k, _)| *k == SessionColumn::InCall).and_then(|(_, v)| v.as_i64())
        }
        _ => None,
    })
}

fn starts_call(o: &Outcome) -> bool {
    o.mutations.iter().any(|m| match m {
        Mutation::UpdateRoom { set } => set.iter().any(|(k, v)| *k == RoomColumn::ActiveSince && !v.is_null()),
        _ => false,
    })
}

/// The request bodies to model: `options.join` (default `{}`: flags 7) and
/// `options.updateFlags` (default `{"flags":7}`); null or absent options use the defaults.
/// `options.brief` (default false): entries without `explanation` and `request`.
/// The join body, the update-flags body and `brief`.
type Options = (Map<String, Value>, Map<String, Value>, bool);

fn read_options(options: &Value) -> Result<Options, String> {
    let pick = |key: &str, default: Map<String, Value>| match options.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Object(b)) => Ok(b.clone()),
        Some(other) => Err(format!("options.{key}: expected an object (a request body), got {}", kind(other))),
    };
    match options {
        Value::Null | Value::Object(_) => {
            let brief = match options.get("brief") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => return Err(format!("options.brief: expected a boolean, got {}", kind(other))),
            };
            let mut update = Map::new();
            update.insert("flags".into(), Value::from(7));
            Ok((pick("join", Map::new())?, pick("updateFlags", update)?, brief))
        }
        other => Err(format!("options: expected an object, got {}", kind(other))),
    }
}

/// Who the caller resolves to (`lib/Middleware/InjectionMiddleware.php::getLoggedInOrGuest`) and
/// their effective permissions (`lib/Participant.php::getPermissions`).
fn caller_info(st: &State, caller: Option<(usize, Option<usize>)>) -> Option<CallerInfo> {
    let (a, s) = caller?;
    let at = &st.attendees[a];
    let session = s.map(|i| &st.sessions[i]);
    Some(CallerInfo {
        attendee_id: at.attendee_id,
        actor_type: at.actor_type.clone(),
        actor_id: at.actor_id.clone(),
        participant_type: at.participant_type as i64,
        permissions: crate::permissions::effective(&st.config, &st.room, at).column(),
        can_start_call: crate::permissions::can_start_call(&st.config, &st.room, at),
        session_id: session.map(|s| s.session_id.clone()),
        in_call: session.map(|s| s.in_call.column()),
    })
}

/// For the caller (`actor`), every call action with the status and reason the server
/// would answer at `now`; `options` may give the bodies of the join and update-flags
/// requests to model, and ask for brief entries (see [`read_options`]). Errors are
/// `bad-input` details.
pub fn allowed_actions(st: &State, actor: &Actor, now: i64, options: &Value) -> Result<AllowedActions, String> {
    let (join_body, update_body, brief) = read_options(options)?;
    let base = format!("/call/{}", st.room.token);
    let caller = crate::guard::resolve_caller(st, actor);

    let (mut join, o) = entry(request("POST", base.clone(), join_body, actor, now), st, brief);
    // Joining again with the same flags writes nothing: those flags stay.
    let current = caller.and_then(|(_, s)| s).map(|i| st.sessions[i].in_call);
    join.flags = Some(stored_flags(&o).or(current.filter(|_| o.status == 200).map(|f| f.column())));
    join.starts_call = Some(starts_call(&o));

    let (update_flags, _) = entry(request("PUT", base.clone(), update_body, actor, now), st, brief);
    let (leave, _) = entry(request("DELETE", base.clone(), Map::new(), actor, now), st, brief);
    let mut all = Map::new();
    all.insert("all".into(), Value::Bool(true));
    let (mut end_for_everyone, o) = entry(request("DELETE", base.clone(), all, actor, now), st, brief);
    // A non-moderator's `all` is a plain leave: answered 200, but nobody else leaves.
    let ends = caller.is_some_and(|(a, _)| crate::endpoint::leave::ends_for_everyone(&st.attendees[a]));
    end_for_everyone.allowed = o.status == 200 && ends;
    let (peers, _) = entry(request("GET", base.clone(), Map::new(), actor, now), st, brief);

    let me = caller.map(|(a, _)| st.attendees[a].attendee_id);
    let targets = |phones: bool| -> Vec<Entry> {
        let kind = if phones { "dialout" } else { "ring" };
        st.attendees
            .iter()
            .filter(|a| Some(a.attendee_id) != me && (a.actor_type == ACTOR_PHONES) == phones)
            .map(|a| {
                let raw = request("POST", format!("{base}/{kind}/{}", a.attendee_id), Map::new(), actor, now);
                let (mut e, _) = entry(raw, st, brief);
                e.attendee_id = Some(a.attendee_id);
                e
            })
            .collect()
    };
    Ok(AllowedActions {
        caller: caller_info(st, caller),
        join,
        update_flags,
        leave,
        end_for_everyone,
        peers,
        ring: targets(false),
        dial_out: targets(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Value, crate::error::InputError> {
        crate::document::tree(text, "test")
    }

    #[test]
    fn explain_gives_the_sentence_of_the_reason() {
        let e = explain(&parse(r#"{"status":412,"reason":"lobby"}"#).unwrap());
        assert_eq!(
            e.to_string(),
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
            crate::api::allowed_actions(&state, &parse(r#"{"userId":"u","sessionId":"s2"}"#).unwrap(), 100, &Value::Null)
                .unwrap();
        let field = |path: &[&str]| path.iter().fold(&map, |v, k| v.get(k).unwrap()).to_string();
        assert_eq!(field(&["join", "reason"]), "\"lobby\"");
        assert_eq!(field(&["join", "allowed"]), "false");
        assert_eq!(field(&["peers", "status"]), "412");
        assert_eq!(field(&["leave", "allowed"]), "true");
        assert_eq!(field(&["endForEveryone", "allowed"]), "false");
        let Some(Value::Array(ring)) = map.get("ring") else { panic!() };
        assert_eq!(ring.len(), 1, "the other user only; phones are dialled");
        assert_eq!(ring[0].get("reason").unwrap().to_string(), "\"no-start-permission\"");
        let Some(Value::Array(dial)) = map.get("dialOut") else { panic!() };
        assert_eq!(dial[0].get("attendeeId").unwrap().to_string(), "3");
        assert_eq!(field(&["caller", "permissions"]), "17");
        assert_eq!(field(&["caller", "canStartCall"]), "false", "17 lacks CALL_START");
        let moderator =
            crate::api::allowed_actions(&state, &parse(r#"{"userId":"mod"}"#).unwrap(), 100, &Value::Null).unwrap();
        assert_eq!(moderator.get("join").unwrap().get("reason").unwrap().to_string(), "\"no-session\"");
        assert_eq!(moderator.get("caller").unwrap().get("sessionId").unwrap().to_string(), "null");
        assert_eq!(moderator.get("caller").unwrap().get("canStartCall").unwrap().to_string(), "true");
        assert!(crate::api::allowed_actions(&state, &Value::from(1), 100, &Value::Null).is_err());
        let stranger =
            crate::api::allowed_actions(&state, &parse(r#"{"userId":"nobody"}"#).unwrap(), 100, &Value::Null).unwrap();
        assert!(stranger.get("caller").unwrap().is_null());
        let bad = parse(r#"{"join":5}"#).unwrap();
        assert!(crate::api::allowed_actions(&state, &parse("{}").unwrap(), 100, &bad).is_err());
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
        let full = crate::api::allowed_actions(&state, &actor, 100, &options("false")).unwrap();
        let brief = crate::api::allowed_actions(&state, &actor, 100, &options("true")).unwrap();
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
        assert_eq!(strip(&full).to_string(), brief.to_string());
        assert!(brief.get("ring").unwrap().to_string().contains(r#""attendeeId":2"#));
        assert!(brief.to_string().len() < full.to_string().len() / 2);
        for bad in [r#"{"brief":1}"#, r#"{"brief":"yes"}"#] {
            let err = crate::api::allowed_actions(&state, &actor, 100, &parse(bad).unwrap()).unwrap_err();
            assert!(err.to_value().to_string().contains("options.brief: expected a boolean"), "{bad}");
        }
    }
}
