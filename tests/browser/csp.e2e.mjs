#!/usr/bin/env node
// Usage: node tests/browser/csp.e2e.mjs      (after ./build.sh build; ./build.sh setup for Chromium)
//
// The bundled frontend app under the Content-Security-Policy of a Nextcloud 28 server with Talk 18,
// in headless Chromium. The policies are built as the server builds them and written out in full in
// tests/browser/csp/nextcloud28.mjs, with the server and Talk files each part comes from. Every
// page of a Talk 18 install that runs the call UI is served twice, both times with a fresh nonce:
//   * as Nextcloud 28 sends it (no 'wasm-unsafe-eval'): init() resolves false, lastLoadError()
//     names the policy, rulesStatus() says 'csp-blocked' with the fix, the bridge logs exactly one
//     warning naming the fix (a retry logs none), the .wasm itself was fetched (the policy, not the
//     network, is the cause) and the browser reported the refused WebAssembly compilation;
//   * with the opt-in of docs/csp.md: init() resolves true, nothing is refused or logged, and the
//     conformance vectors run in that page through the bundled bridge and the JS driver
//     (tests/drivers/driver.mjs), judged by the one matcher, `cargo xtask check`.
// Talk's main page is also served as to a browser the server gives no nonce.
//
// The app (tests/browser/csp/app/) is built like the bundler test's webpack app: `npm pack` of the
// repository installed into it, webpack 5 from the bundler test's pinned tools with its spreed-shaped
// configuration. Work folder: target/csp/ (TCR_CSP_WORK); the tools: target/bundler/tools/
// (TCR_BUNDLER_WORK), installed with `npm ci` when missing. Transcripts: target/transcripts/csp-*.jsonl.
// Prints "ok - NAME" / "FAIL - NAME: why" per check and ends with exactly "N passed, M failed".
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { delimiter, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TIMEOUT_MS, EXECUTABLE, launchChromium } from './chromium.mjs';
import {
	EXPECTED, EXPECTED_WITHOUT_NONCE, PAGES, freshNonce, policyFor,
} from './csp/nextcloud28.mjs';
import { commandRunner, installPinnedTools, missingPrerequisites } from '../support/commands.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const WORK = resolve(process.env.TCR_CSP_WORK || join(ROOT, 'target', 'csp'));
const TOOLS = join(resolve(process.env.TCR_BUNDLER_WORK || join(ROOT, 'target', 'bundler')), 'tools');
const APP = join(WORK, 'app');
const PACK = join(WORK, 'pack');
const LOGS = join(WORK, 'logs');
const TRANSCRIPTS = join(ROOT, 'target', 'transcripts');
const PACKAGE = 'talk-call-rules';
/** The whole run (a first run installs webpack and builds the app) may take this long. */
const RUN_TIMEOUT_MS = Number(process.env.TCR_CSP_TIMEOUT_MS || Math.max(TIMEOUT_MS, 600000));

// The bridge's one warning must name the fix: the directive and the Nextcloud call.
const FIX_WORDS = ["'wasm-unsafe-eval'", 'allowEvalWasm(true)'];

let passed = 0;
let failed = 0;

function log(message) {
	console.error(`csp: ${message}`);
}

function assert(cond, message) {
	if (!cond) {
		throw new Error(message);
	}
}

/** One named check: ok unless `fn` throws; the first line of the error is the reason. */
async function check(name, fn) {
	try {
		await fn();
		passed += 1;
		console.log(`ok - ${name}`);
		return true;
	} catch (e) {
		failed += 1;
		console.log(`FAIL - ${name}: ${(e && e.message ? e.message : String(e)).split('\n')[0]}`);
		return false;
	}
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const q = (v) => JSON.stringify(v);

/** PATH with ~/.cargo/bin (cargo xtask), as scripts/lib.sh sets it. */
function envWithCargo() {
	const cargoBin = join(homedir(), '.cargo', 'bin');
	const path = process.env.PATH || '';
	return existsSync(cargoBin) && !path.split(delimiter).includes(cargoBin)
		? { ...process.env, PATH: `${cargoBin}${delimiter}${path}` } : process.env;
}

const run = commandRunner(LOGS);

function commandProblem(name, result) {
	if (result.code === 0) {
		return '';
	}
	const tail = result.output.trim().split('\n').slice(-10).join(' | ');
	return `exit ${result.code} (log ${relative(ROOT, join(LOGS, `${name}.log`))}): ${tail}`;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// ------------------------------------------------------------------------------------------------
// the bundled frontend app
// ------------------------------------------------------------------------------------------------

/** The bundler test's pinned tools (npm ci when missing or installed from another lockfile). */
async function ensureTools() {
	const result = await installPinnedTools(ROOT, TOOLS, run, log);
	assert(result === null || result.code === 0, result && commandProblem('npm-ci-tools', result));
}

/** npm pack → a fresh app folder with the tarball installed → a production webpack build. Resolves dist/. */
async function buildApp() {
	rmSync(WORK, { recursive: true, force: true });
	mkdirSync(LOGS, { recursive: true });
	mkdirSync(PACK, { recursive: true });
	await ensureTools();
	const packed = await run('npm-pack', npm, ['pack', '--pack-destination', PACK], { cwd: ROOT });
	assert(packed.code === 0, commandProblem('npm-pack', packed));
	const tarballs = readdirSync(PACK).filter((f) => f.endsWith('.tgz'));
	assert(tarballs.length === 1, `npm pack wrote ${tarballs.length} tarballs`);
	mkdirSync(APP, { recursive: true });
	cpSync(join(HERE, 'csp', 'app', 'main.js'), join(APP, 'main.js'));
	cpSync(join(ROOT, 'tests', 'drivers', 'driver.mjs'), join(APP, 'driver.mjs'));
	writeFileSync(join(APP, 'package.json'), `${JSON.stringify({
		name: 'talk-call-rules-csp-app', version: '0.0.0', private: true, type: 'module',
		dependencies: { [PACKAGE]: `file:${relative(APP, join(PACK, tarballs[0])).split('\\').join('/')}` },
	}, null, 2)}\n`);
	const installed = await run('npm-install-tarball', npm, ['install', '--no-audit', '--no-fund', '--no-package-lock'], { cwd: APP });
	assert(installed.code === 0, commandProblem('npm-install-tarball', installed));
	const built = await run('webpack-build', process.execPath,
		[join(TOOLS, 'node_modules', 'webpack-cli', 'bin', 'cli.js'), '--config', join(HERE, 'csp', 'app', 'webpack.config.mjs')],
		{ cwd: APP, env: { TCR_CSP_APP: APP } });
	assert(built.code === 0, commandProblem('webpack-build', built));
	const dist = join(APP, 'dist');
	const files = readdirSync(dist);
	const wasm = files.filter((f) => f.endsWith('.wasm'));
	assert(files.includes('spreed-main.js'), `no spreed-main.js in ${files.join(', ')}`);
	assert(wasm.length === 1 && sha256(readFileSync(join(dist, wasm[0]))) === sha256(readFileSync(join(ROOT, 'pkg', 'talk_call_rules_bg.wasm'))),
		`the bundle's .wasm (${wasm.join(', ')}) is not pkg/talk_call_rules_bg.wasm`);
	return dist;
}

// ------------------------------------------------------------------------------------------------
// the server: each page of a case with its policy and a fresh nonce, as Nextcloud renders it
// ------------------------------------------------------------------------------------------------

const MIME = { '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json; charset=utf-8' };

/** The HTML of a Nextcloud page: its scripts carry the request's nonce (core/templates/layout.*.php). */
function html(page, nonce) {
	const attr = nonce === null ? '' : ` nonce="${nonce}"`;
	return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>${page.title} - Nextcloud</title>
<script${attr} defer src="/apps/spreed/js/spreed-main.js?v=0"></script>
</head>
<body id="body-user"><div id="content"></div></body>
</html>
`;
}

/**
 * Serves the cases (page path + `?case=ID`), the bundle under /apps/spreed/js/ and the vector files
 * under /vectors/N.json. Static files are sent without a policy, as a web server sends them.
 */
function startServer(cases, dist, vectorFiles) {
	const served = new Map(); // case id -> { nonce, policy } of its last page
	const server = createServer((req, res) => {
		const url = new URL(req.url, 'http://localhost');
		const send = (status, headers, body) => {
			res.writeHead(status, { 'Cache-Control': 'no-store', ...headers }).end(body);
		};
		if (req.method !== 'GET') {
			send(405, {}, '');
			return;
		}
		if (url.pathname.startsWith('/apps/spreed/js/')) {
			const name = url.pathname.slice('/apps/spreed/js/'.length);
			const file = join(dist, name);
			if (!/^[\w.-]+$/.test(name) || !existsSync(file) || !statSync(file).isFile()) {
				send(404, { 'Content-Type': 'text/plain' }, 'not found');
				return;
			}
			send(200, { 'Content-Type': MIME[extname(file)] || 'application/octet-stream' }, readFileSync(file));
			return;
		}
		const vector = /^\/vectors\/(\d+)\.json$/.exec(url.pathname);
		if (vector && vectorFiles[Number(vector[1])]) {
			send(200, { 'Content-Type': MIME['.json'] }, readFileSync(join(ROOT, vectorFiles[Number(vector[1])])));
			return;
		}
		const c = cases.find((x) => x.id === url.searchParams.get('case') && x.page.path === url.pathname);
		if (!c) {
			send(404, { 'Content-Type': 'text/plain' }, 'not found');
			return;
		}
		const nonce = c.nonce ? freshNonce() : null;
		const policy = policyFor(c.page, { wasm: c.wasm, nonce });
		served.set(c.id, { nonce, policy });
		send(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': policy }, html(c.page, nonce));
	});
	return new Promise((resolvePromise, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { address, port } = server.address();
			resolvePromise({
				url: `http://${address}:${port}`,
				served,
				close: () => new Promise((r) => {
					server.closeAllConnections?.();
					server.close(() => r());
				}),
			});
		});
	});
}

// ------------------------------------------------------------------------------------------------
// one page in Chromium
// ------------------------------------------------------------------------------------------------

/** Loads a case's page; resolves what the app and the browser said. */
async function openPage(browser, server, c) {
	const context = await browser.newContext();
	const page = await context.newPage();
	page.setDefaultTimeout(30000);
	const seen = { console: [], errors: [], wasm: [], external: [] };
	await context.route('**/*', (route) => {
		const url = route.request().url();
		if (url.startsWith(`${server.url}/`)) {
			return route.continue();
		}
		seen.external.push(url);
		return route.abort();
	});
	page.on('console', (m) => seen.console.push({ type: m.type(), text: m.text() }));
	page.on('pageerror', (e) => seen.errors.push(e.message));
	page.on('response', (r) => {
		if (new URL(r.url()).pathname.endsWith('.wasm')) {
			seen.wasm.push({ status: r.status(), type: r.headers()['content-type'] });
		}
	});
	// Before any script of the page: what the browser reports refusing (not subject to the policy).
	await page.addInitScript(() => {
		window.cspViolations = [];
		window.addEventListener('securitypolicyviolation', (e) => {
			window.cspViolations.push({ directive: e.effectiveDirective, blocked: e.blockedURI });
		});
	});
	const response = await page.goto(`${server.url}${c.page.path}?case=${encodeURIComponent(c.id)}`);
	const header = response.headers()['content-security-policy'];
	let started = null;
	let problem = '';
	try {
		// Polled with evaluate (devtools calls, which no policy restricts) until the deferred bundle ran.
		const deadline = Date.now() + 30000;
		while (!await page.evaluate(() => window.talkCallRulesCsp !== undefined)) {
			if (Date.now() > deadline) {
				throw new Error('no window.talkCallRulesCsp after 30 s');
			}
			await new Promise((r) => setTimeout(r, 50));
		}
		started = await page.evaluate(() => window.talkCallRulesCsp.started());
	} catch (e) {
		const violations = await page.evaluate(() => window.cspViolations).catch(() => []);
		problem = `the app did not start (${e.message.split('\n')[0]}); refused: ${q(violations)}; errors: ${q(seen.errors)}`;
	}
	const violations = await page.evaluate(() => window.cspViolations).catch(() => []);
	return { context, page, header, started, problem, seen, violations };
}

/** The conformance vectors in `page`, judged by `cargo xtask check`. Resolves "N passed, M failed". */
async function vectorsIn(page, id, vectorFiles) {
	const files = vectorFiles.map((file, i) => ({ file, url: `/vectors/${i}.json` }));
	const lines = await page.evaluate((f) => window.talkCallRulesCsp.runVectors(f), files);
	mkdirSync(TRANSCRIPTS, { recursive: true });
	const transcript = join(TRANSCRIPTS, `csp-${id}.jsonl`);
	writeFileSync(transcript, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
	const judged = spawnSync('cargo', ['xtask', 'check', '--transcript', transcript, ...vectorFiles],
		{ cwd: ROOT, encoding: 'utf8', env: envWithCargo(), maxBuffer: 64 * 1024 * 1024 });
	const out = `${judged.stdout || ''}`.trim().split('\n');
	const summary = out[out.length - 1] || '';
	const m = /^(\d+) passed, (\d+) failed$/.exec(summary);
	const failures = out.slice(0, -1).filter((l) => l.trim() !== '').slice(0, 3).join(' | ');
	assert(m, `cargo xtask check gave no summary (exit ${judged.status}): ${(judged.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
	assert(Number(m[2]) === 0 && Number(m[1]) > 0 && judged.status === 0,
		`${summary} (${relative(ROOT, transcript)}): ${failures}`);
	return summary;
}

let loggedBlocked = false;

function bridgeWarnings(seen) {
	return seen.console.filter((m) => m.type === 'warning' && m.text.startsWith('talk-call-rules:'));
}

async function checkBlocked(c, r, label) {
	const s = r.started;
	await check(`${label}: init(wasmUrl) resolves false, and so does a retry`, () => {
		assert(s.ok === false && s.again === false, `init() resolved ${s.ok}, the retry ${s.again}`);
		assert(s.stateWhileLoading === 'loading', `rulesStatus().state while loading: ${s.stateWhileLoading}`);
	});
	await check(`${label}: lastLoadError() names the Content Security Policy`, () => {
		assert(s.error && /content security policy/i.test(s.error.message), `lastLoadError(): ${q(s.error)}`);
	});
	await check(`${label}: rulesStatus() is unavailable, csp-blocked, with the fix`, () => {
		const st = s.status;
		assert(st.state === 'unavailable' && st.reason === 'csp-blocked', `rulesStatus(): ${q(st)}`);
		assert(st.detail === s.error.message, `detail ${q(st.detail)} is not the error's message`);
		for (const w of FIX_WORDS) {
			assert(st.fix.includes(w), `the fix does not name ${w}: ${q(st.fix)}`);
		}
		assert(s.statusAfterRetry.reason === 'csp-blocked', `after the retry: ${q(s.statusAfterRetry)}`);
	});
	await check(`${label}: the bridge logs exactly one warning, naming the fix`, () => {
		const warnings = bridgeWarnings(r.seen);
		assert(warnings.length === 1, `${warnings.length} warnings from the bridge: ${q(warnings.map((w) => w.text))}`);
		for (const w of [...FIX_WORDS, 'Content-Security-Policy']) {
			assert(warnings[0].text.includes(w), `the warning does not name ${w}: ${q(warnings[0].text)}`);
		}
		assert(r.seen.errors.length === 0, `page errors: ${q(r.seen.errors)}`);
	});
	await check(`${label}: both attempts fetched the .wasm (the policy, not the network, refused it)`, () => {
		assert(r.seen.wasm.length === 2 && r.seen.wasm.every((w) => w.status === 200 && w.type === 'application/wasm'),
			`.wasm responses: ${q(r.seen.wasm)}`);
	});
	if (!loggedBlocked && s.error) {
		loggedBlocked = true;
		log(`${c.id}: lastLoadError() is a ${s.error.name}: ${s.error.message}`);
		log(`${c.id}: the bridge warned: ${bridgeWarnings(r.seen)[0]?.text}`);
	}
	await check(`${label}: the browser refused WebAssembly compilation under script-src, and nothing else`, () => {
		assert(r.violations.length > 0 && r.violations.every((v) => v.blocked === 'wasm-eval' && v.directive === 'script-src'),
			`violations reported: ${q(r.violations)}`);
	});
}

async function checkOptIn(c, r, label, vectorFiles) {
	const s = r.started;
	await check(`${label}: init(wasmUrl) resolves true; rulesStatus() is ready`, () => {
		assert(s.ok === true && s.again === true, `init() resolved ${s.ok}: ${q(s.error)}`);
		assert(s.status.state === 'ready' && s.status.reason === null, `rulesStatus(): ${q(s.status)}`);
	});
	await check(`${label}: nothing refused, no warnings, no errors`, () => {
		assert(r.violations.length === 0, `violations reported: ${q(r.violations)}`);
		const noisy = r.seen.console.filter((m) => m.type === 'warning' || m.type === 'error');
		assert(noisy.length === 0, `console: ${q(noisy)}`);
		assert(r.seen.errors.length === 0, `page errors: ${q(r.seen.errors)}`);
	});
	let summary = '';
	const ok = await check(`${label}: the conformance vectors pass in the page (cargo xtask check)`, async () => {
		summary = await vectorsIn(r.page, c.id, vectorFiles);
	});
	if (ok) {
		log(`${c.id}: ${summary}`);
	}
}

// ------------------------------------------------------------------------------------------------

async function main() {
	const missing = missingPrerequisites(ROOT);
	if (missing !== '') {
		log(missing);
		return 2;
	}

	// The policies as written out are the policies as built (nextcloud28.mjs).
	for (const page of PAGES) {
		await check(`${page.id}: the policy built as the server builds it (${page.source}) is the one written out`, () => {
			for (const [variant, wasm] of [['blocked', false], ['optIn', true]]) {
				const built = policyFor(page, { wasm, nonce: 'NONCE' });
				assert(built === EXPECTED[page.id][variant], `${variant}: built ${q(built)}`);
			}
		});
	}
	await check('talk: without a nonce (a browser the server gives none), the policy built is the one written out', () => {
		for (const [variant, wasm] of [['blocked', false], ['optIn', true]]) {
			const built = policyFor(PAGES[0], { wasm, nonce: null });
			assert(built === EXPECTED_WITHOUT_NONCE[variant], `${variant}: built ${q(built)}`);
		}
	});

	let dist;
	const started = Date.now();
	if (!await check('the frontend app bundles (npm pack, install, webpack 5 like spreed)', async () => {
		dist = await buildApp();
	})) {
		return 1;
	}
	log(`app built in ${((Date.now() - started) / 1000).toFixed(1)}s (logs in ${relative(ROOT, LOGS)}/)`);

	const listed = spawnSync('cargo', ['xtask', 'vector-files'], { cwd: ROOT, encoding: 'utf8', env: envWithCargo() });
	const vectorFiles = listed.status === 0 ? listed.stdout.split('\n').filter(Boolean) : [];
	if (!await check('the conformance vector files are listed (cargo xtask vector-files)', () => {
		assert(vectorFiles.length > 0, `exit ${listed.status}: ${(listed.stderr || '').trim().split('\n').slice(-2).join(' | ')}`);
	})) {
		return 1;
	}

	const cases = [];
	for (const page of PAGES) {
		cases.push({ id: `${page.id}-blocked`, page, wasm: false, nonce: true, expected: EXPECTED[page.id].blocked });
		cases.push({ id: `${page.id}-opt-in`, page, wasm: true, nonce: true, expected: EXPECTED[page.id].optIn });
	}
	cases.push({ id: 'talk-no-nonce-blocked', page: PAGES[0], wasm: false, nonce: false, expected: EXPECTED_WITHOUT_NONCE.blocked });
	cases.push({ id: 'talk-no-nonce-opt-in', page: PAGES[0], wasm: true, nonce: false, expected: EXPECTED_WITHOUT_NONCE.optIn });

	const server = await startServer(cases, dist, vectorFiles);
	let browser;
	try {
		browser = await launchChromium();
		log(`Chromium ${browser.version()} (${EXECUTABLE}); ${vectorFiles.length} vector files`);
		for (const c of cases) {
			const label = `${c.page.id} (${c.page.path}), ${c.wasm ? 'with the opt-in' : 'as Nextcloud 28 sends it'}`
				+ `${c.nonce ? '' : ', no nonce'}`;
			const r = await openPage(browser, server, c);
			try {
				const sent = server.served.get(c.id);
				await check(`${label}: the page carries the policy written out${c.nonce ? ', with its nonce' : ''}`, () => {
					assert(sent && r.header === sent.policy, `header ${q(r.header)}`);
					const want = c.nonce ? c.expected.replaceAll('NONCE', sent.nonce) : c.expected;
					assert(r.header === want, `header ${q(r.header)}, written out ${q(want)}`);
				});
				if (!await check(`${label}: the bundle runs (its script allowed by the policy)`, () => {
					assert(r.started, r.problem);
					assert(r.seen.external.length === 0, `fetched from elsewhere: ${q(r.seen.external)}`);
				})) {
					continue;
				}
				if (c.wasm) {
					await checkOptIn(c, r, label, vectorFiles);
				} else {
					await checkBlocked(c, r, label);
				}
			} finally {
				await r.context.close().catch(() => {});
			}
		}
	} catch (e) {
		await check('headless Chromium', () => {
			throw e;
		});
	} finally {
		await browser?.close().catch(() => {});
		await server.close();
	}
	return failed === 0 && passed > 0 ? 0 : 1;
}

const timer = setTimeout(() => {
	log(`abandoned after ${RUN_TIMEOUT_MS} ms`);
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exit(1);
}, RUN_TIMEOUT_MS);
timer.unref();
const code = await main().catch((e) => {
	log(e.stack || e.message);
	return 2;
});
console.log(`${passed} passed, ${failed} failed`);
process.exit(code);
