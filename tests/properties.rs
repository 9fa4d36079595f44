//! Invariants that must hold whatever the rows and the request (proptest).
#![cfg(not(target_arch = "wasm32"))]
//! Each property names the authorization or robustness promise it guards.

use proptest::prelude::*;
use serde_json::{Map, Value};
use talk_call_rules::{apply, evaluate, evaluate_json, input, permissions, Outcome};
use talk_call_rules::{InCall, Permissions};

const NOW: i64 = 1_700_000_000;

fn parse(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text)
}

fn new_object() -> Value {
    Value::Object(Map::new())
}

/// Building JSON objects field by field.
trait Build {
    fn with(self, key: &str, value: impl Into<Value>) -> Value;
    fn set(&mut self, key: &str, value: Value);
    fn to_json(&self) -> String;
}

impl Build for Value {
    fn with(mut self, key: &str, value: impl Into<Value>) -> Value {
        self.set(key, value.into());
        self
    }

    fn set(&mut self, key: &str, value: Value) {
        if let Value::Object(m) = self {
            m.insert(key.to_string(), value);
        }
    }

    fn to_json(&self) -> String {
        self.to_string()
    }
}
const TOKEN: &str = "prop1234";
const ACTOR_TYPES: [&str; 6] = ["users", "users", "guests", "groups", "phones", "emails"];

fn opt_int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::from)
}

fn permissions_col() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0i64), 0i64..=255]
}

fn config() -> impl Strategy<Value = Value> {
    (0i64..=3, any::<bool>(), 0i64..=2, proptest::option::of(0i64..=255), any::<bool>()).prop_map(
        |(start, groups, consent, default, external)| {
            new_object()
                .with("startCalls", start)
                .with("allowedGroups", Value::Array(if groups { vec!["g1".into()] } else { vec![] }))
                .with("recordingConsent", consent)
                .with("defaultPermissions", opt_int(default))
                .with("signaling", if external { "external" } else { "internal" })
        },
    )
}

fn room() -> impl Strategy<Value = Value> {
    (
        (1i64..=6, 0i64..=1, 0i64..=1, proptest::option::of(-50i64..50), 0usize..4),
        (0i64..=15, proptest::option::of(1i64..200), 0i64..3, permissions_col(), permissions_col()),
        (0i64..=1, 0i64..=5),
    )
        .prop_map(|((t, ro, lobby, timer, object), (flag, since, guests, default, call), (consent, rec))| {
            new_object()
                .with("token", TOKEN)
                .with("type", t)
                .with("readOnly", ro)
                .with("lobbyState", lobby)
                .with("lobbyTimer", opt_int(timer.map(|d| NOW + d)))
                .with("objectType", ["", "share:password", "file", "room"][object])
                .with("callFlag", flag)
                .with("activeSince", opt_int(since.map(|d| NOW - d)))
                .with("activeGuests", guests)
                .with("defaultPermissions", default)
                .with("callPermissions", call)
                .with("recordingConsent", consent)
                .with("callRecording", rec)
                .with("unknownRoomField", Value::Array(vec![Value::from(1), "x".into()]))
        })
}

fn attendee(id: i64) -> impl Strategy<Value = Value> {
    (0usize..ACTOR_TYPES.len(), 1i64..=6, permissions_col(), 0i64..=1, proptest::option::of(0i64..100)).prop_map(
        move |(kind, pt, perm, notify, joined)| {
            new_object()
                .with("attendeeId", id)
                .with("actorType", ACTOR_TYPES[kind])
                .with("actorId", format!("actor{id}"))
                .with("displayName", if id % 2 == 0 { String::new() } else { format!("Name {id}") })
                .with("participantType", pt)
                .with("permissions", perm)
                .with("lastJoinedCall", opt_int(joined.map(|d| NOW - d)))
                .with("notificationCalls", notify)
                .with("phoneNumber", if kind == 4 { Value::from("+4915012345") } else { Value::Null })
                .with("callId", Value::Null)
                .with("hostNote", new_object().with("kept", true))
        },
    )
}

fn session(index: usize, attendees: usize) -> impl Strategy<Value = Value> {
    (1..=attendees as i64, prop_oneof![Just(0i64), Just(1), Just(3), Just(7), Just(6), Just(15)], 0i64..60).prop_map(
        move |(aid, in_call, age)| {
            new_object()
                .with("sessionId", format!("session{index}"))
                .with("attendeeId", aid)
                .with("inCall", in_call)
                .with("lastPing", NOW - age)
        },
    )
}

fn state() -> impl Strategy<Value = Value> {
    (1usize..6, 0usize..8).prop_flat_map(|(na, ns)| {
        let attendees: Vec<_> = (1..=na as i64).map(attendee).collect();
        let sessions: Vec<_> = (0..ns).map(|i| session(i, na)).collect();
        (config(), room(), attendees, sessions, 0usize..3).prop_map(|(c, r, a, s, foreign)| {
            let foreign: Vec<Value> = (0..foreign)
                .map(|i| {
                    new_object()
                        .with("attendeeId", 100 + i as i64)
                        .with("actorType", if i == 0 { "users" } else { "phones" })
                })
                .collect();
            new_object()
                .with("config", c)
                .with("room", r)
                .with("attendees", Value::Array(a))
                .with("sessions", Value::Array(s))
                .with("foreignAttendees", Value::Array(foreign))
                .with("users", new_object().with("actor2", new_object().with("displayName", "User Two")))
                .with("hostExtension", new_object().with("version", 3))
        })
    })
}

/// A request by one of the attendees (or a stranger), through one of their sessions (or none).
fn request() -> impl Strategy<Value = Value> {
    (
        (0usize..6, 0usize..8, 0usize..10, any::<bool>(), 0i64..8),
        (
            proptest::option::of(0i64..=15),
            proptest::option::of(0i64..=255),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(|((endpoint, who, session, groups, target), (flags, force, all, silent, consent))| {
            let (method, path) = match endpoint {
                0 => ("GET", format!("/call/{TOKEN}")),
                1 => ("POST", format!("/call/{TOKEN}")),
                2 => ("PUT", format!("/call/{TOKEN}")),
                3 => ("DELETE", format!("/call/{TOKEN}")),
                4 => ("POST", format!("/call/{TOKEN}/ring/{}", if target == 7 { 100 } else { target })),
                _ => ("POST", format!("/call/{TOKEN}/dialout/{}", if target == 7 { 101 } else { target })),
            };
            let mut body = new_object().with("all", all).with("silent", silent).with("recordingConsent", consent);
            body.set("flags", opt_int(flags.or(if endpoint == 2 { Some(7) } else { None })));
            body.set("forcePermissions", opt_int(force));
            let mut actor = new_object().with("groups", Value::Array(if groups { vec!["g1".into()] } else { vec![] }));
            // who 0..5 names attendee who+1 (a user id only makes sense for users; the
            // engine finds out), 6..7 a stranger.
            if who < 6 {
                actor.set("userId", format!("actor{}", who + 1).into());
            }
            if session < 8 {
                actor.set("sessionId", format!("session{session}").into());
            }
            new_object()
                .with("method", method)
                .with("path", path)
                .with("body", body)
                .with("actor", actor)
                .with("now", NOW)
        })
}

fn get<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| v.get(k).unwrap_or(&Value::Null))
}

fn rows<'a>(v: &'a Value, table: &str) -> &'a [Value] {
    match v.get(table) {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

/// The caller as the engine resolves it: (attendee row, session id).
fn caller<'a>(st: &'a Value, req: &Value) -> Option<(&'a Value, Option<String>)> {
    let model = input::state(st).ok()?;
    let actor = talk_call_rules::Actor {
        user_id: get(req, &["actor", "userId"]).as_str().map(Into::into),
        session_id: get(req, &["actor", "sessionId"]).as_str().map(Into::into),
        groups: vec![],
    };
    let (a, s) = talk_call_rules::guard::resolve_caller(&model, &actor)?;
    Some((&rows(st, "attendees")[a], s.map(|i| model.sessions[i].session_id.clone())))
}

fn effective(st: &Value, attendee: &Value) -> Permissions {
    let model = input::state(st).unwrap();
    let id = attendee.get("attendeeId").and_then(Value::as_i64).unwrap();
    permissions::effective(&model.config, &model.room, model.attendee(id).unwrap())
}

fn is_moderator(attendee: &Value) -> bool {
    matches!(attendee.get("participantType").and_then(Value::as_i64), Some(1 | 2 | 6))
}

fn effects_of(o: &Outcome, kind: &str) -> usize {
    o.effects.iter().filter(|e| e.to_value().get("type").and_then(Value::as_str) == Some(kind)).count()
}

fn touched_sessions(o: &Outcome) -> Vec<String> {
    o.mutations
        .iter()
        .filter_map(|m| match m {
            talk_call_rules::Mutation::UpdateSession { session_id, .. } => Some(session_id.clone()),
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, .. ProptestConfig::default() })]

    /// evaluate never panics, is deterministic, and its JSON twin agrees.
    #[test]
    fn deterministic_and_twins_agree(st in state(), req in request()) {
        let a = evaluate(&req, &st);
        prop_assert_eq!(&a, &evaluate(&req, &st));
        let via_json = evaluate_json(&req.to_json(), &st.to_json());
        prop_assert_eq!(via_json, a.to_value().to_json());
    }

    /// Only moderators end the call for everyone; nobody else touches other sessions.
    #[test]
    fn only_moderators_end_for_everyone(st in state(), req in request()) {
        let o = evaluate(&req, &st);
        let ended_for_all = o.effects.iter().any(|e| {
            e.to_value().get("message").and_then(Value::as_str) == Some("call_ended_everyone")
        });
        let Some((attendee, session)) = caller(&st, &req) else {
            prop_assert!(o.mutations.is_empty());
            return Ok(());
        };
        let end_all_request = get(&req, &["method"]).as_str() == Some("DELETE")
            && get(&req, &["body", "all"]) == &Value::Bool(true);
        if ended_for_all {
            prop_assert!(is_moderator(attendee) && end_all_request);
        }
        if touched_sessions(&o).iter().any(|s| Some(s) != session.as_ref()) {
            prop_assert!(is_moderator(attendee) && end_all_request, "another session was touched");
        }
    }

    /// The lobby holds back every non-moderator without LOBBY_IGNORE (GET and POST).
    #[test]
    fn lobby_holds(st in state(), req in request()) {
        let o = evaluate(&req, &st);
        let method = get(&req, &["method"]).as_str().unwrap_or_default();
        let plain = !get(&req, &["path"]).as_str().unwrap_or_default().contains("/ring/")
            && !get(&req, &["path"]).as_str().unwrap_or_default().contains("/dialout/");
        let lobby_on = get(&st, &["room", "lobbyState"]).as_i64() == Some(1)
            && get(&st, &["room", "lobbyTimer"]).as_i64().is_none_or(|t| t >= NOW);
        if o.status == 200 && plain && (method == "GET" || method == "POST") && lobby_on {
            let (attendee, _) = caller(&st, &req).expect("a 200 has a caller");
            prop_assert!(is_moderator(attendee) || effective(&st, attendee).contains(Permissions::LOBBY_IGNORE));
        }
    }

    /// Nobody joins a read-only or changelog conversation.
    #[test]
    fn no_join_when_read_only(st in state(), req in request()) {
        let o = evaluate(&req, &st);
        let join = get(&req, &["method"]).as_str() == Some("POST") && !get(&req, &["path"]).as_str().unwrap().contains("/ring/")
            && !get(&req, &["path"]).as_str().unwrap().contains("/dialout/");
        let locked = get(&st, &["room", "readOnly"]).as_i64() == Some(1) || get(&st, &["room", "type"]).as_i64() == Some(4);
        prop_assert!(!(join && locked && o.status == 200));
    }

    /// Stored flags never carry audio or video the caller may not publish.
    #[test]
    fn flags_respect_publish_permissions(st in state(), req in request()) {
        let o = evaluate(&req, &st);
        let Some((attendee, Some(session))) = caller(&st, &req) else { return Ok(()) };
        let perm = effective(&st, attendee);
        let is_end_all = effects_of(&o, "systemMessage") > 0 && touched_sessions(&o).len() > 1;
        for m in &o.mutations {
            if let talk_call_rules::Mutation::UpdateSession { session_id, set } = m {
                if *session_id != session || is_end_all { continue; }
                let flags = InCall::from_column(set.iter().find(|(k, _)| *k == talk_call_rules::apply::SessionColumn::InCall).and_then(|(_, v)| v.as_i64()).unwrap());
                prop_assert!(!flags.contains(InCall::WITH_AUDIO) || perm.contains(Permissions::PUBLISH_AUDIO));
                prop_assert!(!flags.contains(InCall::WITH_VIDEO) || perm.contains(Permissions::PUBLISH_VIDEO));
            }
        }
    }

    /// Ring and dial-out need CALL_START; a call is only started by someone who may start it.
    #[test]
    fn starting_and_ringing_need_permission(st in state(), req in request()) {
        let o = evaluate(&req, &st);
        let asked = effects_of(&o, "ring") + effects_of(&o, "dialOut");
        if asked > 0 {
            let (attendee, _) = caller(&st, &req).unwrap();
            prop_assert!(effective(&st, attendee).contains(Permissions::CALL_START));
        }
        let after = apply(&st, &Value::Array(o.mutations.iter().map(|m| m.to_value()).collect())).unwrap();
        let started = get(&st, &["room", "activeSince"]).is_null() && !get(&after, &["room", "activeSince"]).is_null();
        if started {
            let model = input::state(&st).unwrap();
            let (attendee, _) = caller(&st, &req).unwrap();
            let a = model.attendee(attendee.get("attendeeId").and_then(Value::as_i64).unwrap()).unwrap();
            let video_verification = model.room.room_type == talk_call_rules::RoomType::Public
                && model.room.object_type == "share:password";
            // A fresh session already flagged in the call lets anyone join; the
            // server then also marks the call active (`lib/Listener/RestrictStartingCalls.php::handle`
            // lets it through on `hasActiveSessionsInCall`, `lib/Activity/Listener.php::setActive`).
            prop_assert!(permissions::can_start_call(&model.config, &model.room, a) || video_verification || model.call_alive(NOW));
        }
    }

    /// Failures change nothing, except what the server also persists before failing:
    /// the reset of an expired lobby timer, and (POST) forcePermissions. Effects on
    /// failure are limited to the consent record, the one-to-one refill and the
    /// system message of a lifted lobby.
    #[test]
    fn failures_change_nothing_else(st in state(), req in request()) {
        let o = evaluate(&req, &st);
        if o.status < 400 { return Ok(()); }
        for m in &o.mutations {
            let v = m.to_value();
            let keys: Vec<&str> = match v.get("set") { Some(Value::Object(s)) => s.keys().map(String::as_str).collect(), _ => vec![] };
            let allowed = match v.get("op").and_then(Value::as_str) {
                Some("updateRoom") => keys.iter().all(|k| ["lobbyState", "lobbyTimer", "callPermissions"].contains(k)),
                Some("updateAttendee") => keys == ["permissions"],
                _ => false,
            };
            prop_assert!(allowed, "{}", v.to_json());
        }
        for e in &o.effects {
            let v = e.to_value();
            let t = v.get("type").and_then(Value::as_str).unwrap().to_string();
            let lobby_lifted = t == "systemMessage"
                && matches!(v.get("message").and_then(Value::as_str), Some("lobby_timer_reached" | "breakout_rooms_started"));
            prop_assert!(t == "storeRecordingConsent" || t == "ensureOneToOneFilled" || lobby_lifted, "{}", t);
        }
    }

    /// apply keeps every field it does not own, and an empty list changes nothing.
    #[test]
    fn apply_preserves_unknown_fields(st in state(), req in request()) {
        prop_assert_eq!(apply(&st, &Value::Array(vec![])).unwrap(), st.clone());
        let o = evaluate(&req, &st);
        let after = apply(&st, &Value::Array(o.mutations.iter().map(|m| m.to_value()).collect())).unwrap();
        prop_assert_eq!(after.get("hostExtension"), st.get("hostExtension"));
        prop_assert_eq!(get(&after, &["room", "unknownRoomField"]), get(&st, &["room", "unknownRoomField"]));
        for (a, b) in rows(&after, "attendees").iter().zip(rows(&st, "attendees")) {
            prop_assert_eq!(a.get("hostNote"), b.get("hostNote"));
        }
        prop_assert_eq!(rows(&after, "sessions").len(), rows(&st, "sessions").len());
        // The new state is still valid input.
        prop_assert!(input::state(&after).is_ok());
    }

    /// Any text at all: never a panic, always an outcome.
    #[test]
    fn arbitrary_text_is_answered(req in ".{0,200}", st in ".{0,200}") {
        let out = evaluate_json(&req, &st);
        prop_assert!(parse(&out).is_ok());
    }

    /// Any string survives the writer and the reader, as a value, as a key and as a display
    /// name in an answer.
    #[test]
    fn strings_round_trip(text in "(\\PC|[\"\\\\\u{0}-\u{1f}\u{7f}-\u{a0}\u{2028}\u{fffd}]){0,40}") {
        let v = Value::String(text.clone());
        prop_assert_eq!(parse(&v.to_json()).unwrap(), v);
        let obj = new_object().with(&text, 1);
        prop_assert_eq!(parse(&obj.to_json()).unwrap(), obj);
        let st = format!(
            r#"{{"room":{{"token":"{TOKEN}","type":3,"callFlag":1,"activeSince":{NOW}}},"attendees":[{{"attendeeId":1,"actorType":"guests","actorId":"g","displayName":{},"participantType":4}}],"sessions":[{{"sessionId":"s","attendeeId":1,"inCall":1,"lastPing":{NOW}}}]}}"#,
            Value::String(text.clone()).to_json()
        );
        let req = format!(r#"{{"method":"GET","path":"/call/{TOKEN}","actor":{{"sessionId":"s"}},"now":{NOW}}}"#);
        let out = parse(&evaluate_json(&req, &st)).unwrap();
        let name = out.get("data").and_then(|d| match d { Value::Array(a) => a.first(), _ => None }).and_then(|p| p.get("displayName"));
        prop_assert_eq!(name, Some(&Value::String(text)), "{:?}", out);
    }

    /// Every entry of allowedActions is exactly what evaluate answers for its request.
    #[test]
    fn allowed_actions_agree_with_evaluate(st in state(), req in request()) {
        let actor = req.get("actor").unwrap().clone();
        let map = talk_call_rules::allowed_actions(&st, &actor, NOW, &Value::Null).unwrap();
        let mut entries: Vec<&Value> = ["join", "updateFlags", "leave", "endForEveryone", "peers"]
            .iter().map(|k| map.get(k).unwrap()).collect();
        for list in ["ring", "dialOut"] {
            if let Some(Value::Array(a)) = map.get(list) { entries.extend(a.iter()); }
        }
        for e in entries {
            let r = e.get("request").unwrap();
            let full = r.clone().with("actor", actor.clone()).with("now", NOW);
            let o = evaluate(&full, &st);
            prop_assert_eq!(e.get("status").and_then(Value::as_i64), Some(i64::from(o.status)));
            prop_assert_eq!(e.get("reason").and_then(Value::as_str), Some(o.reason.code()));
        }
        let join = map.get("join").unwrap();
        if join.get("allowed") == Some(&Value::Bool(true)) {
            let flags = join.get("flags").and_then(Value::as_i64).expect("an allowed join says its flags");
            let (attendee, _) = caller(&st, &req).unwrap();
            let perm = effective(&st, attendee);
            let f = InCall::from_column(flags);
            prop_assert!(!f.contains(InCall::WITH_AUDIO) || perm.contains(Permissions::PUBLISH_AUDIO));
        }
    }
}
