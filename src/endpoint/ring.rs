//! POST `/call/{token}/ring/{attendeeId}`: send a call notification
//! (`lib/Controller/CallController.php::ringAttendee`).

use crate::context::{Caller, Ctx};
use crate::model::ACTOR_USERS;
use crate::outcome::{Effect, Outcome, Reason};

/// Where a ring or dial-out target id points.
pub enum Target<'a> {
    /// An attendee of this conversation.
    Here(&'a crate::model::Attendee),
    /// An attendee row of another conversation, with its actor type.
    Elsewhere(&'a str),
    Missing,
}

/// Attendee ids are global: the server looks the id up over all conversations.
pub fn target<'a>(cx: &'a Ctx, attendee_id: i64) -> Target<'a> {
    if let Some(a) = cx.state.attendee(attendee_id) {
        return Target::Here(a);
    }
    match cx.state.foreign_attendees.iter().find(|f| f.attendee_id == attendee_id) {
        Some(f) => Target::Elsewhere(&f.actor_type),
        None => Target::Missing,
    }
}

/// The preconditions ring and dial-out share: a call is running, and a caller
/// with a session is in it (a caller without any session skips that check).
pub fn call_preconditions(cx: &Ctx, caller: &Caller) -> Result<(), Outcome> {
    if cx.state.room.call_flag.is_empty() {
        return Err(Outcome::empty(400, Reason::NoCall));
    }
    if cx.session(caller).is_some_and(|s| s.in_call.is_empty()) {
        return Err(Outcome::empty(400, Reason::NotInCall));
    }
    Ok(())
}

pub fn run(cx: &mut Ctx, caller: &Caller, attendee_id: i64) -> Outcome {
    if let Err(o) = call_preconditions(cx, caller) {
        return o;
    }
    // The actor type is checked before the conversation matches.
    let (actor_type, here) = match target(cx, attendee_id) {
        Target::Missing => return Outcome::empty(404, Reason::TargetNotFound),
        Target::Elsewhere(t) => (t, None),
        Target::Here(a) => (a.actor_type.as_str(), Some(a)),
    };
    // `ParticipantService::sendCallNotificationForAttendee` throws
    // `InvalidArgumentException('actor-type')`; Talk 18's
    // `CallController::ringAttendee` answers it with an empty 400 (the
    // `{"error": …}` body came with Talk 19.0.2, commit 377a2f91d).
    if actor_type != ACTOR_USERS {
        return Outcome::empty(400, Reason::ActorType);
    }
    let Some(a) = here else {
        return Outcome::empty(404, Reason::TargetNotFound);
    };
    let id = a.attendee_id;
    if cx.state.sessions_of(id).any(|s| !s.in_call.is_empty()) {
        return Outcome::empty(200, Reason::TargetInCall);
    }
    cx.effect(Effect::Ring { attendee_id: id });
    Outcome::empty(200, Reason::Ok)
}
