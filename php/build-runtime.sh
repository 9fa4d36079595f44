#!/usr/bin/env bash
# Prepares the PHP bridge's runtime libraries (idempotent, fast when up to date):
#  - installs php-cli (with FFI), phpunit, php-sqlite3 (pdo_sqlite, for the storage tests) and
#    php-fpm (the worker test runs one PHP-FPM worker) through apt-get, only when missing;
#  - builds, from crates.io, only when missing or when their inputs (Cargo.toml, Cargo.lock,
#    build.rs, src/) changed:
#      libtcr_php.so  php/runtime/        wasmtime behind the bridge's own C functions: the default
#                                         (a fresh build takes ~5 min on 2 free cores)
#      libwasmi.so    php/runtime/wasmi/  wasmi's standard wasm C API (wasm.h): the fallback (~45 s)
#    both into target/php-runtime/release/;
#  - writes the ffi.preload headers beside them: talk-call-rules-ffi.h (libtcr_php, FFI scope
#    TALK_CALL_RULES) and talk-call-rules-wasm-h-ffi.h (libwasmi, scope TALK_CALL_RULES_WASM_H).
# A rebuilt library is a new file (cargo links it anew), so running PHP workers keep the copy they
# mapped until they are recycled. Install a library elsewhere the same way (install -m 0644, or a
# copy to a temporary name beside it and mv -f), never with cp over it: workers crash with SIGBUS.
# Prints the path of the default library on its last line (stdout); everything else goes to stderr.
# Environment: TCR_PHP_NO_APT=1 skips the apt-get step (fails instead when PHP is missing).
#   TCR_PHP_FAST=0 builds only libwasmi.so (the bridge then runs on the wasm.h fallback).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
target="$repo/target/php-runtime"
release="$target/release"

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
# The worker test and bench run one PHP-FPM worker (over FastCGI), as a Nextcloud server would.
if ! compgen -G '/usr/sbin/php-fpm*' >/dev/null; then
  need+=(php-fpm)
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

# ---- the runtime libraries ----
inputs() { # crate folder
  local f files=()
  for f in "$1"/Cargo.toml "$1"/Cargo.lock "$1"/build.rs "$1"/src/*; do
    [[ -f "$f" ]] && files+=("$f")
  done
  cat "${files[@]}" | sha256sum | cut -d' ' -f1
}
build() { # crate folder, library name
  local crate="$1" lib="$release/$2" stamp="$release/$2.inputs" want
  want="$(inputs "$crate")"
  if [[ -f "$lib" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "$2 up to date"
    return
  fi
  log "building $2 (from ${crate#"$repo"/}) into $target"
  local started=$SECONDS
  if ! cargo build --release --manifest-path "$crate/Cargo.toml" --target-dir "$target" --offline >&2 2>/dev/null; then
    cargo build --release --manifest-path "$crate/Cargo.toml" --target-dir "$target" >&2
  fi
  [[ -f "$lib" ]] || { log "no $lib after the build"; exit 1; }
  inputs "$crate" >"$stamp"
  log "$2 built in $((SECONDS - started)) s"
}
preload_header() { # library name, header, scope, output
  local out="$release/$4"
  { printf '#define FFI_SCOPE "%s"\n#define FFI_LIB "%s"\n' "$3" "$release/$1"; cat "$here/$2"; } >"$out.tmp"
  if cmp -s "$out.tmp" "$out"; then rm -f "$out.tmp"; else mv "$out.tmp" "$out"; fi
}

build "$here/runtime/wasmi" libwasmi.so
preload_header libwasmi.so wasm.h TALK_CALL_RULES_WASM_H talk-call-rules-wasm-h-ffi.h
if [[ "${TCR_PHP_FAST:-1}" == 0 ]]; then
  log "TCR_PHP_FAST=0: libtcr_php.so not built; the bridge runs on libwasmi.so"
  echo "$release/libwasmi.so"
  exit 0
fi
build "$here/runtime" libtcr_php.so
preload_header libtcr_php.so runtime/tcr_php.h TALK_CALL_RULES talk-call-rules-ffi.h
echo "$release/libtcr_php.so"
