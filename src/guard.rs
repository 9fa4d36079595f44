//! The server's check order before any controller code runs (spec §2): Talk's
//! `CanUseTalkMiddleware`, then the `InjectionMiddleware` attributes in the fixed
//! order the middleware evaluates them, whatever order a method lists them in.
//! This is the only place that order is written down.

use crate::context::{Caller, Ctx};
use crate::model::{Actor, Permissions, StartCalls, State, ACTOR_USERS};
use crate::outcome::{Outcome, Reason};
use crate::permissions;
use crate::route::{Endpoint, Route};

/// The attributes a controller method carries (spec §2.2, Talk 18 `CallController`).
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

/// `RequireParticipant`: the caller's attendee and session (spec §1.3). The session
/// id from the cookie wins; otherwise a logged-in user is found by user id, with
/// the first of their sessions (the server takes any one, `LIMIT 1`) or none.
pub fn resolve_caller(state: &State, actor: &Actor) -> Option<(usize, Option<usize>)> {
    if let Some(sid) = actor.session_id.as_deref() {
        if let Some(si) = state.session_pos(sid) {
            let ai = state.attendee_pos(state.sessions[si].attendee_id)?;
            return Some((ai, Some(si)));
        }
    }
    let uid = actor.user_id.as_deref()?;
    let ai = state.attendees.iter().position(|a| a.actor_type == ACTOR_USERS && a.actor_id == uid)?;
    let id = state.attendees[ai].attendee_id;
    Some((ai, state.sessions.iter().position(|s| s.attendee_id == id)))
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
    if attrs.read_write && (cx.state.room.read_only || cx.state.room.room_type == crate::model::RoomType::Changelog) {
        return Err(Outcome::empty(403, Reason::ReadOnly));
    }

    // RequireModeratorOrNoLobby: reading the lobby state resets an expired timer.
    if attrs.moderator_or_no_lobby && !moderator {
        cx.reset_expired_lobby();
        if cx.state.room.lobby_active(cx.now) && !caller.permissions.contains(Permissions::LOBBY_IGNORE) {
            return Err(Outcome::empty(412, Reason::Lobby));
        }
    }

    // RequirePermission(START_CALL).
    if attrs.start_call_permission && !caller.permissions.contains(Permissions::CALL_START) {
        return Err(Outcome::empty(403, Reason::NoStartPermission));
    }
    Ok(caller)
}
