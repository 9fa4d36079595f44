# Shared by build.sh and scripts/*.sh (sourced, not run): paths, logging, small helpers.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CRATE_FILE=talk_call_rules                      # the crate `talk-call-rules` as a file name
TARGET=wasm32-unknown-unknown
CARGO_WASM="$ROOT/target/$TARGET/release/$CRATE_FILE.wasm"
PKG="$ROOT/pkg"
PKG_WASM="$PKG/${CRATE_FILE}_bg.wasm"           # the OPTIMISED module every test and host uses
PKG_JS="$PKG/$CRATE_FILE.js"
STAMP="$PKG/.build-stamp"
ARTIFACTS="$ROOT/tests/artifacts"
TRANSCRIPTS="$ROOT/target/transcripts"
WASM_PACK_VERSION=0.15.1
CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CHROMEDRIVER

if [[ -d "$HOME/.cargo/bin" && ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
	export PATH="$HOME/.cargo/bin:$PATH"
fi

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

# Builds pkg/ unless a stage runner already did in this run (TCR_BUILT=1).
ensure_built() {
	if [[ "${TCR_BUILT:-}" == 1 && -f "$STAMP" ]]; then
		return 0
	fi
	"$ROOT/scripts/build-wasm.sh" >&2
}

# The newest PostgreSQL server's binaries (Debian: /usr/lib/postgresql/<version>/bin); fails when none.
pg_bindir() {
	local d
	while read -r d; do
		[[ -x "$d/postgres" && -x "$d/initdb" && -x "$d/pg_ctl" ]] && { printf '%s\n' "$d"; return 0; }
	done < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -V -r)
	return 1
}

# Runs a command with PostgreSQL and MariaDB started in a folder of their own (scripts/databases.sh),
# their DSNs exported, and both stopped when the stage ends, also on failure.
with_databases() {
	"$ROOT/scripts/setup.sh" db >&2
	local base=${TMPDIR:-/tmp} dir
	[[ -d /dev/shm && -w /dev/shm ]] && base=/dev/shm
	dir=$(mktemp -d "$base/tcr-db.XXXXXX")
	# shellcheck disable=SC2064 # expanded now: $dir is gone when the trap runs
	trap "$(printf '%q stop %q' "$ROOT/scripts/databases.sh" "$dir")" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	"$ROOT/scripts/databases.sh" start "$dir"
	# shellcheck source=/dev/null
	source "$dir/env"
	TCR_REQUIRE_DATABASES=1 "$@"
}
