//! wasm-bindgen tests in headless Chromium:
//! `CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome -- --test web`.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/wasm_suite.rs"]
mod suite;
