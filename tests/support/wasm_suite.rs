//! The wasm-bindgen test suite, run in Node (tests/node.rs) and in headless
//! Chromium (tests/web.rs): the conformance vectors through the very module the
//! hosts load, the object API against its JSON twin, and hostile input.

use super::runner;
use js_sys::JSON;
use talk_call_rules::json::{self, Value};
use talk_call_rules::wasm;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/vectors.rs"));
}

fn js(text: &str) -> JsValue {
    JSON::parse(text).expect("valid JSON")
}

fn text(v: &JsValue) -> String {
    JSON::stringify(v).expect("serialisable").as_string().unwrap()
}

fn same(a: &str, b: &str) -> bool {
    runner::deep_eq(&json::parse(a).unwrap(), &json::parse(b).unwrap())
}

#[wasm_bindgen_test]
fn conformance_vectors() {
    assert!(embedded::VECTORS.iter().any(|(n, _)| n.starts_with("callapi-")), "shared vectors not embedded");
    let skips = runner::parse_skips(embedded::SKIPS);
    let mut results = Vec::new();
    for (name, text) in embedded::VECTORS {
        results.extend(runner::run_file(name, text, &skips));
    }
    let (report, failed) = runner::report(&results);
    console_log!("{}", report);
    assert!(results.len() >= 69);
    assert_eq!(failed, 0, "{report}");
}

/// Every request of every vector, through the object API and the JSON twin.
#[wasm_bindgen_test]
fn object_api_agrees_with_json_twin() {
    let mut compared = 0;
    for (_, file) in embedded::VECTORS {
        let Ok(Value::Array(cases)) = json::parse(file) else { panic!("bad vector file") };
        for case in &cases {
            let state = case.get("state").unwrap().to_json();
            let single = [case.clone()];
            let steps = match case.get("steps") {
                Some(Value::Array(s)) => s.as_slice(),
                _ => &single,
            };
            for step in steps {
                let Some(request) = step.get("request") else { continue };
                let request = request.to_json();
                let via_objects = text(&wasm::evaluate_js(js(&request), js(&state)));
                let via_json = wasm::evaluate_json_js(&request, &state);
                assert!(same(&via_objects, &via_json), "{request}\n{via_objects}\n{via_json}");
                let outcome = json::parse(&via_json).unwrap();
                let muts = outcome.get("mutations").unwrap().to_json();
                let applied_objects = text(&wasm::apply_js(js(&state), js(&muts)));
                assert!(same(&applied_objects, &wasm::apply_json_js(&state, &muts)));
                assert!(same(&text(&wasm::ocs_js(js(&via_json))), &wasm::ocs_json_js(&via_json)));
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
    json::parse(outcome).unwrap().get("reason").and_then(Value::as_str).unwrap().to_string()
}

/// Hostile input is answered with `bad-input`, and the instance keeps answering right.
#[wasm_bindgen_test]
fn hostile_input_does_not_poison_the_instance() {
    let good = wasm::evaluate_json_js(JOIN, STATE);
    assert_eq!(reason(&good), "ok");
    let deep = "[".repeat(100_000);
    let huge = format!("{{\"x\":\"{}\"}}", "a".repeat(9 * 1024 * 1024));
    for (request, state) in [
        ("not json", STATE),
        (JOIN, deep.as_str()),
        (JOIN, huge.as_str()),
        (JOIN, "{\"room\":{\"token\":\"abcd1234\",\"type\":9}}"),
        ("{\"method\":\"POST\",\"path\":\"/call/abcd1234\",\"body\":{\"flags\":{}},\"now\":1}", STATE),
        ("{\"method\":\"POST\",\"path\":\"/call/abcd1234\",\"now\":-1}", STATE),
        ("\"\\ud800\"", STATE),
    ] {
        assert_eq!(reason(&wasm::evaluate_json_js(request, state)), "bad-input", "{request:.80}");
    }
    // Objects: a cycle, deep nesting, wrong types.
    let cyclic = js("{}");
    js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let deep_obj = js(&format!("{}1{}", "[".repeat(200), "]".repeat(200)));
    for state in [cyclic, deep_obj, JsValue::from_f64(f64::NAN), JsValue::UNDEFINED, js_sys::Symbol::for_("x").into()] {
        let out = text(&wasm::evaluate_js(js(JOIN), state));
        assert_eq!(reason(&out), "bad-input", "{out}");
    }
    assert_eq!(wasm::evaluate_json_js(JOIN, STATE), good);
    assert!(same(&text(&wasm::evaluate_js(js(JOIN), js(STATE))), &good));
}

/// The C-ABI exports answer exactly what the JSON twin answers.
#[wasm_bindgen_test]
fn c_abi_matches_json_twin() {
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
    assert_eq!(std::str::from_utf8(out).unwrap(), wasm::evaluate_json_js(JOIN, STATE));
    // Lengths that do not fit the input area are bad input, not a trap.
    let len = wasm::tcr_evaluate(1 << 20, 5);
    let out = unsafe { std::slice::from_raw_parts(wasm::tcr_output_ptr(), len as usize) };
    assert_eq!(reason(std::str::from_utf8(out).unwrap()), "bad-input");
    assert!(wasm::tcr_input_reserve(i32::MAX).is_null());
    assert!(wasm::tcr_input_reserve(-1).is_null());
    assert_eq!(wasm::tcr_abi_version(), 1);
}
