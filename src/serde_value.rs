//! `serde::Serialize` for [`Value`], so serde-wasm-bindgen turns answers into
//! plain JS objects (wasm32 only: part of the boundary). Numbers that are not
//! integers keep their JSON text in the core and go through JS's own
//! `parseFloat`, so the `.wasm` carries no float parser or formatter.

use crate::json::Value;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            // JS numbers: integers beyond 2^53 cannot come back exactly either way.
            Value::Int(i) => s.serialize_f64(*i as f64),
            Value::Decimal(d) => s.serialize_f64(js_sys::parse_float(d)),
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
