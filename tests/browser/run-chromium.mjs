#!/usr/bin/env node
// Usage: node tests/browser/run-chromium.mjs PATH...
// Runs the conformance vectors inside headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser download). The repository and the vector folders are served by
// tests/browser/serve.mjs on a free localhost port; the page fetches the .wasm and the vectors.
// Prints one line per failing case and ends with exactly "N passed, M failed".
import { basename, dirname, relative, sep } from 'node:path';
import { EXECUTABLE, TIMEOUT_MS, launchChromium } from './chromium.mjs';
import { startServer, ROOT } from './serve.mjs';
import { defaultVectorDirs, displayName, expandPaths, loadSkips } from '../node/files.mjs';
import { summaryLine } from '../node/vector-runner.mjs';


const args = process.argv.slice(2);
let paths;
try {
	paths = expandPaths(args.length > 0 ? args : defaultVectorDirs());
} catch (e) {
	console.error(`run-chromium: ${e.message}`);
	process.exit(2);
}

// Files inside the repository keep their path; every other folder gets a mount of its own.
const mounts = {};
const mountOf = new Map();
const files = paths.map((p) => {
	const rel = relative(ROOT, p);
	if (!rel.startsWith('..') && !rel.startsWith(sep)) {
		return { file: displayName(p), url: `/${rel.split(sep).join('/')}` };
	}
	const dir = dirname(p);
	if (!mountOf.has(dir)) {
		const prefix = `/__ext/${mountOf.size}/`;
		mountOf.set(dir, prefix);
		mounts[prefix] = dir;
	}
	return { file: displayName(p), url: `${mountOf.get(dir)}${encodeURIComponent(basename(p))}` };
});

const server = await startServer({ mounts });
let browser;
let exitCode = 2;
const timer = setTimeout(() => {
	console.error(`run-chromium: timed out after ${TIMEOUT_MS} ms`);
	process.exit(2);
}, TIMEOUT_MS);
try {
	browser = await launchChromium();
	const page = await browser.newPage();
	const problems = [];
	page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning') {
			problems.push(`console ${m.type()}: ${m.text()}`);
		}
	});
	page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
	await page.goto(`${server.url}/tests/browser/index.html`);
	const result = await page.evaluate(async (input) => {
		const m = await import('./page.mjs');
		return m.run(input);
	}, { files, skips: loadSkips() });
	for (const p of problems) {
		console.error(`run-chromium: ${p}`);
	}
	if (result.error) {
		console.error(`run-chromium: ${result.error}`);
	} else {
		console.error(`run-chromium: ${browser.version()} (${EXECUTABLE}), module ${result.version.crate} ${result.version.version}, `
			+ `wasm ${result.wasmResource.map((r) => `${r.name.replace(server.url, '')} ${r.bytes} B`).join(', ')}, ${result.ms} ms`);
		for (const line of result.lines) {
			console.log(line);
		}
		console.log(summaryLine(result.passed, result.failed));
		exitCode = result.failed === 0 && problems.filter((p) => !p.startsWith('console warning')).length === 0 ? 0 : 1;
		if (result.failed === 0 && exitCode !== 0) {
			console.error('run-chromium: failing because of the page errors above');
		}
	}
} catch (e) {
	console.error(`run-chromium: ${e.stack || e.message}`);
	exitCode = 2;
} finally {
	clearTimeout(timer);
	await browser?.close().catch(() => {});
	await server.close();
}
process.exit(exitCode);
