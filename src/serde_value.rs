//! `serde` for [`Value`], so hosts with native objects (JS through
//! serde-wasm-bindgen) convert straight into the engine's value. The same
//! depth and size limits as the JSON parser apply: a cyclic or absurdly deep
//! object is refused, never recursed into without end.

use crate::json::{Value, MAX_DEPTH};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::cell::Cell;

/// Most values (every scalar, array and object counts one) in one converted document.
pub const MAX_NODES: usize = 2_000_000;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static NODES: Cell<usize> = const { Cell::new(0) };
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            // JS numbers: integers beyond 2^53 cannot come back exactly either way.
            Value::Int(i) => s.serialize_f64(*i as f64),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Str(x) => s.serialize_str(x),
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for x in a {
                    seq.serialize_element(x)?;
                }
                seq.end()
            }
            Value::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Converts a host value, resetting the limits' counters first.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub fn from_host<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    DEPTH.with(|c| c.set(0));
    NODES.with(|c| c.set(0));
    Value::deserialize(d)
}

fn count<E: de::Error>() -> Result<(), E> {
    let n = NODES.with(|c| {
        let n = c.get() + 1;
        c.set(n);
        n
    });
    if n > MAX_NODES {
        Err(E::custom(format!("more than {MAX_NODES} values")))
    } else {
        Ok(())
    }
}

struct Nested;

impl Nested {
    fn enter<E: de::Error>() -> Result<Nested, E> {
        let d = DEPTH.with(|c| {
            let d = c.get() + 1;
            c.set(d);
            d
        });
        if d > MAX_DEPTH {
            DEPTH.with(|c| c.set(c.get() - 1));
            Err(E::custom(format!("nesting deeper than {MAX_DEPTH} (or a cycle)")))
        } else {
            Ok(Nested)
        }
    }
}

impl Drop for Nested {
    fn drop(&mut self) {
        DEPTH.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        count().map(|_| Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        count().map(|_| Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        count().map(|_| Value::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        count().map(|_| Value::Int(i))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        count()?;
        Ok(i64::try_from(u).map_or(Value::Float(u as f64), Value::Int))
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        count()?;
        if !f.is_finite() {
            return Err(E::custom("a number that is not finite"));
        }
        // JS has only doubles: an integral one within 2^53 is an integer.
        if f.fract() == 0.0 && f.abs() <= crate::input::MAX_SAFE_INT as f64 {
            Ok(Value::Int(f as i64))
        } else {
            Ok(Value::Float(f))
        }
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        count().map(|_| Value::Str(s.to_string()))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        count().map(|_| Value::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        count()?;
        let _guard = Nested::enter()?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        count()?;
        let _guard = Nested::enter()?;
        let mut members = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value::<Value>()?;
            members.push((k, v));
        }
        Ok(Value::Object(members))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}
