//! Why input was refused: the detail of a `bad-input` outcome.

use std::fmt;

/// Why input was refused. Its text (`Display`) is the detail of the
/// `bad-input` outcome, so it is worded for the host's developer.
///
/// One pointer wide: an error travels up through every `?` of the readers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError(Box<ErrorKind>);

/// The kinds of [`InputError`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text is not JSON (as serde_json reads it): where, and what is wrong.
    Syntax {
        /// Which document (`request`, `state`, …).
        document: &'static str,
        /// The line of the error (1-based).
        line: usize,
        /// The column of the error (1-based).
        column: usize,
        /// What is wrong there.
        what: String,
    },
    /// A document longer than its limit, refused before a byte of it is read.
    TooLarge {
        /// Which document.
        document: &'static str,
        /// Its length in bytes.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// Well-formed JSON that does not fit the model, or nested deeper than the limit: the
    /// detail starts with the path ("state.room.type: required").
    Shape(String),
}

impl InputError {
    /// What kind of refusal this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Not JSON: where, and what is wrong.
    #[cold]
    pub fn syntax(document: &'static str, line: usize, column: usize, what: impl Into<String>) -> InputError {
        InputError(Box::new(ErrorKind::Syntax { document, line, column, what: what.into() }))
    }

    /// A document over its byte limit.
    #[cold]
    pub fn too_large(document: &'static str, bytes: usize, max: usize) -> InputError {
        InputError(Box::new(ErrorKind::TooLarge { document, bytes, max }))
    }

    /// A shape error; `detail` starts with the path (see also `shape!`).
    #[cold]
    pub fn shape(detail: impl Into<String>) -> InputError {
        InputError(Box::new(ErrorKind::Shape(detail.into())))
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.kind() {
            ErrorKind::Syntax { document, line, column, what } => {
                write!(f, "{document}: invalid JSON at line {line} column {column}: {what}")
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
        $crate::error::InputError::shape(format!($($arg)*))
    };
}
pub(crate) use shape;
