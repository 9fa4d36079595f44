// init(input) with every accepted kind of input, each in a fresh Node process (the module is a singleton).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { ROOT } from './files.mjs';

const bridge = pathToFileURL(resolve(ROOT, 'js', 'index.mjs')).href;
const wasmUrl = pathToFileURL(resolve(ROOT, 'pkg', 'talk_call_rules_bg.wasm')).href;

function run(body) {
	const script = `
		import { readFileSync } from 'node:fs';
		import * as b from ${JSON.stringify(bridge)};
		const wasmUrl = new URL(${JSON.stringify(wasmUrl)});
		const bytes = () => readFileSync(wasmUrl);
		const result = await (async () => { ${body} })();
		const v = b.isReady() ? b.version().talkApi : null;
		console.log(JSON.stringify({ result, ready: b.isReady(), v }));
	`;
	const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30000 });
	assert.equal(r.status, 0, r.stderr);
	return JSON.parse(r.stdout.trim().split('\n').pop());
}

const ok = { result: true, ready: true, v: 'v4' };

const cases = {
	'no input (Node reads ../pkg relative to the module)': 'return b.init();',
	'a file: URL': 'return b.init(wasmUrl);',
	'a path string': 'return b.init(wasmUrl.pathname);',
	'a Promise of a URL': 'return b.init(Promise.resolve(wasmUrl));',
	'a Buffer': 'return b.init(bytes());',
	'an ArrayBuffer': 'const u = new Uint8Array(bytes()); return b.init(u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength));',
	'a Uint8Array': 'return b.init(new Uint8Array(bytes()));',
	'a WebAssembly.Module': 'return b.init(new WebAssembly.Module(bytes()));',
	'a Response with application/wasm': "return b.init(new Response(bytes(), { headers: { 'Content-Type': 'application/wasm' } }));",
	'a Response with a wrong MIME type (falls back)': "console.warn = () => {}; return b.init(new Response(bytes(), { headers: { 'Content-Type': 'text/plain' } }));",
	'initSync(bytes)': 'return b.initSync(bytes());',
	'initSync(WebAssembly.Module)': 'return b.initSync(new WebAssembly.Module(bytes()));',
	'initSync() (Node reads the default file)': 'return b.initSync();',
	'a failed init, then a good one': "const first = await b.init(new Uint8Array(4)); return first === false && await b.init();",
};

for (const [name, body] of Object.entries(cases)) {
	test(`init: ${name}`, () => {
		assert.deepEqual(run(body), ok);
	});
}

test('init: a 404 Response resolves false', () => {
	assert.deepEqual(run("return b.init(new Response('nope', { status: 404 }));"), { result: false, ready: false, v: null });
});
