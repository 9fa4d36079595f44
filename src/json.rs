//! A small JSON value, read with [`crate::reader`], and a compact writer.
//!
//! Why not `serde_json`: every kilobyte of the `.wasm` counts, the parser must
//! refuse absurd input (size, depth, duplicate keys) with a precise message
//! instead of allocating or recursing without bound, and `apply` must keep the
//! host's unknown fields and their order untouched. Objects keep their key
//! order; integers stay exact; any other number keeps its JSON text, so no
//! float parser or formatter is needed (they would double the `.wasm`).

pub use crate::reader::MAX_DEPTH;
use crate::reader::{InputError, Reader, Scalar, Syntax};

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// A number that is not an `i64` (fraction, exponent or out of range), as JSON text.
    Decimal(String),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<(Key, Value)>),
}

/// An object key: the engine's own keys are `&'static str` and cost no
/// allocation (a peers answer has six per entry); keys read from input are owned.
pub type Key = std::borrow::Cow<'static, str>;

impl Value {
    pub fn object() -> Value {
        Value::Object(Vec::new())
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets `key`, keeping its position when it exists, appending otherwise.
    pub fn set(&mut self, key: &str, value: Value) {
        self.insert(Key::Owned(key.to_string()), value);
    }

    /// Builder form of [`Value::set`], for the engine's own (static) keys.
    pub fn with(mut self, key: &'static str, value: impl Into<Value>) -> Value {
        self.insert(Key::Borrowed(key), value.into());
        self
    }

    /// [`Value::set`] with a key already made (one read from input, or a static one).
    pub fn insert(&mut self, key: Key, value: Value) {
        if let Value::Object(m) = self {
            match m.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => m.push((key, value)),
            }
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A short name of the JSON type, for error details.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Decimal(_) => "a number",
            Value::Str(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    pub fn to_json(&self) -> String {
        let mut out = String::new();
        write_value(self, &mut out);
        out
    }

    /// Appends the value's JSON text to `out`.
    pub fn write_json(&self, out: &mut String) {
        write_value(self, out);
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Value {
        o.map_or(Value::Null, Into::into)
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::Array(v)
    }
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => write_int(*i, out),
        Value::Decimal(d) => out.push_str(d),
        Value::Str(s) => write_str(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_value(x, out);
            }
            out.push('}');
        }
    }
}

/// Writes a JSON string, copying runs that need no escape in one go (found
/// eight bytes at a time, as the reader finds them).
pub fn write_str(s: &str, out: &mut String) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut at = 0;
    loop {
        let run = at + crate::reader::plain_run(&bytes[at..]);
        out.push_str(&s[at..run]);
        let Some(&b) = bytes.get(run) else { break };
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        at = run + 1;
    }
    out.push('"');
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes an integer without the formatting machinery.
pub fn write_int(i: i64, out: &mut String) {
    let mut buf = [0u8; 20];
    let mut n = i.unsigned_abs();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push('-');
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or_default());
}

/// Parses one JSON document. Errors say where (byte offset) and what.
pub fn parse(text: &str) -> Result<Value, InputError> {
    let mut r = Reader::new(text);
    let v = read(&mut r)?;
    r.end()?;
    Ok(v)
}

/// Reads the reader's next value, of any kind, into a tree (for the parts the
/// engine keeps whole).
pub fn read(r: &mut Reader) -> Result<Value, InputError> {
    Ok(match r.scalar()? {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::Int(i),
        Scalar::Decimal(d) => Value::Decimal(d.to_string()),
        Scalar::Str(s) => Value::Str(s.into_owned()),
        Scalar::Container("an object") => {
            let mut members: Vec<(Key, Value)> = Vec::new();
            let start = r.offset();
            r.object(|r, k| {
                members.push((Key::Owned(k.into_owned()), read(r)?));
                Ok(())
            })?;
            if let Some(k) = duplicate_key(&members) {
                return Err(InputError::syntax(start, Syntax::DuplicateKey(k.to_string())));
            }
            Value::Object(members)
        }
        Scalar::Container(_) => {
            let mut items = Vec::new();
            r.array(|r, _| {
                items.push(read(r)?);
                Ok(())
            })?;
            Value::Array(items)
        }
    })
}

/// The first key that appears twice, if any. Linear for small objects,
/// sorted for large ones, so a huge object cannot cost quadratic time.
pub fn duplicate_key(members: &[(Key, Value)]) -> Option<&str> {
    if members.len() <= 16 {
        for (i, (k, _)) in members.iter().enumerate() {
            if members[..i].iter().any(|(o, _)| o == k) {
                return Some(k);
            }
        }
        return None;
    }
    let index = crate::index::Index::of_strings(members.iter().map(|(k, _)| k.as_ref()));
    index.duplicate_str(|i| &members[i].0).map(|i| members[i].0.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::ErrorKind;

    #[test]
    fn round_trips_and_keeps_order() {
        let text = r#"{"b":1,"a":[true,false,null,-2.5,"x\"\n\u00e9\ud83d\ude00"],"c":{}}"#;
        let v = parse(text).unwrap();
        assert_eq!(v.to_json(), r#"{"b":1,"a":[true,false,null,-2.5,"x\"\né😀"],"c":{}}"#);
    }

    #[test]
    fn refuses_bad_documents_with_a_position() {
        for bad in ["", "{", "[1,]", "01", "1.", "\"\\x\"", "{\"a\":1,\"a\":2}", "nul", "1 2", "\"\\ud800\""] {
            let e = parse(bad).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Syntax { document: None, .. }), "{bad}: {e}");
            assert!(e.to_string().starts_with("invalid JSON"), "{bad}: {e}");
        }
    }

    #[test]
    fn depth_is_bounded_without_recursing_forever() {
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).unwrap_err().to_string().contains("nesting deeper"));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn writes_escapes_and_integers() {
        let v = Value::Array(vec![Value::Int(i64::MIN), Value::Int(0), Value::Int(-7), "a\u{1}\"\\é\n".into()]);
        assert_eq!(v.to_json(), r#"[-9223372036854775808,0,-7,"a\u0001\"\\é\n"]"#);
    }

    #[test]
    fn integers_stay_exact() {
        assert_eq!(parse("9007199254740993").unwrap(), Value::Int(9_007_199_254_740_993));
        assert_eq!(parse("1e2").unwrap(), Value::Decimal("1e2".into()));
        assert_eq!(parse("1.5").unwrap().as_i64(), None);
        assert_eq!(parse("-0.25e-3").unwrap().to_json(), "-0.25e-3");
        assert_eq!(parse("99999999999999999999").unwrap().to_json(), "99999999999999999999");
    }

    #[test]
    fn large_objects_detect_duplicates() {
        let mut s = String::from("{");
        for i in 0..100 {
            s.push_str(&format!("\"k{i}\":{i},"));
        }
        s.push_str("\"k7\":0}");
        assert!(parse(&s).unwrap_err().to_string().contains("duplicate key \"k7\""));
    }
}
