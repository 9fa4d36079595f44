#!/usr/bin/env bash
# scripts/playground.sh [PORT]: builds if needed, then serves the repository root on
# http://127.0.0.1:PORT/ (default 8080, a free port when 8080 is taken and no PORT was given) and prints
# the playground URL. Stays in the foreground until Ctrl-C. HOST=0.0.0.0 listens on all interfaces.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

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

cmd_playground "$@"
