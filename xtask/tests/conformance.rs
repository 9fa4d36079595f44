//! The native host runs every conformance vector (this is `cargo test`'s one
//! run of them), and the matcher catches every kind of mismatch.

use serde_json::{json, Value};
use xtask::{check, native, vectors};

fn default_files() -> Vec<vectors::VectorFile> {
    let root = vectors::root();
    let (files, notice) = vectors::default_files(&root).expect("the default vector set");
    if let Some(n) = notice {
        eprintln!("{n}");
    }
    vectors::read_files(&root, &files)
}

#[test]
fn native_host_passes_every_vector() {
    let files = default_files();
    assert!(files.iter().any(|f| f.name.contains("conformance") || f.name.contains("shared")), "no public vectors");
    assert!(files.iter().any(|f| f.name.starts_with("tests/vectors/")), "no own vectors");
    let skips = vectors::skips(&vectors::root()).unwrap();
    let report = check::check(&files, &native::drive(&files), &skips);
    print!("{}", report.render());
    assert!(report.passed >= 150, "only {} cases passed", report.passed);
    assert_eq!(report.failed, 0, "{}", report.render());
}

/// A real case from the vendored set, with one expectation changed, must fail.
#[test]
fn every_kind_of_mismatch_is_caught() {
    let text = std::fs::read_to_string(vectors::root().join("tests/conformance/join.json")).unwrap();
    let Ok(Value::Array(cases)) = xtask::json::parse(&text) else { panic!("join.json") };
    let case = cases.iter().find(|c| c.get("steps").is_some()).expect("a scenario").clone();
    let tampers: [(&str, Value); 9] = [
        ("status", json!(599)),
        ("data", json!({ "x": 1 })),
        ("message", json!("nope")),
        ("reason", json!("nope")),
        ("mutations", json!([{ "op": "updateRoom" }])),
        ("state", json!({ "room": { "callFlag": 12345 } })),
        ("peers", json!([{ "actorId": "nobody" }])),
        ("effects", json!([{ "type": "no-such-effect" }])),
        ("surprise", json!(true)),
    ];
    let skips = [];
    for (key, value) in tampers {
        let mut c = case.clone();
        let Some(Value::Array(steps)) = c.get_mut("steps") else { panic!() };
        let step = steps.iter_mut().find(|s| s.get("expect").is_some()).unwrap();
        step["expect"][key] = value;
        let files = [vectors::VectorFile { name: "tampered.json".into(), cases: Ok(vec![c]) }];
        let report = check::check(&files, &native::drive(&files), &skips);
        assert_eq!(report.failed, 1, "tampered {key} was not caught:\n{}", report.render());
        assert!(report.render().ends_with("0 passed, 1 failed\n"));
    }
    // A host that reports nothing for a step fails the case.
    let files = [vectors::VectorFile { name: "join.json".into(), cases: Ok(vec![case.clone()]) }];
    let report = check::check(&files, &xtask::transcript::Transcript::default(), &skips);
    assert!(report.render().contains("the host reported nothing"), "{}", report.render());
    // A skip by name is reported, not run.
    let name = case.get("name").and_then(Value::as_str).unwrap().to_string();
    let skip = [check::Skip { name, reason: "testing skips".into() }];
    let report = check::check(&files, &xtask::transcript::Transcript::default(), &skip);
    assert_eq!((report.passed, report.failed, report.skipped), (0, 0, 1));
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// A vector may hold a document deeper than the engine reads (64 levels) and than
/// serde_json reads by default (128): bad-input.json has requests nested 200 deep.
/// The tools read the file, the host runs it, and every case of it is judged.
#[test]
fn a_200_deep_document_is_read_and_judged() {
    let root = vectors::root();
    let path = root.join("tests/vectors/bad-input.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "the file no longer needs more than 128 levels");
    let files = vectors::read_files(&root, &[path]);
    let cases = files[0].cases.as_ref().expect("bad-input.json is read");
    let deep = cases.iter().filter(|c| depth(c) > 200).count();
    assert!(deep > 0, "no case of bad-input.json holds a document 200 deep");
    let report = check::check(&files, &native::drive(&files), &[]);
    assert_eq!((report.passed, report.failed), (cases.len(), 0), "{}", report.render());
}

/// The vendored copy is never edited by hand (a wrong vector is skipped by name).
#[test]
fn vendored_vectors_match_their_record() {
    vectors::public_set(&vectors::root()).unwrap();
}
