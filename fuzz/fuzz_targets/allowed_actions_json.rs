#![no_main]
//! See fuzz/src/lib.rs, `allowed_actions_json`: the same function runs the regression inputs in tests/fuzz_regressions.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| tcr_fuzz::allowed_actions_json(data));
