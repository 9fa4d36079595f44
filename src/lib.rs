//! # talk-call-rules
//!
//! The rules of the Nextcloud Talk Call API v4, as the Talk 18 server applies
//! them: request + stored rows in, HTTP status, response body, row mutations and
//! side effects out. Pure functions over plain data: no clock (time is
//! `request.now`), no I/O, no globals. The WebAssembly bindings (wasm32 only) and the
//! C ABI only convert at the boundary.
//!
//! The API:
//! - [`decide`]: one request against rows already read into a [`State`], answering an
//!   [`Outcome`] (status, body, [`Reason`], [`Mutation`]s, [`Effect`]s);
//! - JSON text in and out, as every host calls it: [`evaluate_json`], [`apply_json`],
//!   [`ocs_json`], [`allowed_actions_json`], [`explain_json`], with `serde_json::Value`
//!   twins ([`evaluate`], [`apply`], [`ocs`], [`allowed_actions`], [`explain`]);
//! - what hosts copy: [`facts`] (reason codes, limits, writable columns, Talk's constants,
//!   the C ABI's exports), [`version`], [`ABI_VERSION`];
//! - the model of Talk's rows: [`State`], [`Room`], [`Attendee`], [`Session`], [`Config`],
//!   with Talk's numeric values as types ([`RoomType`], [`ParticipantType`], [`InCall`],
//!   [`Permissions`], …).
//!
//! The feature `internals` exposes the private modules (reader, router, guards) to the
//! repository's own tools, tests and fuzz targets; it is not part of the API.
//!
//! ```
//! let request = r#"{"method":"GET","path":"/call/abcd1234","actor":{"userId":"alice"},"now":1700000000}"#;
//! let state = r#"{"room":{"token":"abcd1234","type":2},
//!   "attendees":[{"attendeeId":1,"actorType":"users","actorId":"alice","participantType":1}]}"#;
//! let outcome = talk_call_rules::evaluate_json(request, state);
//! assert!(outcome.starts_with(r#"{"status":200,"data":[]"#));
//! ```
//!
//! The same request through the typed model: read once, decide, look at the answer.
//!
//! ```
//! use talk_call_rules::{decide, read_request, read_state, Effect, Mutation, Reason, SystemMessage};
//!
//! let state = read_state(r#"{"room":{"token":"abcd1234","type":2},
//!   "attendees":[{"attendeeId":1,"actorType":"users","actorId":"alice","participantType":1}],
//!   "sessions":[{"sessionId":"s1","attendeeId":1,"inCall":0,"lastPing":1700000000}]}"#)?;
//! let join = read_request(r#"{"method":"POST","path":"/call/abcd1234","body":{"flags":3},
//!   "actor":{"userId":"alice","sessionId":"s1"},"now":1700000000}"#)?;
//! let outcome = decide(&join, &state);
//! assert_eq!((outcome.status, outcome.reason), (200, Reason::Ok));
//! // The session joins and the call starts: the rows to write, then what to send.
//! assert!(matches!(&outcome.mutations[0], Mutation::UpdateSession { session_id, .. } if session_id == "s1"));
//! assert!(outcome.effects.iter().any(|e| matches!(e, Effect::SystemMessage { message, .. } if *message == SystemMessage::CallStarted)));
//! # Ok::<(), talk_call_rules::InputError>(())
//! ```

// An `Outcome` in `Err` is the answer itself (a refusal from the router or the
// guards), built once per call and returned to the host: boxing it would only
// add an allocation to every refused request.
#![allow(clippy::result_large_err)]
#![deny(missing_docs)]

/// Declares the crate's modules: private, or public (and hidden from the docs) with the
/// feature `internals`, for the repository's tools, tests and fuzz targets.
macro_rules! modules {
    ($($(#[$attr:meta])* $name:ident;)+) => {
        $(
            $(#[$attr])*
            #[cfg(feature = "internals")]
            #[doc(hidden)]
            pub mod $name;
            $(#[$attr])*
            #[cfg(not(feature = "internals"))]
            mod $name;
        )+
    };
}

modules! {
    abi;
    actions;
    api;
    apply;
    call_end;
    context;
    decide;
    document;
    endpoint;
    error;
    facts;
    guard;
    index;
    input;
    model;
    outcome;
    permissions;
    reading;
    route;
    sha1;
    #[cfg(target_arch = "wasm32")]
    wasm;
}

pub use abi::ABI_VERSION;
pub use actions::{AllowedActions, CallerInfo, Entry, ModelledRequest};
pub use api::{
    allowed_actions, allowed_actions_json, allowed_actions_text, apply, apply_json, evaluate, evaluate_json,
    evaluate_text, explain, explain_json, facts, ocs, ocs_json, read_request, read_request_value, read_state,
    read_state_value, version,
};
pub use apply::{AttendeeColumn, Column, Kind as ColumnKind, RoomColumn, SessionColumn, Table, Writable};
pub use decide::decide;
pub use error::{ErrorKind, InputError};
pub use model::{
    Actor, Attendee, BreakoutRoomMode, BreakoutRoomStatus, CallRecording, Config, ForeignAttendee, InCall, Listable,
    LobbyState, ParticipantType, Permissions, RecordingConsent, Request, Room, RoomType, Session, StartCalls, State,
    SESSION_TIMEOUT,
};
pub use outcome::{Data, Effect, Mutation, Outcome, Peer, Reason, Set, SystemMessage};
