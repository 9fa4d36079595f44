#!/usr/bin/env node
// The headless Chromium host: node tests/browser/run-chromium.mjs FILE... > transcript.jsonl
// Runs the vector files (paths as given) inside Debian's /usr/bin/chromium, driven by playwright-core
// (no browser download): the repository and the vector folders are served by tests/browser/serve.mjs
// on a free localhost port, the page fetches the .wasm and the vectors and runs them through the JS
// driver (tests/drivers/driver.mjs). Writes the transcript lines to stdout; `cargo xtask check`
// judges them. Exits 2 when the page could not run.
import { existsSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { EXECUTABLE, TIMEOUT_MS, launchChromium } from './chromium.mjs';
import { startServer, ROOT } from './serve.mjs';

const args = process.argv.slice(2);
if (args.length === 0) {
	console.error('usage: node tests/browser/run-chromium.mjs FILE... > transcript.jsonl');
	process.exit(2);
}
for (const a of args) {
	if (!existsSync(a)) {
		console.error(`run-chromium: no such file: ${a}`);
		process.exit(2);
	}
}

// Files inside the repository keep their path; every other folder gets a mount of its own.
const mounts = {};
const mountOf = new Map();
const files = args.map((given) => {
	const p = resolve(given);
	const rel = relative(ROOT, p);
	if (!rel.startsWith('..') && !rel.startsWith(sep)) {
		return { file: given, url: `/${rel.split(sep).join('/')}` };
	}
	const dir = dirname(p);
	if (!mountOf.has(dir)) {
		const prefix = `/__ext/${mountOf.size}/`;
		mountOf.set(dir, prefix);
		mounts[prefix] = dir;
	}
	return { file: given, url: `${mountOf.get(dir)}${encodeURIComponent(basename(p))}` };
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
	}, { files });
	for (const p of problems) {
		console.error(`run-chromium: ${p}`);
	}
	if (result.error) {
		console.error(`run-chromium: ${result.error}`);
	} else {
		console.error(`run-chromium: ${browser.version()} (${EXECUTABLE}), `
			+ `wasm ${result.wasmResource.map((r) => `${r.name.replace(server.url, '')} ${r.bytes} B`).join(', ')}, ${result.ms} ms`);
		process.stdout.write(result.lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
		exitCode = problems.filter((p) => !p.startsWith('console warning')).length === 0 ? 0 : 1;
		if (exitCode !== 0) {
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
