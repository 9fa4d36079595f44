#!/usr/bin/env bash
# Runs the PHP bridge's PHPUnit tests (php/tests) with php/tests/bootstrap.php.
# Needs the runtime library (php/build-runtime.sh) and the module (pkg/talk_call_rules_bg.wasm,
# or TALK_CALL_RULES_WASM). Exits non-zero on any failure. Extra arguments go to phpunit
# (e.g. --filter Memory).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v phpunit >/dev/null 2>&1 || { echo "php/run-tests.sh: phpunit is missing (run php/build-runtime.sh)" >&2; exit 2; }
cd "$here"
exec phpunit --configuration "$here/phpunit.xml" "$@"
