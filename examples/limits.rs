//! How long the native engine takes to refuse oversized and deeply nested input (a
//! measurement, not a test; the answers are checked by tests/limits.rs).
//!
//! Run: `cargo run --release --example limits` (or `./build.sh bench-limits`, which also
//! runs the Node side, bench/limits.mjs). Each figure is the median of many runs.

use serde_json::Value;
use std::time::{Duration, Instant};
use talk_call_rules::{apply_json, evaluate_json};

fn parse(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text)
}

const REQUEST: &str = r#"{"method":"POST","path":"/call/abcd1234","body":{"flags":3},"actor":{"userId":"alice","sessionId":"s1"},"now":1700000000}"#;
const STATE: &str = r#"{"room":{"token":"abcd1234","type":2},"attendees":[{"attendeeId":1,"actorType":"users","actorId":"alice","participantType":1}],"sessions":[{"sessionId":"s1","attendeeId":1,"inCall":0,"lastPing":1700000000}]}"#;

fn deep(open: &str, close: &str, n: usize) -> String {
    format!("{}1{}", open.repeat(n), close.repeat(n))
}

fn big_string(n: usize) -> String {
    format!("\"{}\"", "a".repeat(n))
}

fn big_array(n: usize) -> String {
    let mut s = String::with_capacity(n + 2);
    s.push_str("[0");
    while s.len() < n {
        s.push_str(",0");
    }
    s.push(']');
    s
}

fn state_with(value: &str) -> String {
    STATE.replacen(r#""type":2"#, &format!(r#""type":2,"hostField":{value}"#), 1)
}

fn request_with(value: &str) -> String {
    REQUEST.replacen(r#"{"flags":3}"#, &format!(r#"{{"flags":3,"extra":{value}}}"#), 1)
}

/// Median wall time of `f` over enough runs to fill about 0.5 s (at least 5, at most 10,000).
fn median(mut f: impl FnMut() -> String) -> (Duration, usize, String) {
    let out = f();
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 5 || (start.elapsed() < Duration::from_millis(500) && samples.len() < 10_000) {
        let t = Instant::now();
        std::hint::black_box(f());
        samples.push(t.elapsed());
    }
    samples.sort();
    (samples[samples.len() / 2], samples.len(), out)
}

fn answer(out: &str) -> String {
    let v = parse(out).expect("JSON");
    match (v.get("status").and_then(Value::as_i64), v.get("reason").and_then(Value::as_str)) {
        (Some(s), Some(r)) => format!("{s} {r}"),
        _ => "state".to_string(),
    }
}

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.1} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

fn main() {
    const TEN_MB: usize = 10 * 1000 * 1000;
    const EIGHT_MB: usize = 8 * 1000 * 1000; // just under the 8 MiB state limit: read in full
    const DEEP: usize = 10_000;
    let deep_a = deep("[", "]", DEEP);
    let deep_o = deep("{\"a\":", "}", DEEP);
    let cases: Vec<(&str, String, String)> = vec![
        ("valid join (baseline)", REQUEST.into(), STATE.into()),
        ("request: 10 MB string", request_with(&big_string(TEN_MB)), STATE.into()),
        ("state: 10 MB string", REQUEST.into(), state_with(&big_string(TEN_MB))),
        ("state: 10 MB array [0,0,…]", REQUEST.into(), state_with(&big_array(TEN_MB))),
        ("state: 8 MB string (accepted)", REQUEST.into(), state_with(&big_string(EIGHT_MB))),
        ("state: 8 MB array (accepted)", REQUEST.into(), state_with(&big_array(EIGHT_MB))),
        ("request: 10,000-deep arrays", request_with(&deep_a), STATE.into()),
        ("request: 10,000-deep objects", request_with(&deep_o), STATE.into()),
        ("state: 10,000-deep arrays", REQUEST.into(), state_with(&deep_a)),
        ("state: 10,000-deep objects", REQUEST.into(), state_with(&deep_o)),
    ];
    println!("native evaluate_json (release; median)");
    println!("{:<34} {:>12} {:>12} {:>8}  answer", "case", "input bytes", "time", "runs");
    for (name, request, state) in &cases {
        let (t, runs, out) = median(|| evaluate_json(request, state));
        println!("{:<34} {:>12} {:>12} {:>8}  {}", name, request.len() + state.len(), fmt(t), runs, answer(&out));
    }
    println!();
    println!("native apply_json (release; median)");
    let apply_cases: Vec<(&str, String, String)> = vec![
        ("mutations: 10 MB array", STATE.into(), big_array(TEN_MB)),
        ("mutations: 10,000-deep arrays", STATE.into(), deep_a.clone()),
        ("state: 8 MB string (accepted)", state_with(&big_string(EIGHT_MB)), "[]".into()),
        ("state: 10,000-deep objects", state_with(&deep_o), "[]".into()),
    ];
    for (name, state, mutations) in &apply_cases {
        let (t, runs, out) = median(|| apply_json(state, mutations));
        println!("{:<34} {:>12} {:>12} {:>8}  {}", name, state.len() + mutations.len(), fmt(t), runs, answer(&out));
    }
}
