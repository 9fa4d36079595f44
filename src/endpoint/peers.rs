//! GET `/call/{token}`: the sessions in the call
//! (`lib/Controller/CallController.php::getPeersForCall`).

use crate::context::Ctx;
use crate::outcome::{Data, Outcome, Peer, Reason};

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
            Some(Peer {
                actor_type: a.actor_type.clone(),
                actor_id: a.actor_id.clone(),
                display_name: name.to_string(),
                token: token.to_string(),
                last_ping: s.last_ping,
                session_id: s.session_id.clone(),
            })
        })
        .collect();
    let mut o = Outcome::empty(200, Reason::Ok);
    o.data = Data::Peers(peers);
    o
}
