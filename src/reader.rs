//! A pull reader over JSON text: the rows are read straight into the model
//! without building a tree first, so only the strings the rules keep are
//! allocated. Depth is bounded; errors say where (path) and what. The JSON
//! tree ([`crate::json`]) is built on this reader, not the other way round.

use std::borrow::Cow;
use std::fmt;

/// Maximum nesting of arrays and objects in any document.
pub const MAX_DEPTH: usize = 64;

/// Why input was refused. Its text (`Display`) is the detail of the
/// `bad-input` outcome, so it is worded for the host's developer.
///
/// One pointer wide: an error travels up through every `?` of the readers,
/// and a small one keeps those paths small in the `.wasm`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError(Box<ErrorKind>);

/// The kinds of [`InputError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not JSON, or is JSON past the reader's limits.
    Syntax {
        /// The document, once its reader names it ("state"); the reader itself
        /// does not know which document it reads.
        document: Option<&'static str>,
        /// Byte offset of the problem (of the object, for a duplicate key).
        at: usize,
        what: Syntax,
    },
    /// A document longer than its limit, refused before a byte of it is read.
    TooLarge { document: &'static str, bytes: usize, max: usize },
    /// Well-formed JSON that does not fit the model: the detail starts with
    /// the path ("state.room.type: required").
    Shape(String),
}

/// What is wrong with a text that is not acceptable JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// Malformed JSON ("unexpected character", "invalid number" …).
    Malformed(&'static str),
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// An object names this key twice.
    DuplicateKey(String),
}

impl InputError {
    /// What kind of refusal this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// A syntax error at byte `at` of a document not named yet.
    #[cold]
    pub fn syntax(at: usize, what: Syntax) -> InputError {
        InputError(Box::new(ErrorKind::Syntax { document: None, at, what }))
    }

    #[cold]
    pub fn too_large(document: &'static str, bytes: usize, max: usize) -> InputError {
        InputError(Box::new(ErrorKind::TooLarge { document, bytes, max }))
    }

    /// A shape error; `detail` starts with the path (see also `shape!`).
    #[cold]
    pub fn shape(detail: impl Into<String>) -> InputError {
        InputError(Box::new(ErrorKind::Shape(detail.into())))
    }

    /// Names the document of a syntax error; the other errors name it already
    /// (a shape error's path starts with it).
    pub fn in_document(mut self, name: &'static str) -> InputError {
        if let ErrorKind::Syntax { document, .. } = &mut *self.0 {
            *document = Some(name);
        }
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.kind() {
            ErrorKind::Syntax { document, at, what } => {
                if let Some(d) = document {
                    write!(f, "{d}: ")?;
                }
                match what {
                    Syntax::Malformed(m) => write!(f, "invalid JSON at byte {at}: {m}"),
                    Syntax::TooDeep => write!(f, "invalid JSON at byte {at}: nesting deeper than {MAX_DEPTH}"),
                    Syntax::DuplicateKey(k) => {
                        write!(f, "invalid JSON: duplicate key \"{k}\" in the object at byte {at}")
                    }
                }
            }
            ErrorKind::TooLarge { document, bytes, max } => {
                write!(f, "{document}: {bytes} bytes exceed the limit of {max}")
            }
            ErrorKind::Shape(detail) => f.write_str(detail),
        }
    }
}

impl std::error::Error for InputError {}

/// The detail text, for the `bad-input` outcome.
impl From<InputError> for String {
    fn from(e: InputError) -> String {
        e.to_string()
    }
}

/// [`InputError::shape`] with a formatted detail.
macro_rules! shape {
    ($($arg:tt)*) => {
        $crate::reader::InputError::shape(format!($($arg)*))
    };
}
pub(crate) use shape;

/// Where a value sits, e.g. `state.attendees[2].participantType`; built on the
/// stack and only formatted when something is wrong.
#[derive(Clone, Copy)]
pub enum Path<'p> {
    Root(&'static str),
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Path::Root(r) => f.write_str(r),
            Path::Key(p, k) => write!(f, "{p}.{k}"),
            Path::Index(p, i) => write!(f, "{p}[{i}]"),
        }
    }
}

impl<'p> Path<'p> {
    pub fn key(&'p self, k: &'p str) -> Path<'p> {
        Path::Key(self, k)
    }
}

/// A scalar, borrowed from the text where it can be.
#[derive(Debug, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Decimal(&'a str),
    Str(Cow<'a, str>),
    /// An array or object (not consumed).
    Container(&'static str),
}

impl Scalar<'_> {
    pub fn kind(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::Int(_) | Scalar::Decimal(_) => "a number",
            Scalar::Str(_) => "a string",
            Scalar::Container(k) => k,
        }
    }
}

/// Length of the run of string bytes that need no attention (no quote, no
/// backslash, no control character).
///
/// Eight bytes at a time (SWAR): strings are most of a state's bytes (session
/// ids, actor ids, names), and this loop is where reading spends its time.
#[inline(always)]
pub(crate) fn plain_run(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        // A byte's high bit is set where it is zero (quote, backslash) or below
        // 0x20; bytes after the first such byte may be flagged falsely, so only
        // the lowest (first in the text) flag is used.
        let flags = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGH;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b[i..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).unwrap_or(b.len() - i)
}

/// What [`Reader::object`] hands each key to.
type KeyReader<'r, 'a> = dyn FnMut(&mut Reader<'a>, Cow<'a, str>) -> Result<(), InputError> + 'r;

pub struct Reader<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Reader<'a> {
        Reader { b: text.as_bytes(), text, i: 0, depth: 0 }
    }

    /// The byte offset reached so far.
    pub fn offset(&self) -> usize {
        self.i
    }

    fn err(&self, what: &'static str) -> InputError {
        self.syntax(Syntax::Malformed(what))
    }

    /// A syntax error at the current offset.
    fn syntax(&self, what: Syntax) -> InputError {
        InputError::syntax(self.i, what)
    }

    #[inline(always)]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// After the last value: only white space may follow.
    pub fn end(&mut self) -> Result<(), InputError> {
        self.ws();
        if self.i == self.b.len() {
            Ok(())
        } else {
            Err(self.err("trailing characters after the JSON value"))
        }
    }

    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Is the next value an object (`{`)?
    #[inline(always)]
    pub fn at_object(&mut self) -> bool {
        self.peek() == Some(b'{')
    }

    /// Reads a scalar; an array or object is reported as `Container` and left unread.
    pub fn scalar(&mut self) -> Result<Scalar<'a>, InputError> {
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => Ok(Scalar::Container("an object")),
            Some(b'[') => Ok(Scalar::Container("an array")),
            Some(b'"') => self.string().map(Scalar::Str),
            Some(b't') => self.word("true", Scalar::Bool(true)),
            Some(b'f') => self.word("false", Scalar::Bool(false)),
            Some(b'n') => self.word("null", Scalar::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn word(&mut self, w: &str, v: Scalar<'a>) -> Result<Scalar<'a>, InputError> {
        if self.b[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(self.err("unexpected character"))
        }
    }

    fn enter(&mut self) -> Result<(), InputError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(self.syntax(Syntax::TooDeep))
        } else {
            Ok(())
        }
    }

    /// Each caller gets its own inlined copy of the loop: for the objects read
    /// thousands of times (attendee and session rows); see [`Reader::object`].
    #[inline(always)]
    pub fn object_inline(
        &mut self,
        mut f: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), InputError>,
    ) -> Result<(), InputError> {
        self.object_loop(&mut f)
    }

    /// Reads an object, handing each key to `f`, which must read or skip its value.
    /// The loop is in the `.wasm` once for all callers (10 KB less than a copy per
    /// object reader, for one indirect call per key).
    pub fn object(
        &mut self,
        mut f: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), InputError>,
    ) -> Result<(), InputError> {
        self.object_dyn(&mut f)
    }

    #[inline(never)]
    fn object_dyn(&mut self, f: &mut KeyReader<'_, 'a>) -> Result<(), InputError> {
        self.object_loop(f)
    }

    #[inline(always)]
    fn object_loop<F: FnMut(&mut Self, Cow<'a, str>) -> Result<(), InputError> + ?Sized>(
        &mut self,
        f: &mut F,
    ) -> Result<(), InputError> {
        if !self.eat(b'{') {
            return Err(self.err("expected '{'"));
        }
        self.enter()?;
        if !self.eat(b'}') {
            loop {
                if self.peek() != Some(b'"') {
                    return Err(self.err("expected a string key"));
                }
                let key = self.string()?;
                if !self.eat(b':') {
                    return Err(self.err("expected ':'"));
                }
                f(self, key)?;
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.err("expected ',' or '}'"));
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Reads an array, handing each element's index to `f`, which must read or skip it.
    pub fn array(&mut self, mut f: impl FnMut(&mut Self, usize) -> Result<(), InputError>) -> Result<(), InputError> {
        self.array_dyn(&mut f)
    }

    /// The loop of [`Reader::array`], once for all its callers.
    #[inline(never)]
    fn array_dyn(&mut self, f: &mut dyn FnMut(&mut Self, usize) -> Result<(), InputError>) -> Result<(), InputError> {
        if !self.eat(b'[') {
            return Err(self.err("expected '['"));
        }
        self.enter()?;
        if !self.eat(b']') {
            let mut n = 0;
            loop {
                f(self, n)?;
                n += 1;
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.err("expected ',' or ']'"));
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Checks and passes over one value of any kind.
    pub fn skip(&mut self) -> Result<(), InputError> {
        match self.scalar()? {
            Scalar::Container("an object") => self.object(|r, _| r.skip()),
            Scalar::Container(_) => self.array(|r, _| r.skip()),
            _ => Ok(()),
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, InputError> {
        self.i += 1; // opening quote
        let start = self.i;
        self.i += plain_run(&self.b[start..]);
        if self.b.get(self.i) == Some(&b'"') {
            // The common case: no escapes, borrow the text (a &str, so valid UTF-8,
            // and the run ends at an ASCII quote, so at a character boundary).
            let s = &self.text[start..self.i];
            self.i += 1;
            return Ok(Cow::Borrowed(s));
        }
        let mut out = String::from(&self.text[start..self.i]);
        loop {
            let run = self.i;
            self.i += plain_run(&self.b[run..]);
            out.push_str(&self.text[run..self.i]);
            match self.b.get(self.i) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let esc = *self.b.get(self.i).ok_or_else(|| self.err("unterminated string"))?;
                    self.i += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                Some(_) => return Err(self.err("control character in string")),
            }
        }
    }

    fn unicode_escape(&mut self) -> Result<char, InputError> {
        let hi = self.hex4()?;
        let c = if (0xD800..0xDC00).contains(&hi) {
            if !(self.b.get(self.i) == Some(&b'\\') && self.b.get(self.i + 1) == Some(&b'u')) {
                return Err(self.err("unpaired surrogate in \\u escape"));
            }
            self.i += 2;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(c).ok_or_else(|| self.err("invalid \\u escape"))
    }

    fn hex4(&mut self) -> Result<u32, InputError> {
        let digits = self.b.get(self.i..self.i + 4).ok_or_else(|| self.err("short \\u escape"))?;
        let mut v = 0u32;
        for &d in digits {
            v = v * 16 + (d as char).to_digit(16).ok_or_else(|| self.err("invalid \\u escape"))?;
        }
        self.i += 4;
        Ok(v)
    }

    #[inline(always)]
    fn digits(&mut self) -> usize {
        let s = self.i;
        while let Some(b'0'..=b'9') = self.b.get(self.i) {
            self.i += 1;
        }
        self.i - s
    }

    fn number(&mut self) -> Result<Scalar<'a>, InputError> {
        let start = self.i;
        let negative = self.b[self.i] == b'-';
        if negative {
            self.i += 1;
        }
        let int_start = self.i;
        let n = self.digits();
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return Err(self.err("invalid number"));
        }
        let mut decimal = false;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            decimal = true;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            decimal = true;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        let text = &self.text[start..self.i];
        if !decimal && n <= 18 {
            // Up to 18 digits always fit an i64: accumulate without a parser.
            let v = self.b[int_start..self.i].iter().fold(0i64, |acc, &d| acc * 10 + i64::from(d - b'0'));
            return Ok(Scalar::Int(if negative { -v } else { v }));
        }
        match text.parse::<i64>() {
            Ok(v) if !decimal => Ok(Scalar::Int(v)),
            _ => Ok(Scalar::Decimal(text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_format_only_when_asked() {
        let root = Path::Root("state");
        let a = root.key("attendees");
        let i = Path::Index(&a, 2);
        assert_eq!(i.key("participantType").to_string(), "state.attendees[2].participantType");
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let mut r = Reader::new(r#"["plain","esc\"aped\u00e9"]"#);
        let mut got = Vec::new();
        r.array(|r, _| {
            got.push(r.scalar()?);
            Ok(())
        })
        .unwrap();
        assert!(matches!(&got[0], Scalar::Str(Cow::Borrowed("plain"))));
        assert!(matches!(&got[1], Scalar::Str(Cow::Owned(s)) if s == "esc\"apedé"));
    }

    #[test]
    fn skip_validates_and_bounds_depth() {
        assert!(Reader::new(r#"{"a":[1,{"b":null}],"c":"x"}"#).skip().is_ok());
        assert!(Reader::new(r#"{"a":[1,}"#).skip().is_err());
        let deep = "[".repeat(1000);
        let e = Reader::new(&deep).skip().unwrap_err();
        assert_eq!(*e.kind(), ErrorKind::Syntax { document: None, at: MAX_DEPTH + 1, what: Syntax::TooDeep });
        assert_eq!(e.in_document("state").to_string(), "state: invalid JSON at byte 65: nesting deeper than 64");
    }

    #[test]
    fn plain_run_stops_at_the_first_byte_that_needs_attention() {
        fn slow(b: &[u8]) -> usize {
            b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).unwrap_or(b.len())
        }
        let specials = [b'"', b'\\', 0x00, 0x1f, b'\n'];
        let others = [b'a', b' ', 0x7f, 0x80, 0xff, 0x21, 0x5b, 0x5d, 0x20];
        for len in 0..20 {
            for at in 0..=len {
                for &sp in &specials {
                    for &o in &others {
                        let mut v = vec![o; len];
                        if at < len {
                            v[at] = sp;
                            // A second special after the first must not be reported instead.
                            if at + 1 < len {
                                v[at + 1] = b'"';
                            }
                        }
                        assert_eq!(plain_run(&v), slow(&v), "{v:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn numbers() {
        fn n(t: &str) -> Scalar<'_> {
            Reader::new(t).scalar().unwrap()
        }
        assert_eq!(n("123456789012345678"), Scalar::Int(123_456_789_012_345_678));
        assert_eq!(n("-9223372036854775808"), Scalar::Int(i64::MIN));
        assert_eq!(n("9223372036854775808"), Scalar::Decimal("9223372036854775808"));
        assert_eq!(n("1.50"), Scalar::Decimal("1.50"));
        assert!(Reader::new("-").scalar().is_err());
    }
}
