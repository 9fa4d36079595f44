//! Reading a document with serde, whatever deserializer holds it (serde_json over
//! text, a `serde_json::Value`, JS values through serde-wasm-bindgen): the
//! nesting limit, the path of a refusal and the wording of refusals.
//!
//! Every read goes through [`Limited`], a deserializer around the host's own that
//! - counts the nesting of arrays and objects and refuses a level past
//!   [`MAX_DEPTH`] as soon as it opens, in values the model skips too (serde_json's
//!   own limit is 128 levels, or none with its `unbounded_depth` feature, and
//!   skipping a value reads it without one);
//! - reads a struct from an object only (serde would also take an array of its
//!   fields in order);
//! - when a read fails, reads it again recording where: the key or index of every
//!   level the error passes on its way out. The first read records nothing, so a
//!   good document pays nothing for it, and both reads run the same code.
//!
//! Refusals read `state.attendees[2].participantType: 9 is not a participant type
//! (1..6)`; serde's own messages ("missing field", "invalid type") are reworded so
//! (see [`refusal`]).

use crate::error::InputError;
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::fmt;

/// Maximum nesting of arrays and objects in any document.
pub const MAX_DEPTH: usize = 64;

/// The refusal of a level past [`MAX_DEPTH`].
const TOO_DEEP: &str = "nesting deeper than 64";

/// One level of a refusal's path.
enum Segment {
    Key(String),
    Index(usize),
}

/// What one read shares with every level of it.
pub struct Ctx {
    /// Values the model does not read are skipped by the host's deserializer itself, which
    /// reads nothing (JS values, a `Value` already bounded); otherwise they are read, and
    /// counted, through [`Limited`] (text).
    skip_natively: bool,
    /// Record the path of an error on its way out (the second read of a refused document).
    tracking: bool,
    /// The path of the error, innermost level first.
    path: RefCell<Vec<Segment>>,
}

impl Ctx {
    fn new(skip_natively: bool, tracking: bool) -> Ctx {
        Ctx { skip_natively, tracking, path: RefCell::new(Vec::new()) }
    }

    /// The document's deserializer, at nesting level 0.
    pub fn root<D>(&self, de: D) -> Limited<'_, D> {
        Limited { de, depth: 0, cx: self }
    }

    #[cold]
    fn at(&self, segment: impl FnOnce() -> Segment) {
        if self.tracking {
            self.path.borrow_mut().push(segment());
        }
    }
}

/// A host deserializer's errors, as the details need them.
pub trait HostError: de::Error {
    /// Line and column when the text is not JSON.
    fn syntax(&self) -> Option<(usize, usize)>;
    /// The message without a position.
    fn message(&self) -> String;
}

impl HostError for serde_json::Error {
    fn syntax(&self) -> Option<(usize, usize)> {
        (self.is_syntax() || self.is_eof()).then(|| (self.line(), self.column()))
    }

    fn message(&self) -> String {
        let text = self.to_string();
        if self.line() == 0 {
            return text;
        }
        let position = format!(" at line {} column {}", self.line(), self.column());
        match text.strip_suffix(&position) {
            Some(m) => m.to_string(),
            None => text,
        }
    }
}

/// Reads a document: `run` deserializes it from the [`Ctx`]'s root. A refusal is read a
/// second time to learn its path; a text that is not JSON is refused with its position.
pub fn read<T, E: HostError>(
    document: &'static str,
    skip_natively: bool,
    run: impl Fn(&Ctx) -> Result<T, E>,
) -> Result<T, InputError> {
    let err = match run(&Ctx::new(skip_natively, false)) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    if let Some((line, column)) = err.syntax() {
        return Err(InputError::syntax(document, line, column, err.message()));
    }
    let cx = Ctx::new(skip_natively, true);
    let err = run(&cx).err().unwrap_or(err);
    Err(refusal(document, &cx.path.into_inner(), &err.message()))
}

/// Reads a document from JSON text (its size is checked by the caller).
pub fn text<'de, T: Deserialize<'de>>(text: &'de str, document: &'static str) -> Result<T, InputError> {
    read(document, false, |cx| {
        let mut de = serde_json::Deserializer::from_str(text);
        let v = T::deserialize(cx.root(&mut de))?;
        de.end()?;
        Ok::<T, serde_json::Error>(v)
    })
}

/// Reads a document from a JSON value.
pub fn value<'de, T: Deserialize<'de>>(v: &'de Value, document: &'static str) -> Result<T, InputError> {
    read(document, true, |cx| T::deserialize(cx.root(v)))
}

/// Reads a document from the members of an object.
pub fn members<'de, T: Deserialize<'de>>(m: &'de Map<String, Value>, document: &'static str) -> Result<T, InputError> {
    read(document, true, |cx| {
        let members = de::value::MapDeserializer::<_, serde_json::Error>::new(m.iter().map(|(k, v)| (k.as_str(), v)));
        T::deserialize(cx.root(members))
    })
}

/// Any JSON document as a value: nesting bounded, a key given twice in one object refused.
pub fn tree(text: &str, document: &'static str) -> Result<Value, InputError> {
    self::text::<Tree>(text, document).map(|t| t.0)
}

/// The detail of a refusal at `path` (innermost level first), serde's own messages reworded.
fn refusal(document: &str, path: &[Segment], message: &str) -> InputError {
    let mut at = String::from(document);
    let levels = path.len();
    for (i, segment) in path.iter().rev().enumerate() {
        // A deep path keeps its first and last levels.
        if levels > 16 && (6..levels - 6).contains(&i) {
            if i == 6 {
                at.push('…');
            }
            continue;
        }
        match segment {
            Segment::Key(k) => {
                at.push('.');
                at.push_str(clip(k));
            }
            Segment::Index(n) => at.push_str(&format!("[{n}]")),
        }
    }
    let message = clip_message(message);
    if let Some(field) = quoted(message, "missing field `") {
        return InputError::shape(format!("{at}.{field}: required"));
    }
    if let Some(field) = quoted(message, "duplicate field `") {
        return InputError::shape(format!("{at}: \"{field}\" appears twice"));
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((unexpected, expected)) = rest.rsplit_once(", expected ") {
            return InputError::shape(format!("{at}: expected {expected}, got {}", kind_of(unexpected)));
        }
    }
    InputError::shape(format!("{at}: {message}"))
}

/// The name in "<prefix>name`".
fn quoted<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    message.strip_prefix(prefix)?.strip_suffix('`')
}

/// A key as a path shows it: at most 64 bytes.
fn clip(s: &str) -> &str {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A message from elsewhere (a JS exception) at most 300 bytes long.
fn clip_message(s: &str) -> &str {
    let mut end = s.len().min(300);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The JSON kind of serde's description of an unexpected value.
fn kind_of(unexpected: &str) -> &'static str {
    let starts = |p: &str| unexpected.starts_with(p);
    if starts("boolean") {
        "a boolean"
    } else if starts("integer") || starts("floating point") {
        "a number"
    } else if starts("string") || starts("character") {
        "a string"
    } else if starts("null") || starts("unit") || starts("Option") {
        "null"
    } else if starts("sequence") {
        "an array"
    } else if starts("map") {
        "an object"
    } else {
        "a value of another kind"
    }
}

// ---- the deserializer around the host's ----

/// A host's deserializer at one nesting level (see the module's documentation).
pub struct Limited<'c, D> {
    de: D,
    /// Arrays and objects around this value.
    depth: usize,
    cx: &'c Ctx,
}

impl<'c, D> Limited<'c, D> {
    fn wrap<V>(&self, v: V, object: bool) -> Wrap<'c, V> {
        Wrap { v, depth: self.depth, cx: self.cx, object }
    }
}

/// Calls that may open an array or object: the visitor is wrapped to count the level.
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                let w = self.wrap(visitor, false);
                self.de.$method($($arg,)* w)
            }
        )*
    };
}

/// Calls for a scalar: a host never opens a container for them, so the visitor goes as is.
macro_rules! scalars {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                self.de.$method($($arg,)* visitor)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Limited<'_, D> {
    type Error = D::Error;

    forward! {
        deserialize_any();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }

    scalars! {
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_identifier();
    }

    /// An object only.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let w = self.wrap(visitor, true);
        self.de.deserialize_struct(name, fields, w)
    }

    /// A value the model does not read: checked level by level, unless the host skips it unread.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        if self.cx.skip_natively {
            self.de.deserialize_ignored_any(visitor)
        } else {
            let w = self.wrap(visitor, false);
            self.de.deserialize_any(w)
        }
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// A visitor whose arrays and objects open a level (and a struct's visitor: objects only).
struct Wrap<'c, V> {
    v: V,
    depth: usize,
    cx: &'c Ctx,
    object: bool,
}

impl<V> Wrap<'_, V> {
    /// The level of a container's members, or the refusal past [`MAX_DEPTH`].
    fn inside<E: de::Error>(&self) -> Result<usize, E> {
        if self.depth >= MAX_DEPTH {
            Err(E::custom(TOO_DEEP))
        } else {
            Ok(self.depth + 1)
        }
    }
}

macro_rules! pass {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.v.$method(v)
            }
        )*
    };
}

impl<'de, 'c, V: Visitor<'de>> Visitor<'de> for Wrap<'c, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.object {
            f.write_str("an object")
        } else {
            self.v.expecting(f)
        }
    }

    pass! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.v.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.v.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.v.visit_some(Limited { de: d, depth: self.depth, cx: self.cx })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.v.visit_newtype_struct(Limited { de: d, depth: self.depth, cx: self.cx })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if self.object {
            return Err(de::Error::invalid_type(Unexpected::Seq, &self));
        }
        let depth = self.inside()?;
        self.v.visit_seq(Seq { seq, depth, cx: self.cx, index: 0 })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let depth = self.inside()?;
        self.v.visit_map(Members { map, depth, cx: self.cx, key: String::new() })
    }

    /// Enums are not part of any document the engine reads; their payloads are not limited.
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.v.visit_enum(data)
    }
}

/// A member or element read at its level.
struct Seed<'c, S> {
    seed: S,
    depth: usize,
    cx: &'c Ctx,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Limited { de: d, depth: self.depth, cx: self.cx })
    }
}

struct Seq<'c, A> {
    seq: A,
    depth: usize,
    cx: &'c Ctx,
    index: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        match self.seq.next_element_seed(Seed { seed, depth: self.depth, cx: self.cx }) {
            Ok(v) => {
                self.index += 1;
                Ok(v)
            }
            Err(e) => {
                self.cx.at(|| Segment::Index(self.index));
                Err(e)
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

struct Members<'c, A> {
    map: A,
    depth: usize,
    cx: &'c Ctx,
    /// The key being read (recorded only when tracking).
    key: String,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Members<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        if !self.cx.tracking {
            return self.map.next_key_seed(seed);
        }
        let Some(key) = self.map.next_key::<String>()? else { return Ok(None) };
        let read = seed.deserialize(de::value::StrDeserializer::<A::Error>::new(&key));
        self.key = key;
        read.map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let read = self.map.next_value_seed(Seed { seed, depth: self.depth, cx: self.cx });
        if read.is_err() {
            self.cx.at(|| Segment::Key(std::mem::take(&mut self.key)));
        }
        read
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

// ---- any JSON value ----

/// Any JSON value, as [`tree`] reads it: a key given twice in one object is refused
/// (`JSON.parse` and `json_decode` would keep the last one silently).
pub struct Tree(pub Value);

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tree, D::Error> {
        d.deserialize_any(TreeVisitor).map(Tree)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("not a finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Tree::deserialize(d).map(|t| t.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Tree(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        members_of(map).map(Value::Object)
    }
}

/// The members of an object, each key once.
pub fn members_of<'de, A: MapAccess<'de>>(mut map: A) -> Result<Map<String, Value>, A::Error> {
    let mut out = Map::new();
    while let Some(key) = map.next_key::<String>()? {
        let Tree(v) = map.next_value()?;
        match out.entry(key) {
            serde_json::map::Entry::Vacant(slot) => {
                slot.insert(v);
            }
            serde_json::map::Entry::Occupied(slot) => {
                return Err(de::Error::custom(format_args!("\"{}\" appears twice", clip(slot.key()))));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_of_depth_names_the_limit() {
        assert_eq!(TOO_DEEP, format!("nesting deeper than {MAX_DEPTH}"));
        let deep = "[".repeat(100_000);
        assert!(tree(&deep, "d").unwrap_err().to_string().contains("nesting deeper than 64"));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(tree(&ok, "d").is_ok());
        let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let e = tree(&over, "d").unwrap_err().to_string();
        assert!(e.starts_with("d[0][0][0][0][0][0]…[0][0][0][0][0][0]: nesting deeper than 64"), "{e}");
    }

    #[test]
    fn round_trips_keeps_order_and_refuses_duplicate_keys() {
        let text = r#"{"b":1,"a":[true,false,null,-2.5,"x\"\n\u00e9\ud83d\ude00"],"c":{}}"#;
        let v = tree(text, "d").unwrap();
        assert_eq!(v.to_string(), r#"{"b":1,"a":[true,false,null,-2.5,"x\"\né😀"],"c":{}}"#);
        let e = tree(r#"{"x":{"a":1,"a":2}}"#, "d").unwrap_err();
        assert_eq!(e.to_string(), r#"d.x: "a" appears twice"#);
    }

    #[test]
    fn text_that_is_not_json_is_refused_with_its_position() {
        for bad in ["", "{", "[1,]", "01", "1.", "\"\\x\"", "nul", "1 2", "\"\\ud800\""] {
            let e = tree(bad, "state").unwrap_err();
            assert!(matches!(e.kind(), crate::error::ErrorKind::Syntax { .. }), "{bad}: {e}");
            assert!(e.to_string().starts_with("state: invalid JSON at line 1 column "), "{bad}: {e}");
        }
    }

    #[test]
    fn integers_stay_exact() {
        assert_eq!(tree("9007199254740993", "d").unwrap().as_i64(), Some(9_007_199_254_740_993));
        assert_eq!(tree("18446744073709551615", "d").unwrap().as_u64(), Some(u64::MAX));
        assert_eq!(tree("1.5", "d").unwrap().as_i64(), None);
    }
}
