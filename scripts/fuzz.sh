#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...]: cargo-fuzz (nightly, libFuzzer + AddressSanitizer; installs
# cargo-fuzz if missing): seeds fuzz/corpus/ from the vectors (fuzz/make-corpus.py), then runs each
# target (default: all) for SECONDS (default 60) and prints executions, exec/s, corpus size and crashes
# per target. TCR_FUZZ_RUNS caps the executions per target. Logs: fuzz/logs/; crashes: fuzz/artifacts/.
# Not part of `test` (the saved inputs are: tests/fuzz_regressions.rs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

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
	mapfile -t vector_files < <(cargo xtask vector-files)
	python3 fuzz/make-corpus.py "${vector_files[@]}"
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

cmd_fuzz "$@"
