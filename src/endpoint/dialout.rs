//! POST `/call/{token}/dialout/{attendeeId}`: ask the signaling server to dial a
//! phone attendee (`lib/Controller/CallController.php::sipDialOut`). The signaling server's
//! answer is the host's: a failed answer becomes 501, a call id is stored on the attendee.

use crate::context::{Caller, Ctx};
use crate::endpoint::ring::{call_preconditions, target, Target};
use crate::model::ACTOR_PHONES;
use crate::outcome::{Effect, Outcome, Reason};

pub fn run(cx: &mut Ctx, caller: &Caller, attendee_id: i64) -> Outcome {
    if let Err(o) = call_preconditions(cx, caller) {
        return o;
    }
    let a = match target(cx, attendee_id) {
        Target::Here(a) if a.actor_type == ACTOR_PHONES => a,
        _ => return Outcome::empty(404, Reason::TargetNotFound),
    };
    // Without an external signaling server there is nobody to send the request to.
    if !cx.state.config.external_signaling {
        return Outcome::empty(501, Reason::DialOutUnavailable);
    }
    let e =
        Effect::DialOut { attendee_id: a.attendee_id, number: a.phone_number.clone(), actor_id: a.actor_id.clone() };
    cx.effect(e);
    Outcome::empty(201, Reason::Ok)
}
