//! GET `/call/{token}`: the sessions in the call (spec §3.1).

use crate::context::Ctx;
use crate::json::Value;
use crate::outcome::{Outcome, Reason};

/// One entry per session (not per attendee) that is flagged in the call and was
/// pinged within the session timeout. No session is needed to ask.
pub fn run(cx: &Ctx) -> Outcome {
    let st = &cx.state;
    let token = st.room.token.as_str();
    let peers = st
        .sessions
        .iter()
        .filter(|s| s.in_call_fresh(cx.now))
        .filter_map(|s| {
            let a = st.attendee(s.attendee_id)?;
            // Users: stored name when PHP finds it truthy (not "" and not "0"), else
            // the user manager's, else the user id. Others: as stored.
            let name = if a.is_user() && (a.display_name.is_empty() || a.display_name == "0") {
                st.user_display_name(&a.actor_id).unwrap_or(&a.actor_id)
            } else {
                &a.display_name
            };
            // Built as the members themselves: six keys per peer, no look-up of keys already set.
            let member = |k: &'static str, v: Value| (k.into(), v);
            Some(Value::Object(vec![
                member("actorType", a.actor_type.as_str().into()),
                member("actorId", a.actor_id.as_str().into()),
                member("displayName", name.into()),
                member("token", token.into()),
                member("lastPing", s.last_ping.into()),
                member("sessionId", s.session_id.as_str().into()),
            ]))
        })
        .collect();
    let mut o = Outcome::empty(200, Reason::Ok);
    o.data = Value::Array(peers);
    o
}
