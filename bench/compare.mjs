#!/usr/bin/env node
// Before/after, side by side in one Node process: the bridge and module of an earlier build
// (a copy of its js/ and pkg/ folders, e.g. made with
//   git worktree add /tmp/old <commit> && (cd /tmp/old && ./build.sh build) && mkdir -p DIR && cp -a /tmp/old/js /tmp/old/pkg DIR/)
// against the current js/ and pkg/, timed by the same loop, alternating, so both see the same
// machine. A benchmark, not a test.
//
// Run: node bench/compare.mjs DIR [--quick]
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { attendee, sessionId, roomState, request, NOW, TOKEN } from './rooms.mjs';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const QUICK = process.argv.includes('--quick');
if (args.length !== 1) {
	console.error('usage: node bench/compare.mjs BEFORE_DIR [--quick]   (BEFORE_DIR holds js/ and pkg/ of the earlier build)');
	process.exit(2);
}
const beforeDir = resolve(args[0]);

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median ms per call of each function, sampled in turns (batches of about `sampleMs`). */
function sideBySide(fns, { warmupMs = QUICK ? 100 : 400, minTimeMs = QUICK ? 400 : 2500, sampleMs = 2 } = {}) {
	const per = fns.map((fn) => {
		const t = performance.now();
		let n = 0;
		while (performance.now() - t < warmupMs / fns.length || n < 3) {
			fn();
			n++;
		}
		return (performance.now() - t) / n;
	});
	const batch = per.map((p) => Math.max(1, Math.round(sampleMs / Math.max(p, 1e-6))));
	const samples = fns.map(() => []);
	const start = performance.now();
	while (samples[0].length < (QUICK ? 7 : 21) || performance.now() - start < minTimeMs) {
		fns.forEach((fn, i) => {
			const t = performance.now();
			for (let k = 0; k < batch[i]; k++) {
				fn();
			}
			samples[i].push((performance.now() - t) / batch[i]);
		});
	}
	return samples.map(median);
}





const before = await import(pathToFileURL(`${beforeDir}/js/index.mjs`).href);
const after = await import('../js/index.mjs');
// The module's own object export (serde-wasm-bindgen), beside the bridge's choice for its object API.
const glue = await import('../pkg/talk_call_rules.js');
const beforeWasm = readFileSync(`${beforeDir}/pkg/talk_call_rules_bg.wasm`);
const afterWasm = readFileSync(new URL('../pkg/talk_call_rules_bg.wasm', import.meta.url));
if (!(await before.init(beforeWasm)) || !(await after.init(afterWasm))) {
	console.error('compare: a module could not be loaded', before.lastLoadError(), after.lastLoadError());
	process.exit(1);
}
const size = (b) => `${b.length.toLocaleString('en-US')} B raw, ${gzipSync(b, { level: 9 }).length.toLocaleString('en-US')} B gzip -9`;
console.log(`before: ${beforeDir} (${size(beforeWasm)})`);
console.log(`after:  pkg/ (${size(afterWasm)})`);

const cases = [
	['join, 10 participants', request('POST', 2), roomState(10, 1)],
	['GET peers, 10,000 sessions', request('GET', 1), roomState(10000, 10000)],
];
const rows = [];
for (const [label, req, st] of cases) {
	const stJson = JSON.stringify(st);
	const rqJson = JSON.stringify(req);
	const a = JSON.stringify(after.evaluate(req, st));
	if (a !== JSON.stringify(before.evaluate(req, st))) {
		throw new Error(`compare: the two builds answer ${label} differently`);
	}
	if (JSON.stringify(glue.evaluate(req, st)) !== a) {
		throw new Error(`compare: the object export answers ${label} differently`);
	}
	const [parse, bJson, aJson, bObj, aObj, aExport] = sideBySide([
		() => JSON.parse(stJson),
		() => before.evaluateJson(rqJson, stJson),
		() => after.evaluateJson(rqJson, stJson),
		() => before.evaluate(req, st),
		() => after.evaluate(req, st),
		() => glue.evaluate(req, st),
	]);
	const x = (ms) => `${(ms / parse).toFixed(2)}×`;
	const t = (ms) => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`);
	rows.push([label, t(parse), `${t(bJson)} = ${x(bJson)}`, `${t(aJson)} = ${x(aJson)}`, `${t(bObj)} = ${x(bObj)}`,
		`${t(aObj)} = ${x(aObj)}`, `${t(aExport)} = ${x(aExport)}`]);
}
const headers = ['', 'JSON.parse(state)', 'evaluateJson before', 'evaluateJson after', 'evaluate before',
	'evaluate after', 'module evaluate export (serde-wasm-bindgen)'];
const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
console.log(`\n${line(headers)}\n${widths.map((w) => '-'.repeat(w)).join('   ')}`);
rows.forEach((r) => console.log(line(r)));
