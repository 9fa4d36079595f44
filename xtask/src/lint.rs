//! `cargo xtask lint`: what keeps the comments and documents pointing at things a reader can open.
//!
//! * A comment in `src/**/*.rs` cites the server code it follows (spreed's `lib/…` file and
//!   function, or Nextcloud server's), never a document outside the repository: no `§` section
//!   numbers, no `../shared`, no `spec/`, no `CONTRACT.md` other than the vendored
//!   `tests/conformance/CONTRACT.md`.
//! * A comment in `src/**/*.rs` that names a file of this repository (a path under one of its
//!   top-level folders, or a top-level file) names one that exists.
//! * `README.md` has at most [`README_MAX_LINES`] lines.
//! * A relative markdown link in the top-level documents, `docs/*.md` and `php/README.md` points
//!   to a file that exists.

use std::fmt;
use std::path::{Path, PathBuf};

/// The longest the README may be.
pub const README_MAX_LINES: usize = 300;

/// The top-level folders of the repository: a path in a comment that starts with one of these
/// names a local file. (spreed's `lib/` is not among them: `lib/Controller/CallController.php`
/// is a server citation.)
pub const LOCAL_DIRS: &[&str] =
    &["src", "tests", "js", "php", "docs", "xtask", "scripts", "bench", "fuzz", "playground", "examples"];

/// Top-level files a comment may name by their bare name.
pub const LOCAL_FILES: &[&str] = &[
    "README.md",
    "CHANGELOG.md",
    "SECURITY.md",
    "CONTRIBUTING.md",
    "LICENSE",
    "build.sh",
    "build.rs",
    "Cargo.toml",
    "Cargo.lock",
    "package.json",
    "package-lock.json",
    "composer.json",
    "rustfmt.toml",
];

/// The markdown documents whose relative links are checked (those that exist).
const LINKED_DOCS: &[&str] = &["README.md", "CHANGELOG.md", "SECURITY.md", "php/README.md"];

/// The vendored contract: the one `CONTRACT.md` a comment may cite.
const VENDORED_CONTRACT: &str = "tests/conformance/CONTRACT.md";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Relative to the repository, with `/` separators.
    pub path: String,
    /// 1-based.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.message)
    }
}

/// Every finding in the repository at `root`, in file then line order.
pub fn lint(root: &Path) -> Result<Vec<Finding>, String> {
    let mut out = Vec::new();
    let mut sources = Vec::new();
    rust_files(&root.join("src"), &mut sources)?;
    sources.sort();
    for file in &sources {
        let text = read(file)?;
        let name = relative(root, file);
        let exists = |p: &str| root.join(p).exists();
        for (line, comment) in comments(&text) {
            for message in comment_findings(&comment, &exists) {
                out.push(Finding { path: name.clone(), line, message });
            }
        }
    }
    let readme = root.join("README.md");
    if readme.is_file() {
        if let Some(f) = readme_length(&read(&readme)?) {
            out.push(f);
        }
    }
    let mut docs: Vec<PathBuf> = LINKED_DOCS.iter().map(|d| root.join(d)).collect();
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        let mut md: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "md"))
            .collect();
        md.sort();
        docs.extend(md);
    }
    for doc in docs.iter().filter(|d| d.is_file()) {
        let text = read(doc)?;
        let dir = doc.parent().unwrap_or(root).to_path_buf();
        let name = relative(root, doc);
        for (line, target) in broken_links(&text, &|t: &str| dir.join(t).exists()) {
            out.push(Finding { path: name.clone(), line, message: format!("link to a missing file: {target}") });
        }
    }
    Ok(out)
}

/// The report: one line per finding, then "N findings".
pub fn render(findings: &[Finding]) -> String {
    let mut s: String = findings.iter().map(|f| format!("{f}\n")).collect();
    s.push_str(&format!("{} findings\n", findings.len()));
    s
}

fn read(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
}

fn relative(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    r.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries {
        let p = e.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if p.is_dir() {
            rust_files(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    Ok(())
}

/// The comment text of a Rust source, per 1-based line: line comments (`//`, `///`, `//!`) and
/// block comments, not string or character literals (so `"http://…"` is no comment).
pub fn comments(src: &str) -> Vec<(usize, String)> {
    #[derive(Clone, Copy, PartialEq)]
    enum St {
        Code,
        Line,
        Block(u32),
        Str,
        Raw(usize),
    }
    let chars: Vec<char> = src.chars().collect();
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut cur = String::new();
    let mut line = 1;
    let mut st = St::Code;
    let mut i = 0;
    let flush = |out: &mut Vec<(usize, String)>, cur: &mut String, line: usize| {
        if !cur.trim().is_empty() {
            out.push((line, std::mem::take(cur)));
        }
        cur.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            flush(&mut out, &mut cur, line);
            line += 1;
            if st == St::Line {
                st = St::Code;
            }
            i += 1;
            continue;
        }
        match st {
            St::Code => {
                let ident_before = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
                if c == '/' && next == Some('/') {
                    st = St::Line;
                    i += 2;
                } else if c == '/' && next == Some('*') {
                    st = St::Block(1);
                    i += 2;
                } else if c == '"' {
                    st = St::Str;
                    i += 1;
                } else if c == 'r'
                    && matches!(next, Some('#') | Some('"'))
                    && (!ident_before || is_byte_prefix(&chars, i))
                {
                    let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
                    if chars.get(i + 1 + hashes) == Some(&'"') {
                        st = St::Raw(hashes);
                        i += 2 + hashes;
                    } else {
                        i += 1;
                    }
                } else if c == '\'' {
                    // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
                    if next == Some('\\') {
                        let end = chars
                            .get(i + 3..)
                            .and_then(|rest| rest.iter().position(|&x| x == '\''))
                            .map_or(chars.len(), |p| i + 4 + p);
                        i = end;
                    } else if chars.get(i + 2) == Some(&'\'') {
                        i += 3;
                    } else {
                        i += 1;
                    }
                } else {
                    i += 1;
                }
            }
            St::Line => {
                cur.push(c);
                i += 1;
            }
            St::Block(depth) => {
                if c == '*' && next == Some('/') {
                    st = if depth == 1 { St::Code } else { St::Block(depth - 1) };
                    cur.push(' ');
                    i += 2;
                } else if c == '/' && next == Some('*') {
                    st = St::Block(depth + 1);
                    i += 2;
                } else {
                    cur.push(c);
                    i += 1;
                }
            }
            St::Str => {
                if c == '\\' {
                    i += 2;
                    // An escaped newline still ends a line.
                    if next == Some('\n') {
                        line += 1;
                    }
                } else {
                    if c == '"' {
                        st = St::Code;
                    }
                    i += 1;
                }
            }
            St::Raw(hashes) => {
                if c == '"' && chars[i + 1..].iter().take(hashes).filter(|&&h| h == '#').count() == hashes {
                    st = St::Code;
                    i += 1 + hashes;
                } else {
                    i += 1;
                }
            }
        }
    }
    flush(&mut out, &mut cur, line);
    out
}

/// `br"…"`: the `r` of a raw byte string follows a `b` that starts a token.
fn is_byte_prefix(chars: &[char], i: usize) -> bool {
    i >= 1 && chars[i - 1] == 'b' && (i < 2 || !(chars[i - 2].is_alphanumeric() || chars[i - 2] == '_'))
}

/// What is wrong with one comment's text: citations of documents outside the repository, and
/// local files it names that `exists` does not find (a path relative to the repository).
pub fn comment_findings(comment: &str, exists: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    if comment.contains('§') {
        out.push(
            "cites a section number (§) of a document outside the repository; cite the server file and function".into(),
        );
    }
    if comment.contains("../shared") {
        out.push("cites ../shared, outside the repository".into());
    }
    if cites_outside_contract(comment) {
        out.push(format!("cites a CONTRACT.md other than the vendored {VENDORED_CONTRACT}"));
    }
    if has_path_segment(comment, "spec/") {
        out.push("cites spec/, a document outside the repository".into());
    }
    for path in local_paths(comment) {
        if !exists(&path) {
            out.push(format!("names a repository file that does not exist: {path}"));
        }
    }
    out
}

fn cites_outside_contract(comment: &str) -> bool {
    comment.match_indices("CONTRACT.md").any(|(at, _)| !comment[..at].ends_with("tests/conformance/"))
}

/// `needle` at the start of a path segment (not inside a longer name such as `inspec/`).
fn has_path_segment(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        text[..at].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
    })
}

/// The repository paths a comment names: tokens that start with a top-level folder and `/`, or
/// are a top-level file's name; without a trailing `::function`, `:line`, `#anchor` or
/// punctuation. Globs and templates (`*`, `{`, `<`, `$`) are not paths.
pub fn local_paths(comment: &str) -> Vec<String> {
    let mut out = Vec::new();
    let separators = |c: char| c.is_whitespace() || matches!(c, '`' | '(' | ')' | '[' | ']' | '"' | '\'' | ',' | ';');
    for token in comment.split(separators) {
        let mut t = token;
        for cut in ["::", "#", ":"] {
            if let Some(at) = t.find(cut) {
                t = &t[..at];
            }
        }
        let t = t.trim_end_matches(['.', ',', ';', ':', '!', '?', '>', '\'', '"']);
        if t.is_empty() || t.contains(['*', '{', '}', '<', '$']) {
            continue;
        }
        let under_dir = t.split_once('/').is_some_and(|(first, _)| LOCAL_DIRS.contains(&first));
        if under_dir || LOCAL_FILES.contains(&t) {
            out.push(t.to_string());
        }
    }
    out
}

fn readme_length(text: &str) -> Option<Finding> {
    let n = text.lines().count();
    (n > README_MAX_LINES).then(|| Finding {
        path: "README.md".into(),
        line: README_MAX_LINES + 1,
        message: format!("README.md has {n} lines; at most {README_MAX_LINES}"),
    })
}

/// Relative `](target)` links of a markdown text (outside code) whose file `exists` does not find
/// (the target without its `#anchor`, relative to the document's folder), per 1-based line.
pub fn broken_links(text: &str, exists: &dyn Fn(&str) -> bool) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker: String = trimmed.chars().take_while(|&c| c == '`' || c == '~').collect();
        if marker.len() >= 3 && marker.chars().all(|c| c == marker.chars().next().unwrap_or('`')) {
            match &fence {
                Some(open) if marker.starts_with(open.as_str()) => fence = None,
                Some(_) => {}
                None => fence = Some(marker),
            }
            continue;
        }
        if fence.is_some() {
            continue;
        }
        for target in link_targets(&strip_code_spans(line)) {
            if let Some(path) = local_target(&target) {
                if !exists(&path) {
                    out.push((n + 1, target));
                }
            }
        }
    }
    out
}

/// A line without its inline code spans (`` `…` ``).
fn strip_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + ticks..];
        let closing = "`".repeat(ticks);
        match after.find(&closing) {
            Some(end) => rest = &after[end + ticks..],
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The targets of the `[text](target)` links of a line (without a `"title"`).
fn link_targets(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = i;
                    break;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        let inner = after[..end].trim();
        let target = match inner.strip_prefix('<') {
            Some(angled) => angled.split('>').next().unwrap_or(""),
            None => inner.split_whitespace().next().unwrap_or(""),
        };
        out.push(target.to_string());
        rest = &after[end.min(after.len())..];
    }
    out
}

/// The file a link target names, when it is a relative link: none for web and mail links and
/// for anchors within the page.
fn local_target(target: &str) -> Option<String> {
    let lower = target.to_ascii_lowercase();
    if target.is_empty() || target.starts_with('#') || lower.contains("://") || lower.starts_with("mailto:") {
        return None;
    }
    let path = target.split(['#', '?']).next().unwrap_or("");
    (!path.is_empty()).then(|| path.replace("%20", " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(existing: &'static [&'static str]) -> impl Fn(&str) -> bool {
        move |p: &str| existing.contains(&p.trim_end_matches('/'))
    }

    #[test]
    fn section_numbers_and_outside_documents_are_flagged() {
        let none = only(&[]);
        assert_eq!(comment_findings(" The resolved caller (spec §1.3).", &none).len(), 1);
        assert_eq!(comment_findings(" see ../shared/spec/call-api.md", &none).len(), 2, "../shared and spec/");
        assert_eq!(comment_findings(" the shapes of CONTRACT.md", &none).len(), 1);
        assert!(
            comment_findings(" the shapes of tests/conformance/CONTRACT.md", &only(&[VENDORED_CONTRACT])).is_empty()
        );
        assert!(comment_findings(" as the inspec/ tool says", &none).is_empty());
    }

    #[test]
    fn server_citations_are_not_local_files() {
        let none = only(&[]);
        for c in [
            " (`lib/Controller/CallController.php::joinCall`)",
            " lib/Service/ParticipantService.php::changeInCall, line 1157",
            " Nextcloud server lib/private/AppFramework/Http/Dispatcher.php::executeController",
            " spreed's Behat conversation-2/set-permissions.feature",
        ] {
            assert!(comment_findings(c, &none).is_empty(), "{c}");
        }
    }

    #[test]
    fn missing_local_files_are_flagged_and_existing_ones_are_not() {
        let have = only(&["php/tests/RequestReadingTest.php", "js/index.mjs", "README.md", "tests/conformance"]);
        assert_eq!(
            comment_findings(" The table (php/tests/IntCastTest.php checks it against PHP).", &have),
            vec!["names a repository file that does not exist: php/tests/IntCastTest.php".to_string()]
        );
        for c in [
            " (php/tests/RequestReadingTest.php checks them against PHP).",
            " `php/tests/RequestReadingTest.php::testIntegerCastsAreWhatPhpPrints`",
            " `js/index.mjs:12` is a thin façade, see README.md#usage.",
            " vendored in tests/conformance/, every file of `tests/vectors/*.json`",
        ] {
            assert!(comment_findings(c, &have).is_empty(), "{c}");
        }
        assert_eq!(local_paths(" build.sh and Cargo.toml, src/lib.rs:10."), ["build.sh", "Cargo.toml", "src/lib.rs"]);
    }

    #[test]
    fn only_comments_are_read() {
        let src = "let u = \"http://x/§\"; // one § here\nlet c = ['\"', '\\'', '\\\\']; let r = r#\"// not\"#;\n/* block\n spec/ */ fn f<'a>() {}\n/// doc\n";
        let got = comments(src);
        assert_eq!(
            got,
            vec![(1, " one § here".to_string()), (3, " block".into()), (4, " spec/  ".into()), (5, "/ doc".into())]
        );
    }

    #[test]
    fn readme_length_is_bounded() {
        assert!(readme_length(&"x\n".repeat(README_MAX_LINES)).is_none());
        let f = readme_length(&"x\n".repeat(README_MAX_LINES + 1)).unwrap();
        assert_eq!(f.to_string(), "README.md:301: README.md has 301 lines; at most 300");
    }

    #[test]
    fn relative_links_must_resolve() {
        let have = only(&["docs/csp.md", "SECURITY.md"]);
        let md = "See [CSP](docs/csp.md#headers), [gone](docs/gone.md), [web](https://x.org/a.md),\n\
                  [mail](mailto:a@b.c), [top](#usage) and [sec](<SECURITY.md> \"title\").\n\
                  ```\n[not a link](nowhere.md)\n```\n`[code](nowhere.md)` [old](php/Old.md)\n";
        assert_eq!(broken_links(md, &have), vec![(1, "docs/gone.md".to_string()), (6, "php/Old.md".into())]);
    }

    #[test]
    fn report_ends_with_the_count() {
        let f = Finding { path: "src/a.rs".into(), line: 3, message: "m".into() };
        assert_eq!(render(&[f]), "src/a.rs:3: m\n1 findings\n");
        assert_eq!(render(&[]), "0 findings\n");
    }
}
