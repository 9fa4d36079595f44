//! Re-exports wasmi's implementation of the standard wasm C API (`wasm.h`) as
//! a shared library, `libwasmi.so`, for the PHP bridge (loaded through FFI).
pub use wasmi_c_api::*;
