#!/usr/bin/env bash
# scripts/test.sh            every stage, with a summary (what CI runs through ./build.sh test)
# scripts/test.sh STAGE...   only these stages (names below); setup and build run first either way
#
# Each conformance vector file is judged once per host per run: natively inside `cargo test`
# (xtask's native host), and by the node, chromium and php vector stages. Logs: tests/artifacts/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# ---- stages ------------------------------------------------------------------------------------

stage_lint() {
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p talk-call-rules --target "$TARGET" --lib --tests -- -D warnings
	# The crate as its users build it (without the feature `internals`, which the workspace's tools
	# and the tests turn on): no dead code, and every public item documented (#![deny(missing_docs)]),
	# with no broken or private intra-doc link.
	cargo clippy -p talk-call-rules --lib -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc -p talk-call-rules --no-deps --quiet
	cargo xtask lint
	node tests/support/import-cycles.mjs js playground bench examples
	log "lint: rustfmt, clippy (native and wasm32), rustdoc, citations and links, JS import cycles are clean"
}

# Fails unless the wasm-bindgen test runner output in $1 reports "test result: ok. N passed" with
# N > 0 (wasm-pack test exits 0 even when it ran nothing).
require_tests_ran() {
	local out=$1 what=$2 n
	n=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$out" | awk '{s += $4} END {print s + 0}')
	grep -Eq 'test result: FAILED' "$out" && die "$what: failures"
	((n > 0)) || die "$what: the runner executed no tests (expected 'test result: ok. N passed' with N > 0)"
	log "$what: $n tests passed"
}

stage_cargo_test() { cargo test --workspace; }

stage_wasm_node() {
	local out
	out=$(mktemp)
	cargo test -p talk-call-rules --target "$TARGET" --test node 2>&1 | tee "$out"
	require_tests_ran "$out" "wasm-bindgen tests in Node"
	rm -f "$out"
}

stage_wasm_chromium() {
	"$ROOT/scripts/setup.sh" wasm-pack browser
	local out
	out=$(mktemp)
	CHROMEDRIVER="$CHROMEDRIVER" WASM_BINDGEN_USE_BROWSER=1 \
		wasm-pack test --headless --chrome -- --test web 2>&1 | tee "$out"
	grep -q 'Running headless tests in Chrome' "$out" || die "wasm-pack did not run the tests in headless Chrome"
	require_tests_ran "$out" "wasm-bindgen tests in headless Chromium"
	rm -f "$out"
}

stage_node() { ensure_built; npm run --silent test:node; }
stage_types() { ensure_built; npm run --silent test:types; }
# PHPUnit with the storage tests on SQLite, PostgreSQL and MariaDB: the two servers run for this
# stage only (scripts/databases.sh), in a directory of their own (on tmpfs when there is one),
# reachable through unix sockets in it, and are stopped when the stage ends, failed or not.
stage_php() { ensure_built; with_databases "$ROOT/php/run-tests.sh" "$@"; }
# 20 PHP processes x 50 join/leave rounds on one conversation through CallStore, per database.
stage_stress() { ensure_built; with_databases php "$ROOT/php/tests/call-store-stress.php" "$@"; }
stage_playground() { "$ROOT/scripts/setup.sh" browser >&2; ensure_built; npm run --silent test:playground -- "$@"; }
stage_bundlers() { "$ROOT/scripts/setup.sh" browser >&2; ensure_built; npm run --silent test:bundlers; }
stage_csp() { "$ROOT/scripts/setup.sh" browser >&2; ensure_built; npm run --silent test:csp; }
stage_vectors_node() { "$ROOT/scripts/vectors.sh" --host node; }
stage_vectors_chromium() { "$ROOT/scripts/vectors.sh" --host chromium; }
stage_vectors_php() { "$ROOT/scripts/vectors.sh" --host php; }

# name | label | function — the order they run in.
STAGES=(
	"lint|rustfmt + clippy -D warnings|stage_lint"
	"cargo-test|cargo test (native, vectors)|stage_cargo_test"
	"wasm-node|wasm tests in Node|stage_wasm_node"
	"wasm-chromium|wasm tests in Chromium|stage_wasm_chromium"
	"node|node --test tests/node/|stage_node"
	"types|tsc (types, real outputs)|stage_types"
	"php|phpunit (PHP bridge)|stage_php"
	"stress|CallStore under 20 processes (SQLite, PostgreSQL, MariaDB)|stage_stress"
	"playground|playground e2e (Chromium)|stage_playground"
	"bundlers|bundlers (webpack, Vite, tsc)|stage_bundlers"
	"csp|Nextcloud CSP (Chromium)|stage_csp"
	"vectors-node|vectors (node)|stage_vectors_node"
	"vectors-chromium|vectors (chromium)|stage_vectors_chromium"
	"vectors-php|vectors (php)|stage_vectors_php"
)

# A single stage called directly (`./build.sh test-STAGE`): run it in the foreground.
if [[ "${1:-}" == --only ]]; then
	shift
	name=$1
	shift
	for s in "${STAGES[@]}"; do
		IFS='|' read -r n _ fn <<<"$s"
		if [[ "$n" == "$name" ]]; then
			"$fn" "$@"
			exit
		fi
	done
	die "unknown stage '$name'"
fi

# ---- the run with a summary --------------------------------------------------------------------

mkdir -p "$ARTIFACTS"
names=() results=() times=() failed=0
t_all=$(now_ms)

stage() { # stage LABEL SLUG COMMAND... — in a child process, so that `set -e` applies inside
	local label=$1 slug=$2 t0 rc=0
	shift 2
	printf '\n==> %s\n' "$label" >&2
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
		printf '  %-30s %-8s %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
	done
	if ((failed == 0)); then
		printf 'result: OK, %d stages passed in %s\n' "${#names[@]}" "$(fmt_ms $(($(now_ms) - t_all)))"
	else
		printf 'result: FAILED, %d of %d stages failed (%s)\n' "$failed" "${#names[@]}" "$(fmt_ms $(($(now_ms) - t_all)))"
	fi
}

wanted=("$@")
if ! stage "setup" setup "$ROOT/scripts/setup.sh" || ! stage "build (wasm + pkg)" build "$ROOT/scripts/build-wasm.sh"; then
	summary
	exit 1
fi
export TCR_BUILT=1
# Tell when the shared vectors beside the repository are newer than the vendored copy.
cargo xtask sync-vectors >&2 || true
for s in "${STAGES[@]}"; do
	IFS='|' read -r n label _ <<<"$s"
	if ((${#wanted[@]})) && [[ " ${wanted[*]} " != *" $n "* ]]; then
		continue
	fi
	stage "$label" "$n" "$0" --only "$n" || true
done
summary
((failed == 0))
