// rulesStatus(): whether the rules run, and when they do not, why and what fixes it; the one
// warning of a page whose Content-Security-Policy blocks the module. Each test runs in a fresh Node
// process (the module is a singleton). The browsers' own wording of a blocked compilation is
// replayed here; tests/browser/csp.e2e.mjs sees the real one in Chromium under Nextcloud's policy.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { ROOT } from './files.mjs';

const bridge = pathToFileURL(resolve(ROOT, 'js', 'index.mjs')).href;
const wasmUrl = pathToFileURL(resolve(ROOT, 'pkg', 'talk_call_rules_bg.wasm')).href;

/** Runs `body` (an async function body) in a fresh process; resolves what it returns, and the warnings. */
function run(body, { prelude = '' } = {}) {
	const script = `
		await new Response(new Uint8Array(1)).arrayBuffer(); // Node's fetch compiles its own wasm on first use
		${prelude}
		const { readFileSync } = await import('node:fs');
		const b = await import(${JSON.stringify(bridge)});
		const bytes = () => readFileSync(new URL(${JSON.stringify(wasmUrl)}));
		const warnings = [];
		console.warn = (...args) => warnings.push(args.map(String).join(' '));
		const result = await (async () => { ${body} })();
		process.stdout.write(JSON.stringify({ result, warnings }) + '\\n');
	`;
	const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30000 });
	assert.equal(r.status, 0, r.stderr);
	return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** The words the fix of a blocked module must carry. */
function assertNamesTheFix(text) {
	for (const word of ["'wasm-unsafe-eval'", 'script-src', 'allowEvalWasm(true)', 'docs/csp.md']) {
		assert.ok(text.includes(word), `${JSON.stringify(text)} does not name ${word}`);
	}
}

// How browsers word a compilation their page's policy refuses.
const CHROMIUM = 'WebAssembly.compileStreaming(): Compiling or instantiating WebAssembly module violates the following '
	+ "Content Security policy directive because 'unsafe-eval' is not an allowed source of script in the following "
	+ "Content Security Policy directive: \"script-src 'nonce-abc' blob:\".";
const FIREFOX = 'call to WebAssembly.compile() blocked by CSP';
const WEBKIT = "Refused to create a WebAssembly object because 'unsafe-eval' or 'wasm-unsafe-eval' is not an allowed "
	+ "source of script in the following Content Security Policy directive: \"script-src 'self'\"";

/** Makes every WebAssembly compilation fail as `Kind` with `message` (until `unblock()`). */
const block = (kind, message) => `
	const saved = [WebAssembly.compile, WebAssembly.compileStreaming];
	const refuse = async () => { throw new ${kind}(${JSON.stringify(message)}); };
	WebAssembly.compile = refuse;
	WebAssembly.compileStreaming = refuse;
	const unblock = () => { [WebAssembly.compile, WebAssembly.compileStreaming] = saved; };
`;

test('rulesStatus: not-loaded, then loading, then ready', () => {
	const { result, warnings } = run(`
		const before = b.rulesStatus();
		const p = b.init();
		const during = b.rulesStatus();
		const ok = await p;
		const after = b.rulesStatus();
		return { before, during, ok, after, frozen: Object.isFrozen(after), fresh: b.rulesStatus() !== after };
	`);
	const quiet = { reason: null, detail: null, fix: null };
	assert.deepEqual(result.before, { state: 'not-loaded', ...quiet });
	assert.deepEqual(result.during, { state: 'loading', ...quiet });
	assert.equal(result.ok, true);
	assert.deepEqual(result.after, { state: 'ready', ...quiet });
	assert.equal(result.frozen, true);
	assert.equal(result.fresh, true);
	assert.deepEqual(warnings, []);
});

test('rulesStatus: each failed load says why, with the error as detail and a fix; no warning', () => {
	const { result, warnings } = run(`
		const out = {};
		const cases = {
			'fetch-failed': () => b.init(new Response('nope', { status: 404, statusText: 'Not Found' })),
			'fetch-failed (a missing file)': () => b.init('/nonexistent/talk_call_rules_bg.wasm'),
			'compile-failed': () => b.init(new Uint8Array(4)),
			// A valid module with no exports: WebAssembly, but not this package's.
			'wrong-module': () => b.init(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])),
			'unsupported-input': () => b.init(42),
			'initSync compile-failed': () => b.initSync(new Uint8Array(4)),
			'initSync wrong-module': () => b.initSync(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])),
			'initSync unsupported-input': () => b.initSync('not bytes'),
		};
		for (const [name, load] of Object.entries(cases)) {
			const ok = await load();
			const s = b.rulesStatus();
			out[name] = { ok, ...s, sameAsLastLoadError: s.detail === b.lastLoadError().message };
		}
		return out;
	`);
	for (const [name, s] of Object.entries(result)) {
		const reason = name.replace(/^initSync /, '').replace(/ \(.*\)$/, '');
		assert.equal(s.ok, false, name);
		assert.equal(s.state, 'unavailable', name);
		assert.equal(s.reason, reason, name);
		assert.equal(s.sameAsLastLoadError, true, `${name}: detail is lastLoadError().message`);
		assert.equal(typeof s.fix, 'string', name);
		assert.ok(s.fix.length > 20, name);
		assert.ok(!s.fix.includes("'wasm-unsafe-eval'"), `${name}: not a policy problem`);
	}
	assert.match(result['fetch-failed'].detail, /404/);
	assert.deepEqual(warnings, [], 'only a blocked module warns');
});

for (const [browser, kind, message] of [['Chromium', 'WebAssembly.CompileError', CHROMIUM], ['Firefox', 'WebAssembly.CompileError', FIREFOX], ['WebKit', 'EvalError', WEBKIT]]) {
	test(`rulesStatus: a compilation the page's policy refuses (${browser}'s wording) is csp-blocked, with one warning naming the fix`, () => {
		const { result, warnings } = run(`
			${block(kind, message)}
			const first = await b.init(new Uint8Array(8));
			const status = b.rulesStatus();
			const error = b.lastLoadError();
			const retried = await b.init(new Uint8Array(8));
			const url = await b.init(new Response(bytes(), { headers: { 'Content-Type': 'application/wasm' } }));
			unblock();
			const fixed = await b.init();
			return { first, retried, url, status, errorName: error.name, fixed, after: b.rulesStatus() };
		`);
		assert.equal(result.first, false);
		assert.equal(result.retried, false);
		assert.equal(result.url, false);
		assert.equal(result.status.state, 'unavailable');
		assert.equal(result.status.reason, 'csp-blocked');
		assert.equal(result.status.detail, message);
		assertNamesTheFix(result.status.fix);
		assert.equal(result.errorName, kind.replace('WebAssembly.', ''));
		assert.equal(warnings.length, 1, `one warning for three refused loads: ${JSON.stringify(warnings)}`);
		assert.ok(warnings[0].startsWith('talk-call-rules: '), warnings[0]);
		assert.ok(warnings[0].includes('Content-Security-Policy'), warnings[0]);
		assertNamesTheFix(warnings[0]);
		assert.equal(result.fixed, true, 'a later init() loads once the policy allows it');
		assert.deepEqual(result.after, { state: 'ready', reason: null, detail: null, fix: null });
	});
}

test('rulesStatus: a refused compilation of a Response with a wrong MIME type warns about the policy only', () => {
	const { result, warnings } = run(`
		${block('WebAssembly.CompileError', CHROMIUM)}
		const ok = await b.init(new Response(bytes(), { headers: { 'Content-Type': 'application/octet-stream' } }));
		return { ok, reason: b.rulesStatus().reason };
	`);
	assert.deepEqual(result, { ok: false, reason: 'csp-blocked' });
	assert.equal(warnings.length, 1, JSON.stringify(warnings));
	assert.ok(!/application\/wasm/.test(warnings[0]), 'no MIME warning for a blocked module');
});

test("rulesStatus: in a browser, the page's securitypolicyviolation report makes a compile failure csp-blocked", () => {
	// A browser whose error does not name the policy: the report (which may arrive later) does.
	const { result, warnings } = run(`
		${block('WebAssembly.CompileError', 'WebAssembly.compile(): aborted')}
		const before = await b.init(new Uint8Array(8));
		const unnamed = b.rulesStatus().reason;
		globalThis.dispatchReport({ blockedURI: 'wasm-eval', effectiveDirective: 'script-src' });
		const after = b.rulesStatus();
		globalThis.dispatchReport({ blockedURI: 'wasm-eval', effectiveDirective: 'script-src' });
		return { before, unnamed, after, listeners: globalThis.listenerCount };
	`, {
		prelude: `
			// Looks like a page: no process.versions.node, an EventTarget global.
			Object.defineProperty(process.versions, 'node', { value: undefined });
			const listeners = [];
			globalThis.addEventListener = (type, fn) => { if (type === 'securitypolicyviolation') listeners.push(fn); };
			globalThis.dispatchReport = (e) => listeners.forEach((fn) => fn(e));
			Object.defineProperty(globalThis, 'listenerCount', { get: () => listeners.length });
		`,
	});
	assert.equal(result.before, false);
	assert.equal(result.unnamed, 'compile-failed');
	assert.equal(result.after.reason, 'csp-blocked');
	assert.equal(result.after.detail, 'WebAssembly.compile(): aborted');
	assertNamesTheFix(result.after.fix);
	assert.equal(result.listeners, 1);
	assert.equal(warnings.length, 1, JSON.stringify(warnings));
	assertNamesTheFix(warnings[0]);
});

test('rulesStatus: no WebAssembly in the environment', () => {
	const { result } = run(`
		const saved = globalThis.WebAssembly;
		delete globalThis.WebAssembly;
		const ok = await b.init(new Uint8Array(8));
		const s = b.rulesStatus();
		globalThis.WebAssembly = saved;
		return { ok, s };
	`);
	assert.equal(result.ok, false);
	assert.equal(result.s.state, 'unavailable');
	assert.equal(result.s.reason, 'no-webassembly');
	assert.equal(typeof result.s.fix, 'string');
});

test('rulesStatus: trapped after a crash, ready again after init()', () => {
	const { result } = run(`
		await b.init();
		new Uint8Array(b.wasmExports().memory.buffer).fill(0xff);
		try { b.versionJson(); } catch {}
		const trapped = b.rulesStatus();
		const ok = await b.init();
		return { trapped, ok, after: b.rulesStatus() };
	`);
	assert.equal(result.trapped.state, 'trapped');
	assert.equal(result.trapped.reason, null);
	assert.equal(typeof result.trapped.detail, 'string');
	assert.match(result.trapped.fix, /init\(\)/);
	assert.equal(result.ok, true);
	assert.equal(result.after.state, 'ready');
});
