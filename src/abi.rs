//! The host-independent half of the C ABI (see `wasm`): the one table of its exports
//! ([`EXPORTS`]: name, parameters, result, what it does), which `cargo xtask gen` copies into
//! the PHP bridge (`php/src/Facts.php`) and `docs/reasons.md`, and how the input area is cut into
//! documents. Pure, so it is tested and fuzzed natively. A test reads the crate's sources and
//! fails when an `extern "C" fn tcr_*` and this table disagree.

use serde_json::{json, Map, Value};

/// A WebAssembly value type of the C ABI (pointers and lengths are wasm32 `i32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValType {
    I32,
    I64,
}

impl ValType {
    /// `"i32"` or `"i64"`, as the WebAssembly text format writes it.
    pub fn name(self) -> &'static str {
        match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
        }
    }
}

/// One export of the C ABI.
#[derive(Clone, Copy, Debug)]
pub struct Export {
    pub name: &'static str,
    /// The parameters in order: name and type.
    pub params: &'static [(&'static str, ValType)],
    pub result: ValType,
    /// What it does, in one line.
    pub doc: &'static str,
}

use ValType::{I32, I64};

/// Version of the C-ABI exports (`tcr_*`), bumped on any incompatible change.
pub const ABI_VERSION: i64 = 1;

/// Every `tcr_*` export, version [`ABI_VERSION`]. All take and give `i32` but
/// `tcr_allowed_actions`' `now`; text is UTF-8 JSON written into the input area
/// (`tcr_input_reserve`) and read from the output area (`tcr_output_ptr`).
pub const EXPORTS: [Export; 10] = [
    Export {
        name: "tcr_abi_version",
        params: &[],
        result: I32,
        doc: "the version of these exports",
    },
    Export {
        name: "tcr_input_reserve",
        params: &[("len", I32)],
        result: I32,
        doc: "a module-owned input area of at least len bytes (0 above the limit): write the documents back to back from its start",
    },
    Export {
        name: "tcr_output_ptr",
        params: &[],
        result: I32,
        doc: "where the answer of the last call starts (valid until the next call)",
    },
    Export {
        name: "tcr_evaluate",
        params: &[("request_len", I32), ("state_len", I32)],
        result: I32,
        doc: "evaluate(request, state): the length of the outcome",
    },
    Export {
        name: "tcr_apply",
        params: &[("state_len", I32), ("mutations_len", I32)],
        result: I32,
        doc: "apply(state, mutations): the length of the new state or of a bad-input outcome",
    },
    Export {
        name: "tcr_ocs",
        params: &[("outcome_len", I32)],
        result: I32,
        doc: "ocs(outcome): the length of the OCS envelope",
    },
    Export {
        name: "tcr_allowed_actions",
        params: &[("state_len", I32), ("actor_len", I32), ("options_len", I32), ("now", I64)],
        result: I32,
        doc: "allowedActions(state, actor, now, options; options_len 0: the default bodies): the length of the answer",
    },
    Export {
        name: "tcr_explain",
        params: &[("outcome_len", I32)],
        result: I32,
        doc: "explain(outcome): the length of the explanation",
    },
    Export {
        name: "tcr_version",
        params: &[],
        result: I32,
        doc: "version(): the length of the answer",
    },
    Export {
        name: "tcr_facts",
        params: &[],
        result: I32,
        doc: "facts(): the length of the answer",
    },
];

/// The exports as `facts()` lists them: `{ name: { params: { name: type }, result, doc } }`.
pub fn exports_fact() -> Value {
    let mut out = Map::new();
    for e in &EXPORTS {
        let params: Map<String, Value> = e.params.iter().map(|(n, t)| (n.to_string(), Value::from(t.name()))).collect();
        out.insert(e.name.to_string(), json!({ "params": params, "result": e.result.name(), "doc": e.doc }));
    }
    Value::Object(out)
}

/// Splits `input` into back-to-back UTF-8 documents of the given lengths.
/// Lengths that are negative or run past the area, and bytes that are not
/// UTF-8, are refused with a detail for the `bad-input` outcome.
#[cfg(any(target_arch = "wasm32", feature = "internals", test))]
pub fn split_documents<'a>(input: &'a [u8], lens: &[i32]) -> Result<Vec<&'a str>, String> {
    let mut docs = Vec::with_capacity(lens.len());
    let mut at = 0usize;
    for (i, &len) in lens.iter().enumerate() {
        let end = usize::try_from(len).ok().and_then(|l| at.checked_add(l)).filter(|&e| e <= input.len());
        let Some(end) = end else {
            return Err(format!(
                "input: document {} (length {len}) does not fit the {}-byte input area",
                i + 1,
                input.len()
            ));
        };
        let doc =
            std::str::from_utf8(&input[at..end]).map_err(|_| format!("input: document {} is not UTF-8", i + 1))?;
        docs.push(doc);
        at = end;
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    type Params = Vec<(String, ValType)>;
    /// An `extern "C" fn tcr_*` as written: file, name, parameters, result type.
    type Declared = (String, String, Params, Option<ValType>);

    /// Every `extern "C" fn tcr_*` in the crate's sources, and the names of those not marked
    /// `#[no_mangle]`.
    fn declared() -> (Vec<Declared>, Vec<String>) {
        fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    files(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        // What a Rust type is on wasm32.
        fn wasm(ty: &str) -> ValType {
            match ty.trim() {
                "i32" | "u32" | "usize" | "isize" => I32,
                "i64" | "u64" => I64,
                t if t.starts_with('*') => I32,
                t => panic!("a C-ABI type this table does not know: {t}"),
            }
        }
        let mut paths = Vec::new();
        files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut paths);
        paths.sort();
        let (mut found, mut unmarked) = (Vec::new(), Vec::new());
        let marker = concat!("extern ", "\"C\"", " fn ");
        for p in paths {
            let text = std::fs::read_to_string(&p).unwrap();
            let file = p.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap().display().to_string();
            assert!(
                !text.contains(concat!("#[", "export_name")),
                "{file}: an export renamed by an export_name attribute"
            );
            let lines: Vec<&str> = text.lines().collect();
            let mut offset = 0;
            for (i, line) in lines.iter().enumerate() {
                let start = offset;
                offset += line.len() + 1;
                let code = line.trim_start();
                let Some(at) = line.find(marker).filter(|_| !code.starts_with("//")) else { continue };
                let sig = &text[start + at + marker.len()..];
                let open = sig.find('(').unwrap();
                let name = sig[..open].trim().to_string();
                if !name.starts_with("tcr_") {
                    continue;
                }
                // The attribute sits right above, among other attributes and doc comments.
                let marked = lines[..i]
                    .iter()
                    .rev()
                    .take_while(|l| l.trim_start().starts_with("#[") || l.trim_start().starts_with("///"))
                    .any(|l| matches!(l.trim(), "#[no_mangle]" | "#[unsafe(no_mangle)]"));
                if !marked {
                    unmarked.push(name.clone());
                }
                let close = sig.find(')').unwrap();
                let params: Params = sig[open + 1..close]
                    .split(',')
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| p.split_once(':').unwrap())
                    .map(|(n, t)| (n.trim().trim_start_matches("mut ").to_string(), wasm(t)))
                    .collect();
                let result = sig[close + 1..sig.find('{').unwrap()].trim().strip_prefix("->").map(wasm);
                found.push((file.clone(), name, params, result));
            }
        }
        (found, unmarked)
    }

    #[test]
    fn the_table_is_every_export_and_nothing_else() {
        let (found, unmarked) = declared();
        assert_eq!(unmarked, Vec::<String>::new(), "extern \"C\" fn tcr_* without #[no_mangle]");
        let mut in_source: Vec<(&str, Params, Option<ValType>)> =
            found.iter().map(|(_, n, p, r)| (n.as_str(), p.clone(), *r)).collect();
        let mut in_table: Vec<(&str, Params, Option<ValType>)> = EXPORTS
            .iter()
            .map(|e| (e.name, e.params.iter().map(|(n, t)| (n.to_string(), *t)).collect(), Some(e.result)))
            .collect();
        in_source.sort_by_key(|e| e.0);
        in_table.sort_by_key(|e| e.0);
        // The exports are compiled for wasm32 only, but their sources are read wherever this runs.
        assert!(!in_source.is_empty(), "no extern \"C\" fn tcr_* found under src/");
        assert_eq!(
            in_source,
            in_table,
            "src/abi.rs EXPORTS against the extern \"C\" fn tcr_* of {:?}",
            found.iter().map(|f| &f.0).collect::<std::collections::BTreeSet<_>>()
        );
    }

    #[test]
    fn the_table_lists_each_export_once_with_named_parameters() {
        let mut names: Vec<&str> = EXPORTS.iter().map(|e| e.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), EXPORTS.len());
        for e in &EXPORTS {
            assert!(e.name.starts_with("tcr_") && !e.doc.is_empty(), "{}", e.name);
            assert!(e.params.iter().all(|(n, _)| !n.is_empty()), "{}", e.name);
        }
        let fact = exports_fact();
        assert_eq!(
            fact["tcr_allowed_actions"].to_string(),
            json!({"params": {"state_len": "i32", "actor_len": "i32", "options_len": "i32", "now": "i64"},
                "result": "i32", "doc": EXPORTS[6].doc})
            .to_string()
        );
    }

    #[test]
    fn splits_and_refuses() {
        assert_eq!(split_documents(b"{}[1]", &[2, 3]).unwrap(), vec!["{}", "[1]"]);
        assert_eq!(split_documents(b"abc", &[]).unwrap(), Vec::<&str>::new());
        assert!(split_documents(b"{}", &[3]).unwrap_err().contains("does not fit"));
        assert!(split_documents(b"{}", &[-1]).is_err());
        assert!(split_documents(b"{}", &[1, i32::MAX]).is_err());
        assert!(split_documents(b"\xff\xfe", &[2]).unwrap_err().contains("not UTF-8"));
    }
}
