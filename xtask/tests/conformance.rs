//! The native host runs every conformance vector (this is `cargo test`'s one
//! run of them), and the matcher catches every kind of mismatch.

use talk_call_rules::json::{self, Value};
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
    let Ok(Value::Array(cases)) = json::parse(&text) else { panic!("join.json") };
    let case = cases.iter().find(|c| c.get("steps").is_some()).expect("a scenario").clone();
    let tampers: [(&str, Value); 9] = [
        ("status", Value::Int(599)),
        ("data", Value::object().with("x", 1)),
        ("message", Value::from("nope")),
        ("reason", Value::from("nope")),
        ("mutations", Value::Array(vec![Value::object().with("op", "updateRoom")])),
        ("state", Value::object().with("room", Value::object().with("callFlag", 12345))),
        ("peers", Value::Array(vec![Value::object().with("actorId", "nobody")])),
        ("effects", Value::Array(vec![Value::object().with("type", "no-such-effect")])),
        ("surprise", Value::Bool(true)),
    ];
    let skips = [];
    for (key, value) in tampers {
        let mut c = case.clone();
        let Some(Value::Array(steps)) = field_mut(&mut c, "steps") else { panic!() };
        let step = steps.iter_mut().find(|s| s.get("expect").is_some()).unwrap();
        field_mut(step, "expect").unwrap().set(key, value);
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

fn field_mut<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    match v {
        Value::Object(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// The vendored copy is never edited by hand (a wrong vector is skipped by name).
#[test]
fn vendored_vectors_match_their_record() {
    vectors::public_set(&vectors::root()).unwrap();
}
