//! What the engine answers: status, body, reason code, mutations and effects,
//! and the OCS v2 envelope the server would wrap them in.

use crate::apply::{AttendeeColumn, RoomColumn, SessionColumn, Writable};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Value};
use std::borrow::Cow;

/// The reason codes, each once: variant, code, the statuses it comes with, the stable English
/// sentence `explain()` gives, and when the Talk 18 server answers it. Everything else (the JS
/// and PHP copies, the `.d.ts` union, the table in `docs/reasons.md`) is generated from this table by
/// `cargo xtask gen` and checked against it.
macro_rules! reasons {
    ($($variant:ident = $code:literal, [$($status:literal),+], $sentence:literal, $when:literal;)+) => {
        /// One stable code per distinct rule. Serialised in kebab-case. New rules of later
        /// Talk versions add codes, so matches need a wildcard arm.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Reason {
            $(#[doc = $when] $variant,)+
        }

        impl Reason {
            /// Every reason, in the table's order.
            pub const ALL: &'static [Reason] = &[$(Reason::$variant,)+];

            /// The stable kebab-case code (`"bad-input"`).
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

            /// When the server answers it (for developers: the table in `docs/reasons.md`).
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
        "malformed input (limits: docs/robustness.md); `data` `{\"error\":\"bad-input\",\"detail\":…}`; no mutations";
}

impl Reason {
    /// The reason with this code, if any.
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.iter().copied().find(|r| r.code() == code)
    }
}

/// The code (`"bad-input"`).
impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Reason, D::Error> {
        let code = std::borrow::Cow::<str>::deserialize(d)?;
        Reason::from_code(&code).ok_or_else(|| de::Error::custom(format_args!("{code:?} is not a reason code")))
    }
}

/// The columns a mutation sets, in the order the server writes them: `{ column: value }`.
/// Only the writable columns of the mutation's table can be named: `C` is its enum
/// ([`RoomColumn`], [`SessionColumn`], [`AttendeeColumn`]; `facts()`'s `columns`).
#[derive(Clone, Debug, PartialEq)]
pub struct Set<C>(pub Vec<(C, Value)>);

impl<C> Default for Set<C> {
    fn default() -> Self {
        Set(Vec::new())
    }
}

impl<C> std::ops::Deref for Set<C> {
    type Target = [(C, Value)];
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// `{ fieldName: value }`.
impl<C: Writable> Serialize for Set<C> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k.name(), v)))
    }
}

impl<'de, C: Writable> Deserialize<'de> for Set<C> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Set<C>, D::Error> {
        let members = crate::document::Tree::deserialize(d)?.0;
        let Value::Object(m) = members else {
            return Err(de::Error::custom(format_args!("expected an object, got {}", kind(&members))));
        };
        let mut set = Vec::with_capacity(m.len());
        for (k, v) in m {
            let Some(column) = C::from_name(&k) else {
                let table = C::TABLE.name;
                return Err(de::Error::custom(format_args!("{k:?} is not a writable column of {table}")));
            };
            set.push((column, v));
        }
        Ok(Set(set))
    }
}

/// A row change the host persists, in order (`{ op, …, set }`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum Mutation {
    /// `updateRoom`: columns of `state.room`.
    UpdateRoom {
        /// The columns and their new values.
        set: Set<RoomColumn>,
    },
    /// `updateSession`: columns of the session row with this id.
    UpdateSession {
        /// The row's `sessionId`.
        session_id: String,
        /// The columns and their new values.
        set: Set<SessionColumn>,
    },
    /// `updateAttendee`: columns of the attendee row with this id.
    UpdateAttendee {
        /// The row's `attendeeId`.
        attendee_id: i64,
        /// The columns and their new values.
        set: Set<AttendeeColumn>,
    },
}

/// A system message of the chat the call rules post, by Talk's name for it (Talk 18
/// `lib/Chat/SystemMessage/Listener.php` and `lib/Activity/Listener.php::generateCallActivity`
/// post them; `lib/Chat/Parser/SystemMessage.php` renders them). Serialised as the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SystemMessage {
    /// `call_started`: the first session joined the call (`sendSystemMessageAboutBeginOfCall`).
    CallStarted,
    /// `call_joined`: a session joined a call others are in (`sendSystemMessageAboutBeginOfCall`).
    CallJoined,
    /// `call_left`: a session left the call (`sendSystemMessageAboutCallLeft`).
    CallLeft,
    /// `call_ended`: the call ended when its last session left (`generateCallActivity`).
    CallEnded,
    /// `call_ended_everyone`: a moderator ended the call for everyone (`generateCallActivity`).
    CallEndedEveryone,
    /// `call_missed`: a one-to-one call only one user joined ended (`generateCallActivity`).
    CallMissed,
    /// `lobby_timer_reached`: the lobby timer passed and lifted the lobby (`sendSystemLobbyMessage`).
    LobbyTimerReached,
    /// `breakout_rooms_started`: the same in a breakout room (`sendSystemLobbyMessage`).
    BreakoutRoomsStarted,
}

impl SystemMessage {
    /// Every system message, in the order of `SYSTEM_MESSAGES`.
    pub const ALL: [SystemMessage; 8] = [
        SystemMessage::CallStarted,
        SystemMessage::CallJoined,
        SystemMessage::CallLeft,
        SystemMessage::CallEnded,
        SystemMessage::CallEndedEveryone,
        SystemMessage::CallMissed,
        SystemMessage::LobbyTimerReached,
        SystemMessage::BreakoutRoomsStarted,
    ];

    /// Talk's name of the message (`"call_started"`).
    pub const fn name(self) -> &'static str {
        match self {
            SystemMessage::CallStarted => "call_started",
            SystemMessage::CallJoined => "call_joined",
            SystemMessage::CallLeft => "call_left",
            SystemMessage::CallEnded => "call_ended",
            SystemMessage::CallEndedEveryone => "call_ended_everyone",
            SystemMessage::CallMissed => "call_missed",
            SystemMessage::LobbyTimerReached => "lobby_timer_reached",
            SystemMessage::BreakoutRoomsStarted => "breakout_rooms_started",
        }
    }

    /// The message with this name.
    pub fn from_name(name: &str) -> Option<SystemMessage> {
        SystemMessage::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// The names of the system messages the call rules post ([`SystemMessage::name`]).
pub const SYSTEM_MESSAGES: [&str; SystemMessage::ALL.len()] = {
    let mut names = [""; SystemMessage::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = SystemMessage::ALL[i].name();
        i += 1;
    }
    names
};

/// The name (`"call_started"`).
impl Serialize for SystemMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for SystemMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SystemMessage, D::Error> {
        let m = Cow::<str>::deserialize(d)?;
        SystemMessage::from_name(&m)
            .ok_or_else(|| de::Error::custom(format_args!("{m:?} is not a system message of the call rules")))
    }
}

/// A side effect the host carries out; it changes none of the rows above (`{ type, … }`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum Effect {
    /// Store that this actor consented to the call's recording (`talk_consent`).
    StoreRecordingConsent {
        /// The consenting actor's type (`users`, `guests`, …).
        actor_type: String,
        /// The consenting actor's id.
        actor_id: String,
    },
    /// Add the other user of a one-to-one conversation back before the call starts.
    EnsureOneToOneFilled,
    /// Send the "call started" notifications.
    NotifyCallStarted {
        /// The attendees notified.
        attendee_ids: Vec<i64>,
        /// The caller asked for a silent call: notifications are sent silently.
        silent: bool,
    },
    /// Ring one attendee (a call notification to that user).
    Ring {
        /// The attendee rung.
        attendee_id: i64,
    },
    /// Ask the signaling server to dial a phone attendee out.
    DialOut {
        /// The phone attendee.
        attendee_id: i64,
        /// The number to dial (the attendee's phone number), when known.
        number: Option<String>,
        /// The attendee's actor id.
        actor_id: String,
    },
    /// Post a system message in the conversation's chat.
    SystemMessage {
        /// The message, as Talk names it (`call_started`, …).
        message: SystemMessage,
        /// The actor type the message is posted as.
        actor_type: String,
        /// The actor id the message is posted as.
        actor_id: String,
        /// Posted silently (no notification), when the message carries the flag.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        silent: Option<bool>,
    },
    /// Stop the running recording (the call ended).
    StopRecording,
    /// Tell the signaling server these sessions' call flags changed.
    SignalingInCall {
        /// The sessions whose flags changed.
        session_ids: Vec<String>,
        /// Their new flags.
        in_call: i64,
    },
}

/// One entry of `GET /call/{token}`: a session in the call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    /// The attendee's actor type.
    pub actor_type: String,
    /// The attendee's actor id.
    pub actor_id: String,
    /// The display name the server shows for the actor.
    pub display_name: String,
    /// The conversation's token.
    pub token: String,
    /// The session's last ping (Unix seconds).
    pub last_ping: i64,
    /// The session id.
    pub session_id: String,
}

/// The response body: the peers of a call, or any other JSON (`[]`, `{"error": …}`, null).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Data {
    /// The body of `GET /call/{token}`.
    Peers(Vec<Peer>),
    /// Any other body.
    Json(Value),
}

impl Data {
    /// The body as a JSON value.
    pub fn to_value(&self) -> Value {
        match self {
            Data::Json(v) => v.clone(),
            peers => serde_json::to_value(peers).unwrap_or(Value::Null),
        }
    }
}

/// What the server would answer: the HTTP status, the OCS `data` and `message`, the reason
/// code, and the row mutations and side effects the host carries out, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The HTTP status (and the OCS v2 status code).
    pub status: u16,
    /// The OCS `data`.
    pub data: Data,
    /// The OCS `meta.message` ("OK" on success).
    pub message: Cow<'static, str>,
    /// Why: one stable code per rule.
    pub reason: Reason,
    /// The bad-input detail (also in `data.detail`).
    #[serde(skip)]
    pub detail: Option<String>,
    /// The row changes to persist, in order.
    pub mutations: Vec<Mutation>,
    /// The side effects to carry out, in order, after the rows are stored.
    pub effects: Vec<Effect>,
}

impl Outcome {
    /// An answer with Talk 18's empty body `[]` and no message.
    pub fn empty(status: u16, reason: Reason) -> Outcome {
        Outcome {
            status,
            data: Data::Json(Value::Array(Vec::new())),
            message: Cow::Borrowed(""),
            reason,
            detail: None,
            mutations: Vec::new(),
            effects: Vec::new(),
        }
    }

    /// A controller `DataResponse(['error' => $code], $status)`.
    pub fn error(status: u16, reason: Reason) -> Outcome {
        let mut o = Outcome::empty(status, reason);
        o.data = Data::Json(json!({ "error": reason.code() }));
        o
    }

    /// A 400 `bad-input` answer: `data` is `{"error": "bad-input", "detail": …}`.
    pub fn bad_input(detail: impl Into<String>) -> Outcome {
        let detail = detail.into();
        let mut o = Outcome::empty(400, Reason::BadInput);
        o.data = Data::Json(json!({ "error": "bad-input", "detail": detail }));
        o.detail = Some(detail);
        o
    }

    /// The outcome as JSON text, written into a buffer sized for it (a peers list of 10,000
    /// sessions is about 1.9 MB: grown from empty, it would be copied some twenty times).
    pub fn to_json(&self) -> String {
        let size = match &self.data {
            Data::Peers(peers) => 256 + peers.len() * 200,
            Data::Json(_) => 256,
        };
        let mut out = Vec::with_capacity(size);
        match serde_json::to_writer(&mut out, self) {
            // serde_json writes UTF-8 only.
            Ok(()) => String::from_utf8(out).unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The outcome as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Mutation {
    /// The mutation as a JSON value (`{ op, …, set }`).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Effect {
    /// The effect as a JSON value (`{ type, … }`).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A short name of a JSON value's type, for error details.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The OCS v2 envelope for a status, message and body (Talk 18 / Nextcloud 28).
pub fn envelope(status: i64, message: &str, data: Value) -> Value {
    let ok = (200..300).contains(&status);
    json!({
        "ocs": {
            "meta": {
                "status": if ok { "ok" } else { "failure" },
                "statuscode": status,
                "message": if ok { "OK" } else { message },
            },
            "data": data,
        }
    })
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
        assert_eq!(ok.to_string(), r#"{"ocs":{"meta":{"status":"ok","statuscode":200,"message":"OK"},"data":[]}}"#);
        let e = envelope(403, "Can not start a call", Value::Array(vec![]));
        assert_eq!(
            e.to_string(),
            r#"{"ocs":{"meta":{"status":"failure","statuscode":403,"message":"Can not start a call"},"data":[]}}"#
        );
        let created = envelope(201, "", Value::Array(vec![]));
        assert!(created.to_string().contains(r#""status":"ok","statuscode":201"#));
    }

    #[test]
    fn error_bodies_carry_the_code() {
        let o = Outcome::error(400, Reason::Consent);
        assert_eq!(o.data.to_value().to_string(), r#"{"error":"consent"}"#);
        let b = Outcome::bad_input("request.now: required");
        assert_eq!(b.to_value().get("reason").and_then(Value::as_str), Some("bad-input"));
        assert_eq!(b.to_json(), b.to_value().to_string());
        assert_eq!(b.data.to_value().get("detail").and_then(Value::as_str), Some("request.now: required"));
        assert_eq!(
            b.to_json(),
            r#"{"status":400,"data":{"error":"bad-input","detail":"request.now: required"},"message":"","reason":"bad-input","mutations":[],"effects":[]}"#
        );
    }

    #[test]
    fn system_messages_are_their_names() {
        assert_eq!(SYSTEM_MESSAGES.len(), SystemMessage::ALL.len());
        for (name, m) in SYSTEM_MESSAGES.iter().zip(SystemMessage::ALL) {
            assert_eq!(m.name(), *name);
            assert_eq!(SystemMessage::from_name(name), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), json!(name));
            assert_eq!(serde_json::from_value::<SystemMessage>(json!(name)).unwrap(), m);
        }
        let e = serde_json::from_value::<SystemMessage>(json!("call_nope")).unwrap_err();
        assert_eq!(e.to_string(), r#""call_nope" is not a system message of the call rules"#);
    }

    #[test]
    fn outcomes_read_back_what_they_write() {
        let mut o = Outcome::empty(200, Reason::Ok);
        o.mutations.push(Mutation::UpdateSession {
            session_id: "s".into(),
            set: Set(vec![(SessionColumn::InCall, json!(7))]),
        });
        o.mutations.push(Mutation::UpdateRoom { set: Set(vec![(RoomColumn::ActiveSince, Value::Null)]) });
        o.effects.push(Effect::SystemMessage {
            message: SystemMessage::CallStarted,
            actor_type: "users".into(),
            actor_id: "a".into(),
            silent: Some(false),
        });
        o.effects.push(Effect::EnsureOneToOneFilled);
        o.effects.push(Effect::DialOut { attendee_id: 3, number: None, actor_id: "p".into() });
        let text = o.to_json();
        assert_eq!(
            text,
            r#"{"status":200,"data":[],"message":"","reason":"ok","mutations":[{"op":"updateSession","sessionId":"s","set":{"inCall":7}},{"op":"updateRoom","set":{"activeSince":null}}],"effects":[{"type":"systemMessage","message":"call_started","actorType":"users","actorId":"a","silent":false},{"type":"ensureOneToOneFilled"},{"type":"dialOut","attendeeId":3,"number":null,"actorId":"p"}]}"#
        );
        let back: Outcome = serde_json::from_str(&text).unwrap();
        assert_eq!(back.to_json(), text);
        assert!(serde_json::from_str::<Mutation>(r#"{"op":"updateRoom","set":{"token":"x"}}"#).is_err());
        assert!(serde_json::from_str::<Mutation>(r#"{"op":"updateRoom","set":{"inCall":1}}"#).is_err());
    }
}
