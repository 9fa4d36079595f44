//! Effective permissions and who may start a call (`lib/Participant.php::getPermissions`,
//! `lib/Participant.php::canStartCall`).

use crate::model::*;

/// `Participant::getPermissions()` in Talk 18: moderators get everything but CUSTOM;
/// otherwise the first non-zero level wins: attendee, call, conversation default,
/// app default; with none set, everything but LOBBY_IGNORE.
///
/// The chain tests "≠ 0", not the CUSTOM bit, exactly as the server does.
pub fn effective(config: &Config, room: &Room, attendee: &Attendee) -> Permissions {
    if attendee.participant_type.is_moderator() {
        return Permissions::MAX_DEFAULT;
    }
    [attendee.permissions, room.call_permissions, room.default_permissions]
        .into_iter()
        .find(|p| !p.is_empty())
        .or(config.default_permissions)
        .unwrap_or(Permissions::MAX_DEFAULT.difference(Permissions::LOBBY_IGNORE))
}

/// `lib/Participant.php::canStartCall` in Talk 18.
pub fn can_start_call(config: &Config, room: &Room, attendee: &Attendee) -> bool {
    if room.room_type == RoomType::NoteToSelf || config.start_calls == StartCalls::NoOne {
        return false;
    }
    if !effective(config, room, attendee).contains(Permissions::CALL_START) {
        return false;
    }
    let pt = attendee.participant_type;
    match config.start_calls {
        StartCalls::Everyone => true,
        StartCalls::Users => !pt.is_guest() || pt.is_moderator(),
        StartCalls::Moderators => pt.is_moderator(),
        StartCalls::NoOne => false,
    }
}

/// In-call flags after the server strips what the caller may not publish
/// (`ParticipantService::changeInCall` / `updateCallFlags`): audio needs
/// PUBLISH_AUDIO, video needs PUBLISH_VIDEO; every other bit is kept as sent.
pub fn strip_flags(flags: InCall, perm: Permissions) -> InCall {
    let mut f = flags;
    if !perm.contains(Permissions::PUBLISH_AUDIO) {
        f.remove(InCall::WITH_AUDIO);
    }
    if !perm.contains(Permissions::PUBLISH_VIDEO) {
        f.remove(InCall::WITH_VIDEO);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            start_calls: StartCalls::Everyone,
            allowed_groups: vec![],
            recording_consent: RecordingConsent::No,
            default_permissions: None,
            external_signaling: false,
        }
    }

    fn room() -> Room {
        Room::new("abcd", RoomType::Group)
    }

    fn attendee(pt: ParticipantType, perm: u32) -> Attendee {
        Attendee {
            attendee_id: 1,
            actor_type: "users".into(),
            actor_id: "u".into(),
            display_name: String::new(),
            participant_type: pt,
            permissions: Permissions::from_bits_retain(perm),
            last_joined_call: None,
            notification_calls: 1,
            phone_number: None,
            call_id: None,
        }
    }

    // `lib/Participant.php::getPermissions` (getPermissionsFromFallbackChain) and
    // `lib/Config.php::getDefaultPermissions`; spreed's Behat conversation-2/set-permissions.feature
    #[test]
    fn precedence_chain() {
        let mut c = config();
        let mut r = room();
        let user = attendee(ParticipantType::User, 0);
        assert_eq!(effective(&c, &r, &user).bits(), 246);
        c.default_permissions = Some(Permissions::from_bits_retain(3));
        assert_eq!(effective(&c, &r, &user).bits(), 3);
        r.default_permissions = Permissions::from_bits_retain(1 | 2);
        assert_eq!(effective(&c, &r, &user).bits(), 3);
        r.call_permissions = Permissions::from_bits_retain(1 | 16);
        assert_eq!(effective(&c, &r, &user).bits(), 17);
        let custom = attendee(ParticipantType::User, 1 | 32);
        assert_eq!(effective(&c, &r, &custom).bits(), 33);
        for pt in [ParticipantType::Owner, ParticipantType::Moderator, ParticipantType::GuestModerator] {
            assert_eq!(effective(&c, &r, &attendee(pt, 1)).bits(), 254);
        }
    }

    // `lib/Participant.php::canStartCall`
    #[test]
    fn start_call_rules() {
        let mut c = config();
        let r = room();
        let guest = attendee(ParticipantType::Guest, 0);
        let guest_mod = attendee(ParticipantType::GuestModerator, 0);
        let user = attendee(ParticipantType::User, 0);
        let self_joined = attendee(ParticipantType::UserSelfJoined, 0);
        let owner = attendee(ParticipantType::Owner, 0);
        assert!(can_start_call(&c, &r, &guest));
        c.start_calls = StartCalls::Users;
        assert!(!can_start_call(&c, &r, &guest));
        assert!(can_start_call(&c, &r, &guest_mod));
        assert!(can_start_call(&c, &r, &self_joined));
        c.start_calls = StartCalls::Moderators;
        assert!(!can_start_call(&c, &r, &user));
        assert!(can_start_call(&c, &r, &owner));
        assert!(can_start_call(&c, &r, &guest_mod));
        c.start_calls = StartCalls::NoOne;
        assert!(!can_start_call(&c, &r, &owner));
        c.start_calls = StartCalls::Everyone;
        assert!(!can_start_call(&c, &r, &attendee(ParticipantType::User, 1 | 16)));
        let mut note = room();
        note.room_type = RoomType::NoteToSelf;
        assert!(!can_start_call(&c, &note, &owner));
    }

    #[test]
    fn stripping_keeps_other_bits() {
        let none = Permissions::CUSTOM;
        assert_eq!(strip_flags(InCall::from_bits_retain(15), none).bits(), 9);
        assert_eq!(strip_flags(InCall::from_bits_retain(7), Permissions::PUBLISH_AUDIO).bits(), 3);
        assert_eq!(strip_flags(InCall::from_bits_retain(6), Permissions::MAX_DEFAULT).bits(), 6);
        assert_eq!(strip_flags(InCall::from_bits_retain(16 | 7), none).bits(), 17);
    }
}
