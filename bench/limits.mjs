#!/usr/bin/env node
// Resource limits through js/index.mjs and the optimised pkg/ (a measurement, not a test; the
// answers are asserted natively in tests/limits.rs and in the wasm suites):
//   1. time to refuse a 10 MB payload and 10,000-deep nesting, via evaluate (objects) and
//      evaluateJson (text), side by side;
//   2. memory across 1,000,000 evaluate calls in one instance: process RSS and the wasm
//      linear memory (wasmExports().memory), sampled every 100,000 calls.
// Run: ./build.sh bench-limits   or   node bench/limits.mjs [--calls N]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { init, evaluate, evaluateJson, wasmExports } from '../js/index.mjs';

const argCalls = process.argv.indexOf('--calls');
const CALLS = argCalls > 0 ? Number(process.argv[argCalls + 1]) : 1_000_000;
const SAMPLE_EVERY = Math.max(1, Math.round(CALLS / 10));
const TEN_MB = 10 * 1000 * 1000;
const DEEP = 10_000;

const REQUEST = { method: 'POST', path: '/call/abcd1234', body: { flags: 3 }, actor: { userId: 'alice', sessionId: 's1' }, now: 1700000000 };
const STATE = {
	room: { token: 'abcd1234', type: 2 },
	attendees: [{ attendeeId: 1, actorType: 'users', actorId: 'alice', participantType: 1 }],
	sessions: [{ sessionId: 's1', attendeeId: 1, inCall: 0, lastPing: 1700000000 }],
};

const bytes = readFileSync(new URL('../pkg/talk_call_rules_bg.wasm', import.meta.url));
if (!(await init(bytes))) {
	console.error('bench/limits.mjs: the module did not load (run ./build.sh build)');
	process.exit(1);
}

function deepArray(n) {
	let v = 1;
	for (let i = 0; i < n; i++) v = [v];
	return v;
}
function deepObject(n) {
	let v = 1;
	for (let i = 0; i < n; i++) v = { a: v };
	return v;
}
const withBody = (extra) => ({ ...REQUEST, body: { flags: 3, extra } });
const withRoom = (hostField) => ({ ...STATE, room: { ...STATE.room, hostField } });

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	return s[s.length >> 1];
}
/** Median ms over enough runs to fill about 0.5 s (5..2000 runs), after one warm-up call. */
function time(fn) {
	const answer = fn();
	const samples = [];
	const start = performance.now();
	while (samples.length < 5 || (performance.now() - start < 500 && samples.length < 2000)) {
		const t = performance.now();
		fn();
		samples.push(performance.now() - t);
	}
	return { ms: median(samples), runs: samples.length, answer };
}
const fmtMs = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
const show = (o) => `${o.status} ${o.reason}`;
const mb = (b) => `${(b / 1048576).toFixed(1)} MiB`;

let bigString = 'a'.repeat(TEN_MB);
let bigArray = new Array(TEN_MB / 2).fill(0); // "[0,0,…]": 10 MB of JSON
// V8's JSON.stringify gives up (RangeError) on 10,000-deep nesting: the text twins get the text
// written out directly (the same document).
const deepArrayText = (n) => `${'['.repeat(n)}1${']'.repeat(n)}`;
const deepObjectText = (n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const bodyText = (extra) => JSON.stringify(withBody('@')).replace('"@"', extra);
const roomText = (field) => JSON.stringify(withRoom('@')).replace('"@"', field);
let cases = [
	['valid join (baseline)', REQUEST, STATE],
	['request: 10 MB string', withBody(bigString), STATE],
	['state: 10 MB string', REQUEST, withRoom(bigString)],
	['state: 10 MB array [0,0,…]', REQUEST, withRoom(bigArray)],
	['request: 10,000-deep arrays', withBody(deepArray(DEEP)), STATE, bodyText(deepArrayText(DEEP))],
	['request: 10,000-deep objects', withBody(deepObject(DEEP)), STATE, bodyText(deepObjectText(DEEP))],
	['state: 10,000-deep arrays', REQUEST, withRoom(deepArray(DEEP)), undefined, roomText(deepArrayText(DEEP))],
	['state: 10,000-deep objects', REQUEST, withRoom(deepObject(DEEP)), undefined, roomText(deepObjectText(DEEP))],
];
const stringify = (v) => {
	try {
		return JSON.stringify(v);
	} catch {
		return null;
	}
};

console.log(`talk-call-rules limits, Node ${process.version} (median per call)`);
console.log(`${'case'.padEnd(32)} ${'evaluate'.padStart(11)} ${'evaluateJson'.padStart(13)} ${'JSON.stringify'.padStart(15)}  answer`);
let ok = true;
for (const [name, request, state, requestText, stateText] of cases) {
	const obj = time(() => evaluate(request, state));
	const rText = requestText ?? JSON.stringify(request);
	const sText = stateText ?? JSON.stringify(state);
	const txt = time(() => JSON.parse(evaluateJson(rText, sText)));
	const str = time(() => (stringify(request) ?? '') + (stringify(state) ?? ''));
	const throws = stringify(request) === null || stringify(state) === null;
	const same = show(obj.answer) === show(txt.answer);
	ok &&= same;
	console.log(`${name.padEnd(32)} ${fmtMs(obj.ms).padStart(11)} ${fmtMs(txt.ms).padStart(13)} ${(fmtMs(str.ms) + (throws ? ' (throws)' : '')).padStart(15)}  ${show(obj.answer)}${same ? '' : ` (evaluateJson: ${show(txt.answer)})`}`);
}
console.log('evaluate includes the JSON.stringify of its arguments (that alone, in JS: last column; "throws": V8\'s');
console.log('RangeError on deep nesting, which evaluate turns into bad-input). evaluateJson includes JSON.parse of the answer.');

// ---------------------------------------------------------------------------------------------
// memory across many calls in one instance
// ---------------------------------------------------------------------------------------------
// Drop the big inputs first (node --expose-gc collects them now; ./build.sh bench-limits passes it).
cases = bigString = bigArray = null;
const memory = () => wasmExports()?.memory?.buffer.byteLength ?? NaN;
globalThis.gc?.();
console.log(`\nmemory across ${CALLS.toLocaleString('en')} evaluate calls (valid join), one instance`);
console.log(`${'calls'.padStart(10)} ${'rss'.padStart(11)} ${'heapUsed'.padStart(11)} ${'wasm memory'.padStart(12)} ${'µs/call'.padStart(8)}`);
const first = { rss: process.memoryUsage().rss, wasm: memory() };
console.log(`${'0'.padStart(10)} ${mb(first.rss).padStart(11)} ${mb(process.memoryUsage().heapUsed).padStart(11)} ${mb(first.wasm).padStart(12)}`);
let t = performance.now();
let last = null;
const samples = [];
for (let i = 1; i <= CALLS; i++) {
	last = evaluate(REQUEST, STATE);
	if (i % SAMPLE_EVERY === 0) {
		const now = performance.now();
		const m = process.memoryUsage();
		const s = { calls: i, rss: m.rss, heap: m.heapUsed, wasm: memory(), us: ((now - t) * 1000) / SAMPLE_EVERY };
		samples.push(s);
		console.log(`${i.toLocaleString('en').padStart(10)} ${mb(s.rss).padStart(11)} ${mb(s.heap).padStart(11)} ${mb(s.wasm).padStart(12)} ${s.us.toFixed(2).padStart(8)}`);
		t = performance.now();
	}
}
if (last.status !== 200) ok = false;
const base = samples[0];
const end = samples[samples.length - 1];
console.log(`growth from ${base.calls.toLocaleString('en')} to ${end.calls.toLocaleString('en')} calls: rss ${((end.rss - base.rss) / 1048576).toFixed(1)} MiB, `
	+ `wasm memory ${((end.wasm - base.wasm) / 1048576).toFixed(1)} MiB (after the 10 MB cases: ${mb(first.wasm)} at the start); last answer ${show(last)}`);
if (!ok) {
	console.error('bench/limits.mjs: evaluate and evaluateJson disagreed, or the last answer was not 200');
	process.exit(1);
}
