//! Development tasks of talk-call-rules (`cargo xtask --help`).
//!
//! The conformance vectors run on four hosts (native, Node, headless Chromium,
//! PHP). Each host is a thin driver that runs the steps through its own bridge
//! and writes a transcript; [`check`] is the one matcher that judges them all.

pub mod check;
pub mod gen;
pub mod json;
pub mod lint;
pub mod native;
pub mod transcript;
pub mod vectors;
