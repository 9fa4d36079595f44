//! What the engine answers: status, body, reason code, mutations and effects,
//! and the OCS v2 envelope the server would wrap them in.

use crate::json::Value;

/// The reason codes, each once: variant, code, the statuses it comes with, the stable English
/// sentence `explain()` gives, and when the Talk 18 server answers it. Everything else (the JS
/// and PHP copies, the `.d.ts` union, the README table) is generated from this table by
/// `cargo xtask gen` and checked against it.
macro_rules! reasons {
    ($($variant:ident = $code:literal, [$($status:literal),+], $sentence:literal, $when:literal;)+) => {
        /// One stable code per distinct rule. Serialised in kebab-case.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Reason {
            $($variant,)+
        }

        impl Reason {
            pub const ALL: &'static [Reason] = &[$(Reason::$variant,)+];

            pub fn code(self) -> &'static str {
                match self {
                    $(Reason::$variant => $code,)+
                }
            }

            /// The HTTP statuses an outcome with this reason carries.
            pub fn statuses(self) -> &'static [u16] {
                match self {
                    $(Reason::$variant => &[$($status),+],)+
                }
            }

            /// A stable English sentence for users (translate by the code).
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Reason::$variant => $sentence,)+
                }
            }

            /// When the server answers it (for developers: the README table).
            pub fn when(self) -> &'static str {
                match self {
                    $(Reason::$variant => $when,)+
                }
            }
        }
    };
}

reasons! {
    Ok = "ok", [200, 201], "The server would accept this request.",
        "the request succeeds (201: dial-out sent)";
    NoRoute = "no-route", [404],
        "This is not a Talk call API v4 endpoint (unknown path, API version or conversation token).",
        "no route: another API version, a token outside `[a-z0-9]{4,30}`, an unknown path";
    MethodNotAllowed = "method-not-allowed", [405], "This endpoint does not accept this HTTP method.",
        "a known path with another method; `data` is null (the router answers before any OCS envelope)";
    TalkNotAllowed = "talk-not-allowed", [403], "You are not in a group that is allowed to use Talk.",
        "a logged-in user outside `allowed_groups` (every endpoint)";
    CallsDisabled = "calls-disabled", [403], "Calls are disabled on this server.",
        "`start_calls` = 3 on GET, POST, ring, dial-out — before the room is looked up";
    NotFound = "not-found", [404], "The conversation does not exist or you are not a participant.",
        "the conversation does not exist, is not visible to the caller, or the caller is not a participant";
    ReadOnly = "read-only", [403], "The conversation is read-only, so its call can not be joined or listed.",
        "GET/POST in a read-only or changelog conversation";
    Lobby = "lobby", [412], "The lobby is active and you are not a moderator.",
        "GET/POST while the lobby is active, by a non-moderator without LOBBY_IGNORE";
    NoStartPermission = "no-start-permission", [403],
        "You lack the permission to start calls, which ringing and dialing out need.",
        "ring/dial-out by a caller without CALL_START";
    Consent = "consent", [400], "You have to consent to the recording of this call before joining it.",
        "POST without recording consent where it is required (`data` `{\"error\":\"consent\"}`)";
    NoSession = "no-session", [404], "You have not joined the conversation (there is no room session).",
        "POST/PUT/DELETE by a participant without a room session";
    ConversationType = "conversation-type", [400], "This type of conversation has no calls.",
        "POST in a note-to-self or former one-to-one conversation";
    CannotStartCall = "cannot-start-call", [403],
        "You may not start a call here; you can join once somebody who may start it has.",
        "the join would start the call and the caller may not start calls (message \"Can not start a call\")";
    NotInCall = "not-in-call", [400], "You are not in the call.",
        "PUT while the session is not in the call; ring/dial-out while the caller's session is not";
    FlagsWithoutInCall = "flags-without-in-call", [400],
        "The new call flags must keep 'in call'; leave the call to leave it.",
        "PUT flags without IN_CALL (PUT never joins or leaves)";
    NoCall = "no-call", [400], "There is no call running in this conversation.",
        "ring/dial-out while no call runs";
    ActorType = "actor-type", [400], "Only users can be rung.",
        "ring target is not a user, checked before the conversation matches (`data` `[]`)";
    TargetNotFound = "target-not-found", [404],
        "That participant is not in this conversation (or can not be called this way).",
        "ring/dial-out target unknown or in another conversation; dial-out target not a phone";
    TargetInCall = "target-in-call", [200], "That participant is already in the call; nothing would be sent.",
        "ring target already in the call: nothing is sent";
    DialOutUnavailable = "dial-out-unavailable", [501],
        "Dialing out needs an external signaling server (High-performance backend).",
        "dial-out without an external signaling server";
    BadInput = "bad-input", [400], "The request or the stored state is malformed.",
        "malformed input (see Limits); `data` `{\"error\":\"bad-input\",\"detail\":…}`; no mutations";
}

impl Reason {
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.iter().copied().find(|r| r.code() == code)
    }
}

/// A row change the host persists, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Mutation {
    UpdateRoom { set: Vec<(&'static str, Value)> },
    UpdateSession { session_id: String, set: Vec<(&'static str, Value)> },
    UpdateAttendee { attendee_id: i64, set: Vec<(&'static str, Value)> },
}

/// A side effect the host carries out; it changes none of the rows above.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    StoreRecordingConsent { actor_type: String, actor_id: String },
    EnsureOneToOneFilled,
    NotifyCallStarted { attendee_ids: Vec<i64>, silent: bool },
    Ring { attendee_id: i64 },
    DialOut { attendee_id: i64, number: Option<String>, actor_id: String },
    SystemMessage { message: &'static str, actor_type: String, actor_id: String, silent: Option<bool> },
    StopRecording,
    SignalingInCall { session_ids: Vec<String>, in_call: i64 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub status: u16,
    pub data: Value,
    pub message: &'static str,
    pub reason: Reason,
    pub detail: Option<String>,
    pub mutations: Vec<Mutation>,
    pub effects: Vec<Effect>,
}

impl Outcome {
    /// An answer with Talk 18's empty body `[]` and no message.
    pub fn empty(status: u16, reason: Reason) -> Outcome {
        Outcome {
            status,
            data: Value::Array(Vec::new()),
            message: "",
            reason,
            detail: None,
            mutations: Vec::new(),
            effects: Vec::new(),
        }
    }

    /// A controller `DataResponse(['error' => $code], $status)`.
    pub fn error(status: u16, reason: Reason) -> Outcome {
        let mut o = Outcome::empty(status, reason);
        o.data = Value::object().with("error", reason.code());
        o
    }

    pub fn bad_input(detail: impl Into<String>) -> Outcome {
        let detail = detail.into();
        let mut o = Outcome::empty(400, Reason::BadInput);
        o.data = Value::object().with("error", "bad-input").with("detail", detail.as_str());
        o.detail = Some(detail);
        o
    }

    /// The outcome as JSON text, the same as `to_value().to_json()`, written
    /// straight from the fields: the body (10,000 peers in a large call) is not
    /// copied into a second tree first.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(128);
        out.push_str("{\"status\":");
        crate::json::write_int(i64::from(self.status), &mut out);
        out.push_str(",\"data\":");
        self.data.write_json(&mut out);
        out.push_str(",\"message\":");
        crate::json::write_str(self.message, &mut out);
        out.push_str(",\"reason\":");
        crate::json::write_str(self.reason.code(), &mut out);
        out.push_str(",\"mutations\":[");
        for (i, m) in self.mutations.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            m.to_value().write_json(&mut out);
        }
        out.push_str("],\"effects\":[");
        for (i, e) in self.effects.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            e.to_value().write_json(&mut out);
        }
        out.push_str("]}");
        out
    }

    pub fn to_value(&self) -> Value {
        Value::object()
            .with("status", i64::from(self.status))
            .with("data", self.data.clone())
            .with("message", self.message)
            .with("reason", self.reason.code())
            .with("mutations", Value::Array(self.mutations.iter().map(Mutation::to_value).collect()))
            .with("effects", Value::Array(self.effects.iter().map(Effect::to_value).collect()))
    }
}

fn set_value(set: &[(&'static str, Value)]) -> Value {
    Value::Object(set.iter().map(|(k, v)| ((*k).into(), v.clone())).collect())
}

impl Mutation {
    pub fn to_value(&self) -> Value {
        match self {
            Mutation::UpdateRoom { set } => Value::object().with("op", "updateRoom").with("set", set_value(set)),
            Mutation::UpdateSession { session_id, set } => Value::object()
                .with("op", "updateSession")
                .with("sessionId", session_id.as_str())
                .with("set", set_value(set)),
            Mutation::UpdateAttendee { attendee_id, set } => Value::object()
                .with("op", "updateAttendee")
                .with("attendeeId", *attendee_id)
                .with("set", set_value(set)),
        }
    }
}

impl Effect {
    pub fn to_value(&self) -> Value {
        let e = |t: &str| Value::object().with("type", t);
        match self {
            Effect::StoreRecordingConsent { actor_type, actor_id } => {
                e("storeRecordingConsent").with("actorType", actor_type.as_str()).with("actorId", actor_id.as_str())
            }
            Effect::EnsureOneToOneFilled => e("ensureOneToOneFilled"),
            Effect::NotifyCallStarted { attendee_ids, silent } => e("notifyCallStarted")
                .with("attendeeIds", Value::Array(attendee_ids.iter().map(|&i| Value::Int(i)).collect()))
                .with("silent", *silent),
            Effect::Ring { attendee_id } => e("ring").with("attendeeId", *attendee_id),
            Effect::DialOut { attendee_id, number, actor_id } => e("dialOut")
                .with("attendeeId", *attendee_id)
                .with("number", number.clone())
                .with("actorId", actor_id.as_str()),
            Effect::SystemMessage { message, actor_type, actor_id, silent } => {
                let v = e("systemMessage")
                    .with("message", *message)
                    .with("actorType", actor_type.as_str())
                    .with("actorId", actor_id.as_str());
                match silent {
                    Some(s) => v.with("silent", *s),
                    None => v,
                }
            }
            Effect::StopRecording => e("stopRecording"),
            Effect::SignalingInCall { session_ids, in_call } => e("signalingInCall")
                .with("sessionIds", Value::Array(session_ids.iter().map(|s| Value::from(s.as_str())).collect()))
                .with("inCall", *in_call),
        }
    }
}

/// The OCS v2 envelope for a status, message and body (Talk 18 / Nextcloud 28).
pub fn envelope(status: i64, message: &str, data: Value) -> Value {
    let ok = (200..300).contains(&status);
    let meta = Value::object()
        .with("status", if ok { "ok" } else { "failure" })
        .with("statuscode", status)
        .with("message", if ok { "OK" } else { message });
    Value::object().with("ocs", Value::object().with("meta", meta).with("data", data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_statuses_and_its_own_sentence() {
        for (i, r) in Reason::ALL.iter().enumerate() {
            let s = r.explanation();
            assert!(s.ends_with('.') && s.len() > 10, "{}", r.code());
            assert!(Reason::ALL[..i].iter().all(|o| o.explanation() != s));
            assert!(!r.statuses().is_empty() && r.statuses().iter().all(|s| (200..600).contains(s)));
            assert!(!r.when().is_empty());
        }
    }

    #[test]
    fn codes_are_unique_kebab_case_and_round_trip() {
        for (i, r) in Reason::ALL.iter().enumerate() {
            let c = r.code();
            assert!(c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'), "{c}");
            assert_eq!(Reason::from_code(c), Some(*r));
            assert!(Reason::ALL[..i].iter().all(|o| o.code() != c));
        }
    }

    #[test]
    fn envelope_marks_success_and_failure() {
        let ok = envelope(200, "", Value::Array(vec![]));
        assert_eq!(ok.to_json(), r#"{"ocs":{"meta":{"status":"ok","statuscode":200,"message":"OK"},"data":[]}}"#);
        let e = envelope(403, "Can not start a call", Value::Array(vec![]));
        assert_eq!(
            e.to_json(),
            r#"{"ocs":{"meta":{"status":"failure","statuscode":403,"message":"Can not start a call"},"data":[]}}"#
        );
        let created = envelope(201, "", Value::Array(vec![]));
        assert!(created.to_json().contains(r#""status":"ok","statuscode":201"#));
    }

    #[test]
    fn error_bodies_carry_the_code() {
        let o = Outcome::error(400, Reason::Consent);
        assert_eq!(o.data.to_json(), r#"{"error":"consent"}"#);
        let b = Outcome::bad_input("request.now: required");
        assert_eq!(b.to_value().get("reason").and_then(Value::as_str), Some("bad-input"));
        assert_eq!(b.to_json(), b.to_value().to_json());
        assert_eq!(b.data.get("detail").and_then(Value::as_str), Some("request.now: required"));
    }
}
