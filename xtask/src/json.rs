//! How the tools read JSON: vector files, transcript lines, the skip list, and
//! what the native host gets back from the engine.
//!
//! This is serde_json, not the engine's own parser (`talk_call_rules::json`):
//! the matcher must not share a parser with the engine it judges, or a parser
//! bug could hide on both sides of a comparison. Two rules are the matcher's
//! own, on top of plain JSON:
//!
//! - Depth: arrays and objects may nest [`MAX_DEPTH`] levels (serde_json's fixed
//!   limit of 128 is turned off and this one counted instead, a level refused as
//!   soon as it opens). Vectors hold documents deeper than the engine's 64
//!   (`talk_call_rules::json::MAX_DEPTH`) to test that the engine refuses them,
//!   so the tools must read them. Reading recurses once per level (about 2.5 KiB
//!   of stack a level in a debug build, the most of anything here), as do
//!   comparing, cloning, printing and dropping a value, so the bound is what
//!   keeps them within a thread's stack: a document at the limit needs about
//!   1.3 MiB and is read and judged on a 2 MiB thread, the stack a test or
//!   spawned thread gets (the test `deepest_document_fits_a_small_stack`).
//! - Duplicate keys are refused (JSON.parse and json_decode keep the last one
//!   silently): an expectation or a host answer with a key twice is ambiguous.
//!
//! Objects keep their key order, so messages show them as they were written.
//! Integers are exact within the i64/u64 range; other numbers are doubles.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// The deepest nesting of arrays and objects the tools read.
pub const MAX_DEPTH: usize = 512;

/// Parses one JSON document (see the module's rules). Errors say what and where.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let value = Level(0).deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// Reads one value whose containers sit at the given nesting level (0: the document).
#[derive(Clone, Copy)]
struct Level(usize);

impl Level {
    /// The level of a container's members, or an error past [`MAX_DEPTH`].
    fn inside<E: de::Error>(self) -> Result<Level, E> {
        if self.0 >= MAX_DEPTH {
            return Err(E::custom(format_args!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(Level(self.0 + 1))
    }
}

impl<'de> DeserializeSeed<'de> for Level {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Level {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Number(i.into()))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(Value::Number(u.into()))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        Number::from_f64(f).map(Value::Number).ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.inside()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.inside()?;
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let value = map.next_value_seed(inner)?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

/// JSON equality: objects regardless of key order, numbers by value (integers
/// exactly, any other number as a double: 1 and 1.0 are equal).
pub fn deep_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| deep_eq(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| deep_eq(v, w)),
        (Value::Number(x), Value::Number(y)) => match (integer(x), integer(y)) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

fn integer(n: &Number) -> Option<i128> {
    n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn reads_plain_json_in_order() {
        let v = parse(r#" {"b":1,"a":[true,null,-2.5,"x\"\u00e9"],"c":{},"d":18446744073709551615} "#).unwrap();
        assert_eq!(v.to_string(), r#"{"b":1,"a":[true,null,-2.5,"x\"é"],"c":{},"d":18446744073709551615}"#);
        for bad in ["", "{", "[1,]", "01", "1.", "nul", "1 2", "\"\\ud800\"", "1e400", "{\"a\":1}x"] {
            assert!(parse(bad).is_err(), "{bad:?} was read");
        }
    }

    #[test]
    fn refuses_duplicate_keys_at_any_depth() {
        let e = parse(r#"{"a":[{"k":1,"k":2}]}"#).unwrap_err();
        assert!(e.contains("duplicate key \"k\""), "{e}");
        assert!(parse(r#"[{"k":1},{"k":2}]"#).is_ok());
    }

    #[test]
    fn depth_is_bounded_by_max_depth_not_serde_json_default() {
        assert!(parse(&nested(200)).is_ok(), "200 levels");
        let objects = format!("{}1{}", "{\"k\":".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert!(parse(&objects).is_ok());
        for deeper in [nested(MAX_DEPTH + 1), format!("{{\"k\":{}}}", nested(MAX_DEPTH))] {
            let e = parse(&deeper).unwrap_err();
            assert!(e.contains(&format!("nesting deeper than {MAX_DEPTH}")), "{e}");
        }
        // Far deeper input is refused at the limit, not read first.
        assert!(parse(&nested(1_000_000)).unwrap_err().contains("deeper than"));
    }

    /// Reading, comparing, cloning, printing and dropping a document at the limit
    /// recurse once per level: all of it fits a 2 MiB stack (the default of a
    /// spawned or test thread), in a debug build too.
    #[test]
    fn deepest_document_fits_a_small_stack() {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let text = nested(MAX_DEPTH);
                let a = parse(&text).unwrap();
                let b = a.clone();
                assert!(deep_eq(&a, &b));
                assert!(!deep_eq(&a, &parse(&nested(MAX_DEPTH - 1)).unwrap()));
                assert_eq!(a.to_string(), text);
            })
            .unwrap()
            .join()
            .expect("a document at the limit overflowed a 2 MiB stack");
    }

    #[test]
    fn numbers_by_value() {
        let eq = |a: &str, b: &str| deep_eq(&parse(a).unwrap(), &parse(b).unwrap());
        assert!(eq("1", "1.0"));
        assert!(eq("[1e2]", "[100]"));
        assert!(eq(r#"{"a":1,"b":2}"#, r#"{"b":2,"a":1.0}"#));
        assert!(!eq("9007199254740993", "9007199254740992"), "integers compare exactly");
        assert!(!eq("-1", "18446744073709551615"));
        assert!(!eq("1", "\"1\""));
        assert!(!eq(r#"{"a":1}"#, r#"{"a":1,"b":null}"#));
    }
}
