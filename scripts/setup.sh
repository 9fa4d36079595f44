#!/usr/bin/env bash
# Installs what is missing, idempotently and fast when present. Registries only (crates.io, npm,
# Debian, rustup targets); nothing else is downloaded.
#   scripts/setup.sh                 everything
#   scripts/setup.sh rust node ...   only these parts: rust (wasm32 target, wasm-bindgen CLI),
#                                    wasm-pack, browser (chromium + chromium-driver), node (npm ci),
#                                    php (php-cli, phpunit, php-sqlite3, php-fpm, the bridge's runtime library),
#                                    db (PostgreSQL, MariaDB and PHP's pdo_pgsql/pdo_mysql for the storage tests)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# The wasm-bindgen version pinned in Cargo.toml (`wasm-bindgen = "=X.Y.Z"`); the CLI must match it.
wasm_bindgen_version() {
	local v
	v=$(sed -n -E 's/^[[:space:]]*wasm-bindgen[[:space:]]*=[[:space:]]*(\{[^}]*version[[:space:]]*=[[:space:]]*)?"=?([0-9]+\.[0-9]+\.[0-9]+)".*/\2/p' Cargo.toml | head -n 1)
	printf '%s\n' "${v:-0.2.130}"
}

setup_rust() {
	command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust with rustup first)"
	command -v rustup >/dev/null 2>&1 || die "rustup not found"
	if ! rustup target list --installed | grep -qx "$TARGET"; then
		log "adding the Rust target $TARGET"
		rustup target add "$TARGET"
	fi
	local c
	for c in clippy rustfmt; do
		if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
			log "adding the rustup component $c"
			rustup component add "$c"
		fi
	done
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
		log "npm ci (node_modules missing or stale)"
		npm ci --no-audit --no-fund
		printf '%s\n' "$want" >node_modules/.tcr-deps
	fi
	[[ -x node_modules/.bin/wasm-opt ]] || die "node_modules/.bin/wasm-opt missing (npm binaryen)"
}

setup_php() { "$ROOT/php/build-runtime.sh" >/dev/null; }

# The storage tests' database servers (started by the php stage itself, scripts/databases.sh) and
# PHP's PDO drivers for them. Debian's packages; apt-get update only when something is missing.
setup_db() {
	local need=()
	pg_bindir >/dev/null 2>&1 || need+=(postgresql)
	command -v mariadbd >/dev/null 2>&1 && command -v mariadb-install-db >/dev/null 2>&1 \
		&& command -v mariadb-admin >/dev/null 2>&1 || need+=(mariadb-server mariadb-client)
	php -r 'exit(extension_loaded("pdo_pgsql") ? 0 : 1);' 2>/dev/null || need+=(php-pgsql)
	php -r 'exit(extension_loaded("pdo_mysql") ? 0 : 1);' 2>/dev/null || need+=(php-mysql)
	if ((${#need[@]})); then
		log "installing Debian ${need[*]}"
		# policy-rc.d 101: the packages must not start (or try to start) system instances; the
		# test stage starts its own, in a directory of its own.
		local policy=/usr/sbin/policy-rc.d added=0
		if [[ ! -e "$policy" ]]; then
			printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
			as_root chmod 755 "$policy"
			added=1
		fi
		local rc=0
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >&2 \
			|| { as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2 \
				&& as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >&2; } \
			|| rc=$?
		((added)) && as_root rm -f "$policy"
		((rc == 0)) || die "setup db: apt-get install ${need[*]} failed"
	fi
	pg_bindir >/dev/null || die "setup db: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/postgres)"
}

parts=("$@")
((${#parts[@]})) || parts=(rust wasm-pack browser node php db)
for p in "${parts[@]}"; do
	case "$p" in
	rust) setup_rust ;;
	wasm-pack) setup_wasm_pack ;;
	browser) setup_browser ;;
	node) setup_node ;;
	php) setup_php ;;
	db) setup_db ;;
	*) die "setup: unknown part '$p' (rust, wasm-pack, browser, node, php, db)" ;;
	esac
done
if ((${#parts[@]} == 6)); then
	log "setup: rustc $(rustc --version | awk '{print $2}'), $(wasm-bindgen --version), $(wasm-pack --version)," \
		"node $(node --version), wasm-opt $(node_modules/.bin/wasm-opt --version | awk '{print $3}'), $(chromium --version 2>/dev/null | head -n 1), $(php -r 'echo "php ", PHP_VERSION;')"
fi
