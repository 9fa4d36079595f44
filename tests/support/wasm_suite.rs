//! The wasm-bindgen test suite, run in Node (tests/node.rs) and in headless
//! Chromium (tests/web.rs): the conformance vectors (public and ours) driven
//! through the module's wasm-bindgen exports, once through the text exports
//! (`evaluateJson`, `applyJson`) and once through the object exports
//! (`evaluate`, `apply`: serde-wasm-bindgen), each judged by the one matcher
//! (xtask's `check`); the object exports and the C ABI against the core's JSON
//! functions for every request of the vectors; and hostile input.

use js_sys::JSON;
use serde_json::Value;
use talk_call_rules::wasm;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/vectors.rs"));
}

/// The embedded vector files, read by the matcher's parser.
fn vector_files() -> Vec<xtask::vectors::VectorFile> {
    embedded::VECTORS.iter().map(|(name, text)| xtask::vectors::VectorFile::parse(name.to_string(), text)).collect()
}

/// Drives every vector through `bridge` and judges the transcript with the one matcher.
fn judge(bridge: &xtask::native::Bridge) {
    let files = vector_files();
    let cases: usize = files.iter().map(|f| f.cases.as_ref().map_or(0, Vec::len)).sum();
    assert!(files.iter().any(|f| f.name.starts_with("callapi-")), "public vectors not embedded");
    let transcript = xtask::native::drive_with(bridge, &files);
    let skips = xtask::vectors::parse_skips(include_str!("../vector-skips.json")).expect("the skip list");
    let report = xtask::check::check(&files, &transcript, &skips);
    assert_eq!(report.failed, 0, "{}: {}", bridge.host, report.render());
    assert_eq!(report.passed + report.skipped, cases, "{}: {}", bridge.host, report.render());
    assert!(report.passed > 150, "{}: only {} cases passed", bridge.host, report.passed);
}

/// Every vector through the text exports (`evaluateJson`, `applyJson`: UTF-8 bytes in, JSON out).
#[wasm_bindgen_test]
fn vectors_pass_through_the_text_exports() {
    judge(&xtask::native::Bridge {
        host: "wasm-bindgen text exports",
        version: wasm::version_json_js(),
        evaluate: &|r, s| wasm::evaluate_json_js(r.as_bytes(), s.as_bytes()),
        apply: &|s, m| wasm::apply_json_js(s.as_bytes(), m.as_bytes()),
    });
}

/// Every vector through the object exports (`evaluate`, `apply`: JS values through serde-wasm-bindgen).
#[wasm_bindgen_test]
fn vectors_pass_through_the_object_exports() {
    judge(&xtask::native::Bridge {
        host: "wasm-bindgen object exports",
        version: text(&wasm::version_js()),
        evaluate: &|r, s| text(&wasm::evaluate_js(js(r), js(s))),
        apply: &|s, m| text(&wasm::apply_js(js(s), js(m))),
    });
}

fn js(text: &str) -> JsValue {
    JSON::parse(text).expect("valid JSON")
}

fn text(v: &JsValue) -> String {
    JSON::stringify(v).expect("serialisable").as_string().unwrap()
}

/// JSON equality, objects regardless of key order.
fn deep_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| b.get(k).is_some_and(|w| deep_eq(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| deep_eq(v, w)),
        _ => a == b,
    }
}

/// JSON read by the matcher's parser (vector documents nest deeper than the engine reads).
fn parse(text: &str) -> Value {
    xtask::json::parse(text).expect("JSON")
}

fn same(a: &str, b: &str) -> bool {
    deep_eq(&parse(a), &parse(b))
}

/// Calls a C-ABI export as a host does: `docs` written back to back into the
/// input area, the answer read from the output area.
fn abi(docs: &[&str], call: impl FnOnce(&[i32]) -> i32) -> String {
    let total: usize = docs.iter().map(|d| d.len()).sum();
    let ptr = wasm::tcr_input_reserve(total as i32);
    assert!(!ptr.is_null(), "an input area of {total} bytes");
    let mut at = 0;
    for d in docs {
        // SAFETY: the area holds at least `total` bytes and nothing else uses it meanwhile.
        unsafe { std::ptr::copy_nonoverlapping(d.as_ptr(), ptr.add(at), d.len()) };
        at += d.len();
    }
    let lens: Vec<i32> = docs.iter().map(|d| d.len() as i32).collect();
    output(call(&lens))
}

/// The answer of the last C-ABI call.
fn output(len: i32) -> String {
    // SAFETY: the output area holds `len` bytes until the next call.
    let out = unsafe { std::slice::from_raw_parts(wasm::tcr_output_ptr(), len as usize) };
    std::str::from_utf8(out).expect("UTF-8 answer").to_string()
}

fn evaluate_abi(request: &str, state: &str) -> String {
    abi(&[request, state], |l| wasm::tcr_evaluate(l[0], l[1]))
}

/// Every request of every vector, through the objects, the C ABI and the core's JSON function.
#[wasm_bindgen_test]
fn object_api_and_c_abi_agree_with_the_core() {
    let mut compared = 0;
    assert!(embedded::VECTORS.iter().any(|(n, _)| n.starts_with("callapi-")), "public vectors not embedded");
    // The files are read with the host's JSON parser: a case may nest deeper than the engine reads.
    let get = |v: &JsValue, key: &str| js_sys::Reflect::get(v, &key.into()).unwrap();
    for (_, file) in embedded::VECTORS {
        let cases = js(file);
        assert!(js_sys::Array::is_array(&cases), "bad vector file");
        for case in js_sys::Array::from(&cases).iter() {
            let state = text(&get(&case, "state"));
            let steps = get(&case, "steps");
            let steps =
                if js_sys::Array::is_array(&steps) { js_sys::Array::from(&steps) } else { js_sys::Array::of1(&case) };
            for step in steps.iter() {
                let request = get(&step, "request");
                if request.is_undefined() {
                    continue;
                }
                let request = text(&request);
                let via_objects = text(&wasm::evaluate_js(js(&request), js(&state)));
                let via_json = talk_call_rules::evaluate_json(&request, &state);
                assert!(same(&via_objects, &via_json), "{request}\n{via_objects}\n{via_json}");
                assert_eq!(evaluate_abi(&request, &state), via_json, "{request}");
                let outcome = parse(&via_json);
                let muts = outcome.get("mutations").unwrap().to_string();
                let applied = abi(&[&state, &muts], |l| wasm::tcr_apply(l[0], l[1]));
                assert_eq!(applied, talk_call_rules::apply_json(&state, &muts));
                assert_eq!(abi(&[&via_json], |l| wasm::tcr_ocs(l[0])), talk_call_rules::ocs_json(&via_json));
                // The other exports, objects and text, answer what the core answers.
                let core_ocs = talk_call_rules::ocs_json(&via_json);
                assert_eq!(wasm::ocs_json_js(via_json.as_bytes()), core_ocs);
                assert!(same(&text(&wasm::ocs_js(js(&via_json))), &core_ocs), "ocs {via_json}");
                let core_explain = talk_call_rules::explain_json(&via_json);
                assert_eq!(wasm::explain_json_js(via_json.as_bytes()), core_explain);
                assert!(same(&text(&wasm::explain_js(js(&via_json))), &core_explain), "explain {via_json}");
                let applied_objects = text(&wasm::apply_js(js(&state), js(&muts)));
                assert!(same(&applied_objects, &applied), "apply {muts}");
                let actor = parse(&request).get("actor").map_or("{}".to_string(), Value::to_string);
                // (A request's own `now` may be bad input; the core's `now` is an integer.)
                let now = parse(&request).get("now").and_then(Value::as_i64).filter(|n| *n >= 0).unwrap_or(0) as f64;
                let core_actions = talk_call_rules::allowed_actions_json(&state, &actor, now as i64, "");
                let actions = wasm::allowed_actions_json_js(state.as_bytes(), actor.as_bytes(), now, b"");
                assert_eq!(actions, core_actions, "allowedActions {request}");
                let actions_objects = text(&wasm::allowed_actions_js(js(&state), js(&actor), now, JsValue::UNDEFINED));
                assert!(same(&actions_objects, &core_actions), "allowedActions objects {request}");
                compared += 1;
            }
        }
    }
    assert!(compared > 300, "only {compared} requests compared");
}

const STATE: &str = r#"{"room":{"token":"abcd1234","type":2},"attendees":[{"attendeeId":1,"actorType":"users","actorId":"alice","participantType":1}],"sessions":[{"sessionId":"s1","attendeeId":1,"inCall":0,"lastPing":1700000000}]}"#;
const JOIN: &str =
    r#"{"method":"POST","path":"/call/abcd1234","actor":{"userId":"alice","sessionId":"s1"},"now":1700000000}"#;

fn reason(outcome: &str) -> String {
    parse(outcome).get("reason").and_then(Value::as_str).unwrap().to_string()
}

fn memory_bytes() -> f64 {
    let memory = wasm_bindgen::memory();
    let buffer = js_sys::Reflect::get(&memory, &"buffer".into()).unwrap();
    js_sys::Reflect::get(&buffer, &"byteLength".into()).unwrap().as_f64().unwrap()
}

/// A JS object nested `depth` levels deep: {"a":{"a":…}}.
fn deep_object(depth: usize) -> JsValue {
    let mut v: JsValue = js_sys::Object::new().into();
    for _ in 0..depth {
        let o = js_sys::Object::new();
        js_sys::Reflect::set(&o, &"a".into(), &v).unwrap();
        v = o.into();
    }
    v
}

/// The join of STATE as the contract says it must be answered (`lib/Controller/CallController.php::joinCall`,
/// `lib/Service/RoomService.php::setActiveSince`).
fn assert_right_join(outcome: &str) {
    let o = parse(outcome);
    assert_eq!(o.get("status").and_then(Value::as_i64), Some(200), "{outcome}");
    assert_eq!(o.get("reason").and_then(Value::as_str), Some("ok"));
    let m = o.get("mutations").unwrap().to_string();
    assert!(m.contains(r#"{"op":"updateSession","sessionId":"s1","set":{"inCall":7}}"#), "{m}");
    assert!(m.contains(r#""callFlag":7,"activeSince":1700000000"#), "{m}");
}

/// Hostile input is answered with `bad-input`, and the instance keeps answering right.
#[wasm_bindgen_test]
fn hostile_input_does_not_poison_the_instance() {
    let good = evaluate_abi(JOIN, STATE);
    assert_right_join(&good);
    let deep = "[".repeat(100_000);
    let deep_obj_text = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let huge = format!("{{\"x\":\"{}\"}}", "a".repeat(9 * 1024 * 1024));
    let big_request =
        format!("{{\"method\":\"POST\",\"path\":\"/call/abcd1234\",\"now\":1,\"pad\":\"{}\"}}", "p".repeat(70 * 1024));
    for (request, state) in [
        ("not json", STATE),
        (JOIN, deep.as_str()),
        (JOIN, deep_obj_text.as_str()),
        (deep_obj_text.as_str(), STATE),
        (big_request.as_str(), STATE),
        (JOIN, huge.as_str()),
        (JOIN, "{\"room\":{\"token\":\"abcd1234\",\"type\":9}}"),
        ("{\"method\":\"POST\",\"path\":\"/call/abcd1234\",\"body\":{\"flags\":{}},\"now\":1}", STATE),
        ("{\"method\":\"POST\",\"path\":\"/call/abcd1234\",\"now\":-1}", STATE),
        ("\"\\ud800\"", STATE),
    ] {
        assert_eq!(reason(&evaluate_abi(request, state)), "bad-input", "{request:.80}");
    }
    // The other entry points, with the same kinds of input.
    for bad in ["[", deep_obj_text.as_str(), huge.as_str(), "{\"room\":5}"] {
        // apply owns no columns' types: only text it cannot read is refused.
        if !bad.contains("room") {
            assert_eq!(reason(&abi(&[bad, "[]"], |l| wasm::tcr_apply(l[0], l[1]))), "bad-input");
        }
        let actions = abi(&[bad, "{}"], |l| wasm::tcr_allowed_actions(l[0], l[1], 0, 1));
        assert_eq!(reason(&actions), "bad-input");
        assert!(abi(&[bad], |l| wasm::tcr_ocs(l[0])).contains(r#""statuscode":400"#));
        assert_eq!(reason(&abi(&[bad], |l| wasm::tcr_explain(l[0]))), "bad-input");
    }

    // Objects: a cycle, deep nesting (JSON.stringify's own RangeError at 10,000), wrong types,
    // and oversized documents, which must be refused before they reach linear memory.
    let before = memory_bytes();
    let cyclic = js("{}");
    js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let big = js_sys::Object::new();
    js_sys::Reflect::set(&big, &"x".into(), &JsValue::from_str(&"a".repeat(9 * 1024 * 1024))).unwrap();
    let big: JsValue = big.into();
    let hostile = [
        cyclic,
        deep_object(200),
        deep_object(10_000),
        big.clone(),
        JsValue::from_f64(f64::NAN),
        JsValue::UNDEFINED,
        js_sys::Symbol::for_("x").into(),
    ];
    for state in &hostile {
        let out = text(&wasm::evaluate_js(js(JOIN), state.clone()));
        assert_eq!(reason(&out), "bad-input", "{out}");
    }
    let out = text(&wasm::evaluate_js(deep_object(10_000), js(STATE)));
    assert_eq!(reason(&out), "bad-input", "{out}");
    let out = text(&wasm::evaluate_js(big, js(STATE)));
    assert_eq!(reason(&out), "bad-input", "{out}");
    assert!(memory_bytes() - before < 4.0 * 1024.0 * 1024.0, "linear memory grew by {}", memory_bytes() - before);

    // Still the right answer, through both APIs.
    assert_eq!(evaluate_abi(JOIN, STATE), good);
    assert_right_join(&text(&wasm::evaluate_js(js(JOIN), js(STATE))));
}

/// The C-ABI exports answer exactly what the core's JSON functions answer.
#[wasm_bindgen_test]
fn c_abi_matches_the_core() {
    let state = STATE.as_bytes();
    let request = JOIN.as_bytes();
    let ptr = wasm::tcr_input_reserve((request.len() + state.len()) as i32);
    assert!(!ptr.is_null());
    unsafe {
        std::ptr::copy_nonoverlapping(request.as_ptr(), ptr, request.len());
        std::ptr::copy_nonoverlapping(state.as_ptr(), ptr.add(request.len()), state.len());
    }
    let len = wasm::tcr_evaluate(request.len() as i32, state.len() as i32);
    let out = unsafe { std::slice::from_raw_parts(wasm::tcr_output_ptr(), len as usize) };
    assert_eq!(std::str::from_utf8(out).unwrap(), talk_call_rules::evaluate_json(JOIN, STATE));
    assert_eq!(output(wasm::tcr_version()), talk_call_rules::version().to_string());
    assert_eq!(output(wasm::tcr_facts()), talk_call_rules::facts().to_string());
    assert_eq!(text(&wasm::version_js()), talk_call_rules::version().to_string());
    // Lengths that do not fit the input area are bad input, not a trap…
    let len = wasm::tcr_evaluate(i32::MAX, 5);
    let out = unsafe { std::slice::from_raw_parts(wasm::tcr_output_ptr(), len as usize) };
    assert_eq!(reason(std::str::from_utf8(out).unwrap()), "bad-input");
    // …and the next call with the same input area still gets the right answer.
    let len = wasm::tcr_evaluate(request.len() as i32, state.len() as i32);
    let out = unsafe { std::slice::from_raw_parts(wasm::tcr_output_ptr(), len as usize) };
    assert_right_join(std::str::from_utf8(out).unwrap());
    assert!(wasm::tcr_input_reserve(i32::MAX).is_null());
    assert!(wasm::tcr_input_reserve(-1).is_null());
    assert_eq!(wasm::tcr_abi_version(), 1);
}
