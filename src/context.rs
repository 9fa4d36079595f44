//! The working state of one evaluation: the rows as the rules change them, and
//! the mutations and effects recorded in the order the server performs them.
//! Later steps of an endpoint see the rows as earlier steps left them.

use crate::apply::{AttendeeColumn, RoomColumn, SessionColumn};
use crate::model::*;
use crate::outcome::{Effect, Mutation, Set, SystemMessage};
use serde_json::Value;
use std::borrow::Cow;

/// The resolved caller (`lib/Middleware/InjectionMiddleware.php::getLoggedInOrGuest`).
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    /// Index into `state.attendees`.
    pub attendee: usize,
    /// Index into `state.sessions`, when the caller has a room session.
    pub session: Option<usize>,
    /// Effective permissions (`lib/Participant.php::getPermissions`).
    pub permissions: Permissions,
}

pub struct Ctx<'s> {
    /// The rows; copied on the first change, so read-only answers copy nothing.
    pub state: Cow<'s, State>,
    pub now: i64,
    /// Who sent the request (the logged-in user and the cookie's session id).
    pub actor: &'s Actor,
    pub params: Params,
    pub mutations: Vec<Mutation>,
    pub effects: Vec<Effect>,
}

impl<'s> Ctx<'s> {
    pub fn new(state: &'s State, actor: &'s Actor, now: i64, params: Params) -> Ctx<'s> {
        Ctx { state: Cow::Borrowed(state), now, actor, params, mutations: Vec::new(), effects: Vec::new() }
    }

    /// The actor the server's chat names when a system message has no participant
    /// behind it (`SystemMessage\Listener::sendSystemMessage`): the logged-in user,
    /// else a guest named by the hash of the session id the cookie holds.
    fn requester(&self) -> (String, String) {
        match (&self.actor.user_id, &self.actor.session_id) {
            (Some(user), _) => (ACTOR_USERS.to_string(), user.clone()),
            (None, Some(session)) => (ACTOR_GUESTS.to_string(), crate::sha1::hex(session.as_bytes())),
            (None, None) => (ACTOR_GUESTS.to_string(), "failed-to-get-session".to_string()),
        }
    }

    pub fn attendee(&self, c: &Caller) -> &Attendee {
        &self.state.attendees[c.attendee]
    }

    pub fn session(&self, c: &Caller) -> Option<&Session> {
        c.session.map(|i| &self.state.sessions[i])
    }

    pub fn effect(&mut self, e: Effect) {
        self.effects.push(e);
    }

    /// A system message attributed to the caller.
    pub fn system_message(&mut self, c: &Caller, message: SystemMessage, silent: Option<bool>) {
        let a = self.attendee(c);
        let e =
            Effect::SystemMessage { message, actor_type: a.actor_type.clone(), actor_id: a.actor_id.clone(), silent };
        self.effects.push(e);
    }

    fn room_mutation(&mut self, set: Vec<(RoomColumn, Value)>) {
        if !set.is_empty() {
            self.mutations.push(Mutation::UpdateRoom { set: Set(set) });
        }
    }

    pub fn set_session_in_call(&mut self, index: usize, flags: InCall) {
        if self.state.sessions[index].in_call != flags {
            let s = &mut self.state.to_mut().sessions[index];
            s.in_call = flags;
            let set = Set(vec![(SessionColumn::InCall, Value::from(flags.column()))]);
            self.mutations.push(Mutation::UpdateSession { session_id: s.session_id.clone(), set });
        }
    }

    pub fn set_attendee_last_joined_call(&mut self, index: usize, at: i64) {
        if self.state.attendees[index].last_joined_call != Some(at) {
            let a = &mut self.state.to_mut().attendees[index];
            a.last_joined_call = Some(at);
            let set = Set(vec![(AttendeeColumn::LastJoinedCall, Value::from(at))]);
            self.mutations.push(Mutation::UpdateAttendee { attendee_id: a.attendee_id, set });
        }
    }

    /// A phone attendee whose session leaves the call forgets its dial-out call id
    /// (`changeInCall` writes `''`, for a normal leave and an end for everyone alike).
    pub fn clear_attendee_call_id(&mut self, index: usize) {
        if self.state.attendees[index].call_id.as_deref() != Some("") {
            let a = &mut self.state.to_mut().attendees[index];
            a.call_id = Some(String::new());
            let set = Set(vec![(AttendeeColumn::CallId, Value::from(""))]);
            self.mutations.push(Mutation::UpdateAttendee { attendee_id: a.attendee_id, set });
        }
    }

    /// `AttendeeMapper::modifyPermissions(SET, DEFAULT)`: every attendee row of the
    /// room back to default permissions, except `groups` and `circles` rows.
    pub fn reset_attendee_permissions(&mut self) {
        let resets =
            |a: &Attendee| !a.permissions.is_empty() && a.actor_type != ACTOR_GROUPS && a.actor_type != ACTOR_CIRCLES;
        if !self.state.attendees.iter().any(resets) {
            return;
        }
        for a in &mut self.state.to_mut().attendees {
            if resets(a) {
                a.permissions = Permissions::DEFAULT;
                let set = Set(vec![(AttendeeColumn::Permissions, Value::from(Permissions::DEFAULT.column()))]);
                self.mutations.push(Mutation::UpdateAttendee { attendee_id: a.attendee_id, set });
            }
        }
    }

    pub fn set_call_permissions(&mut self, p: Permissions) {
        if self.state.room.call_permissions != p {
            self.state.to_mut().room.call_permissions = p;
            self.room_mutation(vec![(RoomColumn::CallPermissions, Value::from(p.column()))]);
        }
    }

    /// `Room::getLobbyState()`: reading the lobby validates its timer. Once the timer
    /// passed, `RoomService::setLobby(NONE, null, timerReached: true)` persists the
    /// reset and, when the lobby was on, posts `lobby_timer_reached`
    /// (`breakout_rooms_started` in a breakout room) as whoever sent the request.
    pub fn read_lobby_state(&mut self) -> LobbyState {
        let room = &self.state.room;
        if room.lobby_timer_expired(self.now) && room.lobby_settable() {
            let was_on = room.lobby_state != LobbyState::None;
            let breakout = room.object_type == OBJECT_TYPE_BREAKOUT_ROOM;
            let r = &mut self.state.to_mut().room;
            r.lobby_state = LobbyState::None;
            r.lobby_timer = None;
            let mut set = vec![(RoomColumn::LobbyTimer, Value::Null)];
            if was_on {
                set.insert(0, (RoomColumn::LobbyState, Value::from(LobbyState::None.column())));
            }
            self.room_mutation(set);
            if was_on {
                let message =
                    if breakout { SystemMessage::BreakoutRoomsStarted } else { SystemMessage::LobbyTimerReached };
                let (actor_type, actor_id) = self.requester();
                self.effects.push(Effect::SystemMessage { message, actor_type, actor_id, silent: None });
            }
        }
        self.state.room.lobby_state
    }

    /// `lib/Service/RoomService.php::setActiveSince`, which `lib/Activity/Listener.php::setActive`
    /// calls after a session went from 0 to `flags`.
    /// Returns true when this join started the call.
    pub fn mark_call_active(&mut self, flags: InCall, is_guest: bool) -> bool {
        let now = self.now;
        let r = &mut self.state.to_mut().room;
        let mut set = Vec::new();
        if is_guest && r.room_type == RoomType::Public {
            // `active_guests + 1` in SQL; held at the column's range (a signed 32-bit integer, what
            // the State's reader and `apply` accept), so the mutation always applies.
            r.active_guests = (r.active_guests + 1).min(i64::from(i32::MAX));
            set.push((RoomColumn::ActiveGuests, Value::from(r.active_guests)));
        }
        if (!is_guest || r.room_type == RoomType::Public) && !r.call_flag.contains(flags) {
            r.call_flag |= flags;
            set.push((RoomColumn::CallFlag, Value::from(r.call_flag.column())));
        }
        let started = r.active_since.is_none();
        if started {
            r.active_since = Some(now);
            set.push((RoomColumn::ActiveSince, Value::from(now)));
        }
        self.room_mutation(set);
        started
    }

    /// The guarded reset of the call columns when a call ends
    /// (`lib/Service/RoomService.php::resetActiveSince`, `WHERE active_since IS NOT NULL`).
    pub fn reset_call(&mut self) {
        let r = &mut self.state.to_mut().room;
        let before = (r.active_since, r.call_flag, r.active_guests, r.call_permissions);
        r.active_since = None;
        r.call_flag = InCall::DISCONNECTED;
        r.active_guests = 0;
        r.call_permissions = Permissions::DEFAULT;
        let mut set = Vec::new();
        if before.0.is_some() {
            set.push((RoomColumn::ActiveSince, Value::Null));
        }
        if !before.1.is_empty() {
            set.push((RoomColumn::CallFlag, Value::from(InCall::DISCONNECTED.column())));
        }
        if before.2 != 0 {
            set.push((RoomColumn::ActiveGuests, Value::from(0)));
        }
        if !before.3.is_empty() {
            set.push((RoomColumn::CallPermissions, Value::from(Permissions::DEFAULT.column())));
        }
        self.room_mutation(set);
    }
}
