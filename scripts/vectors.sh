#!/usr/bin/env bash
# scripts/vectors.sh --host native|node|chromium|php [PATH...]
# Runs conformance vector files or folders on one host and judges them with the one matcher:
# the host's driver runs every step through its own bridge and writes a transcript
# (target/transcripts/HOST.jsonl), then `cargo xtask check` compares it with the vectors.
# Without PATH: the default set (`cargo xtask vector-files`: the vendored public vectors, or
# ../shared/vectors when that is newer, and tests/vectors). One line per failing case, then exactly
# "N passed, M failed"; exit 0 only when M is 0, 2 when the host is not available.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
caller_pwd=$PWD
cd "$ROOT"

host="" paths=()
while (($#)); do
	case "$1" in
	--host) host=${2:-}; shift 2 || { echo "usage: scripts/vectors.sh --host HOST [PATH...]" >&2; exit 2; } ;;
	--host=*) host=${1#--host=}; shift ;;
	*) paths+=("$1"); shift ;;
	esac
done
[[ "$host" =~ ^(native|node|chromium|php)$ ]] || { echo "usage: ./build.sh vectors --host native|node|chromium|php [PATH...]" >&2; exit 2; }
# Paths relative to the caller's folder become relative to the repository (every host runs from there).
rel=()
for p in ${paths[@]+"${paths[@]}"}; do
	[[ "$p" == /* ]] || p="$caller_pwd/$p"
	[[ -e "$p" ]] || { echo "vectors: no such file or folder: $p" >&2; exit 2; }
	rel+=("$(realpath -m --relative-to="$ROOT" "$p")")
done
mapfile -t files < <(cargo xtask vector-files ${rel[@]+"${rel[@]}"})
((${#files[@]})) || { echo "vectors: no vector files" >&2; exit 2; }

if [[ "$host" == native ]]; then
	exec cargo xtask native "${files[@]}"
fi
mkdir -p "$TRANSCRIPTS"
transcript="$TRANSCRIPTS/$host.jsonl"
rc=0
case "$host" in
node) ensure_built; node tests/drivers/node.mjs "${files[@]}" >"$transcript" || rc=$? ;;
chromium) "$ROOT/scripts/setup.sh" browser; ensure_built; node tests/browser/run-chromium.mjs "${files[@]}" >"$transcript" || rc=$? ;;
php)
	if ! command -v php >/dev/null 2>&1; then
		echo "vectors: php is not installed (./build.sh setup installs php-cli and the bridge runtime); nothing was run." >&2
		exit 2
	fi
	ensure_built
	php php/tests/drive-vectors.php "${files[@]}" >"$transcript" || rc=$?
	;;
esac
if ((rc == 2)); then
	exit 2 # the host could not run (it said why)
fi
cargo xtask check --transcript "$transcript" "${files[@]}" || exit $?
((rc == 0)) || { echo "vectors: the $host driver exited with $rc (see above)" >&2; exit 1; }
