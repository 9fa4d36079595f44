//! Re-exports wasmtime's implementation of the standard wasm C API (`wasm.h`).
pub use wasmtime_c_api::*;
