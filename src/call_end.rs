//! The call-end routine (`lib/Activity/Listener.php::generateCallActivity`): what happens to
//! the room when a call ends, whether because the last fresh session left or a moderator
//! ended it for everyone.

use crate::context::{Caller, Ctx};
use crate::model::{Attendee, RoomType};
use crate::outcome::{Effect, SystemMessage};

/// After a session left the call: the call ends only when no session of the room
/// is still in it with a fresh ping. Stale sessions keep their flags.
pub fn after_leave(cx: &mut Ctx, caller: &Caller) {
    if cx.state.room.active_since.is_some() && !cx.state.call_alive(cx.now) {
        end(cx, caller, false);
    }
}

/// Resets the call columns (guarded by `active_since IS NOT NULL`: the loser of a
/// race stops here), stops a running recording and posts the closing message.
pub fn end(cx: &mut Ctx, caller: &Caller, for_everyone: bool) {
    let Some(since) = cx.state.room.active_since else { return };
    cx.reset_call();
    if cx.state.room.call_recording.is_active() {
        cx.effect(Effect::StopRecording);
    }
    if for_everyone {
        cx.system_message(caller, SystemMessage::CallEndedEveryone, None);
        return;
    }
    // The activity listener attributes the end to the first user who joined since
    // the call started ("guests-only" when none did); a one-to-one call that only
    // one user joined was missed (former one-to-one conversations too: the activity
    // listener checks both types).
    let joined: Vec<&Attendee> =
        cx.state.attendees.iter().filter(|a| a.is_user() && a.last_joined_call.is_some_and(|t| t >= since)).collect();
    let one_to_one = matches!(cx.state.room.room_type, RoomType::OneToOne | RoomType::FormerOneToOne);
    let message = if one_to_one && joined.len() == 1 { SystemMessage::CallMissed } else { SystemMessage::CallEnded };
    let (actor_type, actor_id) = match joined.first() {
        Some(a) => (a.actor_type.clone(), a.actor_id.clone()),
        None => ("guests".to_string(), "guests-only".to_string()),
    };
    cx.effect(Effect::SystemMessage { message, actor_type, actor_id, silent: None });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Actor, Params};

    fn ended_with(room_type: i64) -> Vec<Effect> {
        let text = format!(
            r#"{{"room":{{"token":"abcd","type":{room_type},"activeSince":100,"callFlag":7}},
            "attendees":[{{"attendeeId":1,"actorType":"users","actorId":"alice","participantType":1,"lastJoinedCall":100}},
                         {{"attendeeId":2,"actorType":"users","actorId":"bob","participantType":1}}],
            "sessions":[{{"sessionId":"a","attendeeId":1,"inCall":0,"lastPing":100}}]}}"#
        );
        let st = crate::input::state_text(&text).unwrap();
        let actor = Actor::default();
        let mut cx = Ctx::new(&st, &actor, 110, Params::default());
        let caller = Caller { attendee: 0, session: Some(0), permissions: crate::model::Permissions::MAX_DEFAULT };
        after_leave(&mut cx, &caller);
        cx.effects
    }

    // Activity\Listener::generateCallActivity(): one-to-one and former one-to-one
    // calls that only one user joined were missed. (A former one-to-one call is
    // not left through the call API, whose changeInCall refuses that type, but
    // the routine also ends calls when sessions leave the conversation.)
    #[test]
    fn missed_in_one_to_one_and_former_one_to_one() {
        let message = |t| match ended_with(t).last() {
            Some(Effect::SystemMessage { message, .. }) => *message,
            other => panic!("{other:?}"),
        };
        assert_eq!(message(1), SystemMessage::CallMissed);
        assert_eq!(message(5), SystemMessage::CallMissed);
        assert_eq!(message(2), SystemMessage::CallEnded);
    }
}
