#!/usr/bin/env bash
# Runs the PHP bridge's tests: first the unit tests of libtcr_php (php/runtime: its disk cache
# against swapped folders, named pipes, links; `cargo test --release`, which reuses the release
# build's dependencies: seconds), when that library is built; then PHPUnit (php/tests) with
# php/tests/bootstrap.php.
# Needs the runtime library (php/build-runtime.sh) and the module (pkg/talk_call_rules_bg.wasm,
# or TALK_CALL_RULES_WASM). Exits non-zero on any failure. Extra arguments go to phpunit
# (e.g. --filter Memory). TCR_PHP_UNIT=0 skips the runtime's unit tests.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v phpunit >/dev/null 2>&1 || { echo "php/run-tests.sh: phpunit is missing (run php/build-runtime.sh)" >&2; exit 2; }
target="$(dirname "$here")/target/php-runtime"
if [[ "${TCR_PHP_UNIT:-1}" != 0 && -f "$target/release/libtcr_php.so" ]] && command -v cargo >/dev/null 2>&1; then
  unit=(cargo test --release --lib --manifest-path "$here/runtime/Cargo.toml" --target-dir "$target")
  echo "php/run-tests.sh: the unit tests of libtcr_php (php/runtime)" >&2
  "${unit[@]}" --no-run --offline 2>/dev/null || "${unit[@]}" --no-run
  "${unit[@]}" --offline
fi
cd "$here"
exec phpunit --configuration "$here/phpunit.xml" "$@"
