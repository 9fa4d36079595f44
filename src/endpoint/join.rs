//! POST `/call/{token}`: join the call, starting it when nobody is in it
//! (`lib/Controller/CallController.php::joinCall`).

use crate::call_end;
use crate::context::{Caller, Ctx};
use crate::model::*;
use crate::outcome::{Effect, Outcome, Reason, SystemMessage};
use crate::permissions::{can_start_call, effective, strip_flags};

pub fn run(cx: &mut Ctx, caller: &Caller) -> Outcome {
    // 1. Recording consent; a given consent is stored even if a later step fails.
    let required = cx.state.config.recording_consent;
    if required != RecordingConsent::No {
        if cx.params.recording_consent {
            let a = cx.attendee(caller);
            let e = Effect::StoreRecordingConsent { actor_type: a.actor_type.clone(), actor_id: a.actor_id.clone() };
            cx.effect(e);
        } else if required == RecordingConsent::Yes
            || (required == RecordingConsent::Optional && cx.state.room.recording_consent == RecordingConsent::Yes)
        {
            return Outcome::error(400, Reason::Consent);
        }
    }

    // 2. A one-to-one conversation re-adds whoever left it, before the session check.
    if cx.state.room.room_type == RoomType::OneToOne {
        cx.effect(Effect::EnsureOneToOneFilled);
    }

    // 3. Joining needs a room session.
    let Some(si) = caller.session else {
        return Outcome::empty(404, Reason::NoSession);
    };

    // 4. + 5. Default flags; forcePermissions by a moderator persists before joining.
    let flags = cx.params.flags.map_or(InCall::DEFAULT_JOIN, InCall::from_column);
    if let Some(force) = cx.params.force_permissions {
        force_permissions(cx, caller, force);
    }

    // 6. ParticipantService::changeInCall.
    change_in_call(cx, caller, si, flags)
}

/// Sets the call-level permissions (`set` mode: CUSTOM added unless 0) and resets
/// every attendee's own permissions. Ignored for non-moderators, one-to-one,
/// former one-to-one and note-to-self conversations and breakout rooms.
fn force_permissions(cx: &mut Ctx, caller: &Caller, force: i64) {
    let room = &cx.state.room;
    let ignored = matches!(room.room_type, RoomType::OneToOne | RoomType::FormerOneToOne | RoomType::NoteToSelf)
        || room.object_type == OBJECT_TYPE_BREAKOUT_ROOM;
    if ignored || !cx.attendee(caller).participant_type.is_moderator() {
        return;
    }
    let mut p = Permissions::from_column(force);
    if !p.is_empty() {
        p |= Permissions::CUSTOM;
    }
    cx.set_call_permissions(p);
    cx.reset_attendee_permissions();
}

/// `changeInCall(room, participant, flags)`, shared by join and by POST with flags 0.
pub fn change_in_call(cx: &mut Ctx, caller: &Caller, si: usize, flags: InCall) -> Outcome {
    let room_type = cx.state.room.room_type;
    if matches!(room_type, RoomType::Changelog | RoomType::FormerOneToOne | RoomType::NoteToSelf) {
        return Outcome::empty(400, Reason::ConversationType);
    }
    let a = cx.attendee(caller);
    let perm = effective(&cx.state.config, &cx.state.room, a);
    let flags = strip_flags(flags, perm);
    let old = cx.state.sessions[si].in_call;
    let joining = old.is_empty() && !flags.is_empty();

    // RestrictStartingCalls: starting needs canStartCall unless a fresh session is in the call.
    if joining {
        let video_verification =
            room_type == RoomType::Public && cx.state.room.object_type == OBJECT_TYPE_VIDEO_VERIFICATION;
        if !video_verification && !can_start_call(&cx.state.config, &cx.state.room, a) && !cx.state.call_alive(cx.now) {
            let mut o = Outcome::empty(403, Reason::CannotStartCall);
            o.message = "Can not start a call".into();
            return o;
        }
    }

    let others_in_call = cx.state.call_alive(cx.now);
    let is_guest = !a.is_user();
    let is_phone = a.actor_type == ACTOR_PHONES;
    cx.set_session_in_call(si, flags);
    if !flags.is_empty() {
        cx.set_attendee_last_joined_call(caller.attendee, cx.now);
    } else if is_phone {
        cx.clear_attendee_call_id(caller.attendee);
    }
    // The in-call event fires on every change request, equal flags included, and
    // the signaling listener passes each one on.
    let id = cx.state.sessions[si].session_id.clone();
    cx.effect(Effect::SignalingInCall { session_ids: vec![id], in_call: flags.column() });

    if joining {
        // The message looks at fresh sessions (before this one joined); the
        // notifications at whether the room's call was already active. Talk 18
        // posts both messages unflagged, even for a silent call
        // (`lib/Chat/SystemMessage/Listener.php::sendSystemMessageAboutBeginOfCall`
        // passes no `silent`); `silent` only suppresses the notifications.
        let message = if others_in_call { SystemMessage::CallJoined } else { SystemMessage::CallStarted };
        cx.system_message(caller, message, Some(false));
        if cx.mark_call_active(flags, is_guest) {
            notify_call_started(cx);
        }
    } else if !old.is_empty() && flags.is_empty() {
        cx.system_message(caller, SystemMessage::CallLeft, None);
        call_end::after_leave(cx, caller);
    }
    Outcome::empty(200, Reason::Ok)
}

/// The call notifications of a join that started the call: user attendees with
/// call notifications on and no fresh session in the call; while the lobby is on
/// only moderators and users whose own permissions include LOBBY_IGNORE
/// (`lib/Service/ParticipantService.php::getParticipantUserIdsForCallNotifications`),
/// except the logged-in user (`lib/Notification/Listener.php::sendCallNotifications`
/// skips `$actorId === $userId`: the user of the request, not the attendee whose
/// session joined; they differ when the cookie holds another attendee's session).
/// None for silent calls and file conversations.
/// Picking the recipients reads the lobby state, which resets an expired timer.
fn notify_call_started(cx: &mut Ctx) {
    let silent = cx.params.silent;
    if silent || cx.state.room.object_type == OBJECT_TYPE_FILE {
        cx.effect(Effect::NotifyCallStarted { attendee_ids: Vec::new(), silent });
        return;
    }
    let lobby = cx.read_lobby_state() != LobbyState::None;
    let st = &cx.state;
    let me = cx.actor.user_id.as_deref();
    let mut in_call = vec![false; st.attendees.len()];
    for s in st.sessions.iter().filter(|s| s.in_call_fresh(cx.now)) {
        if let Some(i) = st.attendee_pos(s.attendee_id) {
            in_call[i] = true;
        }
    }
    let recipients = st
        .attendees
        .iter()
        .zip(in_call)
        .filter(|(a, in_call)| !in_call && a.is_user() && Some(a.actor_id.as_str()) != me && a.notification_calls == 1)
        .map(|(a, _)| a)
        .filter(|a| !lobby || a.participant_type.is_moderator() || a.permissions.contains(Permissions::LOBBY_IGNORE))
        .map(|a| a.attendee_id)
        .collect();
    cx.effect(Effect::NotifyCallStarted { attendee_ids: recipients, silent });
}
