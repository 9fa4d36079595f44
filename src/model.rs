//! The stored rows and constants the rules read, mirroring Talk's columns
//! (`talk_rooms`, `talk_attendees`, `talk_sessions`) and its constants
//! (`Participant::FLAG_*`, `Attendee::PERMISSIONS_*`, `Participant::OWNER…`).
//!
//! These are plain data with the State's field names (camelCase) and the server's
//! defaults: they derive `Deserialize` through the column readers of
//! [`crate::reading`], which refuse anything that does not fit a column, and
//! `Serialize` back to the same JSON. [`crate::input`] reads them and checks the rows
//! against each other.

use crate::index::Index;
use crate::reading;
use bitflags::bitflags;
use serde::{Deserialize, Serialize, Serializer};

bitflags! {
    /// `talk_sessions.in_call` and `talk_rooms.call_flag` (Talk's `Participant::FLAG_*`).
    ///
    /// The server stores whatever integer a client sent (Talk 18 does not range-check
    /// `flags`), so unknown bits are retained, never truncated.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct InCall: u32 {
        /// `FLAG_IN_CALL`: in the call.
        const IN_CALL = 1;
        /// `FLAG_WITH_AUDIO`: sending audio.
        const WITH_AUDIO = 2;
        /// `FLAG_WITH_VIDEO`: sending video.
        const WITH_VIDEO = 4;
        /// `FLAG_WITH_PHONE`: joined by phone (SIP).
        const WITH_PHONE = 8;
    }
}

impl InCall {
    /// `FLAG_DISCONNECTED` (0): not in the call.
    pub const DISCONNECTED: InCall = InCall::empty();
    /// Flags used by `POST /call/{token}` when the request names none.
    pub const DEFAULT_JOIN: InCall = InCall::IN_CALL.union(InCall::WITH_AUDIO).union(InCall::WITH_VIDEO);

    /// From the stored signed integer, keeping every bit as PHP's `&` would.
    pub fn from_column(v: i64) -> InCall {
        InCall::from_bits_retain(v as u32)
    }

    /// Back to the signed integer the column holds.
    pub fn column(self) -> i64 {
        i64::from(self.bits() as i32)
    }
}

bitflags! {
    /// Attendee, call and conversation permissions (Talk's `Attendee::PERMISSIONS_*`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Permissions: u32 {
        /// `PERMISSIONS_CUSTOM`: the value was set on purpose (not the default).
        const CUSTOM = 1;
        /// `PERMISSIONS_CALL_START`: may start a call (and ring or dial out).
        const CALL_START = 2;
        /// `PERMISSIONS_CALL_JOIN`: may join a call.
        const CALL_JOIN = 4;
        /// `PERMISSIONS_LOBBY_IGNORE`: gets past the lobby.
        const LOBBY_IGNORE = 8;
        /// `PERMISSIONS_PUBLISH_AUDIO`: may send audio.
        const PUBLISH_AUDIO = 16;
        /// `PERMISSIONS_PUBLISH_VIDEO`: may send video.
        const PUBLISH_VIDEO = 32;
        /// `PERMISSIONS_PUBLISH_SCREEN`: may share the screen.
        const PUBLISH_SCREEN = 64;
        /// `PERMISSIONS_CHAT`: may post chat messages.
        const CHAT = 128;
    }
}

/// The column's signed integer.
impl Serialize for InCall {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.column())
    }
}

/// The column's signed integer.
impl Serialize for Permissions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.column())
    }
}

impl Permissions {
    /// `PERMISSIONS_DEFAULT`: "no own value, fall through to the next level".
    pub const DEFAULT: Permissions = Permissions::empty();
    /// `PERMISSIONS_MAX_DEFAULT` (254): everything but CUSTOM.
    pub const MAX_DEFAULT: Permissions = Permissions::all().difference(Permissions::CUSTOM);
    /// `PERMISSIONS_MAX_CUSTOM` (255).
    pub const MAX_CUSTOM: Permissions = Permissions::all();

    /// From the stored signed integer, keeping every bit as PHP's `&` would.
    pub fn from_column(v: i64) -> Permissions {
        Permissions::from_bits_retain(v as u32)
    }

    /// Back to the signed integer the column holds.
    pub fn column(self) -> i64 {
        i64::from(self.bits() as i32)
    }
}

/// `Participant::OWNER` … `Participant::GUEST_MODERATOR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParticipantType {
    /// `OWNER`: a user who owns the conversation (a moderator).
    Owner = 1,
    /// `MODERATOR`: a user who moderates it.
    Moderator = 2,
    /// `USER`: a user who was added.
    User = 3,
    /// `GUEST`: a guest (not logged in).
    Guest = 4,
    /// `USER_SELF_JOINED`: a user who joined a public conversation by its link.
    UserSelfJoined = 5,
    /// `GUEST_MODERATOR`: a guest with moderator rights.
    GuestModerator = 6,
}

impl Serialize for ParticipantType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(*self as i64)
    }
}

impl ParticipantType {
    /// Every type with the name of Talk's constant (`Participant::OWNER` …), in column order.
    pub const ALL: [(&'static str, ParticipantType); 6] = [
        ("OWNER", ParticipantType::Owner),
        ("MODERATOR", ParticipantType::Moderator),
        ("USER", ParticipantType::User),
        ("GUEST", ParticipantType::Guest),
        ("USER_SELF_JOINED", ParticipantType::UserSelfJoined),
        ("GUEST_MODERATOR", ParticipantType::GuestModerator),
    ];

    /// From the stored integer; `None` outside 1..6.
    pub fn from_column(v: i64) -> Option<ParticipantType> {
        use ParticipantType::*;
        Some(match v {
            1 => Owner,
            2 => Moderator,
            3 => User,
            4 => Guest,
            5 => UserSelfJoined,
            6 => GuestModerator,
            _ => return None,
        })
    }

    /// `Participant::hasModeratorPermissions()`: owner, moderator, guest moderator.
    pub fn is_moderator(self) -> bool {
        matches!(self, ParticipantType::Owner | ParticipantType::Moderator | ParticipantType::GuestModerator)
    }

    /// `Participant::isGuest()`.
    pub fn is_guest(self) -> bool {
        matches!(self, ParticipantType::Guest | ParticipantType::GuestModerator)
    }
}

/// `Room::TYPE_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomType {
    /// `TYPE_ONE_TO_ONE`: a conversation of two users.
    OneToOne = 1,
    /// `TYPE_GROUP`: a conversation of invited participants.
    Group = 2,
    /// `TYPE_PUBLIC`: a conversation guests can join by its link.
    Public = 3,
    /// `TYPE_CHANGELOG`: the read-only changelog of the Talk app.
    Changelog = 4,
    /// `TYPE_ONE_TO_ONE_FORMER`: a one-to-one conversation one of whose users was deleted.
    FormerOneToOne = 5,
    /// `TYPE_NOTE_TO_SELF`: a user's notes (no calls).
    NoteToSelf = 6,
}

impl Serialize for RoomType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(*self as i64)
    }
}

impl RoomType {
    /// Every type with the name of Talk's constant (`Room::TYPE_ONE_TO_ONE` …, `TYPE_` left
    /// out; `TYPE_ONE_TO_ONE_FORMER` is `FORMER_ONE_TO_ONE`), in column order.
    pub const ALL: [(&'static str, RoomType); 6] = [
        ("ONE_TO_ONE", RoomType::OneToOne),
        ("GROUP", RoomType::Group),
        ("PUBLIC", RoomType::Public),
        ("CHANGELOG", RoomType::Changelog),
        ("FORMER_ONE_TO_ONE", RoomType::FormerOneToOne),
        ("NOTE_TO_SELF", RoomType::NoteToSelf),
    ];

    /// From the stored integer; `None` outside 1..6.
    pub fn from_column(v: i64) -> Option<RoomType> {
        use RoomType::*;
        Some(match v {
            1 => OneToOne,
            2 => Group,
            3 => Public,
            4 => Changelog,
            5 => FormerOneToOne,
            6 => NoteToSelf,
            _ => return None,
        })
    }
}

/// App config `start_calls`: who may start a call (`lib/Room.php`: `Room::START_CALL_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartCalls {
    /// `START_CALL_EVERYONE`: every participant, guests too.
    #[default]
    Everyone = 0,
    /// `START_CALL_USERS`: users and moderators, not guests.
    Users = 1,
    /// `START_CALL_MODERATORS`: moderators only.
    Moderators = 2,
    /// `START_CALL_NOONE`: nobody; calls are disabled.
    NoOne = 3,
}

impl StartCalls {
    /// Every value of `start_calls` with a name, in order.
    pub const ALL: [(&'static str, StartCalls); 4] = [
        ("EVERYONE", StartCalls::Everyone),
        ("USERS", StartCalls::Users),
        ("MODERATORS", StartCalls::Moderators),
        ("NO_ONE", StartCalls::NoOne),
    ];
}

impl Serialize for StartCalls {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(*self as i64)
    }
}

/// A room or config column whose values are a fixed set of Talk's constants, `0..=MAX`
/// with 0 the default: the enum, the constants' names (their common prefix left out) and
/// the column's integer. The readers ([`crate::reading`]) refuse any other value.
///
/// None of these enums is `#[non_exhaustive]`: each set is the same in Talk's main branch
/// as in Talk 18, and the rules mirror Talk 18, whose server stores no other value; a new
/// value would come with new rules, not as a variant to pass through.
macro_rules! column_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $value:literal, $constant:literal;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)+
        }

        impl $name {
            /// Every value with the name of Talk's constant, in column order.
            pub const ALL: &'static [(&'static str, $name)] = &[$(($constant, $name::$variant),)+];
            /// Every value as Talk's constant name and the column's integer, in column order.
            pub const VALUES: &'static [(&'static str, i64)] = &[$(($constant, $value),)+];
            /// The largest value the column holds (the smallest is 0).
            pub const MAX: i64 = $name::ALL.len() as i64 - 1;

            /// From the stored integer; `None` outside `0..=MAX`.
            pub fn from_column(v: i64) -> Option<$name> {
                match v {
                    $($value => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The integer the column holds.
            pub fn column(self) -> i64 {
                self as i64
            }
        }

        /// The column's integer.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.column())
            }
        }
    };
}

column_enum! {
    /// `talk_rooms.lobby_state` (`lib/Webinary.php`: `Webinary::LOBBY_*`).
    LobbyState {
        /// `LOBBY_NONE`: no lobby.
        #[default]
        None = 0, "NONE";
        /// `LOBBY_NON_MODERATORS`: only moderators and attendees with LOBBY_IGNORE get past it.
        NonModerators = 1, "NON_MODERATORS";
    }
}

column_enum! {
    /// Whether joining a call needs consent to its recording: the server's effective
    /// `Config::recordingConsentRequired()` and `talk_rooms.recording_consent`
    /// (`lib/Service/RecordingService.php`: `RecordingService::CONSENT_REQUIRED_*`).
    RecordingConsent {
        /// `CONSENT_REQUIRED_NO`: no consent is asked.
        #[default]
        No = 0, "NO";
        /// `CONSENT_REQUIRED_YES`: every call asks for consent.
        Yes = 1, "YES";
        /// `CONSENT_REQUIRED_OPTIONAL`: each conversation decides (a server setting;
        /// `RoomService::setRecordingConsent` stores only NO or YES).
        Optional = 2, "OPTIONAL";
    }
}

column_enum! {
    /// `talk_rooms.listable`: who may find the conversation without being a participant
    /// (`lib/Room.php`: `Room::LISTABLE_*`).
    Listable {
        /// `LISTABLE_NONE`: participants only.
        #[default]
        None = 0, "NONE";
        /// `LISTABLE_USERS`: regular users (not those of the guests app).
        Users = 1, "USERS";
        /// `LISTABLE_ALL`: every logged-in user, guest-app users included.
        All = 2, "ALL";
    }
}

column_enum! {
    /// `talk_rooms.call_recording`: the state of the call's recording
    /// (`lib/Room.php`: `Room::RECORDING_*`).
    CallRecording {
        /// `RECORDING_NONE`: not recording.
        #[default]
        None = 0, "NONE";
        /// `RECORDING_VIDEO`: recording video.
        Video = 1, "VIDEO";
        /// `RECORDING_AUDIO`: recording audio only.
        Audio = 2, "AUDIO";
        /// `RECORDING_VIDEO_STARTING`: a video recording is starting.
        VideoStarting = 3, "VIDEO_STARTING";
        /// `RECORDING_AUDIO_STARTING`: an audio recording is starting.
        AudioStarting = 4, "AUDIO_STARTING";
        /// `RECORDING_FAILED`: the recording failed.
        Failed = 5, "FAILED";
    }
}

impl CallRecording {
    /// A recording runs or is starting: neither `RECORDING_NONE` nor `RECORDING_FAILED`
    /// (`lib/Activity/Listener.php::generateCallActivity` stops it then,
    /// `lib/Service/RecordingService.php::start` refuses to start another).
    pub fn is_active(self) -> bool {
        !matches!(self, CallRecording::None | CallRecording::Failed)
    }
}

column_enum! {
    /// `talk_rooms.breakout_room_mode` (`lib/Model/BreakoutRoom.php`: `BreakoutRoom::MODE_*`).
    BreakoutRoomMode {
        /// `MODE_NOT_CONFIGURED`: no breakout rooms.
        #[default]
        NotConfigured = 0, "NOT_CONFIGURED";
        /// `MODE_AUTOMATIC`: participants are assigned at random.
        Automatic = 1, "AUTOMATIC";
        /// `MODE_MANUAL`: moderators assign the participants.
        Manual = 2, "MANUAL";
        /// `MODE_FREE`: participants pick a breakout room.
        Free = 3, "FREE";
    }
}

column_enum! {
    /// `talk_rooms.breakout_room_status` (`lib/Model/BreakoutRoom.php`: `BreakoutRoom::STATUS_*`;
    /// `STATUS_ASSISTANCE_RESET` is 0 too).
    BreakoutRoomStatus {
        /// `STATUS_STOPPED` (and `STATUS_ASSISTANCE_RESET`): breakout rooms are not running.
        #[default]
        Stopped = 0, "STOPPED";
        /// `STATUS_STARTED`: breakout rooms are running.
        Started = 1, "STARTED";
        /// `STATUS_ASSISTANCE_REQUESTED`: a breakout room asked the moderators for help.
        AssistanceRequested = 2, "ASSISTANCE_REQUESTED";
    }
}

/// A 0/1 column from a boolean.
fn as_flag<S: Serializer>(b: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(i64::from(*b))
}

/// `signaling`: "external" or "internal".
fn as_signaling<S: Serializer>(external: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if *external { "external" } else { "internal" })
}

/// `Session::SESSION_TIMEOUT`: a session pinged within this many seconds is "fresh".
pub const SESSION_TIMEOUT: i64 = 30;

/// Object type of a public room created for a share's video verification.
pub const OBJECT_TYPE_VIDEO_VERIFICATION: &str = "share:password";
/// Object type of breakout rooms (`BreakoutRoom::PARENT_OBJECT_TYPE`).
pub const OBJECT_TYPE_BREAKOUT_ROOM: &str = "room";
/// Object type of conversations attached to a file.
pub const OBJECT_TYPE_FILE: &str = "file";

/// `Attendee::ACTOR_USERS`: a user of this server.
pub const ACTOR_USERS: &str = "users";
/// `Attendee::ACTOR_GUESTS`: a guest, by the hash of their session id.
pub const ACTOR_GUESTS: &str = "guests";
/// `Attendee::ACTOR_PHONES`: a phone number, dialled out to.
pub const ACTOR_PHONES: &str = "phones";
/// `Attendee::ACTOR_GROUPS`: a group added as a whole.
pub const ACTOR_GROUPS: &str = "groups";
/// `Attendee::ACTOR_CIRCLES`: a team (circle) added as a whole.
pub const ACTOR_CIRCLES: &str = "circles";
/// `Attendee::ACTOR_EMAILS`: a guest invited by e-mail.
pub const ACTOR_EMAILS: &str = "emails";
/// `Attendee::ACTOR_BRIDGED`: a participant of a bridged chat.
pub const ACTOR_BRIDGED: &str = "bridged";
/// `Attendee::ACTOR_FEDERATED_USERS`: a user of another server.
pub const ACTOR_FEDERATED_USERS: &str = "federated_users";

/// The attendee actor types Talk 18 stores (`Attendee::ACTOR_*`), with the constant's name.
/// The rules tell users, guests and phones apart and treat the others alike.
pub const ACTOR_TYPES: [(&str, &str); 8] = [
    ("USERS", ACTOR_USERS),
    ("GROUPS", ACTOR_GROUPS),
    ("GUESTS", ACTOR_GUESTS),
    ("EMAILS", ACTOR_EMAILS),
    ("CIRCLES", ACTOR_CIRCLES),
    ("BRIDGED", ACTOR_BRIDGED),
    ("FEDERATED_USERS", ACTOR_FEDERATED_USERS),
    ("PHONES", ACTOR_PHONES),
];

/// The server's settings (`state.config`); every field optional, null is the default.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// App config `start_calls`: who may start a call (0 everyone when unset).
    #[serde(default, deserialize_with = "reading::start_calls")]
    pub start_calls: StartCalls,
    /// App config `allowed_groups`: users in none of them may not use Talk; empty allows all.
    #[serde(default, deserialize_with = "reading::groups")]
    pub allowed_groups: Vec<String>,
    /// The server's effective `Config::recordingConsentRequired()` (0 no, 1 yes, 2 optional).
    #[serde(default, deserialize_with = "reading::recording_consent")]
    pub recording_consent: RecordingConsent,
    /// App config `default_permissions`; `None` when unset.
    #[serde(default, deserialize_with = "reading::opt_permissions")]
    pub default_permissions: Option<Permissions>,
    /// `true` when an external signaling server (HPB) is configured (`signaling`: "external").
    #[serde(rename = "signaling", default, deserialize_with = "reading::signaling", serialize_with = "as_signaling")]
    pub external_signaling: bool,
}

/// `talk_rooms`: `token` and `type` are required, every other column has the server's default.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Room {
    /// `token`: the conversation's token, which the request path names.
    #[serde(deserialize_with = "reading::nonempty")]
    pub token: String,
    /// `type`: the conversation type (`Room::TYPE_*`, 1..6).
    #[serde(rename = "type", deserialize_with = "reading::room_type")]
    pub room_type: RoomType,
    /// `read_only`: 1 read-only (`Room::READ_ONLY`), 0 read-write (`Room::READ_WRITE`).
    #[serde(default, deserialize_with = "reading::flag", serialize_with = "as_flag")]
    pub read_only: bool,
    /// `lobby_state`: 0 no lobby, 1 lobby for non-moderators (`Webinary::LOBBY_*`).
    #[serde(default, deserialize_with = "reading::lobby_state")]
    pub lobby_state: LobbyState,
    /// `lobby_timer`: unix seconds at which the lobby lifts itself, or none.
    #[serde(default, deserialize_with = "reading::timestamp")]
    pub lobby_timer: Option<i64>,
    /// `object_type`: what the conversation is attached to ("" none, "file", "room" …).
    #[serde(default, deserialize_with = "reading::string")]
    pub object_type: String,
    /// `call_flag`: the in-call flags of everyone who joined the running call, or 0.
    #[serde(default, deserialize_with = "reading::in_call")]
    pub call_flag: InCall,
    /// `active_since`: unix seconds the running call started at, or none.
    #[serde(default, deserialize_with = "reading::timestamp")]
    pub active_since: Option<i64>,
    /// `active_guests`: guests who joined the running call of a public conversation.
    #[serde(default, deserialize_with = "reading::active_guests")]
    pub active_guests: i64,
    /// `default_permissions`: the conversation's permissions (0: none of its own).
    #[serde(default, deserialize_with = "reading::permissions")]
    pub default_permissions: Permissions,
    /// `call_permissions`: the running call's permissions (0: none of its own).
    #[serde(default, deserialize_with = "reading::permissions")]
    pub call_permissions: Permissions,
    /// `recording_consent`: 1 when joining the call needs consent to its recording, else 0.
    #[serde(default, deserialize_with = "reading::recording_consent")]
    pub recording_consent: RecordingConsent,
    /// `call_recording`: 0 not recording … 5 failed (`Room::RECORDING_*`).
    #[serde(default, deserialize_with = "reading::call_recording")]
    pub call_recording: CallRecording,
    /// `breakout_room_mode` (`BreakoutRoom::MODE_*`, 0..3). The breakout columns are not
    /// read by the call rules, but must hold a value the server stores.
    #[serde(default, deserialize_with = "reading::breakout_room_mode")]
    pub breakout_room_mode: BreakoutRoomMode,
    /// `breakout_room_status` (`BreakoutRoom::STATUS_*`, 0..2).
    #[serde(default, deserialize_with = "reading::breakout_room_status")]
    pub breakout_room_status: BreakoutRoomStatus,
    /// `listable`: 0 participants only, 1 regular users, 2 everyone (Talk 18
    /// `lib/Room.php`: LISTABLE_NONE, LISTABLE_USERS, LISTABLE_ALL).
    #[serde(default, deserialize_with = "reading::listable")]
    pub listable: Listable,
}

impl Default for InCall {
    fn default() -> InCall {
        InCall::DISCONNECTED
    }
}

impl Default for Permissions {
    fn default() -> Permissions {
        Permissions::DEFAULT
    }
}

impl Room {
    /// A room with every other column at the server's default.
    pub fn new(token: &str, room_type: RoomType) -> Room {
        Room {
            token: token.to_string(),
            room_type,
            read_only: false,
            lobby_state: LobbyState::None,
            lobby_timer: None,
            object_type: String::new(),
            call_flag: InCall::DISCONNECTED,
            active_since: None,
            active_guests: 0,
            default_permissions: Permissions::DEFAULT,
            call_permissions: Permissions::DEFAULT,
            recording_consent: RecordingConsent::No,
            call_recording: CallRecording::None,
            breakout_room_mode: BreakoutRoomMode::NotConfigured,
            breakout_room_status: BreakoutRoomStatus::Stopped,
            listable: Listable::None,
        }
    }

    /// `Room::validateTimer()`: the stored second is compared with a `now` that
    /// has microseconds, so a timer at the current second has passed. The lobby
    /// state is not looked at: a past timer with the lobby off is cleared too.
    pub fn lobby_timer_expired(&self, now: i64) -> bool {
        matches!(self.lobby_timer, Some(t) if t <= now)
    }

    /// `RoomService::setLobby()` changes only group and public conversations that
    /// are not attached to an object (breakout rooms excepted); elsewhere it
    /// refuses before writing, so an expired timer there stays as stored.
    pub fn lobby_settable(&self) -> bool {
        matches!(self.room_type, RoomType::Group | RoomType::Public)
            && (self.object_type.is_empty() || self.object_type == OBJECT_TYPE_BREAKOUT_ROOM)
    }

    /// Is this a conversation the caller may see (`Manager::getRoomForUserByToken`)?
    /// Public ones always; others only for a logged-in user who is an attendee, or
    /// to whom it is listed (`isRoomListableByUser`). Guests see public ones only.
    pub fn visible_to(&self, actor: &Actor, user_is_attendee: bool) -> bool {
        if self.room_type == RoomType::Public {
            return true;
        }
        if actor.user_id.is_none() {
            return false;
        }
        user_is_attendee
            || self.listable == Listable::All
            || (self.listable == Listable::Users && !actor.groups.iter().any(|g| g == GUEST_APP_GROUP))
    }
}

/// Users of the guests app are in this group (`Manager::isGuestUser`); "regular
/// users" listings exclude them.
pub const GUEST_APP_GROUP: &str = "guest_app";

/// `talk_attendees`: id, actor and participant type required.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attendee {
    /// `id`: the row id, unique over every conversation of the server.
    #[serde(deserialize_with = "reading::id")]
    pub attendee_id: i64,
    /// `actor_type`: "users", "guests", "phones" … (`Attendee::ACTOR_*`).
    #[serde(deserialize_with = "reading::nonempty")]
    pub actor_type: String,
    /// `actor_id`: the user id, the guest's session hash, the phone's id ….
    #[serde(deserialize_with = "reading::nonempty")]
    pub actor_id: String,
    /// `display_name` as stored ("" when none).
    #[serde(default, deserialize_with = "reading::string")]
    pub display_name: String,
    /// `participant_type`: owner 1 … guest moderator 6 (`Participant::OWNER` …).
    #[serde(deserialize_with = "reading::participant_type")]
    pub participant_type: ParticipantType,
    /// `permissions`: the attendee's own permissions (0: none of their own).
    #[serde(default, deserialize_with = "reading::permissions")]
    pub permissions: Permissions,
    /// `last_joined_call`: unix seconds the attendee last joined a call, or none.
    #[serde(default, deserialize_with = "reading::timestamp")]
    pub last_joined_call: Option<i64>,
    /// `notification_calls`: 1 call notifications on (the default), 0 off
    /// (`Participant::NOTIFY_CALLS_*`).
    #[serde(default = "reading::one", deserialize_with = "reading::notification_calls")]
    pub notification_calls: i64,
    /// `phone_number` of a phone attendee, or none.
    #[serde(default, deserialize_with = "reading::opt_string")]
    pub phone_number: Option<String>,
    /// `call_id` of a phone attendee's dial-out ("" once the phone left), or none.
    #[serde(default, deserialize_with = "reading::opt_string")]
    pub call_id: Option<String>,
}

impl Attendee {
    /// A user of this server (actor type "users").
    pub fn is_user(&self) -> bool {
        self.actor_type == ACTOR_USERS
    }
}

/// `talk_sessions`: id and attendee required.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// `session_id`: the room session's id, which the caller's cookie holds.
    #[serde(deserialize_with = "reading::nonempty")]
    pub session_id: String,
    /// `attendee_id`: the attendee whose session it is.
    #[serde(deserialize_with = "reading::id")]
    pub attendee_id: i64,
    /// `in_call`: the session's in-call flags, 0 when not in the call.
    #[serde(default, deserialize_with = "reading::in_call")]
    pub in_call: InCall,
    /// `last_ping`: unix seconds of the session's last ping.
    #[serde(default, deserialize_with = "reading::last_ping")]
    pub last_ping: i64,
}

impl Session {
    /// Pinged within [`SESSION_TIMEOUT`] seconds of `now` (inclusive).
    pub fn fresh(&self, now: i64) -> bool {
        self.last_ping >= now - SESSION_TIMEOUT
    }

    /// In the call by the server's standard: flagged and pinged recently.
    pub fn in_call_fresh(&self, now: i64) -> bool {
        !self.in_call.is_empty() && self.fresh(now)
    }
}

/// An attendee row of another conversation (ring/dial-out targets are looked up globally).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForeignAttendee {
    /// `id` of the attendee row.
    #[serde(deserialize_with = "reading::id")]
    pub attendee_id: i64,
    /// `actor_type` of the row (`Attendee::ACTOR_*`).
    #[serde(deserialize_with = "reading::nonempty")]
    pub actor_type: String,
}

/// `users` as the State writes it: user id → `{ displayName }`.
fn as_users<S: Serializer>(users: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    #[derive(Serialize)]
    struct User<'a> {
        #[serde(rename = "displayName")]
        display_name: &'a str,
    }
    let mut m = s.serialize_map(Some(users.len()))?;
    for (id, name) in users {
        m.serialize_entry(id, &User { display_name: name })?;
    }
    m.end()
}

/// Everything the host loaded for one request. Serialised as the State document;
/// read (and checked) by [`crate::read_state`], or by `Deserialize`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// `config`: the server's settings.
    pub config: Config,
    /// `room`: the conversation's row.
    pub room: Room,
    /// `attendees`: the conversation's attendee rows.
    pub attendees: Vec<Attendee>,
    /// `sessions`: the room sessions of those attendees.
    pub sessions: Vec<Session>,
    /// `foreignAttendees`: attendee rows of other conversations a request may name.
    pub foreign_attendees: Vec<ForeignAttendee>,
    /// `users`: user id → the user manager's display name.
    #[serde(rename = "users", serialize_with = "as_users")]
    pub user_names: Vec<(String, String)>,
    #[serde(skip)]
    attendee_index: Index,
    #[serde(skip)]
    session_index: Index,
    /// Sessions by `attendee_id` (rows are never added or removed once read).
    #[serde(skip)]
    sessions_by_attendee: Index,
    /// Attendees of actor type `users` by `actor_id` (hashed; other rows under 0).
    #[serde(skip)]
    users_by_actor_id: Index,
    #[serde(skip)]
    user_index: Index,
}

impl State {
    /// The rows, indexed for the look-ups of the rules.
    pub fn new(
        config: Config,
        room: Room,
        attendees: Vec<Attendee>,
        sessions: Vec<Session>,
        foreign_attendees: Vec<ForeignAttendee>,
        user_names: Vec<(String, String)>,
    ) -> State {
        let attendee_index = Index::new(attendees.iter().map(|a| a.attendee_id));
        let session_index = Index::of_strings(sessions.iter().map(|s| s.session_id.as_str()));
        let sessions_by_attendee = Index::new(sessions.iter().map(|s| s.attendee_id));
        let users_by_actor_id = Index::new(attendees.iter().map(|a| {
            if a.actor_type == ACTOR_USERS {
                crate::index::hash(&a.actor_id)
            } else {
                0
            }
        }));
        let user_index = Index::of_strings(user_names.iter().map(|u| u.0.as_str()));
        State {
            config,
            room,
            attendees,
            sessions,
            foreign_attendees,
            user_names,
            attendee_index,
            session_index,
            sessions_by_attendee,
            users_by_actor_id,
            user_index,
        }
    }

    /// Index of the attendee row with this id.
    pub fn attendee_pos(&self, attendee_id: i64) -> Option<usize> {
        self.attendee_index.find(attendee_id)
    }

    /// The attendee row with this id.
    pub fn attendee(&self, attendee_id: i64) -> Option<&Attendee> {
        self.attendee_pos(attendee_id).map(|i| &self.attendees[i])
    }

    /// Index of the session row with this id.
    pub fn session_pos(&self, session_id: &str) -> Option<usize> {
        self.session_index.find_str(session_id, |i| &self.sessions[i].session_id)
    }

    /// The first attendee row of actor type `users` with this actor id.
    pub fn user_attendee_pos(&self, user_id: &str) -> Option<usize> {
        self.users_by_actor_id
            .rows(crate::index::hash(user_id))
            .find(|&i| self.attendees[i].actor_type == ACTOR_USERS && self.attendees[i].actor_id == user_id)
    }

    /// The sessions of an attendee, in row order.
    pub fn sessions_of(&self, attendee_id: i64) -> impl Iterator<Item = &Session> + '_ {
        self.sessions_by_attendee.rows(attendee_id).map(|i| &self.sessions[i])
    }

    /// An attendee id used by two rows, if any.
    pub fn duplicate_attendee_id(&self) -> Option<i64> {
        self.attendee_index.duplicate().map(|i| self.attendees[i].attendee_id)
    }

    /// A session id used by two rows, if any.
    pub fn duplicate_session_id(&self) -> Option<&str> {
        self.session_index.duplicate_str(|i| &self.sessions[i].session_id).map(|i| self.sessions[i].session_id.as_str())
    }

    /// A user id named twice in `users`, if any.
    pub fn duplicate_user_id(&self) -> Option<&str> {
        self.user_index.duplicate_str(|i| &self.user_names[i].0).map(|i| self.user_names[i].0.as_str())
    }

    /// The user manager's display name of a user named in `users`.
    pub fn user_display_name(&self, user_id: &str) -> Option<&str> {
        self.user_index.find_str(user_id, |i| &self.user_names[i].0).map(|i| self.user_names[i].1.as_str())
    }

    /// Is any session of the room in the call with a fresh ping?
    pub fn call_alive(&self, now: i64) -> bool {
        self.sessions.iter().any(|s| s.in_call_fresh(now))
    }
}

/// Who is asking: the logged-in user (if any) and the room session id their cookie holds
/// (`{ userId?, sessionId?, groups? }`; empty strings mean absent).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    /// `userId`: the logged-in user, none for a guest.
    #[serde(default, deserialize_with = "reading::opt_nonempty", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// `sessionId`: the room session id the cookie holds, if any.
    #[serde(default, deserialize_with = "reading::opt_nonempty", skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// `groups`: the logged-in user's group ids.
    #[serde(default, deserialize_with = "reading::groups")]
    pub groups: Vec<String>,
}

/// The parameters of the routed endpoint, coerced as the server's dispatcher does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    /// POST `flags` (`?int`) or PUT `flags` (`int`).
    pub flags: Option<i64>,
    /// POST `forcePermissions` (`?int`): call permissions a moderator sets while joining.
    pub force_permissions: Option<i64>,
    /// POST `silent` (`bool`): start the call without call notifications.
    pub silent: bool,
    /// POST `recordingConsent` (`bool`): the caller consents to the call's recording.
    pub recording_consent: bool,
    /// DELETE `all` (`bool`): a moderator ends the call for everyone.
    pub all: bool,
}

/// A request: method and path as the client sent them (the query string is part of the
/// path), the Content-Type (it decides how the dispatcher reads the string "false" for a
/// boolean parameter), the JSON body, who sends it and the server's time.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// `method`: the HTTP method ("GET", "POST", "PUT", "DELETE" …).
    #[serde(deserialize_with = "reading::nonempty")]
    pub method: String,
    /// `path`: the path below the OCS base, with its query string (`/call/{token}…`).
    #[serde(deserialize_with = "reading::nonempty")]
    pub path: String,
    /// `contentType`: the request's Content-Type (a JSON one by default).
    #[serde(default = "crate::input::default_content_type", deserialize_with = "reading::content_type")]
    pub content_type: String,
    /// The body's fields (the query string's parameters join them when the request is decided;
    /// a field of the body wins).
    #[serde(default, deserialize_with = "reading::body")]
    pub body: serde_json::Map<String, serde_json::Value>,
    /// `actor`: who sends the request.
    #[serde(default, deserialize_with = "reading::or_default")]
    pub actor: Actor,
    /// `now`: the server's time, unix seconds.
    #[serde(deserialize_with = "reading::now")]
    pub now: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(lobby_state: i64, lobby_timer: Option<i64>) -> Room {
        let lobby_state = LobbyState::from_column(lobby_state).unwrap();
        Room { lobby_state, lobby_timer, ..Room::new("abcd", RoomType::Group) }
    }

    // `lib/Room.php::validateTimer`, reached through `Room::getLobbyState` from
    // `lib/Middleware/InjectionMiddleware.php::checkLobbyState` (RequireModeratorOrNoLobby),
    // compares with a `now` that has microseconds and does not look at the lobby state;
    // `lib/Service/RoomService.php::setLobby` refuses other room and object types.
    #[test]
    fn lobby_timer() {
        assert!(!room(1, None).lobby_timer_expired(100));
        assert!(!room(1, Some(101)).lobby_timer_expired(100));
        assert!(room(1, Some(100)).lobby_timer_expired(100), "a timer at the current second has passed");
        assert!(room(1, Some(99)).lobby_timer_expired(100));
        assert!(room(0, Some(99)).lobby_timer_expired(100), "cleared even with the lobby off");
        assert!(room(1, None).lobby_settable());
        let one_to_one = Room { room_type: RoomType::OneToOne, ..room(1, Some(1)) };
        assert!(!one_to_one.lobby_settable());
        let file = Room { object_type: OBJECT_TYPE_FILE.into(), ..room(1, Some(1)) };
        assert!(!file.lobby_settable());
        let breakout = Room { object_type: OBJECT_TYPE_BREAKOUT_ROOM.into(), ..room(1, Some(1)) };
        assert!(breakout.lobby_settable());
    }

    // Manager::getRoomForUserByToken() + isRoomListableByUser()
    #[test]
    fn visibility() {
        let user = Actor { user_id: Some("u".into()), ..Actor::default() };
        let guest_app = Actor { user_id: Some("g".into()), session_id: None, groups: vec![GUEST_APP_GROUP.into()] };
        let guest = Actor { session_id: Some("s".into()), ..Actor::default() };
        let public = Room::new("abcd", RoomType::Public);
        assert!(public.visible_to(&guest, false));
        let mut group = Room::new("abcd", RoomType::Group);
        assert!(!group.visible_to(&guest, false));
        assert!(!group.visible_to(&user, false));
        assert!(group.visible_to(&user, true));
        group.listable = Listable::Users;
        assert!(group.visible_to(&user, false));
        assert!(!group.visible_to(&guest_app, false));
        assert!(!group.visible_to(&guest, false));
        group.listable = Listable::All;
        assert!(group.visible_to(&guest_app, false));
        assert!(!group.visible_to(&guest, false));
    }

    // Fresh means pinged within `lib/Model/Session.php` SESSION_TIMEOUT, inclusive and with any
    // non-zero flags (`lib/Service/ParticipantService.php::hasActiveSessionsInCall`).
    #[test]
    fn session_freshness() {
        let s = |in_call: u32, last_ping: i64| Session {
            session_id: "s".into(),
            attendee_id: 1,
            in_call: InCall::from_bits_retain(in_call),
            last_ping,
        };
        assert!(s(7, 70).in_call_fresh(100));
        assert!(!s(7, 69).in_call_fresh(100));
        assert!(!s(0, 100).in_call_fresh(100));
        assert!(s(6, 100).in_call_fresh(100), "flags without IN_CALL still count as in the call");
    }

    /// Each constant's name is the value at its place; the JSON is the column's integer.
    #[test]
    fn column_enums_are_talks_constants_in_order() {
        fn check<T: Copy + PartialEq + std::fmt::Debug + Serialize>(
            all: &[(&str, T)],
            max: i64,
            from: fn(i64) -> Option<T>,
            column: fn(T) -> i64,
        ) {
            assert_eq!(all.len() as i64, max + 1);
            for (i, (name, v)) in all.iter().enumerate() {
                assert_eq!(column(*v), i as i64, "{name}");
                assert_eq!(from(i as i64), Some(*v), "{name}");
                assert_eq!(serde_json::to_string(v).unwrap(), i.to_string(), "{name}");
            }
            assert_eq!(from(-1), None);
            assert_eq!(from(max + 1), None);
        }
        check(LobbyState::ALL, LobbyState::MAX, LobbyState::from_column, LobbyState::column);
        check(RecordingConsent::ALL, RecordingConsent::MAX, RecordingConsent::from_column, RecordingConsent::column);
        check(Listable::ALL, Listable::MAX, Listable::from_column, Listable::column);
        check(CallRecording::ALL, CallRecording::MAX, CallRecording::from_column, CallRecording::column);
        check(BreakoutRoomMode::ALL, BreakoutRoomMode::MAX, BreakoutRoomMode::from_column, BreakoutRoomMode::column);
        check(
            BreakoutRoomStatus::ALL,
            BreakoutRoomStatus::MAX,
            BreakoutRoomStatus::from_column,
            BreakoutRoomStatus::column,
        );
        assert_eq!(LobbyState::default(), LobbyState::None);
        assert_eq!(BreakoutRoomStatus::default(), BreakoutRoomStatus::Stopped);
        let active: Vec<_> = CallRecording::ALL.iter().filter(|(_, r)| r.is_active()).map(|(n, _)| *n).collect();
        assert_eq!(active, ["VIDEO", "AUDIO", "VIDEO_STARTING", "AUDIO_STARTING"]);
    }

    #[test]
    fn columns_keep_every_bit() {
        assert_eq!(InCall::from_column(-1).column(), -1);
        assert_eq!(Permissions::from_column(300).column(), 300);
        assert_eq!(Permissions::MAX_DEFAULT.bits(), 254);
        assert_eq!(Permissions::MAX_CUSTOM.bits(), 255);
        assert_eq!(InCall::DEFAULT_JOIN.bits(), 7);
    }
}
