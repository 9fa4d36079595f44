// Tiny static file server for the browser tests (no dependencies).
// Serves the repository root at "/" and any extra folders at their own prefixes, with the right
// MIME types (application/wasm for .wasm, so that WebAssembly.compileStreaming works).
//
// As a script: node tests/browser/serve.mjs [port]   (serves the repository)
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const MIME = {
	'.wasm': 'application/wasm',
	'.mjs': 'text/javascript; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.json': 'application/json; charset=utf-8',
	'.html': 'text/html; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.ts': 'text/plain; charset=utf-8',
	'.md': 'text/plain; charset=utf-8',
	'.map': 'application/json; charset=utf-8',
	'.png': 'image/png',
	'.svg': 'image/svg+xml',
};

/**
 * @param {{ mounts?: Record<string, string>, port?: number, host?: string }} [options]
 *   mounts: URL prefix ("/x/") -> folder; "/" -> the repository root unless given.
 * @returns {Promise<{ url: string, server: import('node:http').Server, close: () => Promise<void> }>}
 */
export function startServer(options = {}) {
	const mounts = Object.entries({ '/': ROOT, ...(options.mounts || {}) })
		.map(([prefix, dir]) => [prefix.endsWith('/') ? prefix : `${prefix}/`, resolve(dir)])
		.sort((a, b) => b[0].length - a[0].length);
	const server = createServer((req, res) => {
		let pathname;
		try {
			pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
		} catch {
			res.writeHead(400).end();
			return;
		}
		if (req.method !== 'GET' && req.method !== 'HEAD') {
			res.writeHead(405).end();
			return;
		}
		const mount = mounts.find(([prefix]) => pathname.startsWith(prefix));
		if (!mount) {
			res.writeHead(404).end();
			return;
		}
		const [prefix, dir] = mount;
		const target = normalize(join(dir, pathname.slice(prefix.length)));
		if (target !== dir && !target.startsWith(dir + sep)) {
			res.writeHead(403).end();
			return;
		}
		let st;
		let file = target;
		try {
			st = statSync(file);
			if (st.isDirectory()) {
				// A folder answers with its index.html (the playground at /playground/).
				if (!pathname.endsWith('/')) {
					res.writeHead(301, { Location: `${pathname}/` }).end();
					return;
				}
				file = join(file, 'index.html');
				st = statSync(file);
			}
		} catch {
			res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${pathname}`);
			return;
		}
		if (!st.isFile()) {
			res.writeHead(404).end();
			return;
		}
		res.writeHead(200, {
			'Content-Type': MIME[extname(file)] || 'application/octet-stream',
			'Content-Length': st.size,
			'Cache-Control': 'no-store',
		});
		if (req.method === 'HEAD') {
			res.end();
			return;
		}
		createReadStream(file).pipe(res);
	});
	return new Promise((resolvePromise, reject) => {
		server.once('error', reject);
		// Port 0: the OS picks a free port (no collision with a leftover server).
		server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
			const { address, port } = server.address();
			resolvePromise({
				url: `http://${address}:${port}`,
				server,
				close: () => new Promise((r) => {
					server.closeAllConnections?.();
					server.close(() => r());
				}),
			});
		});
	});
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
	const port = Number(process.argv[2] || 0);
	const { url } = await startServer({ port });
	console.log(`serving ${ROOT} at ${url}/`);
	console.log(`demo page: ${url}/tests/browser/index.html`);
	console.log(`playground: ${url}/playground/`);
}
