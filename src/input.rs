//! JSON → model, refusing anything that does not fit a column, with a detail
//! that says where. All size limits live here.

use crate::json::Value;
use crate::model::*;
use crate::reader::{shape, InputError, Path, Reader, Scalar};

/// Largest request document accepted, in bytes of JSON.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Largest state, mutations or outcome document accepted, in bytes of JSON.
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024;
/// Rows per table.
pub const MAX_ATTENDEES: usize = 50_000;
pub const MAX_SESSIONS: usize = 100_000;
pub const MAX_FOREIGN_ATTENDEES: usize = 10_000;
pub const MAX_USERS: usize = 50_000;
pub const MAX_GROUPS: usize = 10_000;
pub const MAX_MUTATIONS: usize = 200_000;
/// Largest timestamp or id: 2^53 − 1, so every value survives a JS number.
pub const MAX_SAFE_INT: i64 = 9_007_199_254_740_991;
/// Bit-mask columns (`in_call`, `call_flag`, `permissions` …) are signed 32-bit integers.
const INT_MIN: i64 = i32::MIN as i64;
const INT_MAX: i64 = i32::MAX as i64;

/// A JSON object being read, with the path used in error details.
pub struct Fields<'a> {
    members: &'a [(crate::json::Key, Value)],
    path: String,
}

impl<'a> Fields<'a> {
    pub fn of(v: &'a Value, path: &str) -> Result<Fields<'a>, InputError> {
        match v {
            Value::Object(m) => Ok(Fields { members: m, path: path.to_string() }),
            other => Err(shape!("{path}: expected an object, got {}", other.kind())),
        }
    }

    fn at(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// The value at `key`; JSON `null` counts as absent.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.members.iter().find(|(k, _)| k == key).map(|(_, v)| v).filter(|v| !v.is_null())
    }

    pub fn opt_int(&self, key: &str, lo: i64, hi: i64) -> Result<Option<i64>, InputError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(i) if (lo..=hi).contains(&i) => Ok(Some(i)),
                Some(i) => Err(shape!("{}: {i} is out of range {lo}..{hi}", self.at(key))),
                None => Err(shape!("{}: expected an integer, got {}", self.at(key), v.kind())),
            },
        }
    }

    pub fn required_int(&self, key: &str, lo: i64, hi: i64) -> Result<i64, InputError> {
        self.opt_int(key, lo, hi)?.ok_or_else(|| shape!("{}: required", self.at(key)))
    }

    pub fn opt_string(&self, key: &str) -> Result<Option<String>, InputError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.clone())),
            Some(v) => Err(shape!("{}: expected a string, got {}", self.at(key), v.kind())),
        }
    }

    pub fn string(&self, key: &str) -> Result<String, InputError> {
        Ok(self.opt_string(key)?.unwrap_or_default())
    }

    pub fn required_string(&self, key: &str) -> Result<String, InputError> {
        match self.opt_string(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(shape!("{}: required (a non-empty string)", self.at(key))),
        }
    }
}

/// Reads an object field by field, each arm naming the key it reads:
///
/// ```text
/// fields!(r, at, |r, at| {
///     "token" => token = opt_string(r, at)?,
///     "type" => room_type = Some(enum_col(r, at, RoomType::from_column, "…")?),
/// })
/// ```
///
/// In an arm, `r` is the reader, at the key's value, and `at` the key's path.
/// A key no arm names is checked and passed over; a key an arm names, given
/// twice, is refused before its second value is read. The arms' keys form a
/// const list and each key's place in it is its bit in the seen-set, worked
/// out at compile time from the key itself: the arms may come in any order.
///
/// `fields!(hot r, at, …)` inlines the object loop into the reader: for the rows
/// a state has thousands of (see [`Reader::object_inline`]).
macro_rules! fields {
    (hot $r:expr, $at:expr, |$reader:ident, $path:ident| { $($key:literal => $read:expr),+ $(,)? }) => {
        fields!(@ true, $r, $at, |$reader, $path| { $($key => $read),+ })
    };
    ($r:expr, $at:expr, |$reader:ident, $path:ident| { $($key:literal => $read:expr),+ $(,)? }) => {
        fields!(@ false, $r, $at, |$reader, $path| { $($key => $read),+ })
    };
    (@ $hot:literal, $r:expr, $at:expr, |$reader:ident, $path:ident| { $($key:literal => $read:expr),+ }) => {{
        const KEYS: &[&str] = &[$($key),+];
        let at: &Path = $at;
        object::<$hot>($r, at, |$reader, key, seen| {
            match key {
                $($key => {
                    seen.first(const { place(KEYS, $key) }, key, at)?;
                    let $path = &at.key(key);
                    $read;
                })+
                _ => $reader.skip()?,
            }
            Ok(())
        })
    }};
}

/// The known keys already read in one object: bit `i` is the `i`-th key of
/// the object's list (see [`fields!`]).
struct Seen(u64);

impl Seen {
    /// Marks the key at `place`, refusing it if it was read before.
    #[inline(always)]
    fn first(&mut self, place: u32, key: &str, at: &Path) -> Result<(), InputError> {
        let bit = 1u64 << place;
        if self.0 & bit != 0 {
            return Err(twice(key, at));
        }
        self.0 |= bit;
        Ok(())
    }
}

/// Out of line: [`Seen::first`] is inlined into every arm, its error is not.
#[cold]
#[inline(never)]
fn twice(key: &str, at: &Path) -> InputError {
    shape!("{at}: \"{key}\" appears twice")
}

/// The place of `key` in `keys`, for [`fields!`] at compile time: more than
/// 64 keys, or a key not in the list, does not compile.
const fn place(keys: &[&str], key: &str) -> u32 {
    assert!(keys.len() <= 64, "an object reader knows at most 64 keys");
    let mut i = 0;
    while i < keys.len() {
        if same(keys[i].as_bytes(), key.as_bytes()) {
            return i as u32;
        }
        i += 1;
    }
    panic!("the key is not in the list")
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// An object (anything else is refused), each key handed to `f` with the
/// object's seen-set; `f` must read or skip the key's value. `HOT` inlines the
/// loop into the caller (`fields!(hot …)`, see [`Reader::object_inline`]).
#[inline(always)]
fn object<'a, const HOT: bool>(
    r: &mut Reader<'a>,
    at: &Path,
    mut f: impl FnMut(&mut Reader<'a>, &str, &mut Seen) -> Result<(), InputError>,
) -> Result<(), InputError> {
    at_object(r, at)?;
    let mut seen = Seen(0);
    let each = |r: &mut Reader<'a>, key: std::borrow::Cow<'a, str>| f(r, &key, &mut seen);
    if HOT {
        r.object_inline(each)
    } else {
        r.object(each)
    }
}

/// Refuses anything but an object at `at`.
fn at_object(r: &mut Reader, at: &Path) -> Result<(), InputError> {
    if r.at_object() {
        return Ok(());
    }
    let s = r.scalar()?;
    Err(not_a(at, "an object", &s))
}

/// A table: null or absent is empty; at most `max` rows.
fn rows<'a, T>(
    r: &mut Reader<'a>,
    at: &Path,
    max: usize,
    mut read: impl FnMut(&mut Reader<'a>, &Path) -> Result<T, InputError>,
) -> Result<Vec<T>, InputError> {
    match r.scalar()? {
        Scalar::Null => return Ok(Vec::new()),
        Scalar::Container("an array") => {}
        other => return Err(shape!("{at}: expected an array, got {}", other.kind())),
    }
    let mut out = Vec::new();
    r.array(|r, i| {
        if i == max {
            return Err(shape!("{at}: more rows than the limit of {max}"));
        }
        out.push(read(r, &Path::Index(at, i))?);
        Ok(())
    })?;
    Ok(out)
}

fn opt_int(r: &mut Reader, at: &Path, lo: i64, hi: i64) -> Result<Option<i64>, InputError> {
    match r.scalar()? {
        Scalar::Null => Ok(None),
        Scalar::Int(i) if (lo..=hi).contains(&i) => Ok(Some(i)),
        other => Err(not_int(at, &other, lo, hi)),
    }
}

// The refusals below are built out of line: the readers are inlined into the
// row readers, and one formatting site per refusal (instead of one per column)
// keeps them small in the `.wasm` without slowing the path that reads good rows.

#[cold]
#[inline(never)]
fn not_int(at: &Path, s: &Scalar, lo: i64, hi: i64) -> InputError {
    match s {
        Scalar::Int(i) => shape!("{at}: {i} is out of range {lo}..{hi}"),
        other => shape!("{at}: expected an integer, got {}", other.kind()),
    }
}

#[cold]
#[inline(never)]
fn not_a(at: &Path, expected: &str, s: &Scalar) -> InputError {
    shape!("{at}: expected {expected}, got {}", s.kind())
}

#[cold]
#[inline(never)]
fn missing(at: &Path, key: &str, what: &str) -> InputError {
    shape!("{at}.{key}: required{what}")
}

/// A 32-bit signed column (flags and permission bit sets), 0 when absent.
fn int32(r: &mut Reader, at: &Path) -> Result<i64, InputError> {
    Ok(opt_int(r, at, INT_MIN, INT_MAX)?.unwrap_or(0))
}

fn timestamp(r: &mut Reader, at: &Path) -> Result<Option<i64>, InputError> {
    opt_int(r, at, 0, MAX_SAFE_INT)
}

fn enum_col<T>(r: &mut Reader, at: &Path, conv: impl Fn(i64) -> Option<T>, what: &str) -> Result<T, InputError> {
    let v = opt_int(r, at, i64::MIN, i64::MAX)?.ok_or_else(|| not_enum(at, None, what))?;
    conv(v).ok_or_else(|| not_enum(at, Some(v), what))
}

#[cold]
#[inline(never)]
fn not_enum(at: &Path, v: Option<i64>, what: &str) -> InputError {
    match v {
        None => shape!("{at}: required"),
        Some(v) => shape!("{at}: {v} is not a {what}"),
    }
}

fn opt_string(r: &mut Reader, at: &Path) -> Result<Option<String>, InputError> {
    match r.scalar()? {
        Scalar::Null => Ok(None),
        Scalar::Str(s) => Ok(Some(s.into_owned())),
        other => Err(not_a(at, "a string", &other)),
    }
}

/// Where an object is expected, only null (= absent) is accepted instead.
fn null_or_object(r: &mut Reader, at: &Path) -> Result<(), InputError> {
    match r.scalar()? {
        Scalar::Null => Ok(()),
        other => Err(not_a(at, "an object", &other)),
    }
}

/// An object read by `read`, or null (= absent).
fn opt_object<'a, T>(
    r: &mut Reader<'a>,
    at: &Path,
    read: impl FnOnce(&mut Reader<'a>, &Path) -> Result<T, InputError>,
) -> Result<Option<T>, InputError> {
    if r.at_object() {
        read(r, at).map(Some)
    } else {
        null_or_object(r, at).map(|()| None)
    }
}

fn required<T>(v: Option<T>, at: &Path, key: &str) -> Result<T, InputError> {
    v.ok_or_else(|| missing(at, key, ""))
}

fn nonempty(v: Option<String>, at: &Path, key: &str) -> Result<String, InputError> {
    v.filter(|s| !s.is_empty()).ok_or_else(|| missing(at, key, " (a non-empty string)"))
}

fn strings(r: &mut Reader, at: &Path, max: usize) -> Result<Vec<String>, InputError> {
    rows(r, at, max, |r, at| match r.scalar()? {
        Scalar::Str(s) => Ok(s.into_owned()),
        other => Err(not_a(at, "a string", &other)),
    })
}

fn config(r: &mut Reader, at: &Path) -> Result<Config, InputError> {
    let mut c = Config {
        start_calls: StartCalls::Everyone,
        allowed_groups: Vec::new(),
        recording_consent: 0,
        default_permissions: None,
        external_signaling: false,
    };
    fields!(r, at, |r, at| {
        "startCalls" => {
            c.start_calls = match opt_int(r, at, 0, 3)? {
                None | Some(0) => StartCalls::Everyone,
                Some(1) => StartCalls::Users,
                Some(2) => StartCalls::Moderators,
                _ => StartCalls::NoOne,
            }
        },
        "allowedGroups" => c.allowed_groups = strings(r, at, MAX_GROUPS)?,
        "recordingConsent" => c.recording_consent = opt_int(r, at, 0, 2)?.unwrap_or(0),
        "defaultPermissions" => c.default_permissions = opt_int(r, at, INT_MIN, INT_MAX)?.map(Permissions::from_column),
        "signaling" => {
            c.external_signaling = match opt_string(r, at)?.as_deref() {
                None | Some("internal") => false,
                Some("external") => true,
                Some(other) => return Err(shape!("{at}: \"{other}\" is neither \"internal\" nor \"external\"")),
            }
        },
    })?;
    Ok(c)
}

fn room(r: &mut Reader, at: &Path) -> Result<Room, InputError> {
    let (mut token, mut room_type) = (None, None);
    let mut room = Room::new("", RoomType::Group);
    fields!(r, at, |r, at| {
        "token" => token = opt_string(r, at)?,
        "type" => room_type = Some(enum_col(r, at, RoomType::from_column, "conversation type (1..6)")?),
        "readOnly" => room.read_only = opt_int(r, at, 0, 1)? == Some(1),
        "lobbyState" => room.lobby_state = opt_int(r, at, 0, 1)?.unwrap_or(0),
        "lobbyTimer" => room.lobby_timer = timestamp(r, at)?,
        "objectType" => room.object_type = opt_string(r, at)?.unwrap_or_default(),
        "callFlag" => room.call_flag = InCall::from_column(int32(r, at)?),
        "activeSince" => room.active_since = timestamp(r, at)?,
        "activeGuests" => room.active_guests = opt_int(r, at, 0, INT_MAX)?.unwrap_or(0),
        "defaultPermissions" => room.default_permissions = Permissions::from_column(int32(r, at)?),
        "callPermissions" => room.call_permissions = Permissions::from_column(int32(r, at)?),
        "recordingConsent" => room.recording_consent = opt_int(r, at, 0, 2)?.unwrap_or(0),
        "callRecording" => room.call_recording = opt_int(r, at, 0, 5)?.unwrap_or(0),
        // Breakout columns are not read by the call rules, but must hold a value the
        // server stores (`lib/Model/BreakoutRoom.php`: modes 0..3; statuses stopped 0,
        // started 1, assistance requested 2).
        "breakoutRoomMode" => {
            opt_int(r, at, 0, 3)?;
        },
        "breakoutRoomStatus" => {
            opt_int(r, at, 0, 2)?;
        },
        "listable" => room.listable = opt_int(r, at, 0, 2)?.unwrap_or(LISTABLE_NONE),
    })?;
    room.token = nonempty(token, at, "token")?;
    room.room_type = required(room_type, at, "type")?;
    Ok(room)
}

fn attendee(r: &mut Reader, at: &Path) -> Result<Attendee, InputError> {
    let (mut id, mut actor_type, mut actor_id, mut pt) = (None, None, None, None);
    let mut a = Attendee {
        attendee_id: 0,
        actor_type: String::new(),
        actor_id: String::new(),
        display_name: String::new(),
        participant_type: ParticipantType::User,
        permissions: Permissions::DEFAULT,
        last_joined_call: None,
        notification_calls: 1,
        phone_number: None,
        call_id: None,
    };
    fields!(hot r, at, |r, at| {
        "attendeeId" => id = opt_int(r, at, 1, MAX_SAFE_INT)?,
        "actorType" => actor_type = opt_string(r, at)?,
        "actorId" => actor_id = opt_string(r, at)?,
        "displayName" => a.display_name = opt_string(r, at)?.unwrap_or_default(),
        "participantType" => pt = Some(enum_col(r, at, ParticipantType::from_column, "participant type (1..6)")?),
        "permissions" => a.permissions = Permissions::from_column(int32(r, at)?),
        "lastJoinedCall" => a.last_joined_call = timestamp(r, at)?,
        "notificationCalls" => a.notification_calls = opt_int(r, at, 0, 1)?.unwrap_or(1),
        "phoneNumber" => a.phone_number = opt_string(r, at)?,
        "callId" => a.call_id = opt_string(r, at)?,
    })?;
    a.attendee_id = required(id, at, "attendeeId")?;
    a.actor_type = nonempty(actor_type, at, "actorType")?;
    a.actor_id = nonempty(actor_id, at, "actorId")?;
    a.participant_type = required(pt, at, "participantType")?;
    Ok(a)
}

fn session(r: &mut Reader, at: &Path) -> Result<Session, InputError> {
    let (mut sid, mut aid, mut in_call, mut ping) = (None, None, 0, 0);
    fields!(hot r, at, |r, at| {
        "sessionId" => sid = opt_string(r, at)?,
        "attendeeId" => aid = opt_int(r, at, 1, MAX_SAFE_INT)?,
        "inCall" => in_call = int32(r, at)?,
        "lastPing" => ping = opt_int(r, at, 0, MAX_SAFE_INT)?.unwrap_or(0),
    })?;
    Ok(Session {
        session_id: nonempty(sid, at, "sessionId")?,
        attendee_id: required(aid, at, "attendeeId")?,
        in_call: InCall::from_column(in_call),
        last_ping: ping,
    })
}

fn foreign(r: &mut Reader, at: &Path) -> Result<ForeignAttendee, InputError> {
    let (mut id, mut actor_type) = (None, None);
    fields!(r, at, |r, at| {
        "attendeeId" => id = opt_int(r, at, 1, MAX_SAFE_INT)?,
        "actorType" => actor_type = opt_string(r, at)?,
    })?;
    Ok(ForeignAttendee {
        attendee_id: required(id, at, "attendeeId")?,
        actor_type: nonempty(actor_type, at, "actorType")?,
    })
}

fn users(r: &mut Reader, at: &Path) -> Result<Vec<(String, String)>, InputError> {
    if !r.at_object() {
        return match r.scalar()? {
            Scalar::Null => Ok(Vec::new()),
            other => Err(shape!("{at}: expected an object, got {}", other.kind())),
        };
    }
    let mut out = Vec::new();
    r.object(|r, id| {
        if out.len() == MAX_USERS {
            return Err(shape!("{at}: more entries than the limit of {MAX_USERS}"));
        }
        let mut name = String::new();
        fields!(r, &at.key(&id), |r, at| {
            "displayName" => name = opt_string(r, at)?.unwrap_or_default(),
        })?;
        out.push((id.into_owned(), name));
        Ok(())
    })?;
    Ok(out)
}

/// Reads and cross-checks the stored rows from JSON text.
pub fn state_text(text: &str) -> Result<State, InputError> {
    let mut r = Reader::new(text);
    let at = Path::Root("state");
    let mut cfg = None;
    let mut rm = None;
    let (mut attendees, mut sessions, mut foreign_attendees, mut user_names) = (vec![], vec![], vec![], vec![]);
    fields!(&mut r, &at, |r, at| {
        "config" => cfg = opt_object(r, at, config)?,
        "room" => rm = opt_object(r, at, room)?,
        "attendees" => attendees = rows(r, at, MAX_ATTENDEES, attendee)?,
        "sessions" => sessions = rows(r, at, MAX_SESSIONS, session)?,
        "foreignAttendees" => foreign_attendees = rows(r, at, MAX_FOREIGN_ATTENDEES, foreign)?,
        "users" => user_names = users(r, at)?,
    })?;
    r.end()?;
    let cfg = match cfg {
        Some(c) => c,
        None => config(&mut Reader::new("{}"), &at)?,
    };
    let room = rm.ok_or_else(|| InputError::shape("state.room: required"))?;
    let st = State::new(cfg, room, attendees, sessions, foreign_attendees, user_names);
    if let Some(id) = st.duplicate_attendee_id() {
        return Err(shape!("state.attendees: attendeeId {id} appears twice"));
    }
    if let Some(a) = st.foreign_attendees.iter().find(|a| st.attendee(a.attendee_id).is_some()) {
        return Err(shape!("state.foreignAttendees: attendeeId {} is also an attendee of this room", a.attendee_id));
    }
    if let Some(id) = st.duplicate_session_id() {
        return Err(shape!("state.sessions: sessionId \"{id}\" appears twice"));
    }
    if let Some(id) = st.duplicate_user_id() {
        return Err(shape!("state.users: \"{id}\" appears twice"));
    }
    if let Some((i, s)) = st.sessions.iter().enumerate().find(|(_, s)| st.attendee(s.attendee_id).is_none()) {
        return Err(shape!("state.sessions[{i}].attendeeId: no attendee row has id {}", s.attendee_id));
    }
    Ok(st)
}

/// [`state_text`] for a value already parsed (serialises it first).
pub fn state(v: &Value) -> Result<State, InputError> {
    state_text(&v.to_json())
}

/// The request's outer shape; the body is read later, once the route is known.
pub struct RawRequest {
    pub method: String,
    pub path: String,
    /// The Content-Type header (default `application/json`): it decides how the
    /// dispatcher reads the string "false" for a boolean parameter.
    pub content_type: String,
    /// The body's fields, plus query-string parameters the body does not name
    /// (the server's request merges both; a JSON body wins).
    pub body: Value,
    pub request: Request,
}

/// The Content-Type a request is taken to have when it names none.
pub const DEFAULT_CONTENT_TYPE: &str = "application/json";

/// Reads the request from JSON text.
pub fn request_text(text: &str) -> Result<RawRequest, InputError> {
    let mut r = Reader::new(text);
    let at = Path::Root("request");
    let (mut method, mut path, mut now, mut content_type) = (None, None, None, None);
    let mut body = Vec::new();
    let mut actor = Actor::default();
    fields!(&mut r, &at, |r, at| {
        "method" => method = opt_string(r, at)?,
        "path" => path = opt_string(r, at)?,
        "body" => match crate::json::read(r)? {
            Value::Null => {}
            // PHP decodes `{}` and `[]` alike: an empty array is an empty body.
            Value::Array(a) if a.is_empty() => {}
            Value::Object(m) => body = m,
            other => return Err(shape!("{at}: expected an object, got {}", other.kind())),
        },
        "actor" => actor = opt_object(r, at, read_actor)?.unwrap_or_default(),
        "now" => now = opt_int(r, at, 0, MAX_SAFE_INT)?,
        "contentType" => content_type = opt_string(r, at)?,
    })?;
    r.end()?;
    let path = nonempty(path, &at, "path")?;
    // The request's parameters merge the query string under the body: a JSON
    // body wins (`Request::__construct` and `decodeContent` merge `params` last).
    for (k, v) in crate::reading::query_params(&path) {
        if !body.iter().any(|(b, _)| *b == k) {
            body.push((k, v));
        }
    }
    Ok(RawRequest {
        method: nonempty(method, &at, "method")?,
        path,
        content_type: content_type.unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_string()),
        body: Value::Object(body),
        request: Request { actor, now: required(now, &at, "now")? },
    })
}

/// `actor`: `{ userId?, sessionId?, groups? }`; empty strings mean absent.
pub fn read_actor(r: &mut Reader, at: &Path) -> Result<Actor, InputError> {
    let mut actor = Actor::default();
    fields!(r, at, |r, at| {
        "userId" => actor.user_id = opt_string(r, at)?.filter(|s| !s.is_empty()),
        "sessionId" => actor.session_id = opt_string(r, at)?.filter(|s| !s.is_empty()),
        "groups" => actor.groups = strings(r, at, MAX_GROUPS)?,
    })?;
    Ok(actor)
}

/// Reads an actor (`{ userId?, sessionId?, groups? }`) from JSON text.
pub fn actor_text(text: &str) -> Result<Actor, InputError> {
    let mut r = Reader::new(text);
    let actor = read_actor(&mut r, &Path::Root("actor"))?;
    r.end()?;
    Ok(actor)
}

/// [`request_text`] for a value already parsed (serialises it first).
pub fn request(v: &Value) -> Result<RawRequest, InputError> {
    request_text(&v.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::ErrorKind;

    #[test]
    fn fields_are_matched_by_key_and_read_once() {
        let room = |fields: &str| state_text(&format!(r#"{{"room":{{"token":"abcd","type":2{fields}}}}}"#));
        let twice = room(r#","callFlag":3,"token":5"#).unwrap_err();
        assert_eq!(*twice.kind(), ErrorKind::Shape(r#"state.room: "token" appears twice"#.into()));
        // Unknown keys may repeat, but must still be JSON.
        assert!(room(r#","hostField":1,"hostField":[2]"#).is_ok());
        assert!(matches!(room(r#","hostField":[1,]"#), Err(e) if matches!(e.kind(), ErrorKind::Syntax { .. })));
        // Each key lands in its own column, whatever its place in the text.
        let st = room(r#","lobbyTimer":5,"activeSince":7,"callFlag":3,"readOnly":1"#).unwrap();
        assert_eq!((st.room.lobby_timer, st.room.active_since, st.room.read_only), (Some(5), Some(7), true));
        assert_eq!((st.room.token.as_str(), st.room.call_flag.column()), ("abcd", 3));
        assert_eq!(place(&["a", "bb", "b"], "b"), 2);
    }

    #[test]
    fn query_parameters_join_the_body_which_wins() {
        let req = crate::json::parse(
            r#"{"method":"DELETE","path":"/call/abcd?all=true&x=a%20b+c&flags=%3&silent&all=0","body":{"x":1},"now":1}"#,
        )
        .unwrap();
        let raw = request(&req).unwrap();
        assert_eq!(raw.body.to_json(), r#"{"x":1,"all":"0","flags":"%3","silent":""}"#);
    }
}
