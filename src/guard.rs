//! The server's check order before any controller code runs: Talk's
//! `CanUseTalkMiddleware` (`lib/Middleware/CanUseTalkMiddleware.php::beforeController`,
//! registered first in `lib/AppInfo/Application.php::register`), then the
//! `InjectionMiddleware` attributes in the fixed order the middleware evaluates them
//! (`lib/Middleware/InjectionMiddleware.php::beforeController`), whatever order a method
//! lists them in.
//! This is the only place that order is written down.

use crate::context::{Caller, Ctx};
use crate::model::{Actor, LobbyState, Permissions, RoomType, StartCalls, State};
use crate::outcome::{Outcome, Reason};
use crate::permissions;
use crate::route::{Endpoint, Route};

/// The attributes a controller method carries (Talk 18 `lib/Controller/CallController.php`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attributes {
    /// `#[RequireCallEnabled]`: 403 when `start_calls` is "no one".
    pub call_enabled: bool,
    /// `#[RequireReadWriteConversation]`: 403 in locked and changelog conversations.
    pub read_write: bool,
    /// `#[RequireModeratorOrNoLobby]`: 412 for non-moderators while the lobby is on.
    pub moderator_or_no_lobby: bool,
    /// `#[RequirePermission(permission: RequirePermission::START_CALL)]`.
    pub start_call_permission: bool,
}

impl Endpoint {
    /// Every call endpoint also carries `#[RequireParticipant]`.
    pub fn attributes(self) -> Attributes {
        let (call_enabled, read_write, moderator_or_no_lobby, start_call_permission) = match self {
            Endpoint::Peers | Endpoint::Join => (true, true, true, false),
            Endpoint::UpdateFlags | Endpoint::Leave => (false, false, false, false),
            Endpoint::Ring | Endpoint::DialOut => (true, false, false, true),
        };
        Attributes { call_enabled, read_write, moderator_or_no_lobby, start_call_permission }
    }
}

/// The attendee row of the logged-in user, if they are one.
fn user_attendee(state: &State, actor: &Actor) -> Option<usize> {
    state.user_attendee_pos(actor.user_id.as_deref()?)
}

/// `RequireParticipant`: first the conversation, which must be visible to the
/// caller (`lib/Manager.php::getRoomForUserByToken`: public, or the user is an
/// attendee, or it is listed to them); then the participant
/// (`lib/Middleware/InjectionMiddleware.php::getLoggedInOrGuest`). The session id
/// from the cookie wins, whichever attendee it belongs to
/// (`ParticipantService::getParticipantBySession`; `"0"` is never looked up).
/// Otherwise a logged-in user is their attendee row *without* a session:
/// `getRoomForUserByToken` joins only the session the cookie names and caches
/// that participant (`ParticipantService::cacheParticipant`), and
/// `ParticipantService::getParticipant($room, $userId)` returns the cached,
/// session-less participant, so no other session of the attendee is picked.
pub fn resolve_caller(state: &State, actor: &Actor) -> Option<(usize, Option<usize>)> {
    let by_user = user_attendee(state, actor);
    if !state.room.visible_to(actor, by_user.is_some()) {
        return None;
    }
    if let Some(sid) = actor.session_id.as_deref().filter(|s| *s != "0") {
        if let Some(si) = state.session_pos(sid) {
            let ai = state.attendee_pos(state.sessions[si].attendee_id)?;
            return Some((ai, Some(si)));
        }
    }
    by_user.map(|ai| (ai, None))
}

/// Runs the checks in the server's order; the first failing one decides.
pub fn check(cx: &mut Ctx, route: &Route, actor: &Actor) -> Result<Caller, Outcome> {
    let attrs = route.endpoint.attributes();
    let cfg = &cx.state.config;

    // CanUseTalkMiddleware: allowed groups, then RequireCallEnabled (before the room is looked up).
    if actor.user_id.is_some()
        && !cfg.allowed_groups.is_empty()
        && !actor.groups.iter().any(|g| cfg.allowed_groups.contains(g))
    {
        return Err(Outcome::empty(403, Reason::TalkNotAllowed));
    }
    if attrs.call_enabled && cfg.start_calls == StartCalls::NoOne {
        return Err(Outcome::empty(403, Reason::CallsDisabled));
    }

    // InjectionMiddleware: RequireParticipant.
    let found = if cx.state.room.token == route.token { resolve_caller(&cx.state, actor) } else { None };
    let (attendee, session) = found.ok_or_else(|| Outcome::empty(404, Reason::NotFound))?;
    let a = &cx.state.attendees[attendee];
    let caller = Caller { attendee, session, permissions: permissions::effective(cfg, &cx.state.room, a) };
    let moderator = a.participant_type.is_moderator();

    // RequireReadWriteConversation.
    if attrs.read_write && (cx.state.room.read_only || cx.state.room.room_type == RoomType::Changelog) {
        return Err(Outcome::empty(403, Reason::ReadOnly));
    }

    // RequireModeratorOrNoLobby: moderators, then LOBBY_IGNORE, pass before the
    // lobby is read; reading it resets an expired timer.
    if attrs.moderator_or_no_lobby
        && !moderator
        && !caller.permissions.contains(Permissions::LOBBY_IGNORE)
        && cx.read_lobby_state() != LobbyState::None
    {
        return Err(Outcome::empty(412, Reason::Lobby));
    }

    // RequirePermission(START_CALL).
    if attrs.start_call_permission && !caller.permissions.contains(Permissions::CALL_START) {
        return Err(Outcome::empty(403, Reason::NoStartPermission));
    }
    Ok(caller)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        state_of_type(3)
    }

    fn state_of_type(room_type: i64) -> State {
        crate::input::state_text(&format!(
            r#"{{"room":{{"token":"abcd","type":{room_type}}},
            "attendees":[{{"attendeeId":1,"actorType":"users","actorId":"alice","participantType":1}},
                         {{"attendeeId":2,"actorType":"guests","actorId":"sha","participantType":4}},
                         {{"attendeeId":3,"actorType":"users","actorId":"bob","participantType":3}}],
            "sessions":[{{"sessionId":"a1","attendeeId":1}},{{"sessionId":"a2","attendeeId":1}},{{"sessionId":"g1","attendeeId":2}}]}}"#,
        ))
        .unwrap()
    }

    fn actor(user: Option<&str>, session: Option<&str>) -> Actor {
        Actor { user_id: user.map(Into::into), session_id: session.map(Into::into), groups: vec![] }
    }

    // lib/Middleware/InjectionMiddleware.php::getLoggedInOrGuest
    #[test]
    fn caller_resolution() {
        let st = state();
        assert_eq!(resolve_caller(&st, &actor(Some("alice"), Some("a2"))), Some((0, Some(1))));
        assert_eq!(resolve_caller(&st, &actor(Some("alice"), None)), Some((0, None)), "no session named: none");
        assert_eq!(resolve_caller(&st, &actor(Some("alice"), Some("gone"))), Some((0, None)), "a gone session: none");
        assert_eq!(resolve_caller(&st, &actor(Some("bob"), None)), Some((2, None)), "attendee without session");
        assert_eq!(resolve_caller(&st, &actor(None, Some("g1"))), Some((1, Some(2))), "guest by session");
        assert_eq!(resolve_caller(&st, &actor(None, Some("gone"))), None, "guest without session");
        assert_eq!(resolve_caller(&st, &actor(Some("bob"), Some("g1"))), Some((1, Some(2))), "the session wins");
        assert_eq!(resolve_caller(&st, &actor(Some("carol"), None)), None);
        assert_eq!(resolve_caller(&st, &actor(Some("alice"), Some("0"))), Some((0, None)), "\"0\" is no session");
        // The conversation is looked up first: a non-public one hides from guests
        // and from users who are neither attendees nor offered it in a listing.
        let group = state_of_type(2);
        assert_eq!(resolve_caller(&group, &actor(None, Some("g1"))), None, "guest in a group conversation");
        assert_eq!(resolve_caller(&group, &actor(Some("carol"), Some("a1"))), None, "not listed to carol");
        assert_eq!(resolve_caller(&group, &actor(Some("bob"), Some("a1"))), Some((0, Some(0))), "bob is an attendee");
    }

    #[test]
    fn attribute_matrix() {
        // The attributes on getPeersForCall, joinCall, updateCallFlags, leaveCall, ringAttendee
        // and sipDialOut in `lib/Controller/CallController.php`.
        let row = |e: Endpoint| {
            let a = e.attributes();
            (a.call_enabled, a.read_write, a.moderator_or_no_lobby, a.start_call_permission)
        };
        assert_eq!(row(Endpoint::Peers), (true, true, true, false));
        assert_eq!(row(Endpoint::Join), (true, true, true, false));
        assert_eq!(row(Endpoint::UpdateFlags), (false, false, false, false));
        assert_eq!(row(Endpoint::Leave), (false, false, false, false));
        assert_eq!(row(Endpoint::Ring), (true, false, false, true));
        assert_eq!(row(Endpoint::DialOut), (true, false, false, true));
    }
}
