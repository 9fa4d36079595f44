//! JSON → model, refusing anything that does not fit a column, with a detail
//! that says where. All size limits live here.

use crate::json::Value;
use crate::model::*;

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

pub type Bad = String;

/// A JSON object being read, with the path used in error details.
pub struct Fields<'a> {
    members: &'a [(String, Value)],
    path: String,
}

impl<'a> Fields<'a> {
    pub fn of(v: &'a Value, path: &str) -> Result<Fields<'a>, Bad> {
        match v {
            Value::Object(m) => Ok(Fields { members: m, path: path.to_string() }),
            other => Err(format!("{path}: expected an object, got {}", other.kind())),
        }
    }

    fn at(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// The value at `key`; JSON `null` counts as absent.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.members.iter().find(|(k, _)| k == key).map(|(_, v)| v).filter(|v| !v.is_null())
    }

    pub fn opt_int(&self, key: &str, lo: i64, hi: i64) -> Result<Option<i64>, Bad> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(i) if (lo..=hi).contains(&i) => Ok(Some(i)),
                Some(i) => Err(format!("{}: {i} is out of range {lo}..{hi}", self.at(key))),
                None => Err(format!("{}: expected an integer, got {}", self.at(key), v.kind())),
            },
        }
    }

    pub fn int(&self, key: &str, lo: i64, hi: i64, default: i64) -> Result<i64, Bad> {
        Ok(self.opt_int(key, lo, hi)?.unwrap_or(default))
    }

    pub fn required_int(&self, key: &str, lo: i64, hi: i64) -> Result<i64, Bad> {
        self.opt_int(key, lo, hi)?.ok_or_else(|| format!("{}: required", self.at(key)))
    }

    pub fn opt_string(&self, key: &str) -> Result<Option<String>, Bad> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.clone())),
            Some(v) => Err(format!("{}: expected a string, got {}", self.at(key), v.kind())),
        }
    }

    pub fn string(&self, key: &str) -> Result<String, Bad> {
        Ok(self.opt_string(key)?.unwrap_or_default())
    }

    pub fn required_string(&self, key: &str) -> Result<String, Bad> {
        match self.opt_string(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(format!("{}: required (a non-empty string)", self.at(key))),
        }
    }

    /// An array at `key` (absent or null = empty), at most `max` long.
    pub fn array(&self, key: &str, max: usize) -> Result<&'a [Value], Bad> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(a)) if a.len() <= max => Ok(a),
            Some(Value::Array(a)) => Err(format!("{}: {} rows exceed the limit of {max}", self.at(key), a.len())),
            Some(v) => Err(format!("{}: expected an array, got {}", self.at(key), v.kind())),
        }
    }

    pub fn strings(&self, key: &str, max: usize) -> Result<Vec<String>, Bad> {
        let path = self.at(key);
        self.array(key, max)?
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Str(s) => Ok(s.clone()),
                other => Err(format!("{path}[{i}]: expected a string, got {}", other.kind())),
            })
            .collect()
    }
}

fn rows<'a, T>(
    f: &Fields<'a>,
    key: &str,
    max: usize,
    read: impl Fn(&Fields<'a>) -> Result<T, Bad>,
) -> Result<Vec<T>, Bad> {
    let path = f.at(key);
    f.array(key, max)?.iter().enumerate().map(|(i, v)| read(&Fields::of(v, &format!("{path}[{i}]"))?)).collect()
}

fn timestamp(f: &Fields, key: &str) -> Result<Option<i64>, Bad> {
    f.opt_int(key, 0, MAX_SAFE_INT)
}

fn enum_col<T>(f: &Fields, key: &str, default: i64, conv: impl Fn(i64) -> Option<T>, what: &str) -> Result<T, Bad> {
    let v = f.get(key).map_or(Ok(default), |v| {
        v.as_i64().ok_or_else(|| format!("{}: expected an integer, got {}", f.at(key), v.kind()))
    })?;
    conv(v).ok_or_else(|| format!("{}: {v} is not a {what}", f.at(key)))
}

fn config(f: &Fields) -> Result<Config, Bad> {
    let start_calls = enum_col(
        f,
        "startCalls",
        0,
        |v| match v {
            0 => Some(StartCalls::Everyone),
            1 => Some(StartCalls::Users),
            2 => Some(StartCalls::Moderators),
            3 => Some(StartCalls::NoOne),
            _ => None,
        },
        "start_calls value (0..3)",
    )?;
    let external_signaling = match f.opt_string("signaling")?.as_deref() {
        None | Some("internal") => false,
        Some("external") => true,
        Some(other) => {
            return Err(format!("{}: \"{other}\" is neither \"internal\" nor \"external\"", f.at("signaling")))
        }
    };
    Ok(Config {
        start_calls,
        allowed_groups: f.strings("allowedGroups", MAX_GROUPS)?,
        recording_consent: f.int("recordingConsent", 0, 2, 0)?,
        default_permissions: f.opt_int("defaultPermissions", INT_MIN, INT_MAX)?.map(Permissions::from_column),
        external_signaling,
    })
}

fn room(f: &Fields) -> Result<Room, Bad> {
    Ok(Room {
        token: f.required_string("token")?,
        room_type: enum_col(f, "type", -1, RoomType::from_column, "conversation type (1..6)")?,
        read_only: f.int("readOnly", 0, 1, 0)? == 1,
        lobby_state: f.int("lobbyState", 0, 1, 0)?,
        lobby_timer: timestamp(f, "lobbyTimer")?,
        object_type: f.string("objectType")?,
        call_flag: InCall::from_column(f.int("callFlag", INT_MIN, INT_MAX, 0)?),
        active_since: timestamp(f, "activeSince")?,
        active_guests: f.int("activeGuests", 0, INT_MAX, 0)?,
        default_permissions: Permissions::from_column(f.int("defaultPermissions", INT_MIN, INT_MAX, 0)?),
        call_permissions: Permissions::from_column(f.int("callPermissions", INT_MIN, INT_MAX, 0)?),
        recording_consent: f.int("recordingConsent", 0, 2, 0)?,
        call_recording: f.int("callRecording", 0, 5, 0)?,
    })
    .and_then(|r| {
        // Breakout columns are not read by the call rules, but must fit their columns.
        f.int("breakoutRoomMode", 0, 3, 0)?;
        f.int("breakoutRoomStatus", 0, 1, 0)?;
        Ok(r)
    })
}

fn attendee(f: &Fields) -> Result<Attendee, Bad> {
    Ok(Attendee {
        attendee_id: f.required_int("attendeeId", 1, MAX_SAFE_INT)?,
        actor_type: f.required_string("actorType")?,
        actor_id: f.required_string("actorId")?,
        display_name: f.string("displayName")?,
        participant_type: enum_col(f, "participantType", -1, ParticipantType::from_column, "participant type (1..6)")?,
        permissions: Permissions::from_column(f.int("permissions", INT_MIN, INT_MAX, 0)?),
        last_joined_call: timestamp(f, "lastJoinedCall")?,
        notification_calls: f.int("notificationCalls", 0, 1, 1)?,
        phone_number: f.opt_string("phoneNumber")?,
        call_id: f.opt_string("callId")?,
    })
}

fn session(f: &Fields) -> Result<Session, Bad> {
    Ok(Session {
        session_id: f.required_string("sessionId")?,
        attendee_id: f.required_int("attendeeId", 1, MAX_SAFE_INT)?,
        in_call: InCall::from_column(f.int("inCall", INT_MIN, INT_MAX, 0)?),
        last_ping: f.int("lastPing", 0, MAX_SAFE_INT, 0)?,
    })
}

fn foreign(f: &Fields) -> Result<ForeignAttendee, Bad> {
    Ok(ForeignAttendee {
        attendee_id: f.required_int("attendeeId", 1, MAX_SAFE_INT)?,
        actor_type: f.required_string("actorType")?,
    })
}

/// Reads and cross-checks the stored rows.
pub fn state(v: &Value) -> Result<State, Bad> {
    let f = Fields::of(v, "state")?;
    let cfg = match f.get("config") {
        Some(c) => config(&Fields::of(c, "state.config")?)?,
        None => config(&Fields::of(&Value::object(), "state.config")?)?,
    };
    let room = room(&Fields::of(f.get("room").ok_or("state.room: required")?, "state.room")?)?;
    let attendees = rows(&f, "attendees", MAX_ATTENDEES, attendee)?;
    let sessions = rows(&f, "sessions", MAX_SESSIONS, session)?;
    let foreign_attendees = rows(&f, "foreignAttendees", MAX_FOREIGN_ATTENDEES, foreign)?;
    let users = match f.get("users") {
        None => Vec::new(),
        Some(Value::Object(m)) if m.len() <= MAX_USERS => m
            .iter()
            .map(|(id, u)| {
                let uf = Fields::of(u, &format!("state.users.{id}"))?;
                Ok((id.clone(), uf.string("displayName")?))
            })
            .collect::<Result<Vec<_>, Bad>>()?,
        Some(Value::Object(m)) => {
            return Err(format!("state.users: {} entries exceed the limit of {MAX_USERS}", m.len()))
        }
        Some(other) => return Err(format!("state.users: expected an object, got {}", other.kind())),
    };
    let st = State::new(cfg, room, attendees, sessions, foreign_attendees, users);
    if let Some(id) = st.duplicate_attendee_id() {
        return Err(format!("state.attendees: attendeeId {id} appears twice"));
    }
    if let Some(a) = st.foreign_attendees.iter().find(|a| st.attendee(a.attendee_id).is_some()) {
        return Err(format!("state.foreignAttendees: attendeeId {} is also an attendee of this room", a.attendee_id));
    }
    if let Some(id) = st.duplicate_session_id() {
        return Err(format!("state.sessions: sessionId \"{id}\" appears twice"));
    }
    if let Some((i, s)) = st.sessions.iter().enumerate().find(|(_, s)| st.attendee(s.attendee_id).is_none()) {
        return Err(format!("state.sessions[{i}].attendeeId: no attendee row has id {}", s.attendee_id));
    }
    Ok(st)
}

/// The request's outer shape; the body is read later, once the route is known.
pub struct RawRequest {
    pub method: String,
    pub path: String,
    /// The body's fields, plus query-string parameters the body does not name
    /// (the server's request merges both; a JSON body wins).
    pub body: Value,
    pub request: Request,
}

pub fn request(v: &Value) -> Result<RawRequest, Bad> {
    let f = Fields::of(v, "request")?;
    let mut body = match f.get("body") {
        None => Vec::new(),
        // PHP decodes `{}` and `[]` alike: an empty array is an empty body.
        Some(Value::Array(a)) if a.is_empty() => Vec::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => return Err(format!("request.body: expected an object, got {}", other.kind())),
    };
    let actor = match f.get("actor") {
        None => Actor::default(),
        Some(a) => {
            let af = Fields::of(a, "request.actor")?;
            Actor {
                user_id: af.opt_string("userId")?.filter(|s| !s.is_empty()),
                session_id: af.opt_string("sessionId")?.filter(|s| !s.is_empty()),
                groups: af.strings("groups", MAX_GROUPS)?,
            }
        }
    };
    let path = f.required_string("path")?;
    if let Some((_, query)) = path.split_once('?') {
        for (k, v) in query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))) {
            let (k, v) = (percent_decode(k), percent_decode(v));
            if !body.iter().any(|(b, _)| *b == k) {
                body.push((k, Value::Str(v)));
            }
        }
    }
    Ok(RawRequest {
        method: f.required_string("method")?,
        path,
        body: Value::Object(body),
        request: Request { actor, now: f.required_int("now", 0, MAX_SAFE_INT)? },
    })
}

/// `application/x-www-form-urlencoded` decoding of one query component.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// PHP's `(int)` of a string: leading white space, then the longest numeric prefix
/// ("12abc" → 12, "1e3" → 1000, "7.9" → 7, "abc" → 0), saturating like PHP.
/// Integer arithmetic only: the `.wasm` carries no float parser.
pub fn php_int_of_string(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\u{b}', '\u{c}']).as_bytes();
    let mut i = 0;
    let negative = t.first() == Some(&b'-');
    if matches!(t.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < t.len() && t[*i].is_ascii_digit() {
            *i += 1;
        }
        &t[start..*i]
    };
    let int_part = digits(&mut i);
    let mut frac_part: &[u8] = &[];
    if t.get(i) == Some(&b'.') {
        let mut j = i + 1;
        frac_part = digits(&mut j);
        if !int_part.is_empty() || !frac_part.is_empty() {
            i = j;
        }
    }
    if int_part.is_empty() && frac_part.is_empty() {
        return 0;
    }
    let mut exponent: i64 = 0;
    if matches!(t.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        let exp_negative = t.get(j) == Some(&b'-');
        if matches!(t.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let e = digits(&mut j);
        if !e.is_empty() {
            let e = e.iter().fold(0i64, |acc, &d| (acc * 10 + i64::from(d - b'0')).min(10_000));
            exponent = if exp_negative { -e } else { e };
        }
    }
    // Digits of the mantissa, scaled by 10^(exponent − fraction length), truncated.
    let scale = exponent - frac_part.len() as i64;
    let all = int_part.iter().chain(frac_part);
    let keep = (int_part.len() + frac_part.len()) as i64 + scale.min(0);
    let mut v: i64 = 0;
    let mut saturated = false;
    for &d in all.take(keep.max(0) as usize) {
        match v.checked_mul(10).and_then(|x| x.checked_add(i64::from(d - b'0'))) {
            Some(x) => v = x,
            None => saturated = true,
        }
    }
    for _ in 0..scale.max(0) {
        if v == 0 || saturated {
            break;
        }
        match v.checked_mul(10) {
            Some(x) => v = x,
            None => saturated = true,
        }
    }
    match (saturated, negative) {
        (true, true) => i64::MIN,
        (true, false) => i64::MAX,
        (false, true) => -v,
        (false, false) => v,
    }
}

/// A declared `int` parameter, coerced like Nextcloud's dispatcher (`settype`).
pub fn coerce_int(body: &Fields, key: &str) -> Result<Option<i64>, Bad> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Int(i)) => Ok(Some(*i)),
        Some(Value::Decimal(d)) => Ok(Some(php_int_of_string(d))),
        Some(Value::Bool(b)) => Ok(Some(i64::from(*b))),
        Some(Value::Str(s)) => Ok(Some(php_int_of_string(s))),
        Some(v) => Err(format!("request.body.{key}: expected an integer, got {}", v.kind())),
    }
}

/// A declared `bool` parameter: "false", "0" and "" are false, other strings true.
pub fn coerce_bool(body: &Fields, key: &str) -> Result<bool, Bad> {
    match body.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Int(i)) => Ok(*i != 0),
        // A non-integer JSON number is true unless its mantissa is zero.
        Some(Value::Decimal(d)) => {
            Ok(d.bytes().take_while(|b| !matches!(b, b'e' | b'E')).any(|b| matches!(b, b'1'..=b'9')))
        }
        Some(Value::Str(s)) => Ok(!(s.is_empty() || s == "0" || s == "false")),
        Some(v) => Err(format!("request.body.{key}: expected a boolean, got {}", v.kind())),
    }
}

/// A coerced integer that will be stored in a signed 32-bit column.
pub fn column_int(body: &Fields, key: &str, column: &str) -> Result<Option<i64>, Bad> {
    match coerce_int(body, key)? {
        Some(i) if !(INT_MIN..=INT_MAX).contains(&i) => {
            Err(format!("request.body.{key}: {i} does not fit the {column} column (32-bit)"))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_int_cast_of_strings() {
        for (s, want) in [
            ("7", 7),
            ("  12abc", 12),
            ("-5", -5),
            ("+3", 3),
            ("abc", 0),
            ("", 0),
            ("1e3", 1000),
            ("7.9", 7),
            (".5", 0),
            ("5.", 5),
            ("1e", 1),
            ("99999999999999999999", i64::MAX),
            ("-99999999999999999999", i64::MIN),
            ("1.5e1", 15),
            ("25e-1", 2),
            ("-7.9", -7),
            ("1e999", i64::MAX),
            ("0e999", 0),
            ("-", 0),
            (".", 0),
        ] {
            assert_eq!(php_int_of_string(s), want, "{s:?}");
        }
    }

    #[test]
    fn query_parameters_join_the_body_which_wins() {
        let req = crate::json::parse(
            r#"{"method":"DELETE","path":"/call/abcd?all=true&x=a%20b+c&flags=%3&silent","body":{"x":1},"now":1}"#,
        )
        .unwrap();
        let raw = request(&req).unwrap();
        assert_eq!(raw.body.to_json(), r#"{"x":1,"all":"true","flags":"%3","silent":""}"#);
        let f = Fields::of(&raw.body, "request.body").unwrap();
        assert!(coerce_bool(&f, "all").unwrap());
        assert_eq!(percent_decode("a%20b+c%2"), "a b c%2");
    }

    #[test]
    fn bools_follow_the_dispatcher() {
        let body = crate::json::parse(r#"{"a":"false","b":"0","c":"","d":"yes","e":1,"f":0.0,"g":[1]}"#).unwrap();
        let f = Fields::of(&body, "request.body").unwrap();
        assert!(!coerce_bool(&f, "a").unwrap());
        assert!(!coerce_bool(&f, "b").unwrap());
        assert!(!coerce_bool(&f, "c").unwrap());
        assert!(coerce_bool(&f, "d").unwrap());
        assert!(coerce_bool(&f, "e").unwrap());
        assert!(!coerce_bool(&f, "f").unwrap());
        assert!(!coerce_bool(&f, "missing").unwrap());
        assert!(coerce_bool(&f, "g").unwrap_err().contains("request.body.g"));
    }
}
