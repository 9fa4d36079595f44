#!/usr/bin/env bash
# talk-call-rules — build, test and tooling entry point. Run `./build.sh --help`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SELF="$ROOT/build.sh"
CALLER_PWD="$PWD"
cd "$ROOT"

CRATE_FILE=talk_call_rules                      # the crate `talk-call-rules` as a file name
TARGET=wasm32-unknown-unknown
CARGO_WASM="target/$TARGET/release/$CRATE_FILE.wasm"
PKG=pkg
PKG_WASM="$PKG/${CRATE_FILE}_bg.wasm"           # the OPTIMISED module every test and host uses
PKG_JS="$PKG/$CRATE_FILE.js"
STAMP="$PKG/.build-stamp"
ARTIFACTS="$ROOT/tests/artifacts"
SHARED_VECTORS="${TCR_SHARED_VECTORS:-$ROOT/../shared/vectors}"
LOCAL_VECTORS="$ROOT/tests/vectors"
WASM_PACK_VERSION=0.15.1
CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CHROMEDRIVER
# rustc 1.95 emits bulk-memory, reference-types (the externref table), multivalue (wasm-bindgen's
# two-value returns), sign-ext, mutable-globals and non-trapping float-to-int: enable them all
# explicitly (npm binaryen@132 also reads the target_features section; Debian's binaryen 108 is
# broken for this output and is never used).
WASM_OPT_FLAGS=(
	-Oz
	--enable-bulk-memory --enable-bulk-memory-opt --enable-reference-types --enable-multivalue
	--enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int
	--enable-call-indirect-overlong
	--strip-debug --strip-producers
)

if [[ -d "$HOME/.cargo/bin" && ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
	export PATH="$HOME/.cargo/bin:$PATH"
fi

# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------

log() { printf '%s\n' "build.sh: $*" >&2; }
die() { printf '%s\n' "build.sh: error: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
fmt_ms() { # 1234 -> 1.2s, 75000 -> 1m15s
	local ms=$1
	if ((ms < 60000)); then
		printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
	else
		printf '%dm%02ds' $((ms / 60000)) $((ms % 60000 / 1000))
	fi
}
as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run: $*"
	fi
}

# The wasm-bindgen version pinned in Cargo.toml (`wasm-bindgen = "=X.Y.Z"`); the CLI must match it.
wasm_bindgen_version() {
	local v
	v=$(sed -n -E 's/^[[:space:]]*wasm-bindgen[[:space:]]*=[[:space:]]*(\{[^}]*version[[:space:]]*=[[:space:]]*)?"=?([0-9]+\.[0-9]+\.[0-9]+)".*/\2/p' Cargo.toml | head -n 1)
	printf '%s\n' "${v:-0.2.130}"
}

usage() {
	cat <<'EOF'
usage: ./build.sh COMMAND [ARGS]

Commands:
  setup        Install what is missing (idempotent, fast when present): the wasm32 Rust target,
               wasm-bindgen-cli (the version pinned in Cargo.toml), wasm-pack, Debian chromium +
               chromium-driver, the npm devDependencies (binaryen@132 for wasm-opt, typescript,
               playwright-core) from package-lock.json, Debian php-cli + phpunit and the wasm C-API
               runtime library of the PHP bridge (php/build-runtime.sh, from crates.io). Registries
               only; nothing else is downloaded.
  build        cargo build (release, wasm32) -> wasm-bindgen --target web -> wasm-opt -Oz (npm
               binaryen@132) IN PLACE as pkg/talk_call_rules_bg.wasm, then checks that the optimised
               module instantiates and answers. Skips wasm-bindgen/wasm-opt when cargo's output is
               unchanged.
  test         Everything, with a summary: setup, build, cargo test (native), wasm-bindgen tests in
               Node (cargo test --target wasm32 --test node) and in headless Chromium (wasm-pack test
               --headless --chrome -- --test web), node --test tests/node/, tsc --noEmit -p tests/ts,
               PHPUnit (php/), and the conformance vectors on every host. Exits non-zero on any failure.
               Logs: tests/artifacts/*.log
  vectors --host native|node|chromium|php [PATH...]
               Runs conformance vector files/folders (default: ../shared/vectors tests/vectors) on one
               host. One line per failing case, then exactly "N passed, M failed". Exit 0 only when
               M is 0; 2 when the host is not available (php: the bridge says why).
  playground [PORT]
               Build if needed, then serve the repository root on http://127.0.0.1:PORT/ (default 8080;
               a free port when 8080 is taken and no PORT was given) and print the playground URL
               (/playground/). Stays in the foreground until Ctrl-C. HOST=0.0.0.0 to listen on all
               interfaces.
  demo         Build if needed, then run examples/demo.mjs (a join decision end to end).
  bench        Build if needed, then run bench/bench.mjs and php/bench.php (timings and sizes; not
               a test).
  bench-limits Build if needed, then time the refusal of a 10 MB payload and of 10,000-deep nesting
               natively (cargo run --release --example limits) and in Node (bench/limits.mjs: evaluate
               and evaluateJson side by side, then RSS and wasm memory across 1,000,000 evaluate
               calls; `--calls N` to change). A measurement, not a test (tests/limits.rs asserts).
  fuzz [SECONDS] [TARGET...]
               cargo-fuzz (nightly, libFuzzer + AddressSanitizer; installs cargo-fuzz if missing):
               seeds fuzz/corpus/ from the vectors (fuzz/make-corpus.py), then runs each target
               (default: all five) for SECONDS (default 60), one after the other, and prints
               executions, exec/s, corpus size and crashes per target. TCR_FUZZ_RUNS caps the
               executions per target. Logs: fuzz/logs/; crashes: fuzz/artifacts/. Not part of `test`
               (saved inputs are: tests/fuzz_regressions.rs).
  clean        Remove pkg/ and tests/artifacts/.

Single test stages (what `test` runs): test-native, test-wasm-node, test-wasm-chromium, test-js, test-ts,
test-playground (end-to-end tests of the playground page in headless Chromium; screenshot in
tests/artifacts/playground.png, `test-playground --update-docs` also refreshes docs/playground.png).

Environment: CHROMEDRIVER (default /usr/bin/chromedriver), CHROMIUM (default /usr/bin/chromium),
TCR_SHARED_VECTORS (default ../shared/vectors).
EOF
}

# ------------------------------------------------------------------------------------------------
# setup
# ------------------------------------------------------------------------------------------------

setup_rust() {
	command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust with rustup first)"
	command -v rustup >/dev/null 2>&1 || die "rustup not found"
	local installed
	installed=$(rustup target list --installed)
	if ! grep -qx "$TARGET" <<<"$installed"; then
		log "adding the Rust target $TARGET"
		rustup target add "$TARGET"
	fi
	local want have=""
	want=$(wasm_bindgen_version)
	if command -v wasm-bindgen >/dev/null 2>&1; then
		have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
	fi
	if [[ "$have" != "$want" ]]; then
		log "installing wasm-bindgen-cli $want (found: ${have:-none}); about 3 minutes on 2 cores"
		# --locked fails with the registry mirror (a locked dependency version is missing): not used.
		cargo install wasm-bindgen-cli --version "$want"
	fi
}

setup_wasm_pack() {
	if ! command -v wasm-pack >/dev/null 2>&1; then
		log "installing wasm-pack $WASM_PACK_VERSION from crates.io; about 3 minutes on 2 cores"
		cargo install wasm-pack --version "$WASM_PACK_VERSION"
	fi
}

setup_browser() {
	if ! command -v chromium >/dev/null 2>&1 || [[ ! -x "$CHROMEDRIVER" ]]; then
		log "installing Debian chromium and chromium-driver"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
	fi
}

setup_node() {
	command -v node >/dev/null 2>&1 || die "node not found (Node.js >= 20 is needed)"
	command -v npm >/dev/null 2>&1 || die "npm not found"
	local major
	major=$(node -p 'process.versions.node.split(".")[0]')
	((major >= 20)) || die "Node.js >= 20 is needed (found $(node --version))"
	local want have=""
	want=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
	[[ -f node_modules/.tcr-deps ]] && have=$(cat node_modules/.tcr-deps)
	if [[ ! -d node_modules || "$want" != "$have" ]]; then
		if [[ -f package-lock.json ]]; then
			log "npm ci (node_modules missing or stale)"
			npm ci --no-audit --no-fund
		else
			log "npm install (no package-lock.json yet)"
			npm install --no-audit --no-fund --omit-lockfile-registry-resolved=false
			want=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
		fi
		printf '%s\n' "$want" >node_modules/.tcr-deps
	fi
	[[ -x node_modules/.bin/wasm-opt ]] || die "node_modules/.bin/wasm-opt missing (npm binaryen)"
}

cmd_setup() {
	setup_rust
	setup_wasm_pack
	setup_browser
	setup_node
	setup_php
	log "setup: rustc $(rustc --version | awk '{print $2}'), $(wasm-bindgen --version), $(wasm-pack --version)," \
		"node $(node --version), wasm-opt $(node_modules/.bin/wasm-opt --version | awk '{print $3}'), $(chromium --version 2>/dev/null | head -n 1)"
}

# ------------------------------------------------------------------------------------------------
# build
# ------------------------------------------------------------------------------------------------

verify_pkg() {
	# The optimised module must compile, instantiate through the bridge and answer.
	node --input-type=module -e "
		import { initSync, versionJson, evaluateJson } from './js/index.mjs';
		import * as glue from './$PKG_JS';
		if (typeof glue.__wbg_reset_state !== 'function') { console.error('glue lacks __wbg_reset_state'); process.exit(1); }
		if (!initSync()) { console.error('the optimised module does not instantiate'); process.exit(1); }
		const v = JSON.parse(versionJson());
		const o = JSON.parse(evaluateJson('{}', '{}'));
		if (typeof o.status !== 'number') { console.error('evaluateJson answered', o); process.exit(1); }
		console.error('build.sh: pkg/ OK: ' + v.crate + ' ' + v.version + ', talkApi ' + v.talkApi + ', abi ' + v.abi);
	"
}

cmd_build() {
	setup_rust
	setup_node
	cargo build --release --target "$TARGET" --lib
	[[ -f "$CARGO_WASM" ]] || die "$CARGO_WASM was not produced"
	local key
	key="$(sha256sum "$CARGO_WASM" | cut -d' ' -f1) wasm-bindgen=$(wasm-bindgen --version | awk '{print $2}') wasm-opt=${WASM_OPT_FLAGS[*]}"
	if [[ -f "$STAMP" && -f "$PKG_WASM" && -f "$PKG_JS" && "$(cat "$STAMP")" == "$key" ]]; then
		log "pkg/ is up to date"
		return 0
	fi
	rm -f "$STAMP"
	local t0
	t0=$(now_ms)
	# --target web: spreed loads the .wasm as a URL asset (see notes/anchors.md §3.3).
	# --experimental-reset-state-function: lets js/index.mjs re-instantiate after a trap.
	wasm-bindgen --target web --experimental-reset-state-function --out-dir "$PKG" "$CARGO_WASM"
	local raw_bg
	raw_bg=$(stat -c %s "$PKG_WASM")
	node_modules/.bin/wasm-opt "${WASM_OPT_FLAGS[@]}" "$PKG_WASM" -o "$PKG_WASM.opt"
	mv -f "$PKG_WASM.opt" "$PKG_WASM"
	verify_pkg
	printf '%s\n' "$key" >"$STAMP"
	log "sizes: cargo $(stat -c %s "$CARGO_WASM") B -> wasm-bindgen $raw_bg B -> wasm-opt $(stat -c %s "$PKG_WASM") B" \
		"($(gzip -9 -c "$PKG_WASM" | wc -c) B gzip -9); $(fmt_ms $(($(now_ms) - t0))) for bindgen+opt"
}

ensure_built() {
	if [[ "${TCR_BUILT:-}" == 1 && -f "$STAMP" ]]; then
		return 0
	fi
	cmd_build >&2
}

# ------------------------------------------------------------------------------------------------
# test stages
# ------------------------------------------------------------------------------------------------

# Fails unless the wasm-bindgen test runner output in $1 reports "test result: ok. N passed" with N > 0
# (wasm-pack test exits 0 even when it ran nothing).
require_tests_ran() {
	local out=$1 what=$2 n
	n=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$out" | awk '{s += $4} END {print s + 0}')
	if grep -Eq 'test result: FAILED' "$out"; then
		die "$what: failures"
	fi
	((n > 0)) || die "$what: the runner executed no tests (expected 'test result: ok. N passed' with N > 0)"
	log "$what: $n tests passed"
}

cmd_test_native() {
	cargo test
}

cmd_test_wasm_node() {
	setup_rust
	[[ -f tests/node.rs ]] || die "tests/node.rs (wasm-bindgen-test suite for Node) is missing"
	local out
	out=$(mktemp)
	cargo test --target "$TARGET" --test node 2>&1 | tee "$out"
	require_tests_ran "$out" "wasm-bindgen tests in Node"
	rm -f "$out"
}

cmd_test_wasm_chromium() {
	setup_rust
	setup_wasm_pack
	setup_browser
	[[ -f tests/web.rs ]] || die "tests/web.rs (wasm-bindgen-test suite with run_in_browser) is missing"
	local out
	out=$(mktemp)
	CHROMEDRIVER="$CHROMEDRIVER" WASM_BINDGEN_USE_BROWSER=1 \
		wasm-pack test --headless --chrome -- --test web 2>&1 | tee "$out"
	grep -q 'Running headless tests in Chrome' "$out" || die "wasm-pack did not run the tests in headless Chrome"
	require_tests_ran "$out" "wasm-bindgen tests in headless Chromium"
	rm -f "$out"
}

cmd_test_js() {
	ensure_built
	node --test tests/node/
}

cmd_test_playground() {
	setup_browser >&2
	ensure_built
	node tests/browser/playground.e2e.mjs "$@"
}

cmd_playground() {
	local port=${1:-} host=${HOST:-127.0.0.1} fixed=true
	[[ -z "$port" || "$port" =~ ^[0-9]+$ ]] || die "playground: PORT must be a number (got '$port')"
	[[ -n "$port" ]] || { port=8080; fixed=false; }
	ensure_built
	# One-line server: tests/browser/serve.mjs serves the repo root (/playground/, /js/, /pkg/) with
	# application/wasm for .wasm files.
	exec node --input-type=module -e "
		import { startServer } from './tests/browser/serve.mjs';
		const want = $port, fixed = $fixed, host = '$host';
		const s = await startServer({ port: want, host }).catch((e) => {
			if (e.code === 'EADDRINUSE' && !fixed) { console.error('build.sh: port ' + want + ' is taken; using a free port'); return startServer({ port: 0, host }); }
			console.error('build.sh: playground: ' + e.message); process.exit(1);
		});
		console.log('talk-call-rules playground: ' + s.url + '/playground/   (Ctrl-C to stop)');
		process.on('SIGINT', () => s.close().then(() => process.exit(0)));
		process.on('SIGTERM', () => s.close().then(() => process.exit(0)));
	"
}

cmd_test_ts() {
	setup_node
	node_modules/.bin/tsc --noEmit -p tests/ts
	log "tsc: js/index.d.ts type-checks against tests/ts"
}

# ------------------------------------------------------------------------------------------------
# vectors
# ------------------------------------------------------------------------------------------------

# PHP host: the PHP bridge (php/) runs the same optimised .wasm through FFI and a wasm C-API runtime
# (built from crates.io by php/build-runtime.sh). php/run-vectors.php prints the same lines and
# summary, and exits 2 itself (saying why) when the bridge can not run.
php_host_available() { command -v php >/dev/null 2>&1; }
run_vectors_php() { php "$ROOT/php/run-vectors.php" "$@"; }
setup_php() { "$ROOT/php/build-runtime.sh" >&2; }
cmd_test_php() {
	ensure_built
	"$ROOT/php/run-tests.sh"
}

cmd_vectors() {
	local host="" paths=()
	while (($#)); do
		case "$1" in
		--host) host=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
		--host=*) host=${1#--host=}; shift ;;
		-h | --help) usage; exit 0 ;;
		*) paths+=("$1"); shift ;;
		esac
	done
	[[ -n "$host" ]] || { echo "usage: ./build.sh vectors --host native|node|chromium|php [PATH...]" >&2; exit 2; }
	# Every host runs from the repository root: paths are made relative to it (so that all hosts
	# name files alike, e.g. ../shared/vectors/join.json).
	local abs=() p
	if ((${#paths[@]} == 0)); then
		paths=("$SHARED_VECTORS")
		[[ -d "$LOCAL_VECTORS" ]] && paths+=("$LOCAL_VECTORS")
	fi
	for p in "${paths[@]}"; do
		[[ "$p" == /* ]] || p="$CALLER_PWD/$p"
		[[ -e "$p" ]] || { echo "vectors: no such file or folder: $p" >&2; exit 2; }
		abs+=("$(realpath -m --relative-to="$ROOT" "$p")")
	done
	case "$host" in
	native)
		cargo run --quiet --release --example run_vectors -- "${abs[@]}"
		;;
	node)
		ensure_built
		node tests/node/run-vectors.mjs "${abs[@]}"
		;;
	chromium)
		setup_browser >&2
		ensure_built
		node tests/browser/run-chromium.mjs "${abs[@]}"
		;;
	php)
		if php_host_available; then
			run_vectors_php "${abs[@]}"
		else
			echo "vectors: php is not installed (./build.sh setup installs php-cli and the bridge runtime); nothing was run." >&2
			exit 2
		fi
		;;
	*)
		echo "vectors: unknown host '$host' (native, node, chromium or php)" >&2
		exit 2
		;;
	esac
}

# ------------------------------------------------------------------------------------------------
# fuzz (not part of `test`: nightly + sanitizers are too slow for it)
# ------------------------------------------------------------------------------------------------

FUZZ_TARGETS=(evaluate_json apply_json allowed_actions_json abi_split evaluate_mutated)

setup_fuzz() {
	command -v python3 >/dev/null 2>&1 || die "python3 not found (fuzz/make-corpus.py needs it)"
	if ! rustup toolchain list | grep -q '^nightly'; then
		log "installing the nightly Rust toolchain (cargo-fuzz needs it)"
		rustup toolchain install nightly --profile minimal
	fi
	if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
		log "installing cargo-fuzz from crates.io; about 1 minute on 2 cores"
		cargo install cargo-fuzz
	fi
}

cmd_fuzz() {
	local secs=60 targets=() t rc log runs rate corpus crashes failed=0 rows=()
	if (($#)) && [[ "$1" =~ ^[0-9]+$ ]]; then
		secs=$1
		shift
	fi
	targets=("$@")
	((${#targets[@]})) || targets=("${FUZZ_TARGETS[@]}")
	for t in "${targets[@]}"; do
		[[ " ${FUZZ_TARGETS[*]} " == *" $t "* ]] || die "fuzz: unknown target '$t' (${FUZZ_TARGETS[*]})"
	done
	setup_fuzz
	python3 fuzz/make-corpus.py "$SHARED_VECTORS" "$LOCAL_VECTORS"
	mkdir -p fuzz/logs
	(cd fuzz && cargo +nightly fuzz build)
	for t in "${targets[@]}"; do
		log "fuzz: $t for ${secs}s${TCR_FUZZ_RUNS:+ (at most $TCR_FUZZ_RUNS executions)}"
		log="fuzz/logs/$t.log"
		rc=0
		(cd fuzz && cargo +nightly fuzz run "$t" -- -max_total_time="$secs" ${TCR_FUZZ_RUNS:+-runs="$TCR_FUZZ_RUNS"} \
			-timeout=10 -print_final_stats=1) >"$log" 2>&1 || rc=$?
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
		corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
		crashes=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
		((rc == 0 && crashes == 0)) || failed=$((failed + 1))
		rows+=("$(printf '  %-22s %12s %8s %8s %8s  %s' "$t" "${runs:-?}" "${rate:-?}" "$corpus" "$crashes" \
			"$( ((rc == 0)) && echo ok || echo "FAILED (exit $rc, log $log)")")")
	done
	printf '\n== talk-call-rules fuzz summary (%ss per target) ==\n' "$secs"
	printf '  %-22s %12s %8s %8s %8s  %s\n' target executions exec/s corpus crashes result
	printf '%s\n' "${rows[@]}"
	((failed == 0)) || die "fuzz: $failed target(s) crashed; inputs in fuzz/artifacts/ (reproduce: cd fuzz && cargo +nightly fuzz run TARGET FILE)"
}

# ------------------------------------------------------------------------------------------------
# test: every stage, with a summary
# ------------------------------------------------------------------------------------------------

cmd_test() {
	mkdir -p "$ARTIFACTS"
	local names=() results=() times=() failed=0 t_all
	t_all=$(now_ms)

	stage() { # stage LABEL SLUG COMMAND... — runs in a child process so that `set -e` applies inside
		local label=$1 slug=$2 t0 rc=0
		shift 2
		printf '\n==> %s: %s\n' "$label" "$*" >&2
		t0=$(now_ms)
		"$@" 2>&1 | tee "$ARTIFACTS/$slug.log" || rc=$?
		names+=("$label")
		times+=("$(fmt_ms $(($(now_ms) - t0)))")
		if ((rc == 0)); then
			results+=("ok")
		else
			results+=("FAILED (exit $rc, log tests/artifacts/$slug.log)")
			failed=$((failed + 1))
		fi
		return "$rc"
	}
	summary() {
		printf '\n== talk-call-rules test summary ==\n'
		local i
		for i in "${!names[@]}"; do
			printf '  %-28s %-8s %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
		done
		if ((failed == 0)); then
			printf 'result: OK, %d stages passed in %s\n' "${#names[@]}" "$(fmt_ms $(($(now_ms) - t_all)))"
		else
			printf 'result: FAILED, %d of %d stages failed (%s)\n' "$failed" "${#names[@]}" "$(fmt_ms $(($(now_ms) - t_all)))"
		fi
	}

	if ! stage "setup" setup "$SELF" setup || ! stage "build (wasm + pkg)" build "$SELF" build; then
		summary
		exit 1
	fi
	export TCR_BUILT=1

	stage "cargo test (native)" cargo-test-native "$SELF" test-native || true
	stage "wasm tests in Node" wasm-node "$SELF" test-wasm-node || true
	stage "wasm tests in Chromium" wasm-chromium "$SELF" test-wasm-chromium || true
	stage "node --test tests/node/" node-test "$SELF" test-js || true
	stage "tsc --noEmit -p tests/ts" tsc "$SELF" test-ts || true
	stage "phpunit (PHP bridge)" phpunit "$SELF" test-php || true
	stage "playground e2e (Chromium)" playground-e2e "$SELF" test-playground || true
	local host vec=("$SHARED_VECTORS")
	[[ -d "$LOCAL_VECTORS" ]] && vec+=("$LOCAL_VECTORS")
	for host in native node chromium; do
		stage "vectors (${host})" "vectors-$host" "$SELF" vectors --host "$host" "${vec[@]}" || true
	done
	stage "vectors (php)" vectors-php "$SELF" vectors --host php "${vec[@]}" || true

	summary
	((failed == 0))
}

# ------------------------------------------------------------------------------------------------

main() {
	local cmd=${1:-}
	(($#)) && shift
	case "$cmd" in
	setup) cmd_setup ;;
	build) cmd_build ;;
	test) cmd_test ;;
	test-native) cmd_test_native ;;
	test-wasm-node) cmd_test_wasm_node ;;
	test-wasm-chromium) cmd_test_wasm_chromium ;;
	test-js) cmd_test_js ;;
	test-ts) cmd_test_ts ;;
	test-php) cmd_test_php ;;
	test-playground) cmd_test_playground "$@" ;;
	playground) cmd_playground "$@" ;;
	vectors) cmd_vectors "$@" ;;
	demo) ensure_built; node examples/demo.mjs "$@" ;;
	bench) ensure_built; node bench/bench.mjs "$@"; php "$ROOT/php/bench.php" ;;
	bench-limits) ensure_built; cargo run --quiet --release --example limits; node --expose-gc bench/limits.mjs "$@" ;;
	fuzz) cmd_fuzz "$@" ;;
	clean) rm -rf "$PKG" "$ARTIFACTS" ;;
	-h | --help | help) usage ;;
	"") usage >&2; exit 2 ;;
	*) echo "build.sh: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
	esac
}

main "$@"
