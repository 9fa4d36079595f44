//! The documents the engine reads: their size limits (all here), the State's rows
//! checked against each other, and a request's parameters read the way the routed
//! controller method declares them.
//!
//! Where each limit is enforced: the byte limits before a document is read
//! ([`check_size`]); the nesting limit while any document is read
//! ([`crate::document::MAX_DEPTH`]); the row limits while a table is read
//! ([`crate::reading::rows`], [`crate::reading::users`]) and the mutation limit in
//! [`crate::apply`]; the ranges of ids, timestamps and columns by the column readers of
//! [`crate::reading`].

use crate::document;
use crate::error::{shape, InputError};
use crate::model::*;
use crate::reading::{self, BoolStrings, PhpBool};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Largest request document accepted, in bytes of JSON.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Largest state, mutations or outcome document accepted, in bytes of JSON.
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024;
/// Rows per table.
pub const MAX_ATTENDEES: usize = 50_000;
pub const MAX_SESSIONS: usize = 100_000;
pub const MAX_FOREIGN_ATTENDEES: usize = 10_000;
pub const MAX_USERS: usize = 50_000;
pub const MAX_GROUPS: usize = 10_000;
pub const MAX_MUTATIONS: usize = 200_000;
/// Largest timestamp or id: 2^53 − 1, so every value survives a JS number.
pub const MAX_SAFE_INT: i64 = 9_007_199_254_740_991;

/// Refuses a document longer than `max` bytes before a byte of it is read.
pub fn check_size(text: &str, document: &'static str, max: usize) -> Result<(), InputError> {
    if text.len() > max {
        Err(InputError::too_large(document, text.len(), max))
    } else {
        Ok(())
    }
}

/// The State's tables as read, before they are checked against each other ([`Rows::check`]).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rows {
    #[serde(default, deserialize_with = "reading::or_default")]
    config: Config,
    #[serde(default)]
    room: Option<Room>,
    #[serde(default, deserialize_with = "attendees")]
    attendees: Vec<Attendee>,
    #[serde(default, deserialize_with = "sessions")]
    sessions: Vec<Session>,
    #[serde(default, deserialize_with = "foreign_attendees")]
    foreign_attendees: Vec<ForeignAttendee>,
    #[serde(default, deserialize_with = "reading::users")]
    users: Vec<(String, String)>,
}

fn attendees<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Attendee>, D::Error> {
    reading::rows(d, MAX_ATTENDEES)
}

fn sessions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Session>, D::Error> {
    reading::rows(d, MAX_SESSIONS)
}

fn foreign_attendees<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ForeignAttendee>, D::Error> {
    reading::rows(d, MAX_FOREIGN_ATTENDEES)
}

impl Rows {
    /// The State, its rows checked against each other.
    pub fn check(self) -> Result<State, InputError> {
        let room = self.room.ok_or_else(|| InputError::shape("state.room: required"))?;
        let st = State::new(self.config, room, self.attendees, self.sessions, self.foreign_attendees, self.users);
        if let Some(id) = st.duplicate_attendee_id() {
            return Err(shape!("state.attendees: attendeeId {id} appears twice"));
        }
        if let Some(a) = st.foreign_attendees.iter().find(|a| st.attendee(a.attendee_id).is_some()) {
            return Err(shape!(
                "state.foreignAttendees: attendeeId {} is also an attendee of this room",
                a.attendee_id
            ));
        }
        if let Some(id) = st.duplicate_session_id() {
            return Err(shape!("state.sessions: sessionId \"{id}\" appears twice"));
        }
        if let Some(id) = st.duplicate_user_id() {
            return Err(shape!("state.users: \"{id}\" appears twice"));
        }
        if let Some((i, s)) = st.sessions.iter().enumerate().find(|(_, s)| st.attendee(s.attendee_id).is_none()) {
            return Err(shape!("state.sessions[{i}].attendeeId: no attendee row has id {}", s.attendee_id));
        }
        Ok(st)
    }
}

/// A State from any serde format, checked as [`crate::read_state`] checks it.
impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<State, D::Error> {
        Rows::deserialize(d)?.check().map_err(serde::de::Error::custom)
    }
}

/// Reads and cross-checks the stored rows from JSON text (size checked by the caller).
pub fn state_text(text: &str) -> Result<State, InputError> {
    document::text::<Rows>(text, "state")?.check()
}

/// [`state_text`] for a value already parsed.
pub fn state(v: &Value) -> Result<State, InputError> {
    document::value::<Rows>(v, "state")?.check()
}

/// The Content-Type a request is taken to have when it names none.
pub const DEFAULT_CONTENT_TYPE: &str = "application/json";

pub fn default_content_type() -> String {
    DEFAULT_CONTENT_TYPE.to_string()
}

/// Reads the request from JSON text (size checked by the caller).
pub fn request_text(text: &str) -> Result<Request, InputError> {
    document::text(text, "request")
}

/// [`request_text`] for a value already parsed.
pub fn request(v: &Value) -> Result<Request, InputError> {
    document::value(v, "request")
}

/// Reads an actor (`{ userId?, sessionId?, groups? }`): the document is read whole first,
/// so that its depth is refused before its shape, as for every document read whole.
pub fn actor_text(text: &str) -> Result<Actor, InputError> {
    let v = document::tree(text, "actor")?;
    document::value(&v, "actor")
}

/// The parameters the routed controller method declares, read from the body and the
/// query string as the dispatcher coerces them ([`reading::php_int`], [`reading::php_bool`]).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JoinBody {
    #[serde(default, deserialize_with = "reading::in_call_param")]
    flags: Option<i64>,
    #[serde(default, deserialize_with = "reading::call_permissions_param")]
    force_permissions: Option<i64>,
    #[serde(default, deserialize_with = "reading::php_bool")]
    silent: PhpBool,
    #[serde(default, deserialize_with = "reading::php_bool")]
    recording_consent: PhpBool,
}

#[derive(Deserialize)]
struct UpdateFlagsBody {
    #[serde(default, deserialize_with = "reading::in_call_param")]
    flags: Option<i64>,
}

#[derive(Deserialize)]
struct LeaveBody {
    #[serde(default, deserialize_with = "reading::php_bool")]
    all: PhpBool,
}

/// The request's parameters: the body's fields, plus query-string parameters the body does
/// not name (the server's request merges both; a JSON body wins: `Request::__construct` and
/// `decodeContent` merge `params` last).
pub fn parameters(request: &Request) -> Cow<'_, Map<String, Value>> {
    if !request.path.contains('?') {
        return Cow::Borrowed(&request.body);
    }
    let mut merged = request.body.clone();
    for (k, v) in reading::query_params(&request.path) {
        merged.entry(k).or_insert(v);
    }
    Cow::Owned(merged)
}

/// The parameters the routed endpoint declares, coerced like the dispatcher does; fields it
/// does not declare are ignored whatever their type.
pub fn params(endpoint: crate::route::Endpoint, request: &Request) -> Result<Params, InputError> {
    use crate::route::Endpoint;
    let body = parameters(request);
    let strings = BoolStrings::of(&request.method, &request.content_type);
    let mut p = Params::default();
    match endpoint {
        Endpoint::Join => {
            let b: JoinBody = document::members(&body, "request.body")?;
            p.flags = b.flags;
            p.force_permissions = b.force_permissions;
            p.silent = b.silent.value(strings);
            p.recording_consent = b.recording_consent.value(strings);
        }
        Endpoint::UpdateFlags => {
            // `int $flags` has no default: the server fails with a TypeError (500)
            // after its middleware; we refuse the request up front.
            let b: UpdateFlagsBody = document::members(&body, "request.body")?;
            p.flags = Some(b.flags.ok_or_else(|| {
                InputError::shape("request.body.flags: required by PUT (the server answers 500 without it)")
            })?);
        }
        Endpoint::Leave => p.all = document::members::<LeaveBody>(&body, "request.body")?.all.value(strings),
        Endpoint::Peers | Endpoint::Ring | Endpoint::DialOut => {}
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn fields_are_matched_by_key_and_read_once() {
        let room = |fields: &str| state_text(&format!(r#"{{"room":{{"token":"abcd","type":2{fields}}}}}"#));
        let twice = room(r#","callFlag":3,"token":5"#).unwrap_err();
        assert_eq!(*twice.kind(), ErrorKind::Shape(r#"state.room: "token" appears twice"#.into()));
        // Unknown keys may repeat, but must still be JSON.
        assert!(room(r#","hostField":1,"hostField":[2]"#).is_ok());
        assert!(matches!(room(r#","hostField":[1,]"#), Err(e) if matches!(e.kind(), ErrorKind::Syntax { .. })));
        // Each key lands in its own column, whatever its place in the text.
        let st = room(r#","lobbyTimer":5,"activeSince":7,"callFlag":3,"readOnly":1"#).unwrap();
        assert_eq!((st.room.lobby_timer, st.room.active_since, st.room.read_only), (Some(5), Some(7), true));
        assert_eq!((st.room.token.as_str(), st.room.call_flag.column()), ("abcd", 3));
    }

    #[test]
    fn refusals_name_the_path() {
        let refused = |text: &str| state_text(text).unwrap_err().to_string();
        let state = |attendee: &str| {
            format!(
                r#"{{"room":{{"token":"abcd","type":2}},"attendees":[{{"attendeeId":1,"actorType":"users","actorId":"a","participantType":1}},{attendee}]}}"#
            )
        };
        assert_eq!(
            refused(&state(r#"{"attendeeId":2,"actorType":"users","actorId":"b","participantType":9}"#)),
            "state.attendees[1].participantType: 9 is not a participant type (1..6)"
        );
        assert_eq!(
            refused(&state(r#"{"attendeeId":2,"actorType":"users","actorId":"b"}"#)),
            "state.attendees[1].participantType: required"
        );
        assert_eq!(
            refused(&state(r#"{"attendeeId":"2","actorType":"users","actorId":"b","participantType":3}"#)),
            "state.attendees[1].attendeeId: expected an integer, got a string"
        );
        assert_eq!(
            refused(&state(r#"{"attendeeId":2,"actorType":"","actorId":"b","participantType":3}"#)),
            "state.attendees[1].actorType: required (a non-empty string)"
        );
        assert_eq!(refused(&state("[1]")), "state.attendees[1]: expected an object, got an array");
        assert_eq!(refused(r#"{"room":5}"#), "state.room: expected an object, got a number");
        assert_eq!(
            refused(r#"{"room":{"token":"abcd","type":2},"attendees":{}}"#),
            "state.attendees: expected an array, got an object"
        );
        assert_eq!(
            refused(r#"{"room":{"token":"abcd","type":2,"callFlag":4294967296}}"#),
            "state.room.callFlag: 4294967296 is out of range -2147483648..2147483647"
        );
        assert_eq!(
            refused(r#"{"config":{"signaling":"hpb"},"room":{"token":"abcd","type":2}}"#),
            r#"state.config.signaling: "hpb" is neither "internal" nor "external""#
        );
        assert_eq!(refused(r#"{"config":null}"#), "state.room: required");
        assert_eq!(refused("[]"), "state: expected an object, got an array");
        assert_eq!(
            refused(r#"{"room":{"token":"abcd","type":2},"users":{"u":{"displayName":1}}}"#),
            "state.users.u.displayName: expected a string, got a number"
        );
    }

    #[test]
    fn the_state_reads_back_what_it_writes() {
        let text = r#"{"config":{"startCalls":2,"allowedGroups":["g"],"recordingConsent":1,"defaultPermissions":null,"signaling":"external"},"room":{"token":"abcd","type":3,"readOnly":1,"callFlag":-1,"listable":2},"attendees":[{"attendeeId":1,"actorType":"users","actorId":"a","participantType":1,"permissions":300}],"sessions":[{"sessionId":"s","attendeeId":1,"inCall":7,"lastPing":5}],"foreignAttendees":[{"attendeeId":9,"actorType":"phones"}],"users":{"a":{"displayName":"A"}}}"#;
        let st = state_text(text).unwrap();
        let again = serde_json::to_string(&st).unwrap();
        let st2 = state_text(&again).unwrap();
        assert_eq!(serde_json::to_string(&st2).unwrap(), again);
        let via_serde: State = serde_json::from_str(&again).unwrap();
        assert_eq!(via_serde.attendee(1).map(|a| a.permissions.column()), Some(300));
        assert!(serde_json::from_str::<State>(r#"{"room":null}"#).is_err());
    }

    #[test]
    fn query_parameters_join_the_body_which_wins() {
        let raw = request_text(
            r#"{"method":"DELETE","path":"/call/abcd?all=true&x=a%20b+c&flags=%3&silent&all=0","body":{"x":1},"now":1}"#,
        )
        .unwrap();
        assert_eq!(serde_json::to_string(&*parameters(&raw)).unwrap(), r#"{"x":1,"all":"0","flags":"%3","silent":""}"#);
    }
}
