//! DELETE `/call/{token}`: leave the call, or end it for everyone
//! (`lib/Controller/CallController.php::leaveCall`).

use crate::call_end;
use crate::context::{Caller, Ctx};
use crate::endpoint::join::change_in_call;
use crate::model::{Attendee, InCall, ACTOR_PHONES};
use crate::outcome::{Effect, Outcome, Reason};

pub fn run(cx: &mut Ctx, caller: &Caller) -> Outcome {
    let Some(si) = caller.session else {
        return Outcome::empty(404, Reason::NoSession);
    };
    if cx.params.all && ends_for_everyone(cx.attendee(caller)) {
        end_for_everyone(cx, caller);
    } else {
        // `all` from a non-moderator is a normal leave. The server ignores the
        // result of changeInCall here, so conversation types it refuses still get 200.
        let _ = change_in_call(cx, caller, si, InCall::DISCONNECTED);
    }
    Outcome::empty(200, Reason::Ok)
}

/// `all=true` ends the call for everyone only when a moderator asks.
pub fn ends_for_everyone(attendee: &Attendee) -> bool {
    attendee.participant_type.is_moderator()
}

/// Ends the call (attributed to the moderator, even one not in the call) and
/// disconnects every session flagged in the call, stale ones included.
fn end_for_everyone(cx: &mut Ctx, caller: &Caller) {
    call_end::end(cx, caller, true);
    let mut left = Vec::new();
    for i in 0..cx.state.sessions.len() {
        if !cx.state.sessions[i].in_call.is_empty() {
            cx.set_session_in_call(i, InCall::DISCONNECTED);
            left.push(cx.state.sessions[i].session_id.clone());
            // Each session leaves through changeInCall: a phone forgets its call id.
            if let Some(a) = cx.state.attendee_pos(cx.state.sessions[i].attendee_id) {
                if cx.state.attendees[a].actor_type == ACTOR_PHONES {
                    cx.clear_attendee_call_id(a);
                }
            }
        }
    }
    if !left.is_empty() {
        cx.effect(Effect::SignalingInCall { session_ids: left, in_call: 0 });
    }
}
