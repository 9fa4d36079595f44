#!/usr/bin/env bash
# Prepares the PHP bridge's runtime (idempotent):
#  - installs php-cli (with FFI), phpunit and php-sqlite3 (pdo_sqlite, for the storage tests)
#    through apt-get, only when missing;
#  - builds the wasm C-API runtime library (wasmi, from crates.io) only when it is missing
#    or its inputs (php/runtime/Cargo.toml, Cargo.lock, src/) changed.
# Also writes talk-call-rules-ffi.h beside it (for ffi.preload=).
# Prints the path of the library on its last line (stdout); everything else goes to stderr.
# Environment: TCR_PHP_NO_APT=1 skips the apt-get step (fails instead when PHP is missing).
#   TCR_PHP_RUNTIME=wasmtime builds the optional wasmtime C API instead (php/runtime/wasmtime:
#   needs cmake, ~4.5 min; use it with TALK_CALL_RULES_RUNTIME=<printed path>).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
crate="$here/runtime"
target="$repo/target/php-runtime"
lib="$target/release/libwasmi.so"
stamp="$target/release/libwasmi.inputs"
if [[ "${TCR_PHP_RUNTIME:-wasmi}" == wasmtime ]]; then
  crate="$here/runtime/wasmtime"
  target="$repo/target/php-runtime-wasmtime"
  lib="$target/release/libwasmtime_c.so"
  stamp="$target/release/libwasmtime_c.inputs"
  need_cmake=1
fi

log() { echo "php/build-runtime.sh: $*" >&2; }

# ---- PHP and PHPUnit ----
need=()
if ! command -v php >/dev/null 2>&1; then
  need+=(php-cli)
elif ! php -r 'exit(extension_loaded("ffi") ? 0 : 1);' 2>/dev/null; then
  log "php has no FFI extension; installing php-cli (Debian builds FFI in)"
  need+=(php-cli)
fi
if ! command -v phpunit >/dev/null 2>&1; then
  need+=(phpunit)
fi
# The storage classes' tests run against SQLite through PDO.
if ! php -r 'exit(extension_loaded("pdo_sqlite") ? 0 : 1);' 2>/dev/null; then
  need+=(php-sqlite3)
fi
if [[ -n "${need_cmake:-}" ]] && ! command -v cmake >/dev/null 2>&1; then
  need+=(cmake)
fi
if ((${#need[@]})); then
  if [[ "${TCR_PHP_NO_APT:-}" == 1 ]]; then
    log "missing: ${need[*]} (TCR_PHP_NO_APT=1, not installing)"; exit 1
  fi
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  log "installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends "${need[@]}" >&2 \
    || { $sudo apt-get update >&2 && $sudo apt-get install -y --no-install-recommends "${need[@]}" >&2; }
fi

# ---- the runtime library ----
inputs() {
  (cd "$crate" && cat Cargo.toml Cargo.lock 2>/dev/null; find src -maxdepth 1 -type f -print0 | sort -z | xargs -0 cat) | sha256sum | cut -d' ' -f1
}
want="$(inputs)"
if [[ -f "$lib" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "runtime library up to date"
else
  log "building the wasm C-API runtime ($(basename "$lib")) into $target"
  if ! cargo build --release --manifest-path "$crate/Cargo.toml" --target-dir "$target" --offline >&2 2>/dev/null; then
    cargo build --release --manifest-path "$crate/Cargo.toml" --target-dir "$target" >&2
  fi
  [[ -f "$lib" ]] || { log "no $lib after the build"; exit 1; }
  inputs >"$stamp"
fi
# A header with FFI_SCOPE/FFI_LIB for `ffi.preload=` (PHP-FPM pools that keep ffi.enable=preload).
scope_h="$target/release/talk-call-rules-ffi.h"
{ printf '#define FFI_SCOPE "TALK_CALL_RULES"\n#define FFI_LIB "%s"\n' "$lib"; cat "$here/wasm.h"; } >"$scope_h.tmp"
if cmp -s "$scope_h.tmp" "$scope_h"; then rm -f "$scope_h.tmp"; else mv "$scope_h.tmp" "$scope_h"; fi
echo "$lib"
