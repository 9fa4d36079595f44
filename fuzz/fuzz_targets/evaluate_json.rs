#![no_main]
//! See fuzz/src/lib.rs, `evaluate_json`: the same function runs the regression inputs in tests/fuzz_regressions.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| tcr_fuzz::evaluate_json(data));
