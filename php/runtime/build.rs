//! Marks libtcr_php.so as never unloaded (DF_1_NODELETE). PHP's FFI `dlclose`s a library
//! when the FFI object that loaded it is freed — at the end of every request under PHP-FPM —
//! which would drop the per-process module cache with it, and would leave wasmtime's
//! signal handlers pointing into unmapped code.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "freebsd" || os == "netbsd" || os == "openbsd" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
