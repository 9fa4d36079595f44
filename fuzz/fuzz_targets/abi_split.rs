#![no_main]
//! See fuzz/src/lib.rs, `abi_split`: the same function runs the regression inputs in tests/fuzz_regressions.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| tcr_fuzz::abi_split(data));
