#![no_main]
//! Structure-aware: the inputs are `request NUL state` JSON documents (seeds: the conformance
//! vectors), and the custom mutator below edits them as JSON trees — swaps values for edge
//! cases and for strings found elsewhere in the documents (ids, tokens, session ids), drops
//! and duplicates rows and fields — so that nearly every input reaches the rules instead of
//! dying in the parser. One time in eight it falls back to libFuzzer's byte mutations.
//! The checks (no panic, the invariants of tests/properties.rs) are `tcr_fuzz::evaluate_mutated`.

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};
use serde_json::Value;

fuzz_target!(|data: &[u8]| tcr_fuzz::evaluate_mutated(data));

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

const MAX_SAFE: i64 = 9_007_199_254_740_991;
const INTS: [i64; 24] = [
    0, 1, -1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 31, 127, 128, 254, 255, 256,
    i32::MAX as i64, i32::MAX as i64 + 1, i32::MIN as i64, MAX_SAFE, MAX_SAFE + 1, i64::MIN,
];
const WORDS: [&str; 20] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "users", "guests", "groups", "phones", "emails",
    "federated_users", "", "1", "0", "abc", "-5", "true", "false", "external", "share:password",
];

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            out.push(k.clone());
            strings(x, out)
        }),
        _ => {}
    }
}

fn ints(v: &Value, out: &mut Vec<i64>) {
    match v {
        Value::Number(n) => out.extend(n.as_i64()),
        Value::Array(a) => a.iter().for_each(|x| ints(x, out)),
        Value::Object(m) => m.iter().for_each(|(_, x)| ints(x, out)),
        _ => {}
    }
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(m) => m.iter().map(|(_, x)| count(x)).sum(),
        _ => 0,
    }
}

struct Pool {
    strings: Vec<String>,
    ints: Vec<i64>,
}

/// Finds the `k`-th node (pre-order) and mutates it.
fn walk(v: &mut Value, k: &mut usize, rng: &mut Rng, pool: &Pool) -> bool {
    if *k == 0 {
        mutate(v, rng, pool);
        return true;
    }
    *k -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|x| walk(x, k, rng, pool)),
        Value::Object(m) => m.iter_mut().any(|(_, x)| walk(x, k, rng, pool)),
        _ => false,
    }
}

fn some_int(rng: &mut Rng, pool: &Pool, cur: i64) -> i64 {
    match rng.below(5) {
        0 => INTS[rng.below(INTS.len())],
        1 => cur.wrapping_add(rng.below(3) as i64 - 1),
        2 => cur ^ (1 << rng.below(8)),
        3 if !pool.ints.is_empty() => {
            // another number of the documents, nudged (times around `now`, ids)
            pool.ints[rng.below(pool.ints.len())].wrapping_add([0, 0, 1, -1, 30, -30, 31, -31, 60, -60][rng.below(10)])
        }
        _ => rng.below(20) as i64,
    }
}

fn some_string(rng: &mut Rng, pool: &Pool) -> String {
    if !pool.strings.is_empty() && rng.below(3) > 0 {
        pool.strings[rng.below(pool.strings.len())].clone()
    } else {
        WORDS[rng.below(WORDS.len())].to_string()
    }
}

fn mutate(v: &mut Value, rng: &mut Rng, pool: &Pool) {
    // Now and then change the type altogether.
    if rng.below(10) == 0 {
        *v = match rng.below(6) {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 => Value::from(some_int(rng, pool, 0)),
            3 => serde_json::from_str(["1.5", "1e3", "-0.0", "99999999999999999999"][rng.below(4)]).unwrap_or(Value::Null),
            4 => Value::String(some_string(rng, pool)),
            _ => Value::Array(vec![]),
        };
        return;
    }
    match v {
        Value::Null => *v = Value::from(some_int(rng, pool, 0)),
        Value::Bool(b) => *b = !*b,
        Value::Number(n) => *v = Value::from(some_int(rng, pool, n.as_i64().unwrap_or(0))),
        Value::String(s) => match rng.below(6) {
            0 => s.push_str(&some_string(rng, pool)),
            1 => *s = some_int(rng, pool, 0).to_string(),
            2 if !s.is_empty() => {
                let cut = rng.below(s.len());
                let cut = (0..=cut).rev().find(|&c| s.is_char_boundary(c)).unwrap_or(0);
                s.truncate(cut);
            }
            _ => *s = some_string(rng, pool),
        },
        Value::Array(a) => {
            let n = a.len();
            match rng.below(5) {
                0 | 1 if n > 0 => {
                    a.remove(rng.below(n));
                }
                2 if n > 0 => {
                    let x = a[rng.below(n)].clone();
                    a.insert(rng.below(n + 1), x);
                }
                3 if n > 1 => a.swap(rng.below(n), rng.below(n)),
                _ => a.push(Value::String(some_string(rng, pool))),
            }
        }
        Value::Object(m) => {
            let n = m.len();
            match rng.below(4) {
                0 | 1 if n > 0 => {
                    if let Some(key) = m.keys().nth(rng.below(n)).cloned() {
                        m.shift_remove(&key);
                    }
                }
                2 if n > 0 => {
                    if let Some(x) = m.values_mut().nth(rng.below(n)) {
                        *x = Value::Null;
                    }
                }
                _ => {
                    let key = some_string(rng, pool);
                    if !m.contains_key(&key) {
                        m.insert(key, Value::String(some_string(rng, pool)));
                    }
                }
            }
        }
    }
}

fn structural(data: &[u8], rng: &mut Rng) -> Option<Vec<u8>> {
    let p = tcr_fuzz::parts(data, 2);
    let mut req = talk_call_rules::document::tree(&p[0], "request").ok()?;
    let mut st = talk_call_rules::document::tree(&p[1], "state").ok()?;
    let mut pool = Pool { strings: vec![], ints: vec![] };
    for d in [&req, &st] {
        strings(d, &mut pool.strings);
        ints(d, &mut pool.ints);
    }
    // Paths that route: the room's token, with attendee ids of the documents.
    if let Some(token) = st.get("room").and_then(|r| r.get("token")).and_then(Value::as_str) {
        let id = pool.ints.get(rng.below(pool.ints.len())).copied().unwrap_or(1);
        for p in [format!("/call/{token}"), format!("/call/{token}/ring/{id}"), format!("/call/{token}/dialout/{id}")] {
            pool.strings.push(p);
        }
    }
    for _ in 0..1 + rng.below(3) {
        let doc = if rng.below(2) == 0 { &mut req } else { &mut st };
        let mut k = rng.below(count(doc));
        walk(doc, &mut k, rng, &pool);
    }
    let mut out = req.to_string().into_bytes();
    out.push(0);
    out.extend_from_slice(st.to_string().as_bytes());
    Some(out)
}

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    let mut rng = Rng(u64::from(seed) | 1 << 40);
    if rng.below(8) != 0 {
        if let Some(out) = structural(&data[..size], &mut rng) {
            if out.len() <= max_size {
                data[..out.len()].copy_from_slice(&out);
                return out.len();
            }
        }
    }
    fuzzer_mutate(data, size, max_size)
});
