#!/usr/bin/env bash
# talk-call-rules — the one entry point: a thin dispatcher over scripts/, cargo xtask and npm scripts.
# Run `./build.sh --help`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/lib.sh"

usage() {
	cat <<'USAGE'
usage: ./build.sh COMMAND [ARGS]

  demo         build if needed, then decide a join in a sample room (examples/demo.mjs)
  test         everything, with a summary (what CI runs): setup, build, then the stages below.
               Logs: tests/artifacts/*.log
  setup        install what is missing (idempotent, fast when present; registries only): the wasm32
               target, clippy, rustfmt, wasm-bindgen-cli (the version pinned in Cargo.toml), wasm-pack,
               Debian chromium + chromium-driver, npm devDependencies, Debian php-cli + phpunit +
               php-sqlite3 + php-fpm and the PHP bridge's wasm runtime (php/build-runtime.sh, from crates.io),
               Debian postgresql + mariadb-server + php-pgsql + php-mysql (the storage tests' servers,
               which the php stage starts and stops itself: scripts/databases.sh)
  build        pkg/: cargo (release, wasm32) -> wasm-bindgen --target web -> wasm-opt (npm binaryen)
  vectors --host native|node|chromium|php [PATH...]
               run conformance vector files/folders on one host (default: `cargo xtask vector-files`);
               the one matcher (`cargo xtask check`) prints one line per failing case, then exactly
               "N passed, M failed"; exit 0 only when M is 0, 2 when the host is not available
  playground [PORT]  serve the interactive playground (default port 8080)
  bench        timings and sizes side by side (bench/bench.mjs, php/bench.php); not a test
  bench-store  CallStore's cost per request against the unlocked pattern (SQLite, PostgreSQL, MariaDB),
               and what 20 processes do to the call state without it
  bench-limits time the refusal of oversized and deeply nested input (native and Node)
  fuzz [SECONDS] [TARGET...]  cargo-fuzz campaigns (nightly); not part of `test`
  vendor-vectors [DIR]  copy the public vectors (default ../shared/vectors) into tests/conformance
  clean        remove pkg/, tests/artifacts/ and target/transcripts/

Test stages (each also runs alone: ./build.sh test-STAGE, or several: ./build.sh test STAGE...):
  lint, cargo-test, wasm-node, wasm-chromium, node, types, php, stress, playground, bundlers, csp,
  vectors-node, vectors-chromium, vectors-php

Environment: CHROMEDRIVER (default /usr/bin/chromedriver), CHROMIUM (default /usr/bin/chromium),
TCR_SHARED_VECTORS (default ../shared/vectors: used when newer than the vendored copy).
USAGE
}

cmd=${1:-}
(($#)) && shift
case "$cmd" in
setup) exec "$ROOT/scripts/setup.sh" "$@" ;;
build) exec "$ROOT/scripts/build-wasm.sh" ;;
test) exec "$ROOT/scripts/test.sh" "$@" ;;
test-*) exec "$ROOT/scripts/test.sh" --only "${cmd#test-}" "$@" ;;
vectors) exec "$ROOT/scripts/vectors.sh" "$@" ;;
playground) exec "$ROOT/scripts/playground.sh" "$@" ;;
fuzz) exec "$ROOT/scripts/fuzz.sh" "$@" ;;
demo) cd "$ROOT" && ensure_built && exec node examples/demo.mjs "$@" ;;
bench) cd "$ROOT" && ensure_built && node bench/bench.mjs "$@" && exec php "$ROOT/php/bench.php" ;;
bench-store)
	cd "$ROOT" && ensure_built
	# Each in a subshell: with_databases stops its servers when its shell exits.
	(with_databases php "$ROOT/php/bench-store.php" "$@")
	echo "unlocked, 20 processes x 10 rounds (what the lock prevents; violations expected):"
	(with_databases php "$ROOT/php/tests/call-store-stress.php" --unlocked --rounds 10) || true
	;;
bench-limits)
	cd "$ROOT" && ensure_built
	cargo run --quiet --release --example limits
	exec node --expose-gc bench/limits.mjs "$@"
	;;
vendor-vectors) cd "$ROOT" && exec cargo xtask vendor-vectors "$@" ;;
clean) rm -rf "$PKG" "$ARTIFACTS" "$TRANSCRIPTS" ;;
-h | --help | help) usage ;;
"") usage >&2; exit 2 ;;
*) echo "build.sh: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
esac
