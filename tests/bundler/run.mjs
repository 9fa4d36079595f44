#!/usr/bin/env node
// Usage: node tests/bundler/run.mjs          (after ./build.sh build; ./build.sh setup for Chromium)
//
// The package as its consumers get it: `npm pack` of the repository, the tarball's file list,
// an install of that tarball into a small app (tests/bundler/app/), a production build of the app
// with webpack 5 (configured like spreed) and with Vite, both bundles loaded from a localhost
// server in headless Chromium, where init(wasmUrl) must resolve true and evaluate() must decide
// like the same package does in Node, and `tsc` over a typed consumer with `moduleResolution`
// bundler and node16. Prints the bundle sizes (raw and gzip) and ends with "N passed, M failed".
//
// The pinned tools (tests/bundler/package.json + package-lock.json) are installed with `npm ci`
// into target/bundler/tools/, again only when the lockfile changed. Everything else is made anew
// in target/bundler/ on every run. Environment: TCR_BUNDLER_WORK (default target/bundler),
// CHROMIUM (default /usr/bin/chromium).
import { createHash } from 'node:crypto';
import {
	cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { gzipSync } from 'node:zlib';
import { commandRunner, installPinnedTools, missingPrerequisites } from '../support/commands.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const WORK = resolve(process.env.TCR_BUNDLER_WORK || join(ROOT, 'target', 'bundler'));
const TOOLS = join(WORK, 'tools');
const PACK = join(WORK, 'pack');
const APP = join(WORK, 'app');
const LOGS = join(WORK, 'logs');
const PACKAGE = 'talk-call-rules';
/** How long the whole run may take before it is abandoned (a hung build or browser). */
const TIMEOUT_MS = Number(process.env.TCR_BUNDLER_TIMEOUT_MS || 600000);

/** What the tarball must hold: the bridge (with the core and the Talk view adapter it re-exports), its types, the glue and the module. */
const REQUIRED_FILES = [
	'package.json', 'js/index.mjs', 'js/core.mjs', 'js/talk-state.mjs', 'js/index.d.ts', 'js/facts.mjs',
	'pkg/talk_call_rules.js', 'pkg/talk_call_rules_bg.wasm',
];
/** What it may hold besides: npm always adds the README; the .d.mts twin and the wasm URL types. */
const OPTIONAL_FILES = ['README.md', 'LICENSE', 'js/index.d.mts', 'js/wasm-url.d.ts'];
/** Never shipped (named for a clear message; anything else unlisted fails too). */
const FORBIDDEN = /^(tests|src|target|node_modules|php|fuzz|bench|playground|examples|docs)\/|\.build-stamp$|\.rs$/;

// ------------------------------------------------------------------------------------------------
// checks and output
// ------------------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;

function log(message) {
	console.error(`bundler: ${message}`);
}

/** One named check: ok when `problem` is empty, else it fails with that text. */
function check(name, problem) {
	if (problem) {
		failed += 1;
		console.log(`FAIL ${name}: ${problem}`);
	} else {
		passed += 1;
		console.log(`ok   ${name}`);
	}
	return !problem;
}

/** The difference between two lists as a short text ('' when they hold the same items). */
function listDiff(actual, expected) {
	const missing = expected.filter((x) => !actual.includes(x));
	const extra = actual.filter((x) => !expected.includes(x));
	return [missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `unexpected ${extra.join(', ')}` : '']
		.filter(Boolean).join('; ');
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** Every file below `dir`, as paths relative to it with forward slashes, sorted. */
function filesBelow(dir) {
	const out = [];
	const walk = (d) => {
		for (const entry of readdirSync(d, { withFileTypes: true })) {
			const full = join(d, entry.name);
			if (entry.isDirectory()) {
				walk(full);
			} else {
				out.push(relative(dir, full).split(sep).join('/'));
			}
		}
	};
	walk(dir);
	return out.sort();
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

const run = commandRunner(LOGS);

/** The failure text of a finished command ('' when it exited 0): its exit code and last lines. */
function commandProblem(name, result) {
	if (result.code === 0) {
		return '';
	}
	const tail = result.output.trim().split('\n').slice(-15).join('\n    ');
	return `exit ${result.code} (log ${relative(ROOT, join(LOGS, `${name}.log`))})\n    ${tail}`;
}

const node = process.execPath;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// ------------------------------------------------------------------------------------------------
// steps
// ------------------------------------------------------------------------------------------------

/** npm ci of the pinned tools, skipped when node_modules was installed from this very lockfile. */
async function installTools() {
	const result = await installPinnedTools(ROOT, TOOLS, run, log);
	return result === null || check('npm ci of the pinned tools', commandProblem('npm-ci-tools', result));
}

/** The targets of a package.json `exports` value (nested conditions flattened). */
function exportTargets(value) {
	if (typeof value === 'string') {
		return [value];
	}
	if (value && typeof value === 'object') {
		return Object.values(value).flatMap(exportTargets);
	}
	return [];
}

/** Relative specifiers a shipped .js/.mjs/.d.ts file reaches for (imports, exports, references). */
function relativeSpecifiers(text) {
	const found = new Set();
	for (const m of text.matchAll(/^\s*\/\/\/\s*<reference\s+path=['"]([^'"]+)['"]/gm)) {
		found.add(m[1]);
	}
	// Comments may quote code (`new URL('…', import.meta.url)` in a doc comment): not imports.
	const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[\s;{}(),])\/\/.*$/gm, '$1');
	const patterns = [
		/\b(?:import|export)\s[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g,
		/\bimport\s*['"](\.{1,2}\/[^'"]+)['"]/g,
		/\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
		/new URL\(\s*['"]([^'":]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
	];
	for (const re of patterns) {
		for (const m of code.matchAll(re)) {
			found.add(m[1]);
		}
	}
	return [...found];
}

/** npm pack of the repository; checks what the tarball holds. Resolves the tarball's path. */
async function pack() {
	rmSync(PACK, { recursive: true, force: true });
	mkdirSync(PACK, { recursive: true });
	const result = await run('npm-pack', npm, ['pack', '--json', '--pack-destination', PACK], { cwd: ROOT });
	if (!check('npm pack', commandProblem('npm-pack', result))) {
		return null;
	}
	const tarballs = readdirSync(PACK).filter((f) => f.endsWith('.tgz'));
	if (!check('npm pack wrote one tarball', tarballs.length === 1 ? '' : `found ${tarballs.join(', ') || 'none'}`)) {
		return null;
	}
	const tarball = join(PACK, tarballs[0]);
	// The tarball itself is the truth (not npm's report of it): unpack it and look.
	const unpacked = join(PACK, 'unpacked');
	mkdirSync(unpacked);
	const untar = await run('tar', 'tar', ['-xzf', tarball, '-C', unpacked], { cwd: PACK });
	if (!check('the tarball unpacks', commandProblem('tar', untar))) {
		return null;
	}
	const root = join(unpacked, 'package');
	const files = filesBelow(root);
	check('tarball holds package.json, js/index.mjs, js/index.d.ts, the glue and the .wasm',
		REQUIRED_FILES.filter((f) => !files.includes(f)).map((f) => `missing ${f}`).join('; '));
	const forbidden = files.filter((f) => FORBIDDEN.test(f));
	const unknown = files.filter((f) => !REQUIRED_FILES.includes(f) && !OPTIONAL_FILES.includes(f));
	check('tarball holds nothing else (no tests, sources, build output)',
		[forbidden.length ? `must not ship ${forbidden.join(', ')}` : '',
			unknown.length ? `not in the expected file list ${unknown.join(', ')}` : ''].filter(Boolean).join('; '));
	check('the packed .wasm is the built pkg/ module',
		sha256(readFileSync(join(root, 'pkg/talk_call_rules_bg.wasm'))) === sha256(readFileSync(join(ROOT, 'pkg/talk_call_rules_bg.wasm')))
			? '' : 'the tarball carries another pkg/talk_call_rules_bg.wasm than pkg/');

	const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
	const pointers = [manifest.main, manifest.types, ...exportTargets(manifest.exports)].filter(Boolean)
		.map((p) => posix.normalize(p));
	check('every main/types/exports target is in the tarball',
		[...new Set(pointers)].filter((p) => !files.includes(p)).map((p) => `missing ${p}`).join('; '));
	check('exports offer the bridge and the .wasm subpath',
		listDiff(Object.keys(manifest.exports || {}).filter((k) => k === '.' || k === './talk_call_rules_bg.wasm'),
			['.', './talk_call_rules_bg.wasm']));

	const dangling = [];
	for (const file of files.filter((f) => /\.(m?js|d\.m?ts)$/.test(f))) {
		const declaration = /\.d\.m?ts$/.test(file);
		for (const spec of relativeSpecifiers(readFileSync(join(root, file), 'utf8'))) {
			const target = posix.normalize(posix.join(posix.dirname(file), spec));
			// A declaration file's `./index.js` names the types beside it (index.d.ts).
			const candidates = declaration
				? [target, target.replace(/\.js$/, '.d.ts').replace(/\.mjs$/, '.d.mts')]
				: [target];
			if (!candidates.some((c) => files.includes(c))) {
				dangling.push(`${file} -> ${spec}`);
			}
		}
	}
	check('every relative import of the shipped files stays inside the tarball', dangling.join('; '));
	return { tarball, files };
}

/** A fresh copy of the consumer app with the tarball installed as its dependency. */
async function installApp(packed) {
	rmSync(APP, { recursive: true, force: true });
	cpSync(join(HERE, 'app'), APP, { recursive: true });
	const manifestPath = join(APP, 'package.json');
	const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
	manifest.dependencies = { [PACKAGE]: `file:${relative(APP, packed.tarball).split(sep).join('/')}` };
	writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
	const result = await run('npm-install-tarball', npm,
		['install', '--no-audit', '--no-fund', '--no-package-lock'], { cwd: APP });
	if (!check('npm install of the tarball into a fresh app', commandProblem('npm-install-tarball', result))) {
		return null;
	}
	const installed = join(APP, 'node_modules', PACKAGE);
	let entry = '';
	try {
		entry = createRequire(manifestPath).resolve(PACKAGE);
	} catch (e) {
		entry = `(${e.message})`;
	}
	check('the app resolves the installed package (not the repository)',
		entry.startsWith(installed + sep) ? '' : `'${PACKAGE}' resolves to ${entry}`);
	check('the installed files are the tarball\'s', existsSync(installed) ? listDiff(filesBelow(installed), packed.files) : 'not installed');
	return { entry, installed };
}

/** The decisions the installed package makes in Node: the reference for the browsers. */
async function decideInNode(app) {
	const scenario = await import(pathToFileURL(join(APP, 'scenario.js')).href);
	let rules;
	try {
		rules = await import(pathToFileURL(app.entry).href);
	} catch (e) {
		check('the installed package imports in Node', e.message);
		return null;
	}
	// No input: in Node, init() reads the .wasm that the package ships next to the bridge.
	const result = await scenario.decideAll(rules, undefined);
	if (!check('Node: init() of the installed package resolves true', result.ready ? '' : `false: ${result.loadError}`)) {
		return null;
	}
	for (const [i, c] of scenario.CASES.entries()) {
		const { status, reason } = result.decisions[i].outcome;
		check(`Node: ${c.name} answers ${c.expect.status} ${c.expect.reason}`,
			status === c.expect.status && reason === c.expect.reason ? '' : `got ${status} ${reason}`);
	}
	check('Node: allowedActions lets the user join', result.joinAllowed === true ? '' : `join.allowed is ${result.joinAllowed}`);
	return { scenario, result };
}

/** tsc over the typed consumer with both module resolutions, side by side (two cores). */
async function typecheck() {
	const tsc = join(TOOLS, 'node_modules', 'typescript', 'bin', 'tsc');
	const modes = ['bundler', 'node16'];
	const results = await Promise.all(modes.map((mode) =>
		run(`tsc-${mode}`, node, [tsc, '-p', `tsconfig.${mode}.json`], { cwd: join(APP, 'ts') })));
	modes.forEach((mode, i) => {
		check(`tsc: the typed consumer checks against the installed package (moduleResolution ${mode})`,
			commandProblem(`tsc-${mode}`, results[i]));
	});
}

/** The files a bundler wrote, with raw and gzip sizes. */
function distFiles(dist) {
	return filesBelow(dist).map((name) => {
		const bytes = readFileSync(join(dist, name));
		return { name, bytes, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
	});
}

/** Checks a bundle's files: the .wasm once and unchanged, nothing of the package copied beside it. */
function checkDist(label, files, installed) {
	const wasm = files.filter((f) => extname(f.name) === '.wasm');
	const pkgWasm = readFileSync(join(installed, 'pkg', 'talk_call_rules_bg.wasm'));
	check(`${label}: one .wasm asset, byte for byte the package's`,
		wasm.length !== 1 ? `found ${wasm.length} (${wasm.map((f) => f.name).join(', ')})`
			: sha256(wasm[0].bytes) === sha256(pkgWasm) ? '' : `${wasm[0].name} differs from the package's module`);
	// A file of the package emitted as an asset of its own (the glue, a .d.ts: what a bundler makes
	// of `new URL(\`../pkg/${name}\`, import.meta.url)`) is dead weight every consumer ships. Such a
	// file is a verbatim copy, or (minified) carries the package file's name, maybe with a hash.
	const packageFiles = filesBelow(installed).filter((f) => !f.endsWith('.wasm'));
	const byHash = new Map(packageFiles.map((f) => [sha256(readFileSync(join(installed, f))), f]));
	const byName = packageFiles.map((f) => {
		const base = posix.basename(f);
		const dot = base.indexOf('.');
		const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
		const quote = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
		return [new RegExp(`(^|/)${quote(stem)}([-.][\\w-]{6,})?${quote(ext)}$`), f];
	});
	const copies = files.flatMap((f) => {
		const same = byHash.get(sha256(f.bytes)) ?? byName.find(([re]) => re.test(f.name))?.[1]
			?? (/\.d\.m?ts$/.test(f.name) ? 'declarations' : null);
		return same ? [`${f.name} (${same})`] : [];
	});
	check(`${label}: no package file is emitted as an extra asset`, copies.join(', '));
	check(`${label}: emitted JavaScript`, files.some((f) => extname(f.name) === '.js') ? '' : 'no .js file');
}

/** Builds one app; resolves its dist files, or null when the build failed. */
async function build(label, name, args, cwd, installed) {
	const result = await run(name, node, args, { cwd });
	log(`${label} build: ${seconds(result.ms)}`);
	if (!check(`${label}: production build`, commandProblem(name, result))) {
		return null;
	}
	const files = distFiles(join(cwd, 'dist'));
	checkDist(label, files, installed);
	return files;
}

/**
 * Loads a page of a bundle in headless Chromium and checks what it published.
 * @param {import('playwright-core').Browser} browser
 */
async function checkInBrowser(browser, label, mounts, pagePath, reference) {
	const { startServer } = await import(pathToFileURL(join(ROOT, 'tests', 'browser', 'serve.mjs')).href);
	const server = await startServer({ mounts });
	const context = await browser.newContext();
	const external = [];
	const problems = [];
	const wasmResponses = [];
	try {
		// The page may reach the local server only; anything else is recorded and refused.
		await context.route('**/*', (route) => {
			const url = route.request().url();
			if (url.startsWith(`${server.url}/`)) {
				return route.continue();
			}
			external.push(url);
			return route.abort();
		});
		const page = await context.newPage();
		page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
		page.on('console', (m) => {
			if (m.type() === 'error' || m.type() === 'warning') {
				problems.push(`console ${m.type()}: ${m.text()}`);
			}
		});
		page.on('requestfailed', (r) => {
			if (!external.includes(r.url())) {
				problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
			}
		});
		page.on('response', (r) => {
			if (new URL(r.url()).pathname.endsWith('.wasm')) {
				wasmResponses.push({ path: new URL(r.url()).pathname, status: r.status(), type: r.headers()['content-type'] });
			}
		});
		await page.goto(`${server.url}${pagePath}`);
		await page.waitForFunction(() => document.body && (document.body.dataset.result || document.body.dataset.error),
			null, { timeout: 60000 });
		const { result, error } = await page.evaluate(() => ({
			result: document.body.dataset.result, error: document.body.dataset.error,
		}));
		if (!check(`${label} in Chromium: the page ran`, error ? `it failed: ${error}` : '')) {
			return;
		}
		const published = JSON.parse(result);
		if (!check(`${label} in Chromium: init(wasmUrl) resolves true`,
			published.ready === true ? '' : `false for ${published.wasmUrl}: ${published.loadError}`)) {
			return;
		}
		for (const [i, c] of reference.scenario.CASES.entries()) {
			const got = published.decisions[i]?.outcome;
			const want = reference.result.decisions[i].outcome;
			check(`${label} in Chromium: ${c.name} answers ${c.expect.status} ${c.expect.reason}, as in Node`,
				!got ? 'no decision'
					: got.status !== c.expect.status || got.reason !== c.expect.reason ? `got ${got.status} ${got.reason}`
						: isDeepStrictEqual(got, want) ? '' : `the outcome differs from Node's: ${JSON.stringify(got)}`);
		}
		check(`${label} in Chromium: allowedActions lets the user join`,
			published.joinAllowed === true ? '' : `join.allowed is ${published.joinAllowed}`);
		check(`${label} in Chromium: version() answers`,
			isDeepStrictEqual(published.version, reference.result.version) ? '' : JSON.stringify(published.version));
		const wasmPath = new URL(published.wasmUrl, `${server.url}${pagePath}`).pathname;
		check(`${label} in Chromium: the .wasm came once from the bundle's asset URL, as application/wasm`,
			wasmResponses.length !== 1 ? `${wasmResponses.length} .wasm responses: ${JSON.stringify(wasmResponses)}`
				: wasmResponses[0].path !== wasmPath ? `fetched ${wasmResponses[0].path}, the import gave ${published.wasmUrl}`
					: wasmResponses[0].status !== 200 || wasmResponses[0].type !== 'application/wasm'
						? `status ${wasmResponses[0].status}, Content-Type ${wasmResponses[0].type}` : '');
		check(`${label} in Chromium: nothing fetched from outside 127.0.0.1`, external.join(', '));
		check(`${label} in Chromium: no page errors, console errors or warnings`, problems.join('; '));
	} catch (e) {
		check(`${label} in Chromium`, e.stack || e.message);
	} finally {
		await context.close().catch(() => {});
		await server.close();
	}
}

function printSizes(tarball, bundles) {
	const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
	const row = (a, b, c, d) => `  ${a.padEnd(10)} ${b.padEnd(48)} ${c.padStart(12)} ${d.padStart(12)}`;
	const lines = ['', '== bundle sizes (gzip -9) ==', row('bundler', 'file', 'raw', 'gzip')];
	for (const [label, files] of bundles) {
		if (!files) {
			lines.push(row(label, '(build failed)', '', ''));
			continue;
		}
		let js = 0;
		let jsGzip = 0;
		for (const f of files.filter((x) => ['.wasm', '.js'].includes(extname(x.name)))) {
			lines.push(row(label, f.name, `${f.raw} B`, `${f.gzip} B`));
			if (extname(f.name) === '.js') {
				js += f.raw;
				jsGzip += f.gzip;
			}
		}
		lines.push(row(label, 'JavaScript in all', kib(js), kib(jsGzip)));
	}
	if (tarball) {
		lines.push(`  tarball    ${relative(ROOT, tarball)}: ${statSync(tarball).size} B`);
	}
	console.log(lines.join('\n'));
}

// ------------------------------------------------------------------------------------------------

async function main() {
	const missing = missingPrerequisites(ROOT);
	if (missing !== '') {
		log(missing);
		return 2;
	}
	mkdirSync(LOGS, { recursive: true });
	const started = Date.now();

	const toolsReady = await installTools();
	const packed = await pack();
	const app = packed ? await installApp(packed) : null;
	const reference = app ? await decideInNode(app) : null;
	const bundles = [['webpack', null], ['vite', null]];
	if (toolsReady && app) {
		await typecheck();
		const bin = (p) => join(TOOLS, 'node_modules', ...p.split('/'));
		bundles[0][1] = await build('webpack', 'webpack-build',
			[bin('webpack-cli/bin/cli.js'), '--config', 'webpack.config.mjs'], join(APP, 'webpack'), app.installed);
		bundles[1][1] = await build('vite', 'vite-build',
			[bin('vite/bin/vite.js'), 'build'], join(APP, 'vite'), app.installed);
	}
	if (reference && (bundles[0][1] || bundles[1][1])) {
		const { launchChromium, EXECUTABLE } = await import(pathToFileURL(join(ROOT, 'tests', 'browser', 'chromium.mjs')).href);
		let browser;
		try {
			browser = await launchChromium();
			log(`Chromium ${browser.version()} (${EXECUTABLE})`);
			if (bundles[0][1]) {
				// Laid out like a Nextcloud server: the page at /, the app's bundle under /apps/spreed/js/.
				await checkInBrowser(browser, 'webpack', {
					'/': join(APP, 'webpack', 'public'), '/apps/spreed/js/': join(APP, 'webpack', 'dist'),
				}, '/', reference);
			}
			if (bundles[1][1]) {
				await checkInBrowser(browser, 'vite', { '/': join(APP, 'vite', 'dist') }, '/', reference);
			}
		} catch (e) {
			check('headless Chromium', e.stack || e.message);
		} finally {
			await browser?.close().catch(() => {});
		}
	}

	printSizes(packed?.tarball, bundles);
	log(`done in ${seconds(Date.now() - started)} (logs in ${relative(ROOT, LOGS)}/)`);
	console.log(`${passed} passed, ${failed} failed`);
	return failed === 0 && passed > 0 ? 0 : 1;
}

const timer = setTimeout(() => {
	log(`abandoned after ${TIMEOUT_MS} ms`);
	process.exit(2);
}, TIMEOUT_MS);
timer.unref();
process.exit(await main().catch((e) => {
	log(e.stack || e.message);
	return 2;
}));
