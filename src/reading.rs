//! Reading a request the way Nextcloud 28 does, before Talk's code sees it: the
//! path the router matches, the query string's parameters, and the coercion of a
//! controller's declared `int` and `bool` parameters. Each rule names the server
//! code it follows (nextcloud/server stable28, PHP 8, Symfony routing).

use crate::json::{Key, Value};
use crate::reader::{shape, InputError};

/// The path the router matches, as bytes.
///
/// 1. Runs of `/` collapse to one, over the whole request URI
///    (`lib/private/AppFramework/Http/Request.php::getRawPathInfo`, "remove too
///    many slashes"); then the query string is cut off there.
/// 2. The remainder is percent-decoded once (`rawurldecode`, no `+` → space)
///    before it is matched (`Symfony\Component\Routing\Matcher\UrlMatcher::match`).
///
/// The decoding comes after the collapsing, so `%2F%2F` stays two slashes.
/// Invalid escapes are kept as they are, like `rawurldecode` does.
pub fn routing_path(path: &str) -> Vec<u8> {
    let mut collapsed = Vec::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b == b'/' && collapsed.last() == Some(&b'/') {
            continue;
        }
        collapsed.push(b);
    }
    // A fragment never reaches the server; the query string is cut at its `?`.
    let end = collapsed.iter().position(|&b| b == b'?' || b == b'#').unwrap_or(collapsed.len());
    percent_decode(&collapsed[..end], false)
}

/// The query string's parameters, in the order PHP registers them
/// (`main/php_variables.c`: `php_default_treat_data` splits at `&`, decodes name
/// and value like `urldecode`, `+` included; `php_register_variable_ex`):
/// - a later parameter of the same name replaces an earlier one (only cookies
///   keep the first);
/// - a name without `=` has the value `""`; leading spaces of a name are dropped
///   and an empty name is skipped;
/// - in the base name, `.` and ` ` become `_`;
/// - `name[…]` makes the parameter an array (its values are strings), which no
///   call endpoint's scalar parameter accepts.
pub fn query_params(path: &str) -> Vec<(Key, Value)> {
    let mut out: Vec<(Key, Value)> = Vec::new();
    let Some((_, query)) = path.split_once('?') else {
        return out;
    };
    let query = query.split('#').next().unwrap_or_default();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let name = lossy(percent_decode(k.as_bytes(), true));
        let value = lossy(percent_decode(v.as_bytes(), true));
        let name = name.trim_start_matches(' ');
        let (base, array) = match name.find('[') {
            Some(i) if i > 0 => (&name[..i], true),
            _ => (name, false),
        };
        if base.is_empty() {
            continue;
        }
        let base: String = base.chars().map(|c| if c == '.' || c == ' ' { '_' } else { c }).collect();
        let slot = out.iter().position(|(k, _)| **k == *base);
        match (slot, array) {
            (Some(i), true) => match &mut out[i].1 {
                Value::Array(items) => items.push(Value::Str(value)),
                other => *other = Value::Array(vec![Value::Str(value)]),
            },
            (Some(i), false) => out[i].1 = Value::Str(value),
            (None, true) => out.push((base.into(), Value::Array(vec![Value::Str(value)]))),
            (None, false) => out.push((base.into(), Value::Str(value))),
        }
    }
    out
}

fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `%XX` → byte; with `plus`, `+` → space (`urldecode`), without (`rawurldecode`).
fn percent_decode(b: &[u8], plus: bool) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// PHP 8's `(int)` of a string (`Zend/zend_operators.c::zval_get_long` over
/// `_is_numeric_string_ex`, errors allowed):
/// - leading white space (` \t\n\r\v\f`), then the longest numeric prefix; no
///   numeric prefix is 0 (`"abc"`, `"."`, `"-"`);
/// - an integer prefix that fits 64 bits is exact (`"9007199254740993"`);
/// - anything else — a fraction, an exponent, more digits than fit — is read as
///   a double, correctly rounded (`zend_strtod`), then `zend_dval_to_lval_cap`:
///   a value beyond the double range (`"1e999"`, a 310-digit integer) is `INF`
///   and becomes **0**; a finite value beyond 64 bits saturates; the rest is
///   truncated toward zero. So with more than 17 significant digits the value
///   is rounded first: `"0.99999999999999999"` is 1.
pub fn php_int_of_bytes(s: &[u8]) -> i64 {
    let start = s.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)).unwrap_or(s.len());
    let t = &s[start..];
    let mut i = 0;
    let negative = t.first() == Some(&b'-');
    if matches!(t.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let from = *i;
        while *i < t.len() && t[*i].is_ascii_digit() {
            *i += 1;
        }
        &t[from..*i]
    };
    let int_part = digits(&mut i);
    let mut frac_part: &[u8] = &[];
    let mut is_double = false;
    // A `.` makes a double when digits stand on either side of it.
    if t.get(i) == Some(&b'.') {
        let mut j = i + 1;
        frac_part = digits(&mut j);
        if !int_part.is_empty() || !frac_part.is_empty() {
            i = j;
            is_double = true;
        }
    }
    if int_part.is_empty() && frac_part.is_empty() {
        return 0;
    }
    // An exponent counts only with digits after its optional sign.
    let mut exp: &[u8] = &[];
    let mut exp_negative = false;
    if matches!(t.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        exp_negative = t.get(j) == Some(&b'-');
        if matches!(t.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        exp = digits(&mut j);
        if !exp.is_empty() {
            is_double = true;
        }
    }
    if !is_double {
        if let Some(v) = exact_int(int_part, negative) {
            return v;
        }
    }
    dval_to_lval_cap(double_of(negative, int_part, frac_part, exp_negative, exp))
}

/// The digits as an `i64`, when they fit.
fn exact_int(digits: &[u8], negative: bool) -> Option<i64> {
    let mut v: i64 = 0;
    for &d in digits {
        let d = i64::from(d - b'0');
        v = v.checked_mul(10)?;
        v = if negative { v.checked_sub(d)? } else { v.checked_add(d)? };
    }
    Some(v)
}

/// The correctly rounded double of a numeric prefix already split in parts.
fn double_of(negative: bool, int_part: &[u8], frac: &[u8], exp_negative: bool, exp: &[u8]) -> f64 {
    let mut text = String::with_capacity(int_part.len() + frac.len() + exp.len() + 6);
    if negative {
        text.push('-');
    }
    let ascii = |b: &[u8]| core::str::from_utf8(b).unwrap_or("0").to_string();
    text.push_str(if int_part.is_empty() { "0" } else { "" });
    text.push_str(&ascii(int_part));
    if !frac.is_empty() {
        text.push('.');
        text.push_str(&ascii(frac));
    }
    if !exp.is_empty() {
        text.push_str(if exp_negative { "e-" } else { "e" });
        text.push_str(&ascii(exp));
    }
    text.parse::<f64>().unwrap_or(0.0)
}

/// `zend_dval_to_lval_cap`: NaN and ±INF are 0, out-of-range values saturate.
fn dval_to_lval_cap(d: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if !d.is_finite() {
        0
    } else if !(-TWO_63..TWO_63).contains(&d) {
        if d > 0.0 {
            i64::MAX
        } else {
            i64::MIN
        }
    } else {
        d as i64
    }
}

/// PHP 8's `(int)` of a double (`zend_dval_to_lval`): NaN and ±INF are 0, a
/// value beyond 64 bits wraps modulo 2^64 (`zend_dval_to_lval` out of range),
/// the rest is truncated toward zero. This is what a JSON number that is not an
/// integer literal within 64 bits becomes: `json_decode` makes it a double.
pub fn php_int_of_double(d: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    const TWO_64: f64 = 18_446_744_073_709_551_616.0;
    if !d.is_finite() {
        return 0;
    }
    if (-TWO_63..TWO_63).contains(&d) {
        return d as i64;
    }
    // The modular arithmetic of `zend_dval_to_lval` on 64-bit platforms: the
    // truncated value modulo 2^64, read as a signed integer.
    let mut m = d.trunc() % TWO_64;
    if m < 0.0 {
        m += TWO_64;
    }
    if m >= TWO_63 {
        (m - TWO_64) as i64
    } else {
        m as i64
    }
}

/// The double a JSON number's text stands for (`json_decode`: `zend_strtod`).
fn json_double(text: &str) -> f64 {
    text.parse::<f64>().unwrap_or(0.0)
}

/// A declared `int` parameter, coerced like Nextcloud's dispatcher
/// (`lib/private/AppFramework/Http/Dispatcher.php::executeController`:
/// `settype($value, 'int')`).
pub fn coerce_int(body: &crate::input::Fields, key: &str) -> Result<Option<i64>, InputError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Int(i)) => Ok(Some(*i)),
        Some(Value::Decimal(d)) => Ok(Some(php_int_of_double(json_double(d)))),
        Some(Value::Bool(b)) => Ok(Some(i64::from(*b))),
        Some(Value::Str(s)) => Ok(Some(php_int_of_bytes(s.as_bytes()))),
        Some(v) => Err(shape!("request.body.{key}: expected an integer, got {}", v.kind())),
    }
}

/// How the dispatcher reads a declared `bool` parameter: `settype($v, 'bool')`
/// ("0" and "" are false, every other string true), except that the string
/// "false" is false for GET requests and form-encoded bodies
/// (`Dispatcher::executeController`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoolStrings {
    /// `settype` only: "false" is true (JSON bodies, query strings of POST/PUT/DELETE).
    Settype,
    /// GET, or a Content-Type containing `application/x-www-form-urlencoded`.
    FalseIsFalse,
}

impl BoolStrings {
    /// The rule for a request's method and Content-Type.
    pub fn of(method: &str, content_type: &str) -> BoolStrings {
        if method == "GET" || content_type.contains("application/x-www-form-urlencoded") {
            BoolStrings::FalseIsFalse
        } else {
            BoolStrings::Settype
        }
    }
}

/// A declared `bool` parameter, coerced as [`BoolStrings`] says. A JSON number
/// that is not an integer is a double, true unless it is zero (`1e-999` rounds
/// to 0.0 and is false).
pub fn coerce_bool(body: &crate::input::Fields, key: &str, strings: BoolStrings) -> Result<bool, InputError> {
    match body.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Int(i)) => Ok(*i != 0),
        Some(Value::Decimal(d)) => Ok(json_double(d) != 0.0),
        Some(Value::Str(s)) if s == "false" => Ok(strings == BoolStrings::Settype),
        Some(Value::Str(s)) => Ok(!(s.is_empty() || s == "0")),
        Some(v) => Err(shape!("request.body.{key}: expected a boolean, got {}", v.kind())),
    }
}

/// A coerced integer that will be stored in a signed 32-bit column.
pub fn column_int(body: &crate::input::Fields, key: &str, column: &str) -> Result<Option<i64>, InputError> {
    match coerce_int(body, key)? {
        Some(i) if !(i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&i) => {
            Err(shape!("request.body.{key}: {i} does not fit the {column} column (32-bit)"))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Fields;

    #[test]
    fn paths_collapse_slashes_then_decode_once() {
        let p = |s: &str| String::from_utf8(routing_path(s)).unwrap();
        assert_eq!(p("//call//ab%63d"), "/call/abcd");
        assert_eq!(p("/call/abcd/ring/%2B12?x=//y"), "/call/abcd/ring/+12");
        assert_eq!(p("/call/ab%2F%2Fcd"), "/call/ab//cd", "decoded slashes are not collapsed");
        assert_eq!(p("/call/a+b%zz%4"), "/call/a+b%zz%4", "no + to space; bad escapes kept");
        assert_eq!(routing_path("/ring/1%FF"), b"/ring/1\xff");
    }

    #[test]
    fn query_last_name_wins_and_names_are_mangled() {
        let q = |s: &str| Value::Object(query_params(s)).to_json();
        assert_eq!(q("/c?all=true&all=0"), r#"{"all":"0"}"#);
        assert_eq!(q("/c?x=a%20b+c&flags=%3&silent&=5&%20y=1"), r#"{"x":"a b c","flags":"%3","silent":"","y":"1"}"#);
        assert_eq!(q("/c?a.b=1&a b=2"), r#"{"a_b":"2"}"#);
        assert_eq!(q("/c?all[]=1&all[]=2"), r#"{"all":["1","2"]}"#);
        assert_eq!(q("/c?all=1&all[x]=2&all=3"), r#"{"all":"3"}"#);
        assert_eq!(q("/c"), "{}");
        assert_eq!(q("/c?a=1#b=2"), r#"{"a":"1"}"#);
    }

    #[test]
    fn php_int_cast_of_strings() {
        for (s, want) in [
            ("7", 7),
            ("  12abc", 12),
            ("-5", -5),
            ("+3", 3),
            ("abc", 0),
            ("", 0),
            ("1e3", 1000),
            ("7.9", 7),
            (".5", 0),
            ("5.", 5),
            ("1e", 1),
            ("1e+", 1),
            ("99999999999999999999", i64::MAX),
            ("-99999999999999999999", i64::MIN),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
            ("1.5e1", 15),
            ("25e-1", 2),
            ("-7.9", -7),
            ("1e999", 0),
            ("-1e999", 0),
            ("0e999", 0),
            ("0.99999999999999999", 1),
            ("9007199254740993", 9_007_199_254_740_993),
            ("9007199254740993.0", 9_007_199_254_740_992),
            ("-", 0),
            (".", 0),
            ("1.e3", 1000),
        ] {
            assert_eq!(php_int_of_bytes(s.as_bytes()), want, "{s:?}");
        }
        assert_eq!(php_int_of_bytes("9".repeat(310).as_bytes()), 0, "beyond the double range");
        assert_eq!(php_int_of_bytes("9".repeat(300).as_bytes()), i64::MAX, "finite, saturated");
        assert_eq!(php_int_of_bytes(b"12\xff"), 12);
    }

    /// The table PHP itself printed (php/tests/IntCastTest.php checks it against PHP).
    #[test]
    fn php_int_casts_equal_the_table_php_printed() {
        let table = crate::json::parse(include_str!("../tests/fixtures/php-int-cast.json")).unwrap();
        let rows = |key: &str| match table.get(key) {
            Some(Value::Array(rows)) => rows.clone(),
            _ => panic!("{key} missing"),
        };
        let pair = |row: &Value| match row {
            Value::Array(p) => match (&p[0], &p[1]) {
                (Value::Str(s), Value::Int(want)) => (s.clone(), *want),
                other => panic!("bad row {other:?}"),
            },
            other => panic!("bad row {other:?}"),
        };
        let strings = rows("strings");
        assert!(strings.len() > 40);
        for row in &strings {
            let (s, want) = pair(row);
            assert_eq!(php_int_of_bytes(s.as_bytes()), want, "(int) {s:?}");
            let body = Value::Object(vec![("v".into(), Value::Str(s.clone()))]);
            assert_eq!(coerce_int(&Fields::of(&body, "b").unwrap(), "v").unwrap(), Some(want), "settype {s:?}");
        }
        for row in &rows("jsonNumbers") {
            let (text, want) = pair(row);
            let body = crate::json::parse(&format!(r#"{{"v":{text}}}"#)).unwrap();
            assert_eq!(coerce_int(&Fields::of(&body, "b").unwrap(), "v").unwrap(), Some(want), "settype {text}");
        }
    }

    /// The query strings PHP itself registered (php/tests/RequestReadingTest.php checks them against PHP).
    #[test]
    fn query_params_equal_what_php_registered() {
        let table = crate::json::parse(include_str!("../tests/fixtures/php-query.json")).unwrap();
        let Some(Value::Array(rows)) = table.get("queries") else { panic!("queries missing") };
        assert!(rows.len() >= 10);
        for row in rows {
            let Value::Array(pair) = row else { panic!("bad row") };
            let (Value::Str(query), Value::Object(want)) = (&pair[0], &pair[1]) else { panic!("bad row {pair:?}") };
            let got = query_params(&format!("/call/abcd?{query}"));
            let names = |m: &[(Key, Value)]| m.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>();
            assert_eq!(names(&got), names(want), "names of {query:?}");
            for ((_, g), (k, w)) in got.iter().zip(want) {
                match w {
                    Value::Str(_) => assert_eq!(g, w, "{query:?}: {k}"),
                    // PHP arrays (lists or keyed): the engine keeps the values in order.
                    Value::Array(items) => assert_eq!(g, &Value::Array(items.clone()), "{query:?}: {k}"),
                    Value::Object(m) => {
                        assert_eq!(g, &Value::Array(m.iter().map(|(_, v)| v.clone()).collect()), "{query:?}: {k}")
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
    }

    #[test]
    fn php_int_cast_of_doubles() {
        assert_eq!(php_int_of_double(1e20), 7_766_279_631_452_241_920);
        assert_eq!(php_int_of_double(-1e20), -7_766_279_631_452_241_920);
        assert_eq!(php_int_of_double(f64::INFINITY), 0);
        assert_eq!(php_int_of_double(-2.5), -2);
        assert_eq!(php_int_of_double(18_446_744_073_709_555_712.0), 4096);
    }

    // Nextcloud 28 Dispatcher::executeController(): "false" is false only for GET
    // and form-encoded bodies; otherwise settype($value, 'bool') makes it true.
    #[test]
    fn bools_follow_the_dispatcher() {
        let body =
            crate::json::parse(r#"{"a":"false","b":"0","c":"","d":"yes","e":1,"f":0.0,"g":[1],"h":1e-999}"#).unwrap();
        let f = Fields::of(&body, "request.body").unwrap();
        for strings in [BoolStrings::Settype, BoolStrings::FalseIsFalse] {
            assert!(!coerce_bool(&f, "b", strings).unwrap());
            assert!(!coerce_bool(&f, "c", strings).unwrap());
            assert!(coerce_bool(&f, "d", strings).unwrap());
            assert!(coerce_bool(&f, "e", strings).unwrap());
            assert!(!coerce_bool(&f, "f", strings).unwrap());
            assert!(!coerce_bool(&f, "h", strings).unwrap(), "1e-999 is 0.0");
            assert!(!coerce_bool(&f, "missing", strings).unwrap());
            assert!(coerce_bool(&f, "g", strings).unwrap_err().to_string().starts_with("request.body.g: "));
        }
        assert!(coerce_bool(&f, "a", BoolStrings::Settype).unwrap());
        assert!(!coerce_bool(&f, "a", BoolStrings::FalseIsFalse).unwrap());
        assert_eq!(BoolStrings::of("GET", "application/json"), BoolStrings::FalseIsFalse);
        assert_eq!(BoolStrings::of("DELETE", crate::input::DEFAULT_CONTENT_TYPE), BoolStrings::Settype);
        let form = "application/x-www-form-urlencoded; charset=UTF-8";
        assert_eq!(BoolStrings::of("POST", form), BoolStrings::FalseIsFalse);
        assert_eq!(BoolStrings::of("HEAD", crate::input::DEFAULT_CONTENT_TYPE), BoolStrings::Settype);
    }
}
