//! PUT `/call/{token}`: change the flags of a session already in the call
//! (`lib/Controller/CallController.php::updateCallFlags`).

use crate::context::{Caller, Ctx};
use crate::model::InCall;
use crate::outcome::{Effect, Outcome, Reason};
use crate::permissions::strip_flags;

/// Never joins and never leaves: both the session and the new flags must carry
/// IN_CALL. The room's aggregate `callFlag` is not recomputed (as in Talk 18).
pub fn run(cx: &mut Ctx, caller: &Caller, flags: i64) -> Outcome {
    let Some(si) = caller.session else {
        return Outcome::empty(404, Reason::NoSession);
    };
    if !cx.state.sessions[si].in_call.contains(InCall::IN_CALL) {
        return Outcome::empty(400, Reason::NotInCall);
    }
    let flags = InCall::from_column(flags);
    if !flags.contains(InCall::IN_CALL) {
        return Outcome::empty(400, Reason::FlagsWithoutInCall);
    }
    let flags = strip_flags(flags, caller.permissions);
    cx.set_session_in_call(si, flags);
    // updateCallFlags fires its event even when the flags are unchanged.
    let id = cx.state.sessions[si].session_id.clone();
    cx.effect(Effect::SignalingInCall { session_ids: vec![id], in_call: flags.column() });
    Outcome::empty(200, Reason::Ok)
}
