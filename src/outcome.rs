//! What the engine answers: status, body, reason code, mutations and effects,
//! and the OCS v2 envelope the server would wrap them in.

use crate::json::Value;

/// One stable code per distinct rule. Serialised in kebab-case; documented in README.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Ok,
    NoRoute,
    MethodNotAllowed,
    TalkNotAllowed,
    CallsDisabled,
    NotFound,
    ReadOnly,
    Lobby,
    NoStartPermission,
    Consent,
    NoSession,
    ConversationType,
    CannotStartCall,
    NotInCall,
    FlagsWithoutInCall,
    NoCall,
    ActorType,
    TargetNotFound,
    TargetInCall,
    DialOutUnavailable,
    BadInput,
}

impl Reason {
    pub const ALL: [Reason; 21] = [
        Reason::Ok,
        Reason::NoRoute,
        Reason::MethodNotAllowed,
        Reason::TalkNotAllowed,
        Reason::CallsDisabled,
        Reason::NotFound,
        Reason::ReadOnly,
        Reason::Lobby,
        Reason::NoStartPermission,
        Reason::Consent,
        Reason::NoSession,
        Reason::ConversationType,
        Reason::CannotStartCall,
        Reason::NotInCall,
        Reason::FlagsWithoutInCall,
        Reason::NoCall,
        Reason::ActorType,
        Reason::TargetNotFound,
        Reason::TargetInCall,
        Reason::DialOutUnavailable,
        Reason::BadInput,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::Ok => "ok",
            Reason::NoRoute => "no-route",
            Reason::MethodNotAllowed => "method-not-allowed",
            Reason::TalkNotAllowed => "talk-not-allowed",
            Reason::CallsDisabled => "calls-disabled",
            Reason::NotFound => "not-found",
            Reason::ReadOnly => "read-only",
            Reason::Lobby => "lobby",
            Reason::NoStartPermission => "no-start-permission",
            Reason::Consent => "consent",
            Reason::NoSession => "no-session",
            Reason::ConversationType => "conversation-type",
            Reason::CannotStartCall => "cannot-start-call",
            Reason::NotInCall => "not-in-call",
            Reason::FlagsWithoutInCall => "flags-without-in-call",
            Reason::NoCall => "no-call",
            Reason::ActorType => "actor-type",
            Reason::TargetNotFound => "target-not-found",
            Reason::TargetInCall => "target-in-call",
            Reason::DialOutUnavailable => "dial-out-unavailable",
            Reason::BadInput => "bad-input",
        }
    }

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
    Value::Object(set.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
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
        assert_eq!(b.data.get("detail").and_then(Value::as_str), Some("request.now: required"));
    }
}
