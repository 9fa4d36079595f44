#!/usr/bin/env bash
# cargo build (release, wasm32) -> wasm-bindgen --target web -> wasm-opt (npm binaryen@132) in place
# as pkg/talk_call_rules_bg.wasm, then checks that the optimised module instantiates and answers.
# Skips wasm-bindgen and wasm-opt when cargo's output is unchanged.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

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

verify_pkg() {
	# The optimised module must compile, instantiate through the bridge and answer.
	node --input-type=module -e "
		import { initSync, versionJson, evaluateJson } from './js/index.mjs';
		import * as glue from './pkg/$CRATE_FILE.js';
		if (typeof glue.__wbg_reset_state !== 'function') { console.error('glue lacks __wbg_reset_state'); process.exit(1); }
		if (!initSync()) { console.error('the optimised module does not instantiate'); process.exit(1); }
		const v = JSON.parse(versionJson());
		const o = JSON.parse(evaluateJson('{}', '{}'));
		if (typeof o.status !== 'number') { console.error('evaluateJson answered', o); process.exit(1); }
		console.error('build.sh: pkg/ OK: ' + v.crate + ' ' + v.version + ', talkApi ' + v.talkApi + ', abi ' + v.abi);
	"
}

"$ROOT/scripts/setup.sh" rust node
cargo build --release --target "$TARGET" -p talk-call-rules --lib
[[ -f "$CARGO_WASM" ]] || die "$CARGO_WASM was not produced"
key="$(sha256sum "$CARGO_WASM" | cut -d' ' -f1) wasm-bindgen=$(wasm-bindgen --version | awk '{print $2}') wasm-opt=${WASM_OPT_FLAGS[*]}"
# The stamp also records what this script wrote into pkg/: a pkg/ made by `wasm-pack build`
# (not optimised, no __wbg_reset_state) from the same cargo output is built again.
pkg_sums() { sha256sum "$PKG_WASM" "$PKG_JS" 2>/dev/null | cut -d' ' -f1 | tr '\n' ' '; }
if [[ -f "$STAMP" && -f "$PKG_WASM" && -f "$PKG_JS" && "$(cat "$STAMP")" == "$key pkg=$(pkg_sums)" ]]; then
	log "pkg/ is up to date"
	exit 0
fi
rm -f "$STAMP"
t0=$(now_ms)
# --target web: spreed loads the .wasm as a URL asset.
# --experimental-reset-state-function: lets js/index.mjs re-instantiate after a trap.
wasm-bindgen --target web --experimental-reset-state-function --out-dir "$PKG" "$CARGO_WASM"
raw_bg=$(stat -c %s "$PKG_WASM")
node_modules/.bin/wasm-opt "${WASM_OPT_FLAGS[@]}" "$PKG_WASM" -o "$PKG_WASM.opt"
mv -f "$PKG_WASM.opt" "$PKG_WASM"
verify_pkg
printf '%s\n' "$key pkg=$(pkg_sums)" >"$STAMP"
log "sizes: cargo $(stat -c %s "$CARGO_WASM") B -> wasm-bindgen $raw_bg B -> wasm-opt $(stat -c %s "$PKG_WASM") B" \
	"($(gzip -9 -c "$PKG_WASM" | wc -c) B gzip -9); $(fmt_ms $(($(now_ms) - t0))) for bindgen+opt"
