//! The transcript a host driver writes: one JSON object per line.
//!
//! ```text
//! {"host":"node","version":{...}}                                          optional header
//! {"file":"tests/conformance/join.json","case":0,"step":1,"outcome":{...},"state":{...}}
//! {"file":"...","case":0,"step":2,"fixture":"addSession"}
//! {"file":"...","case":1,"step":3,"error":"apply refused the outcome's mutations: ..."}
//! {"file":"...","case":2,"error":"threw TalkCallRulesError: ..."}          the whole case
//! ```
//!
//! `file` is the path exactly as the driver was given it, `case` the index of
//! the case in its file, `step` 1-based (a single-step case has step 1).
//! `state` is the running state after the step's mutations were applied with the
//! host's own `apply`. A driver stops a case at its first error.

use crate::json;
use serde_json::Value;
use std::collections::HashMap;

/// What the host reported for one step.
pub enum Step {
    Evaluated { outcome: Value, state: Value },
    Fixture(String),
    Error(String),
}

#[derive(Default)]
pub struct Transcript {
    pub host: Option<Value>,
    steps: HashMap<(String, usize, usize), Step>,
    case_errors: HashMap<(String, usize), String>,
}

impl Transcript {
    pub fn parse(text: &str) -> Result<Transcript, String> {
        let mut t = Transcript::default();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let at = |e: String| format!("transcript line {}: {e}", n + 1);
            let v = json::parse(line).map_err(at)?;
            t.add(v).map_err(at)?;
        }
        Ok(t)
    }

    /// Adds one transcript line.
    pub fn add(&mut self, line: Value) -> Result<(), String> {
        if line.get("host").is_some() {
            self.host = Some(line);
            return Ok(());
        }
        let file = line.get("file").and_then(Value::as_str).ok_or("no file")?.to_string();
        let case = line.get("case").and_then(Value::as_i64).and_then(|c| usize::try_from(c).ok()).ok_or("no case")?;
        let error = line.get("error").map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string));
        let Some(step) = line.get("step") else {
            let e = error.ok_or("neither a step nor an error")?;
            self.case_errors.insert((file, case), e);
            return Ok(());
        };
        let step = step.as_i64().and_then(|s| usize::try_from(s).ok()).filter(|s| *s > 0).ok_or("bad step")?;
        let entry = if let Some(e) = error {
            Step::Error(e)
        } else if let Some(f) = line.get("fixture") {
            Step::Fixture(f.as_str().ok_or("fixture is not a string")?.to_string())
        } else {
            let outcome = line.get("outcome").cloned().ok_or("no outcome")?;
            let state = line.get("state").cloned().ok_or("no state")?;
            if line.get("inputChanged").is_some_and(|c| *c == Value::Bool(true)) {
                Step::Error("evaluate or apply modified its input state".into())
            } else {
                Step::Evaluated { outcome, state }
            }
        };
        if self.steps.insert((file, case, step), entry).is_some() {
            return Err(format!("step {step} reported twice"));
        }
        Ok(())
    }

    pub fn step(&self, file: &str, case: usize, step: usize) -> Option<&Step> {
        self.steps.get(&(file.to_string(), case, step))
    }

    pub fn case_error(&self, file: &str, case: usize) -> Option<&str> {
        self.case_errors.get(&(file.to_string(), case)).map(String::as_str)
    }

    /// How many steps the host reported (a sanity figure for the summary).
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// One transcript line, as the drivers write it.
pub fn line(file: &str, case: usize, step: Option<usize>) -> Value {
    match step {
        Some(s) => serde_json::json!({ "file": file, "case": case, "step": s }),
        None => serde_json::json!({ "file": file, "case": case }),
    }
}
