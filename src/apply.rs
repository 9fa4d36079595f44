//! Mutations → new state. Works on the JSON tree itself, so every field the
//! rules do not own (unknown columns, host annotations) survives untouched,
//! in its place.
//!
//! A mutation is checked as the PHP bridge's `MutationWriter` checks it before
//! writing a row: a known `op`, a row key of the right type, and in `set` only
//! the writable columns of its table ([`COLUMNS`]), each with a value of its
//! type and range. Keys (token, attendee and session ids, actors) are never
//! writable: a mutation cannot move a row. The ranges are the ones the state
//! reader accepts, so whatever `apply` answers reads back as a state when its
//! input did.

use crate::error::{shape, InputError};
use crate::index::{self, Index};
use crate::input::{MAX_MUTATIONS, MAX_SAFE_INT};
use crate::outcome::kind;
use serde_json::{json, Map, Value};

const INT32_MIN: i64 = i32::MIN as i64;
const INT32_MAX: i64 = i32::MAX as i64;

/// What a writable column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An integer in `min..=max`; null only when `nullable`.
    Int {
        /// The smallest value.
        min: i64,
        /// The largest value.
        max: i64,
        /// Whether null is a value.
        nullable: bool,
    },
    /// A string, or null.
    Text,
}

/// One writable column: the State's field name and what it holds.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The State's field name (`"callFlag"`).
    pub field: &'static str,
    /// What it holds.
    pub kind: Kind,
}

const fn int(field: &'static str, min: i64, max: i64) -> Column {
    Column { field, kind: Kind::Int { min, max, nullable: false } }
}

/// Unix seconds, or null (no call, no timer, never joined).
const fn time(field: &'static str) -> Column {
    Column { field, kind: Kind::Int { min: 0, max: MAX_SAFE_INT, nullable: true } }
}

const fn text(field: &'static str) -> Column {
    Column { field, kind: Kind::Text }
}

/// A table mutations write: the State's table, the `op` that writes it and its
/// writable columns.
#[derive(Debug)]
pub struct Table {
    /// The State's member (`"room"`, `"attendees"`, `"sessions"`).
    pub name: &'static str,
    /// The mutation's `op` (`"updateRoom"` …).
    pub op: &'static str,
    /// The writable columns, in order.
    pub columns: &'static [Column],
}

impl Table {
    /// The writable column with this field name.
    pub fn column(&self, field: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.field == field)
    }
}

/// A writable column of one table, by name: the rules write a row through these (see
/// [`crate::outcome::Set`]), never through a field name of their own. Each table's enum
/// and its row of `COLUMNS` (`facts()`'s `columns`) come from the one list below.
pub trait Writable: Copy + Eq + std::fmt::Debug + 'static {
    /// The table the column belongs to (its entry of `COLUMNS`).
    const TABLE: &'static Table;
    /// Every column of the table, in the table's order.
    const ALL: &'static [Self];

    /// Its place in `TABLE.columns`.
    fn position(self) -> usize;

    /// The column: the State's field name and what it holds.
    fn column(self) -> &'static Column {
        &Self::TABLE.columns[self.position()]
    }

    /// The State's field name (`"callFlag"`), as a mutation's `set` names it.
    fn name(self) -> &'static str {
        self.column().field
    }

    /// The column of this table with that field name.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// The writable columns, table by table: the enum that names them in the rules, the
/// State's table and the `op` that writes it, and per column its variant and [`Column`].
macro_rules! writable {
    ($(
        $(#[$meta:meta])*
        $ty:ident = $table:literal, $op:literal {
            $($(#[$cmeta:meta])* $variant:ident = $column:expr,)+
        }
    )+) => {
        $(
            $(#[$meta])*
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            #[non_exhaustive]
            pub enum $ty {
                $($(#[$cmeta])* $variant,)+
            }

            impl $ty {
                const DEFINITION: Table = Table { name: $table, op: $op, columns: &[$($column,)+] };
            }

            impl Writable for $ty {
                const TABLE: &'static Table = &$ty::DEFINITION;
                const ALL: &'static [$ty] = &[$($ty::$variant,)+];

                fn position(self) -> usize {
                    self as usize
                }
            }
        )+

        /// The one list of writable columns (php/src/Storage/Columns.php writes the same
        /// fields; php/tests/MutationColumnsTest.php compares the two through `facts()`).
        pub const COLUMNS: [Table; [$($table,)+].len()] = [$($ty::DEFINITION,)+];
    };
}

writable! {
    /// A writable column of `talk_rooms` (`state.room`).
    RoomColumn = "room", "updateRoom" {
        /// `type`: the conversation type (`Room::TYPE_*`).
        Type = int("type", 1, 6),
        /// `readOnly`: 0 read-write, 1 read-only.
        ReadOnly = int("readOnly", 0, 1),
        /// `listable` ([`crate::model::Listable`]).
        Listable = int("listable", 0, crate::model::Listable::MAX),
        /// `lobbyState` ([`crate::model::LobbyState`]).
        LobbyState = int("lobbyState", 0, crate::model::LobbyState::MAX),
        /// `lobbyTimer`: unix seconds the lobby lifts at, or null.
        LobbyTimer = time("lobbyTimer"),
        /// `objectType`: what the conversation is attached to.
        ObjectType = text("objectType"),
        /// `callFlag`: the in-call flags of everyone who joined the call.
        CallFlag = int("callFlag", INT32_MIN, INT32_MAX),
        /// `activeSince`: unix seconds the call started, or null.
        ActiveSince = time("activeSince"),
        /// `activeGuests`: guests who joined the call.
        ActiveGuests = int("activeGuests", 0, INT32_MAX),
        /// `defaultPermissions`: the conversation's permissions.
        DefaultPermissions = int("defaultPermissions", INT32_MIN, INT32_MAX),
        /// `callPermissions`: the call's permissions.
        CallPermissions = int("callPermissions", INT32_MIN, INT32_MAX),
        /// `recordingConsent` ([`crate::model::RecordingConsent`]).
        RecordingConsent = int("recordingConsent", 0, crate::model::RecordingConsent::MAX),
        /// `callRecording` ([`crate::model::CallRecording`]).
        CallRecording = int("callRecording", 0, crate::model::CallRecording::MAX),
        /// `breakoutRoomMode` ([`crate::model::BreakoutRoomMode`]).
        BreakoutRoomMode = int("breakoutRoomMode", 0, crate::model::BreakoutRoomMode::MAX),
        /// `breakoutRoomStatus` ([`crate::model::BreakoutRoomStatus`]).
        BreakoutRoomStatus = int("breakoutRoomStatus", 0, crate::model::BreakoutRoomStatus::MAX),
    }
    /// A writable column of `talk_attendees` (`state.attendees`).
    AttendeeColumn = "attendees", "updateAttendee" {
        /// `displayName`.
        DisplayName = text("displayName"),
        /// `participantType` (`Participant::OWNER` …).
        ParticipantType = int("participantType", 1, 6),
        /// `permissions`: the attendee's own permissions.
        Permissions = int("permissions", INT32_MIN, INT32_MAX),
        /// `lastJoinedCall`: unix seconds, or null.
        LastJoinedCall = time("lastJoinedCall"),
        /// `notificationCalls`: 0 off, 1 on.
        NotificationCalls = int("notificationCalls", 0, 1),
        /// `phoneNumber` of a phone attendee.
        PhoneNumber = text("phoneNumber"),
        /// `callId` of a phone attendee's dial-out.
        CallId = text("callId"),
    }
    /// A writable column of `talk_sessions` (`state.sessions`).
    SessionColumn = "sessions", "updateSession" {
        /// `inCall`: the session's in-call flags.
        InCall = int("inCall", INT32_MIN, INT32_MAX),
        /// `lastPing`: unix seconds.
        LastPing = int("lastPing", 0, MAX_SAFE_INT),
    }
}

/// The writable columns as `facts()` lists them:
/// `{ room: { field: { type: "int", min, max, nullable } | { type: "string", nullable: true } }, … }`.
pub fn columns_fact() -> Value {
    let mut out = Map::new();
    for t in &COLUMNS {
        let mut fields = Map::new();
        for c in t.columns {
            let v = match c.kind {
                Kind::Int { min, max, nullable } => {
                    json!({ "type": "int", "min": min, "max": max, "nullable": nullable })
                }
                Kind::Text => json!({ "type": "string", "nullable": true }),
            };
            fields.insert(c.field.to_string(), v);
        }
        out.insert(t.name.to_string(), json!({ "op": t.op, "columns": fields }));
    }
    Value::Object(out)
}

/// Applies `mutations` in order to a copy of `state`. The whole list is checked
/// first: a bad mutation anywhere answers its error and changes nothing.
pub fn apply(state: &Value, mutations: &Value) -> Result<Value, InputError> {
    let Value::Array(list) = mutations else {
        return Err(shape!("mutations: expected an array, got {}", kind(mutations)));
    };
    if list.len() > MAX_MUTATIONS {
        return Err(shape!("mutations: {} entries exceed the limit of {MAX_MUTATIONS}", list.len()));
    }
    if !state.is_object() {
        return Err(shape!("state: expected an object, got {}", kind(state)));
    }
    let mut tables = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        tables.push(check(m, i)?);
    }
    let mut next = state.clone();
    let mut rows = Rows::default();
    for (i, (m, table)) in list.iter().zip(tables).enumerate() {
        let row = match table.name {
            "room" => match next.get_mut("room") {
                Some(room @ Value::Object(_)) => room,
                _ => return Err(shape!("mutations[{i}]: state.room is missing or not an object")),
            },
            "sessions" => {
                let id = m.get("sessionId").and_then(Value::as_str).unwrap_or_default();
                let at = rows.session(&next, id);
                let at = at.ok_or_else(|| shape!("mutations[{i}]: no session \"{id}\" in state.sessions"))?;
                row_at(&mut next, "sessions", at)
            }
            _ => {
                let id = m.get("attendeeId").and_then(Value::as_i64).unwrap_or_default();
                let at = rows.attendee(&next, id);
                let at = at.ok_or_else(|| shape!("mutations[{i}]: no attendee {id} in state.attendees"))?;
                row_at(&mut next, "attendees", at)
            }
        };
        if let (Some(Value::Object(set)), Value::Object(row)) = (m.get("set"), row) {
            for (k, v) in set {
                row.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(next)
}

/// One mutation: a known op, its row key, and every value of `set` against its
/// column. Answers the table it writes.
fn check(m: &Value, i: usize) -> Result<&'static Table, InputError> {
    let path = format!("mutations[{i}]");
    let Value::Object(f) = m else {
        return Err(shape!("{path}: expected an object, got {}", kind(m)));
    };
    let op = required_string(f, &path, "op")?;
    let Some(table) = COLUMNS.iter().find(|t| t.op == op) else {
        return Err(shape!("{path}.op: unknown operation \"{op}\" (updateRoom, updateSession or updateAttendee)"));
    };
    match table.name {
        "room" => {}
        "sessions" => drop(required_string(f, &path, "sessionId")?),
        _ => drop(required_id(f, &path, "attendeeId")?),
    }
    let set = match m.get("set") {
        Some(Value::Object(set)) => set,
        Some(Value::Null) | None => return Err(shape!("{path}.set: required")),
        Some(v) => return Err(shape!("{path}.set: expected an object, got {}", kind(v))),
    };
    for (k, v) in set {
        match table.column(k) {
            Some(c) if fits(c.kind, v) => {}
            Some(c) => return Err(misfit(&path, k, c.kind, v)),
            None => return Err(not_writable(&path, k, table)),
        }
    }
    Ok(table)
}

/// A member that must be a non-empty string (null counts as absent).
fn required_string<'a>(f: &'a Map<String, Value>, path: &str, key: &str) -> Result<&'a str, InputError> {
    match f.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        None | Some(Value::Null) | Some(Value::String(_)) => Err(shape!("{path}.{key}: required (a non-empty string)")),
        Some(v) => Err(shape!("{path}.{key}: expected a string, got {}", kind(v))),
    }
}

/// A member that must be a row id (1..2^53−1).
fn required_id(f: &Map<String, Value>, path: &str, key: &str) -> Result<i64, InputError> {
    match f.get(key) {
        None | Some(Value::Null) => Err(shape!("{path}.{key}: required")),
        Some(v) => match v.as_i64() {
            Some(i) if (1..=MAX_SAFE_INT).contains(&i) => Ok(i),
            Some(i) => Err(shape!("{path}.{key}: {i} is out of range 1..{MAX_SAFE_INT}")),
            None => Err(shape!("{path}.{key}: expected an integer, got {}", kind(v))),
        },
    }
}

/// Can a column of this kind hold `v`?
fn fits(k: Kind, v: &Value) -> bool {
    match (k, v) {
        (Kind::Int { nullable, .. }, Value::Null) => nullable,
        (Kind::Int { min, max, .. }, Value::Number(n)) => n.as_i64().is_some_and(|i| (min..=max).contains(&i)),
        (Kind::Text, Value::Null | Value::String(_)) => true,
        _ => false,
    }
}

#[cold]
#[inline(never)]
fn misfit(path: &str, field: &str, k: Kind, v: &Value) -> InputError {
    match (k, v.as_i64()) {
        (Kind::Int { min, max, .. }, Some(i)) => shape!("{path}.set.{field}: {i} is out of range {min}..{max}"),
        (Kind::Int { nullable, .. }, _) => {
            let null = if nullable { " or null" } else { "" };
            shape!("{path}.set.{field}: expected an integer{null}, got {}", kind(v))
        }
        (Kind::Text, _) => shape!("{path}.set.{field}: expected a string or null, got {}", kind(v)),
    }
}

#[cold]
#[inline(never)]
fn not_writable(path: &str, field: &str, table: &Table) -> InputError {
    let mut names = String::new();
    for c in table.columns {
        if !names.is_empty() {
            names.push_str(", ");
        }
        names.push_str(c.field);
    }
    shape!("{path}.set.{field}: not a writable column of {} ({names})", table.name)
}

/// Row positions by id, built once on first use (the first row with an id wins,
/// as a scan from the top would find it).
#[derive(Default)]
struct Rows {
    sessions: Option<Index>,
    attendees: Option<Index>,
}

fn session_key(r: &Value) -> Option<i64> {
    r.get("sessionId").and_then(Value::as_str).map(index::hash)
}

fn attendee_key(r: &Value) -> Option<i64> {
    r.get("attendeeId").and_then(Value::as_i64)
}

/// `key` of every row (0 for a row without one; ids are hashes or 1 or more).
fn index_of(rows: &[Value], key: fn(&Value) -> Option<i64>) -> Index {
    Index::new(rows.iter().map(|r| key(r).unwrap_or(0)))
}

impl Rows {
    fn session(&mut self, state: &Value, id: &str) -> Option<usize> {
        let rows = table(state, "sessions");
        let idx = self.sessions.get_or_insert_with(|| index_of(rows, session_key));
        idx.rows(index::hash(id)).find(|&i| rows[i].get("sessionId").and_then(Value::as_str) == Some(id))
    }

    fn attendee(&mut self, state: &Value, id: i64) -> Option<usize> {
        let rows = table(state, "attendees");
        self.attendees.get_or_insert_with(|| index_of(rows, attendee_key)).find(id)
    }
}

fn table<'a>(state: &'a Value, name: &str) -> &'a [Value] {
    match state.get(name) {
        Some(Value::Array(rows)) => rows,
        _ => &[],
    }
}

/// Row `at` of table `name` (found by [`Rows`]; mutations never add or remove rows).
fn row_at<'a>(state: &'a mut Value, name: &str, at: usize) -> &'a mut Value {
    match state.get_mut(name) {
        Some(Value::Array(rows)) => &mut rows[at],
        _ => unreachable!("Rows found row {at} of state.{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Value, InputError> {
        crate::document::tree(text, "test")
    }

    /// The typed names and the table are one list: every column a rule can name is an entry
    /// of [`COLUMNS`] at the variant's place, and every entry has its typed name.
    #[test]
    fn every_column_has_its_typed_name_and_every_name_its_column() {
        fn check<C: Writable>(table: &Table) {
            assert_eq!((C::TABLE.name, C::TABLE.op), (table.name, table.op));
            assert_eq!(C::ALL.len(), table.columns.len(), "{}", table.name);
            for (i, c) in C::ALL.iter().enumerate() {
                assert_eq!(c.position(), i);
                assert_eq!(c.name(), table.columns[i].field, "{}", table.name);
                assert_eq!(c.column().kind, table.columns[i].kind, "{}", c.name());
                assert_eq!(C::from_name(c.name()), Some(*c));
            }
            for column in table.columns {
                assert_eq!(C::from_name(column.field).map(C::name), Some(column.field), "{}", table.name);
            }
            assert_eq!(C::from_name("token"), None);
        }
        assert_eq!(COLUMNS.len(), 3);
        check::<RoomColumn>(&COLUMNS[0]);
        check::<AttendeeColumn>(&COLUMNS[1]);
        check::<SessionColumn>(&COLUMNS[2]);
        // A column of another table is not one of this table's.
        assert_eq!(RoomColumn::from_name("inCall"), None);
        assert_eq!(SessionColumn::from_name("callFlag"), None);
        // Every column a rule can name, written through a mutation as the rules write it, is
        // one that `apply` takes.
        fn value<C: Writable>(c: C) -> Value {
            match c.column().kind {
                Kind::Int { min, .. } => json!(min),
                Kind::Text => Value::Null,
            }
        }
        fn set<C: Writable>() -> crate::outcome::Set<C> {
            crate::outcome::Set(C::ALL.iter().map(|c| (*c, value(*c))).collect())
        }
        use crate::outcome::Mutation;
        let mutations = [
            Mutation::UpdateRoom { set: set() },
            Mutation::UpdateAttendee { attendee_id: 2, set: set() },
            Mutation::UpdateSession { session_id: "s1".into(), set: set() },
        ];
        let list = Value::Array(mutations.iter().map(Mutation::to_value).collect());
        let next = apply(&parse(STATE).unwrap(), &list).unwrap();
        assert_eq!(next["room"]["callFlag"], json!(INT32_MIN));
        assert_eq!(next["sessions"][0]["lastPing"], json!(0));
        assert_eq!(next["attendees"][1]["callId"], Value::Null);
    }

    #[test]
    fn keeps_unknown_fields_and_order() {
        let state = parse(
            r#"{"x":1,"room":{"token":"abcd","zz":[1],"callFlag":0},"sessions":[{"sessionId":"s","inCall":0,"extra":{"a":null}}],"attendees":[{"attendeeId":3,"note":"n"}]}"#,
        )
        .unwrap();
        let muts = parse(
            r#"[{"op":"updateRoom","set":{"callFlag":7,"activeSince":5}},{"op":"updateSession","sessionId":"s","set":{"inCall":7}},{"op":"updateAttendee","attendeeId":3,"set":{"lastJoinedCall":5}}]"#,
        )
        .unwrap();
        let next = apply(&state, &muts).unwrap();
        assert_eq!(
            next.to_string(),
            r#"{"x":1,"room":{"token":"abcd","zz":[1],"callFlag":7,"activeSince":5},"sessions":[{"sessionId":"s","inCall":7,"extra":{"a":null}}],"attendees":[{"attendeeId":3,"note":"n","lastJoinedCall":5}]}"#
        );
        assert_eq!(apply(&state, &Value::Array(vec![])).unwrap(), state);
    }

    #[test]
    fn refuses_mutations_it_cannot_place() {
        let state = parse(r#"{"room":{},"sessions":[],"attendees":[]}"#).unwrap();
        for bad in [
            r#"{}"#,
            r#"[{"op":"updateSession","sessionId":"nope","set":{}}]"#,
            r#"[{"op":"updateAttendee","attendeeId":9,"set":{}}]"#,
            r#"[{"op":"dropTable","set":{}}]"#,
            r#"[{"op":"updateRoom","set":5}]"#,
            r#"[{"op":"updateRoom"}]"#,
        ] {
            assert!(apply(&state, &parse(bad).unwrap()).is_err(), "{bad}");
        }
        assert!(apply(&json!(1), &Value::Array(vec![])).is_err());
    }

    const STATE: &str = r#"{"config":{},"room":{"token":"abcd1234","type":2,"callFlag":0},
        "attendees":[{"attendeeId":1,"actorType":"users","actorId":"alice","participantType":1},
                     {"attendeeId":2,"actorType":"phones","actorId":"p","participantType":3}],
        "sessions":[{"sessionId":"s1","attendeeId":1,"inCall":0,"lastPing":5}]}"#;

    fn detail(mutations: &str) -> String {
        let state = parse(STATE).unwrap();
        match apply(&state, &parse(mutations).unwrap()) {
            Ok(v) => panic!("{mutations} was applied: {v}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn refuses_keys_unknown_columns_and_values_of_the_wrong_type() {
        let cases = [
            // Keys: a mutation cannot move a row or rename an actor.
            (
                r#"[{"op":"updateRoom","set":{"token":"other"}}]"#,
                "mutations[0].set.token: not a writable column of room",
            ),
            (
                r#"[{"op":"updateSession","sessionId":"s1","set":{"sessionId":"s2"}}]"#,
                "mutations[0].set.sessionId: not a writable column of sessions (inCall, lastPing)",
            ),
            (
                r#"[{"op":"updateSession","sessionId":"s1","set":{"attendeeId":2}}]"#,
                "mutations[0].set.attendeeId: not a writable column of sessions",
            ),
            (
                r#"[{"op":"updateAttendee","attendeeId":1,"set":{"attendeeId":9}}]"#,
                "mutations[0].set.attendeeId: not a writable column of attendees",
            ),
            (
                r#"[{"op":"updateAttendee","attendeeId":1,"set":{"actorId":"bob"}}]"#,
                "mutations[0].set.actorId: not a writable column of attendees",
            ),
            (
                r#"[{"op":"updateAttendee","attendeeId":1,"set":{"actorType":"guests"}}]"#,
                "mutations[0].set.actorType: not a writable column of attendees",
            ),
            // Unknown columns.
            (
                r#"[{"op":"updateRoom","set":{"isAdmin":true}}]"#,
                "mutations[0].set.isAdmin: not a writable column of room",
            ),
            (r#"[{"op":"updateRoom","set":{"config":{}}}]"#, "mutations[0].set.config: not a writable column of room"),
            // Values of the wrong type or out of the column's range.
            (
                r#"[{"op":"updateRoom","set":{"callFlag":"7"}}]"#,
                "mutations[0].set.callFlag: expected an integer, got a string",
            ),
            (
                r#"[{"op":"updateRoom","set":{"callFlag":4294967296}}]"#,
                "mutations[0].set.callFlag: 4294967296 is out of range -2147483648..2147483647",
            ),
            (
                r#"[{"op":"updateRoom","set":{"callFlag":null}}]"#,
                "mutations[0].set.callFlag: expected an integer, got null",
            ),
            (
                r#"[{"op":"updateRoom","set":{"callFlag":1.5}}]"#,
                "mutations[0].set.callFlag: expected an integer, got a number",
            ),
            (
                r#"[{"op":"updateRoom","set":{"activeSince":-1}}]"#,
                "mutations[0].set.activeSince: -1 is out of range 0..9007199254740991",
            ),
            (
                r#"[{"op":"updateRoom","set":{"lobbyTimer":"2024-01-01"}}]"#,
                "mutations[0].set.lobbyTimer: expected an integer or null, got a string",
            ),
            (r#"[{"op":"updateRoom","set":{"type":7}}]"#, "mutations[0].set.type: 7 is out of range 1..6"),
            (r#"[{"op":"updateRoom","set":{"lobbyState":2}}]"#, "mutations[0].set.lobbyState: 2 is out of range 0..1"),
            (
                r#"[{"op":"updateSession","sessionId":"s1","set":{"inCall":true}}]"#,
                "mutations[0].set.inCall: expected an integer, got a boolean",
            ),
            (
                r#"[{"op":"updateAttendee","attendeeId":2,"set":{"callId":5}}]"#,
                "mutations[0].set.callId: expected a string or null, got a number",
            ),
            (
                r#"[{"op":"updateAttendee","attendeeId":1,"set":{"permissions":[]}}]"#,
                "mutations[0].set.permissions: expected an integer, got an array",
            ),
            // Row keys of the wrong type.
            (r#"[{"op":"updateSession","sessionId":7,"set":{}}]"#, "mutations[0].sessionId: expected a string"),
            (r#"[{"op":"updateAttendee","attendeeId":"1","set":{}}]"#, "mutations[0].attendeeId: expected an integer"),
            (r#"[{"op":"updateAttendee","attendeeId":0,"set":{}}]"#, "mutations[0].attendeeId: 0 is out of range"),
            // The index names the mutation, later ones too.
            (
                r#"[{"op":"updateRoom","set":{"callFlag":7}},{"op":"updateRoom","set":{"token":"x"}}]"#,
                "mutations[1].set.token: not a writable column of room",
            ),
            (r#"[{"op":"deleteRoom","set":{}}]"#, "mutations[0].op: unknown operation \"deleteRoom\""),
            (r#"[{"op":"updateRoom","set":null}]"#, "mutations[0].set: required"),
        ];
        for (mutations, expected) in cases {
            let got = detail(mutations);
            assert!(got.starts_with(expected), "{mutations}: {got}\n  expected: {expected}");
        }
    }

    #[test]
    fn a_bad_mutation_anywhere_changes_nothing() {
        // The first mutation is fine, the second is not: no partial state comes back.
        let d = detail(r#"[{"op":"updateRoom","set":{"callFlag":7}},{"op":"updateRoom","set":{"lobbyState":"1"}}]"#);
        assert!(d.starts_with("mutations[1].set.lobbyState"), "{d}");
        // A later mutation naming a missing row is refused too.
        let d =
            detail(r#"[{"op":"updateRoom","set":{"callFlag":7}},{"op":"updateSession","sessionId":"gone","set":{}}]"#);
        assert!(d.starts_with("mutations[1]: no session \"gone\""), "{d}");
    }

    #[test]
    fn every_writable_column_takes_its_range_and_null_where_nullable() {
        let state = parse(STATE).unwrap();
        for t in &COLUMNS {
            let key = match t.name {
                "room" => String::new(),
                "sessions" => r#","sessionId":"s1""#.to_string(),
                _ => r#","attendeeId":2"#.to_string(),
            };
            for c in t.columns {
                let one =
                    |v: &str| parse(&format!(r#"[{{"op":"{}"{key},"set":{{"{}":{v}}}}}]"#, t.op, c.field)).unwrap();
                let ok = |v: &str| apply(&state, &one(v)).is_ok();
                match c.kind {
                    Kind::Int { min, max, nullable } => {
                        assert!(ok(&min.to_string()) && ok(&max.to_string()), "{}.{}", t.name, c.field);
                        assert!(!ok(&(min - 1).to_string()) && !ok(&(max + 1).to_string()), "{}.{}", t.name, c.field);
                        assert_eq!(ok("null"), nullable, "{}.{}", t.name, c.field);
                        assert!(!ok(r#""1""#) && !ok("true") && !ok("{}"), "{}.{}", t.name, c.field);
                    }
                    Kind::Text => {
                        assert!(ok(r#""""#) && ok(r#""x""#) && ok("null"), "{}.{}", t.name, c.field);
                        assert!(!ok("1") && !ok("[]"), "{}.{}", t.name, c.field);
                    }
                }
            }
        }
    }

    /// What apply accepts reads back as a state, and what it refuses for being out of
    /// range the state reader refuses too: one range per column, in both places.
    #[test]
    fn the_ranges_are_the_state_readers() {
        let state = parse(STATE).unwrap();
        for t in &COLUMNS {
            for c in t.columns {
                let Kind::Int { min, max, .. } = c.kind else { continue };
                for (v, inside) in [(min, true), (max, true), (min - 1, false), (max.saturating_add(1), false)] {
                    let mut direct = state.clone();
                    let row = match t.name {
                        "room" => direct.get_mut("room").unwrap(),
                        name => match direct.get_mut(name) {
                            Some(Value::Array(rows)) => &mut rows[if name == "attendees" { 1 } else { 0 }],
                            _ => unreachable!(),
                        },
                    };
                    row[c.field] = json!(v);
                    let read = crate::input::state(&direct);
                    assert_eq!(read.is_ok(), inside, "the reader on {}.{} = {v}: {read:?}", t.name, c.field);
                }
            }
        }
    }

    #[test]
    fn many_mutations_find_their_rows() {
        // Rows are found through an index of each table, built once: the list runs backwards.
        let n = 20_000;
        let sessions = (1..=n).map(|i| format!(r#"{{"sessionId":"s{i}","attendeeId":1}}"#)).collect::<Vec<_>>();
        let state =
            parse(&format!(r#"{{"room":{{}},"attendees":[{{"attendeeId":1}}],"sessions":[{}]}}"#, sessions.join(",")))
                .unwrap();
        let muts = (1..=n)
            .rev()
            .map(|i| format!(r#"{{"op":"updateSession","sessionId":"s{i}","set":{{"inCall":{}}}}}"#, i % 8))
            .collect::<Vec<_>>();
        let next = apply(&state, &parse(&format!("[{}]", muts.join(","))).unwrap()).unwrap();
        let Some(Value::Array(rows)) = next.get("sessions") else { panic!() };
        assert_eq!(rows[6].get("inCall").and_then(Value::as_i64), Some(7));
    }
}
