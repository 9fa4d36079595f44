//! How input is read, as named `deserialize_with` functions:
//!
//! - the request the way Nextcloud 28 reads it before Talk's code sees it: the path
//!   the router matches, the query string's parameters, and the coercion of a
//!   controller's declared `int` and `bool` parameters ([`php_int`], [`php_bool`]).
//!   Each rule names the server code it follows (nextcloud/server stable28, PHP 8,
//!   Symfony routing);
//! - the stored rows, column by column: the range of each column, what null and an
//!   absent field mean (the server's default), and the limits on table sizes.
//!
//! Refusals are worded here ("5 is out of range 0..3", "required"); the path in front
//! of them is added by [`crate::document`].

use crate::input::{MAX_GROUPS, MAX_SAFE_INT, MAX_USERS};
use crate::model::{
    BreakoutRoomMode, BreakoutRoomStatus, CallRecording, InCall, Listable, LobbyState, ParticipantType, Permissions,
    RecordingConsent, RoomType, StartCalls,
};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// The path the router matches, as bytes.
///
/// 1. Runs of `/` collapse to one, over the whole request URI
///    (`lib/private/AppFramework/Http/Request.php::getRawPathInfo`, "remove too
///    many slashes"); then the query string is cut off there.
/// 2. The remainder is percent-decoded once (`rawurldecode`, no `+` → space)
///    before it is matched (`Symfony\Component\Routing\Matcher\UrlMatcher::match`).
///
/// The decoding comes after the collapsing, so `%2F%2F` stays two slashes.
/// Invalid escapes are kept as they are, like `rawurldecode` does.
pub fn routing_path(path: &str) -> Vec<u8> {
    let mut collapsed = Vec::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b == b'/' && collapsed.last() == Some(&b'/') {
            continue;
        }
        collapsed.push(b);
    }
    // A fragment never reaches the server; the query string is cut at its `?`.
    let end = collapsed.iter().position(|&b| b == b'?' || b == b'#').unwrap_or(collapsed.len());
    percent_decode(&collapsed[..end], false)
}

/// The query string's parameters, in the order PHP registers them
/// (`main/php_variables.c`: `php_default_treat_data` splits at `&`, decodes name
/// and value like `urldecode`, `+` included; `php_register_variable_ex`):
/// - a later parameter of the same name replaces an earlier one (only cookies
///   keep the first);
/// - a name without `=` has the value `""`; leading spaces of a name are dropped
///   and an empty name is skipped;
/// - in the base name, `.` and ` ` become `_`;
/// - `name[…]` makes the parameter an array (its values are strings), which no
///   call endpoint's scalar parameter accepts.
pub fn query_params(path: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let Some((_, query)) = path.split_once('?') else {
        return out;
    };
    let query = query.split('#').next().unwrap_or_default();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let name = lossy(percent_decode(k.as_bytes(), true));
        let value = lossy(percent_decode(v.as_bytes(), true));
        let name = name.trim_start_matches(' ');
        let (base, array) = match name.find('[') {
            Some(i) if i > 0 => (&name[..i], true),
            _ => (name, false),
        };
        if base.is_empty() {
            continue;
        }
        let base: String = base.chars().map(|c| if c == '.' || c == ' ' { '_' } else { c }).collect();
        // An existing name keeps its place (PHP replaces the value of the array's key).
        match (out.get_mut(&base), array) {
            (Some(Value::Array(items)), true) => items.push(Value::String(value)),
            (Some(other), true) => *other = Value::Array(vec![Value::String(value)]),
            (Some(other), false) => *other = Value::String(value),
            (None, true) => drop(out.insert(base, Value::Array(vec![Value::String(value)]))),
            (None, false) => drop(out.insert(base, Value::String(value))),
        }
    }
    out
}

fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `%XX` → byte; with `plus`, `+` → space (`urldecode`), without (`rawurldecode`).
fn percent_decode(b: &[u8], plus: bool) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus => out.push(b' '),
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
    out
}

/// PHP 8's `(int)` of a string (`Zend/zend_operators.c::zval_get_long` over
/// `_is_numeric_string_ex`, errors allowed):
/// - leading white space (` \t\n\r\v\f`), then the longest numeric prefix; no
///   numeric prefix is 0 (`"abc"`, `"."`, `"-"`);
/// - an integer prefix that fits 64 bits is exact (`"9007199254740993"`);
/// - anything else — a fraction, an exponent, more digits than fit — is read as
///   a double, correctly rounded (`zend_strtod`), then `zend_dval_to_lval_cap`:
///   a value beyond the double range (`"1e999"`, a 310-digit integer) is `INF`
///   and becomes **0**; a finite value beyond 64 bits saturates; the rest is
///   truncated toward zero. So with more than 17 significant digits the value
///   is rounded first: `"0.99999999999999999"` is 1.
pub fn php_int_of_bytes(s: &[u8]) -> i64 {
    let start = s.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)).unwrap_or(s.len());
    let t = &s[start..];
    let mut i = 0;
    let negative = t.first() == Some(&b'-');
    if matches!(t.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let from = *i;
        while *i < t.len() && t[*i].is_ascii_digit() {
            *i += 1;
        }
        &t[from..*i]
    };
    let int_part = digits(&mut i);
    let mut frac_part: &[u8] = &[];
    let mut is_double = false;
    // A `.` makes a double when digits stand on either side of it.
    if t.get(i) == Some(&b'.') {
        let mut j = i + 1;
        frac_part = digits(&mut j);
        if !int_part.is_empty() || !frac_part.is_empty() {
            i = j;
            is_double = true;
        }
    }
    if int_part.is_empty() && frac_part.is_empty() {
        return 0;
    }
    // An exponent counts only with digits after its optional sign.
    let mut exp: &[u8] = &[];
    let mut exp_negative = false;
    if matches!(t.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        exp_negative = t.get(j) == Some(&b'-');
        if matches!(t.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        exp = digits(&mut j);
        if !exp.is_empty() {
            is_double = true;
        }
    }
    if !is_double {
        if let Some(v) = exact_int(int_part, negative) {
            return v;
        }
    }
    dval_to_lval_cap(double_of(negative, int_part, frac_part, exp_negative, exp))
}

/// The digits as an `i64`, when they fit.
fn exact_int(digits: &[u8], negative: bool) -> Option<i64> {
    let mut v: i64 = 0;
    for &d in digits {
        let d = i64::from(d - b'0');
        v = v.checked_mul(10)?;
        v = if negative { v.checked_sub(d)? } else { v.checked_add(d)? };
    }
    Some(v)
}

/// The correctly rounded double of a numeric prefix already split in parts.
fn double_of(negative: bool, int_part: &[u8], frac: &[u8], exp_negative: bool, exp: &[u8]) -> f64 {
    let mut text = String::with_capacity(int_part.len() + frac.len() + exp.len() + 6);
    if negative {
        text.push('-');
    }
    let ascii = |b: &[u8]| core::str::from_utf8(b).unwrap_or("0").to_string();
    text.push_str(if int_part.is_empty() { "0" } else { "" });
    text.push_str(&ascii(int_part));
    if !frac.is_empty() {
        text.push('.');
        text.push_str(&ascii(frac));
    }
    if !exp.is_empty() {
        text.push_str(if exp_negative { "e-" } else { "e" });
        text.push_str(&ascii(exp));
    }
    text.parse::<f64>().unwrap_or(0.0)
}

/// `zend_dval_to_lval_cap`: NaN and ±INF are 0, out-of-range values saturate.
fn dval_to_lval_cap(d: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if !d.is_finite() {
        0
    } else if !(-TWO_63..TWO_63).contains(&d) {
        if d > 0.0 {
            i64::MAX
        } else {
            i64::MIN
        }
    } else {
        d as i64
    }
}

/// PHP 8's `(int)` of a double (`zend_dval_to_lval`): NaN and ±INF are 0, a
/// value beyond 64 bits wraps modulo 2^64 (`zend_dval_to_lval` out of range),
/// the rest is truncated toward zero. This is what a JSON number that is not an
/// integer literal within 64 bits becomes: `json_decode` makes it a double.
pub fn php_int_of_double(d: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    const TWO_64: f64 = 18_446_744_073_709_551_616.0;
    if !d.is_finite() {
        return 0;
    }
    if (-TWO_63..TWO_63).contains(&d) {
        return d as i64;
    }
    // The modular arithmetic of `zend_dval_to_lval` on 64-bit platforms: the
    // truncated value modulo 2^64, read as a signed integer.
    let mut m = d.trunc() % TWO_64;
    if m < 0.0 {
        m += TWO_64;
    }
    if m >= TWO_63 {
        (m - TWO_64) as i64
    } else {
        m as i64
    }
}

// ---- the dispatcher's coercions of a controller's declared parameters ----

/// A declared `int` parameter, coerced like Nextcloud's dispatcher
/// (`lib/private/AppFramework/Http/Dispatcher.php::executeController`:
/// `settype($value, 'int')`): a string by [`php_int_of_bytes`], a JSON number that is not
/// an integer within 64 bits by [`php_int_of_double`] (`json_decode` makes it a double), a
/// boolean as 0 or 1. Null or absent: none.
pub fn php_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match scalar(d, "an integer")? {
        Scalar::Null => None,
        Scalar::Bool(b) => Some(i64::from(b)),
        Scalar::Int(i) => Some(i),
        // Beyond i64, json_decode makes a double.
        Scalar::Big(u) => Some(php_int_of_double(u as f64)),
        Scalar::Float(f) => Some(php_int_of_double(f)),
        Scalar::Str(s) => Some(php_int_of_bytes(s.as_bytes())),
    })
}

/// [`php_int`] for a value stored in a signed 32-bit column: the request's `flags`
/// (`talk_sessions.in_call`).
pub fn in_call_param<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    column_param(d, "in_call")
}

/// [`php_int`] for `forcePermissions` (`talk_rooms.call_permissions`, 32-bit).
pub fn call_permissions_param<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    column_param(d, "call_permissions")
}

fn column_param<'de, D: Deserializer<'de>>(d: D, column: &str) -> Result<Option<i64>, D::Error> {
    match php_int(d)? {
        Some(i) if !(INT_MIN..=INT_MAX).contains(&i) => {
            Err(de::Error::custom(format_args!("{i} does not fit the {column} column (32-bit)")))
        }
        other => Ok(other),
    }
}

/// How the dispatcher reads a declared `bool` parameter: `settype($v, 'bool')`
/// ("0" and "" are false, every other string true), except that the string
/// "false" is false for GET requests and form-encoded bodies
/// (`Dispatcher::executeController`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoolStrings {
    /// `settype` only: "false" is true (JSON bodies, query strings of POST/PUT/DELETE).
    Settype,
    /// GET, or a Content-Type containing `application/x-www-form-urlencoded`.
    FalseIsFalse,
}

impl BoolStrings {
    /// The rule for a request's method and Content-Type.
    pub fn of(method: &str, content_type: &str) -> BoolStrings {
        if method == "GET" || content_type.contains("application/x-www-form-urlencoded") {
            BoolStrings::FalseIsFalse
        } else {
            BoolStrings::Settype
        }
    }
}

/// A declared `bool` parameter as read, before the request's [`BoolStrings`] rule says
/// what the string "false" is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PhpBool {
    #[default]
    False,
    True,
    /// The string "false".
    FalseString,
}

impl PhpBool {
    pub fn value(self, strings: BoolStrings) -> bool {
        match self {
            PhpBool::False => false,
            PhpBool::True => true,
            PhpBool::FalseString => strings == BoolStrings::Settype,
        }
    }
}

/// A declared `bool` parameter. A JSON number is true unless it is zero (`1e-999` rounds
/// to 0.0 and is false); null or absent is false.
pub fn php_bool<'de, D: Deserializer<'de>>(d: D) -> Result<PhpBool, D::Error> {
    let truth = |b: bool| if b { PhpBool::True } else { PhpBool::False };
    Ok(match scalar(d, "a boolean")? {
        Scalar::Null => PhpBool::False,
        Scalar::Bool(b) => truth(b),
        Scalar::Int(i) => truth(i != 0),
        Scalar::Big(_) => PhpBool::True,
        Scalar::Float(f) => truth(f != 0.0),
        Scalar::Str(s) => match &*s {
            "false" => PhpBool::FalseString,
            "" | "0" => PhpBool::False,
            _ => PhpBool::True,
        },
    })
}

// ---- one scalar, whatever reads it ----

/// A JSON scalar as read: strings borrowed from the text where they can be.
///
/// Every column reader and coercion reads its value as one of these, through one visitor,
/// so each host's deserializer is instantiated for scalars once (the `.wasm` carries one copy).
#[derive(Debug, PartialEq)]
pub enum Scalar<'de> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    Big(u64),
    Float(f64),
    Str(Cow<'de, str>),
}

impl Scalar<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::Int(_) | Scalar::Big(_) | Scalar::Float(_) => "a number",
            Scalar::Str(_) => "a string",
        }
    }
}

/// Reads a scalar; an array or an object is refused as not `expected`.
pub fn scalar<'de, D: Deserializer<'de>>(d: D, expected: &'static str) -> Result<Scalar<'de>, D::Error> {
    d.deserialize_any(ScalarVisitor(expected))
}

/// What a reader expected, and got instead: "expected an integer, got a string".
#[cold]
#[inline(never)]
fn wrong<E: de::Error>(expected: &str, got: &Scalar) -> E {
    E::custom(format_args!("expected {expected}, got {}", got.kind()))
}

struct ScalarVisitor(&'static str);

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }

    fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(i64::try_from(v).map_or(Scalar::Big(v), Scalar::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Float(v))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Scalar<'de>, A::Error> {
        Err(de::Error::custom(format_args!("expected {}, got an array", self.0)))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Scalar<'de>, A::Error> {
        Err(de::Error::custom(format_args!("expected {}, got an object", self.0)))
    }
}

// ---- the stored rows, column by column ----

/// Bit-mask columns (`in_call`, `call_flag`, `permissions` …) are signed 32-bit integers.
const INT_MIN: i64 = i32::MIN as i64;
const INT_MAX: i64 = i32::MAX as i64;

// The refusals are formatted out of line: the column readers are inlined into the row
// readers, and one formatting site per refusal keeps them small in the `.wasm`.

#[cold]
#[inline(never)]
fn out_of_range<E: de::Error>(v: impl fmt::Display, lo: i64, hi: i64) -> E {
    E::custom(format_args!("{v} is out of range {lo}..{hi}"))
}

#[cold]
#[inline(never)]
fn required<E: de::Error>(what: &str) -> E {
    E::custom(format_args!("required{what}"))
}

/// An integer in `lo..=hi`, or null.
pub(crate) fn int<'de, D: Deserializer<'de>>(d: D, lo: i64, hi: i64) -> Result<Option<i64>, D::Error> {
    match scalar(d, "an integer")? {
        Scalar::Null => Ok(None),
        Scalar::Int(v) if (lo..=hi).contains(&v) => Ok(Some(v)),
        Scalar::Int(v) => Err(out_of_range(v, lo, hi)),
        Scalar::Big(v) => Err(out_of_range(v, lo, hi)),
        other => Err(wrong("an integer", &other)),
    }
}

/// Columns of a range with a default for null (an absent field gets the same default
/// through `#[serde(default …)]`).
macro_rules! ranged {
    ($($(#[$doc:meta])* $name:ident: $lo:expr, $hi:expr, $default:expr;)*) => {
        $(
            $(#[$doc])*
            pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
                Ok(int(d, $lo, $hi)?.unwrap_or($default))
            }
        )*
    };
}

ranged! {
    /// A signed 32-bit column (flags and permission bit sets), 0 when null.
    int32: INT_MIN, INT_MAX, 0;
    /// `active_guests`.
    active_guests: 0, INT_MAX, 0;
    /// `notification_calls` (default 1).
    notification_calls: 0, 1, 1;
    /// `talk_sessions.last_ping`, unix seconds.
    last_ping: 0, MAX_SAFE_INT, 0;
}

/// Columns of Talk's constants (the column enums of [`crate::model`]): `0..=MAX`, the
/// first value (0) when null.
macro_rules! constants {
    ($($(#[$doc:meta])* $name:ident: $ty:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                Ok(int(d, 0, $ty::MAX)?.and_then($ty::from_column).unwrap_or_default())
            }
        )*
    };
}

constants! {
    /// `lobby_state` (0 none, 1 non-moderators).
    lobby_state: LobbyState;
    /// `recording_consent` of a room or the server's effective setting: 0, 1 or 2.
    recording_consent: RecordingConsent;
    /// `call_recording`: 0..5.
    call_recording: CallRecording;
    /// `breakout_room_mode` (`lib/Model/BreakoutRoom.php`: modes 0..3).
    breakout_room_mode: BreakoutRoomMode;
    /// `breakout_room_status` (stopped 0, started 1, assistance requested 2).
    breakout_room_status: BreakoutRoomStatus;
    /// `listable`: 0 participants only, 1 regular users, 2 everyone.
    listable: Listable;
}

/// The default of `notification_calls` for an absent field.
pub fn one() -> i64 {
    1
}

/// A 0/1 column as a boolean (`read_only`).
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(int(d, 0, 1)? == Some(1))
}

pub fn in_call<'de, D: Deserializer<'de>>(d: D) -> Result<InCall, D::Error> {
    int32(d).map(InCall::from_column)
}

pub fn permissions<'de, D: Deserializer<'de>>(d: D) -> Result<Permissions, D::Error> {
    int32(d).map(Permissions::from_column)
}

/// App config `default_permissions`: none when unset.
pub fn opt_permissions<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Permissions>, D::Error> {
    Ok(int(d, INT_MIN, INT_MAX)?.map(Permissions::from_column))
}

/// Unix seconds, or null.
pub fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    int(d, 0, MAX_SAFE_INT)
}

/// A row id: 1..2^53−1, required.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    int(d, 1, MAX_SAFE_INT)?.ok_or_else(|| required(""))
}

/// A request's `now`: unix seconds, required.
pub fn now<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    timestamp(d)?.ok_or_else(|| required(""))
}

/// An enumeration column, required: its value named by `conv`, else refused as not a `what`.
fn enumeration<'de, D: Deserializer<'de>, T>(d: D, conv: fn(i64) -> Option<T>, what: &str) -> Result<T, D::Error> {
    let v = int(d, i64::MIN, i64::MAX)?.ok_or_else(|| required(""))?;
    conv(v).ok_or_else(|| de::Error::custom(format_args!("{v} is not a {what}")))
}

pub fn room_type<'de, D: Deserializer<'de>>(d: D) -> Result<RoomType, D::Error> {
    enumeration(d, RoomType::from_column, "conversation type (1..6)")
}

pub fn participant_type<'de, D: Deserializer<'de>>(d: D) -> Result<ParticipantType, D::Error> {
    enumeration(d, ParticipantType::from_column, "participant type (1..6)")
}

/// App config `start_calls`: 0 everyone (also when null), 1 users, 2 moderators, 3 nobody.
pub fn start_calls<'de, D: Deserializer<'de>>(d: D) -> Result<StartCalls, D::Error> {
    Ok(match int(d, 0, 3)? {
        None | Some(0) => StartCalls::Everyone,
        Some(1) => StartCalls::Users,
        Some(2) => StartCalls::Moderators,
        _ => StartCalls::NoOne,
    })
}

/// `signaling`: "internal" (also when null) or "external" (true).
pub fn signaling<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match opt_string(d)?.as_deref() {
        None | Some("internal") => Ok(false),
        Some("external") => Ok(true),
        Some(other) => Err(de::Error::custom(format_args!("\"{other}\" is neither \"internal\" nor \"external\""))),
    }
}

/// A string, or null (none).
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match scalar(d, "a string")? {
        Scalar::Null => Ok(None),
        Scalar::Str(s) => Ok(Some(s.into_owned())),
        other => Err(wrong("a string", &other)),
    }
}

/// A string, not null (an element of a list of group ids).
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        match scalar(d, "a string")? {
            Scalar::Str(s) => Ok(Text(s.into_owned())),
            other => Err(wrong("a string", &other)),
        }
    }
}

/// A string; null is "".
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string(d)?.unwrap_or_default())
}

/// A non-empty string, required (ids and actor types).
pub fn nonempty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_string(d)?.filter(|s| !s.is_empty()).ok_or_else(|| required(" (a non-empty string)"))
}

/// A string where "" means none (the actor's user and session ids).
pub fn opt_nonempty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(opt_string(d)?.filter(|s| !s.is_empty()))
}

/// The request's Content-Type; null is the default.
pub fn content_type<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string(d)?.unwrap_or_else(crate::input::default_content_type))
}

/// An object read as `T`, or the default when null.
pub fn or_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A table: null is empty; at most `max` rows.
pub fn rows<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D, max: usize) -> Result<Vec<T>, D::Error> {
    d.deserialize_option(Rows { max, row: PhantomData })
}

struct Rows<T> {
    max: usize,
    row: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Rows<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_unit<E>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_none<E>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(self.max));
        while let Some(row) = seq.next_element()? {
            if out.len() == self.max {
                return Err(de::Error::custom(format_args!("more rows than the limit of {}", self.max)));
            }
            out.push(row);
        }
        Ok(out)
    }
}

/// Group ids (`allowedGroups`, the actor's `groups`): strings, at most [`MAX_GROUPS`].
pub fn groups<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(rows::<D, Text>(d, MAX_GROUPS)?.into_iter().map(|t| t.0).collect())
}

/// `users`: user id → `{ displayName }`, in the order given, at most [`MAX_USERS`].
pub fn users<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    d.deserialize_option(Users)
}

struct Users;

/// One entry of `users`.
#[derive(serde::Deserialize)]
struct User {
    #[serde(rename = "displayName", default, deserialize_with = "string")]
    display_name: String,
}

impl<'de> Visitor<'de> for Users {
    type Value = Vec<(String, String)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(id) = map.next_key::<String>()? {
            if out.len() == MAX_USERS {
                return Err(de::Error::custom(format_args!("more entries than the limit of {MAX_USERS}")));
            }
            let user: User = map.next_value()?;
            out.push((id, user.display_name));
        }
        Ok(out)
    }
}

/// The request's `body`: an object (its members kept as JSON values, each key once), or
/// null, or an empty array (PHP decodes `{}` and `[]` alike).
pub fn body<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    d.deserialize_any(Body)
}

struct Body;

impl<'de> Visitor<'de> for Body {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Map::new())
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Map::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(Map::new()),
            Some(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        crate::document::members_of(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A body's field `v` as the dispatcher would read it, through the engine's own reading.
    fn int_of(v: Value) -> Option<i64> {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(default, deserialize_with = "php_int")]
            v: Option<i64>,
        }
        let body = json!({ "v": v });
        crate::document::value::<Body>(&body, "b").unwrap().v
    }

    fn bool_of(v: &Value, strings: BoolStrings) -> Result<bool, String> {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(default, deserialize_with = "php_bool")]
            v: PhpBool,
        }
        let body = json!({ "v": v });
        crate::document::value::<Body>(&body, "request.body").map(|b| b.v.value(strings)).map_err(|e| e.to_string())
    }

    #[test]
    fn paths_collapse_slashes_then_decode_once() {
        let p = |s: &str| String::from_utf8(routing_path(s)).unwrap();
        assert_eq!(p("//call//ab%63d"), "/call/abcd");
        assert_eq!(p("/call/abcd/ring/%2B12?x=//y"), "/call/abcd/ring/+12");
        assert_eq!(p("/call/ab%2F%2Fcd"), "/call/ab//cd", "decoded slashes are not collapsed");
        assert_eq!(p("/call/a+b%zz%4"), "/call/a+b%zz%4", "no + to space; bad escapes kept");
        assert_eq!(routing_path("/ring/1%FF"), b"/ring/1\xff");
    }

    #[test]
    fn query_last_name_wins_and_names_are_mangled() {
        let q = |s: &str| Value::Object(query_params(s)).to_string();
        assert_eq!(q("/c?all=true&all=0"), r#"{"all":"0"}"#);
        assert_eq!(q("/c?x=a%20b+c&flags=%3&silent&=5&%20y=1"), r#"{"x":"a b c","flags":"%3","silent":"","y":"1"}"#);
        assert_eq!(q("/c?a.b=1&a b=2"), r#"{"a_b":"2"}"#);
        assert_eq!(q("/c?all[]=1&all[]=2"), r#"{"all":["1","2"]}"#);
        assert_eq!(q("/c?all=1&all[x]=2&all=3"), r#"{"all":"3"}"#);
        assert_eq!(q("/c"), "{}");
        assert_eq!(q("/c?a=1#b=2"), r#"{"a":"1"}"#);
    }

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
            ("1e+", 1),
            ("99999999999999999999", i64::MAX),
            ("-99999999999999999999", i64::MIN),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
            ("1.5e1", 15),
            ("25e-1", 2),
            ("-7.9", -7),
            ("1e999", 0),
            ("-1e999", 0),
            ("0e999", 0),
            ("0.99999999999999999", 1),
            ("9007199254740993", 9_007_199_254_740_993),
            ("9007199254740993.0", 9_007_199_254_740_992),
            ("-", 0),
            (".", 0),
            ("1.e3", 1000),
        ] {
            assert_eq!(php_int_of_bytes(s.as_bytes()), want, "{s:?}");
        }
        assert_eq!(php_int_of_bytes("9".repeat(310).as_bytes()), 0, "beyond the double range");
        assert_eq!(php_int_of_bytes("9".repeat(300).as_bytes()), i64::MAX, "finite, saturated");
        assert_eq!(php_int_of_bytes(b"12\xff"), 12);
    }

    /// The table PHP itself printed (php/tests/RequestReadingTest.php checks it against PHP).
    #[test]
    fn php_int_casts_equal_the_table_php_printed() {
        let table: Value = serde_json::from_str(include_str!("../tests/fixtures/php-int-cast.json")).unwrap();
        let rows = |key: &str| match table.get(key) {
            Some(Value::Array(rows)) => rows.clone(),
            _ => panic!("{key} missing"),
        };
        let pair = |row: &Value| match (row.get(0).and_then(Value::as_str), row.get(1).and_then(Value::as_i64)) {
            (Some(s), Some(want)) => (s.to_string(), want),
            _ => panic!("bad row {row:?}"),
        };
        let strings = rows("strings");
        assert!(strings.len() > 40);
        for row in &strings {
            let (s, want) = pair(row);
            assert_eq!(php_int_of_bytes(s.as_bytes()), want, "(int) {s:?}");
            assert_eq!(int_of(Value::String(s.clone())), Some(want), "settype {s:?}");
        }
        for row in &rows("jsonNumbers") {
            let (text, want) = pair(row);
            // The number as the engine reads it from text (serde_json), then cast.
            #[derive(serde::Deserialize)]
            struct Body {
                #[serde(default, deserialize_with = "php_int")]
                v: Option<i64>,
            }
            let body = crate::document::text::<Body>(&format!(r#"{{"v":{text}}}"#), "b").unwrap();
            assert_eq!(body.v, Some(want), "settype {text}");
        }
        assert_eq!(int_of(json!(true)), Some(1));
        assert_eq!(int_of(Value::Null), None);
    }

    /// The query strings PHP itself registered (php/tests/RequestReadingTest.php checks them against PHP).
    #[test]
    fn query_params_equal_what_php_registered() {
        let table: Value = serde_json::from_str(include_str!("../tests/fixtures/php-query.json")).unwrap();
        let Some(Value::Array(rows)) = table.get("queries") else { panic!("queries missing") };
        assert!(rows.len() >= 10);
        for row in rows {
            let Value::Array(pair) = row else { panic!("bad row") };
            let (Value::String(query), Value::Object(want)) = (&pair[0], &pair[1]) else { panic!("bad row {pair:?}") };
            let got = query_params(&format!("/call/abcd?{query}"));
            let names = |m: &Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
            assert_eq!(names(&got), names(want), "names of {query:?}");
            for ((_, g), (k, w)) in got.iter().zip(want) {
                match w {
                    Value::String(_) => assert_eq!(g, w, "{query:?}: {k}"),
                    // PHP arrays (lists or keyed): the engine keeps the values in order.
                    Value::Array(items) => assert_eq!(g, &Value::Array(items.clone()), "{query:?}: {k}"),
                    Value::Object(m) => {
                        assert_eq!(g, &Value::Array(m.iter().map(|(_, v)| v.clone()).collect()), "{query:?}: {k}")
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
    }

    #[test]
    fn php_int_cast_of_doubles() {
        assert_eq!(php_int_of_double(1e20), 7_766_279_631_452_241_920);
        assert_eq!(php_int_of_double(-1e20), -7_766_279_631_452_241_920);
        assert_eq!(php_int_of_double(f64::INFINITY), 0);
        assert_eq!(php_int_of_double(-2.5), -2);
        assert_eq!(php_int_of_double(18_446_744_073_709_555_712.0), 4096);
    }

    // Nextcloud 28 Dispatcher::executeController(): "false" is false only for GET
    // and form-encoded bodies; otherwise settype($value, 'bool') makes it true.
    #[test]
    fn bools_follow_the_dispatcher() {
        let body: Value =
            serde_json::from_str(r#"{"a":"false","b":"0","c":"","d":"yes","e":1,"f":0.0,"g":[1],"h":1e-999}"#).unwrap();
        let f = |key: &str, strings| bool_of(body.get(key).unwrap_or(&Value::Null), strings);
        for strings in [BoolStrings::Settype, BoolStrings::FalseIsFalse] {
            assert!(!f("b", strings).unwrap());
            assert!(!f("c", strings).unwrap());
            assert!(f("d", strings).unwrap());
            assert!(f("e", strings).unwrap());
            assert!(!f("f", strings).unwrap());
            assert!(!f("h", strings).unwrap(), "1e-999 is 0.0");
            assert!(!f("missing", strings).unwrap());
            assert_eq!(f("g", strings).unwrap_err(), "request.body.v: expected a boolean, got an array");
        }
        assert!(f("a", BoolStrings::Settype).unwrap());
        assert!(!f("a", BoolStrings::FalseIsFalse).unwrap());
        assert_eq!(BoolStrings::of("GET", "application/json"), BoolStrings::FalseIsFalse);
        assert_eq!(BoolStrings::of("DELETE", crate::input::DEFAULT_CONTENT_TYPE), BoolStrings::Settype);
        let form = "application/x-www-form-urlencoded; charset=UTF-8";
        assert_eq!(BoolStrings::of("POST", form), BoolStrings::FalseIsFalse);
        assert_eq!(BoolStrings::of("HEAD", crate::input::DEFAULT_CONTENT_TYPE), BoolStrings::Settype);
    }
}
