#!/usr/bin/env node
// Benchmark of the optimised module through js/index.mjs (a benchmark, not a test).
// Run: ./build.sh bench   or   node bench/bench.mjs [--quick]
// Every figure is the median of many timed samples taken after a warm-up.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import {
	init, evaluate, evaluateJson, version, allowedActions, stateFromTalk, allowedActionsFromTalk,
} from '../js/index.mjs';
import { config, room, attendee, sessionId, roomState, request, NOW, TOKEN } from './rooms.mjs';

const WASM_URL = new URL('../pkg/talk_call_rules_bg.wasm', import.meta.url);
const QUICK = process.argv.includes('--quick');

// ---------------------------------------------------------------------------------------------
// timing
// ---------------------------------------------------------------------------------------------

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median time per call in ms. Calls are batched so that one sample lasts about `sampleMs`
 * (timer resolution), after `warmupMs` of warm-up; at least `minSamples` samples over `minTimeMs`.
 */
function measure(fn, { warmupMs = QUICK ? 50 : 300, minTimeMs = QUICK ? 200 : 1500, minSamples = QUICK ? 7 : 25, sampleMs = 2 } = {}) {
	let t = performance.now();
	let calls = 0;
	while (performance.now() - t < warmupMs || calls < 3) {
		fn();
		calls++;
	}
	const per = (performance.now() - t) / calls;
	const batch = Math.max(1, Math.round(sampleMs / Math.max(per, 1e-6)));
	const samples = [];
	const start = performance.now();
	while (samples.length < minSamples || performance.now() - start < minTimeMs) {
		t = performance.now();
		for (let i = 0; i < batch; i++) {
			fn();
		}
		samples.push((performance.now() - t) / batch);
	}
	return { ms: median(samples), samples: samples.length, batch };
}

async function measureAsync(fn, { warmup = QUICK ? 2 : 5, iterations = QUICK ? 7 : 31 } = {}) {
	for (let i = 0; i < warmup; i++) {
		await fn(i);
	}
	const samples = [];
	for (let i = 0; i < iterations; i++) {
		const t = performance.now();
		await fn(warmup + i);
		samples.push(performance.now() - t);
	}
	return { ms: median(samples), samples: samples.length };
}

// ---------------------------------------------------------------------------------------------
// fixtures
// ---------------------------------------------------------------------------------------------







// ---------------------------------------------------------------------------------------------
// output
// ---------------------------------------------------------------------------------------------

const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms >= 0.01 ? ms.toFixed(3) : ms.toFixed(4));
const us = (ms) => `${(ms * 1000).toFixed(ms * 1000 >= 100 ? 0 : 1)} µs`;
const int = (n) => n.toLocaleString('en-US');

function table(headers, rows) {
	const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
	const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('   ');
	console.log(`  ${line(headers)}`);
	console.log(`  ${widths.map((w) => '-'.repeat(w)).join('   ')}`);
	for (const r of rows) {
		console.log(`  ${line(r)}`);
	}
}

// ---------------------------------------------------------------------------------------------
// run
// ---------------------------------------------------------------------------------------------

const bytes = readFileSync(WASM_URL);
if (!(await init(bytes))) {
	console.error('bench: the WebAssembly module could not be loaded; run ./build.sh build');
	process.exit(1);
}
const v = version();
console.log(`talk-call-rules bench — ${v.crate} ${v.version}, node ${process.version}, ${fileURLToPath(WASM_URL)}${QUICK ? ' (--quick)' : ''}`);
console.log('medians after warm-up; "per call" = one evaluate\n');

// size
const gz = gzipSync(bytes, { level: 9 }).length;
console.log('module size (release, wasm-opt -Oz)');
table(['file', 'raw', 'gzip -9'], [['pkg/talk_call_rules_bg.wasm', `${int(bytes.length)} B`, `${int(gz)} B`]]);

// instantiate: compile + instantiate of the optimised bytes. Each iteration appends a distinct
// custom section so that V8's module cache cannot serve a previous compilation.
function uniqueBytes(i) {
	const name = new TextEncoder().encode('bench');
	const payload = new Uint8Array([name.length, ...name, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, 0]);
	const out = new Uint8Array(bytes.length + 2 + payload.length);
	out.set(bytes);
	out.set([0, payload.length], bytes.length);
	out.set(payload, bytes.length + 2);
	return out;
}
const probe = new WebAssembly.Module(bytes);
const imports = {};
for (const imp of WebAssembly.Module.imports(probe)) {
	(imports[imp.module] ??= {})[imp.name] = () => {};
}
let compileMs = [];
let instMs = [];
const inst = await measureAsync(async (i) => {
	const t0 = performance.now();
	const module = await WebAssembly.compile(uniqueBytes(i));
	const t1 = performance.now();
	await WebAssembly.instantiate(module, imports);
	compileMs.push(t1 - t0);
	instMs.push(performance.now() - t1);
});
console.log('\nWebAssembly startup (optimised bytes)');
table(['step', 'median ms'], [
	['compile (WebAssembly.compile)', fmt(median(compileMs))],
	['instantiate (WebAssembly.instantiate)', fmt(median(instMs))],
	['compile + instantiate', fmt(inst.ms)],
]);

// join POST on a 10-participant room: object API vs JSON twin vs JSON.parse of the state
const small = roomState(10, 1); // the owner is in the call; user 2 joins
const joinReq = request('POST', 2);
const joinOutcome = evaluate(joinReq, small);
if (joinOutcome.status !== 200) {
	console.log(`\nnote: the join answered ${joinOutcome.status} ${joinOutcome.reason} (expected 200 ok); timings still measured`);
}
const stateJson = JSON.stringify(small);
const reqJson = JSON.stringify(joinReq);
const parse = measure(() => JSON.parse(stateJson));
const obj = measure(() => evaluate(joinReq, small));
const js = measure(() => evaluateJson(reqJson, stateJson));
const roundTrip = measure(() => JSON.parse(evaluateJson(JSON.stringify(joinReq), JSON.stringify(small))));
console.log(`\njoin (POST /call/{token}) on a 10-participant room (state JSON ${int(stateJson.length)} B)`);
table(['what', 'per call', 'vs JSON.parse(state)'], [
	['JSON.parse(state JSON)  [baseline]', us(parse.ms), '1.0×'],
	['evaluate(request, state)  [object API]', us(obj.ms), `${(obj.ms / parse.ms).toFixed(1)}×`],
	['evaluateJson(reqJson, stateJson)', us(js.ms), `${(js.ms / parse.ms).toFixed(1)}×`],
	['stringify + evaluateJson + JSON.parse', us(roundTrip.ms), `${(roundTrip.ms / parse.ms).toFixed(1)}×`],
]);

// Where the time of the object API goes: the host's JSON.stringify, the copy into linear memory
// (TextEncoder.encodeInto into a scratch buffer of the same size stands for it), reading the
// documents (a request routed nowhere: the engine reads both documents, then answers 404), the
// rules and writing the answer text (the full JSON twin minus the read), and JSON.parse of the
// answer (the JS objects). Each part is timed alone; their sum is close to the object API's time.
function breakdown(label, req, st) {
	const stJson = JSON.stringify(st);
	const rqJson = JSON.stringify(req);
	const nowhere = JSON.stringify({ ...req, path: `/call/${TOKEN}/nowhere` });
	const answer = evaluateJson(rqJson, stJson);
	if (JSON.parse(evaluateJson(nowhere, stJson)).status !== 404) {
		throw new Error('bench: the read-only probe was not answered 404');
	}
	const scratch = new Uint8Array(3 * (stJson.length + rqJson.length));
	const encoder = new TextEncoder();
	const opts = { minSamples: QUICK ? 5 : 15, minTimeMs: QUICK ? 200 : 1000 };
	const base = measure(() => JSON.parse(stJson), opts).ms;
	const parts = [
		['JSON.stringify(request, state)', measure(() => JSON.stringify(req) + JSON.stringify(st), opts).ms],
		['copy into memory (encodeInto)', measure(() => encoder.encodeInto(rqJson, scratch) && encoder.encodeInto(stJson, scratch), opts).ms],
		['read request + state', measure(() => evaluateJson(nowhere, stJson), opts).ms],
		['rules + answer text', 0],
		['JSON.parse(answer)', measure(() => JSON.parse(answer), opts).ms],
	];
	parts[3][1] = Math.max(0, measure(() => evaluateJson(rqJson, stJson), opts).ms - parts[2][1]);
	const total = measure(() => evaluate(req, st), opts).ms;
	console.log(`\nwhere the time goes: ${label} (state JSON ${int(stJson.length)} B, answer ${int(answer.length)} B)`);
	table(['part', 'per call', 'vs JSON.parse(state)'], [
		['JSON.parse(state JSON)  [baseline]', us(base), '1.00×'],
		...parts.map(([name, ms]) => [name, us(ms), `${(ms / base).toFixed(2)}×`]),
		['evaluate(request, state)  [object API, whole]', us(total), `${(total / base).toFixed(2)}×`],
	]);
	return total / base;
}
const joinRatio = breakdown('join, 10 participants', joinReq, small);
const peersRatio = breakdown('GET peers, 10,000 sessions', request('GET', 1), roomState(10000, 10000));
console.log(`\ngoal: the object API within 2× JSON.parse of the state — join ${joinRatio.toFixed(2)}×, peers 10k ${peersRatio.toFixed(2)}×`);

// Non-ASCII text costs more at the boundary (encodeInto and TextDecoder leave their ASCII fast
// paths): accented names in every attendee row of the 10,000-session room.
{
	const st = roomState(10000, 10000);
	st.attendees.forEach((a, i) => { a.displayName = `Jürgen Müller-Lüdenscheid ${i}`; });
	const rq = request('GET', 1);
	const stJson = JSON.stringify(st);
	const rqJson = JSON.stringify(rq);
	const opts = { minSamples: QUICK ? 5 : 15, minTimeMs: QUICK ? 200 : 1000, sampleMs: 0 };
	const p = measure(() => JSON.parse(stJson), opts).ms;
	const j = measure(() => evaluateJson(rqJson, stJson), opts).ms;
	const o = measure(() => evaluate(rq, st), opts).ms;
	console.log('\nGET peers, 10,000 sessions, every display name with non-ASCII letters');
	table(['what', 'per call', 'vs JSON.parse(state)'], [
		['JSON.parse(state JSON)  [baseline]', `${fmt(p)} ms`, '1.00×'],
		['evaluateJson(reqJson, stateJson)', `${fmt(j)} ms`, `${(j / p).toFixed(2)}×`],
		['evaluate(request, state)  [object API]', `${fmt(o)} ms`, `${(o / p).toFixed(2)}×`],
	]);
}

// GET peers: growth with the number of sessions (all in the call, all fresh)
const sizes = QUICK ? [1000, 2000, 5000, 10000] : [1000, 2000, 5000, 10000];
const rows = [];
for (const n of sizes) {
	const st = roomState(n, n);
	const req = request('GET', 1);
	const out = evaluate(req, st);
	const entries = Array.isArray(out.data) ? out.data.length : `${out.status} ${out.reason}`;
	const stJson = JSON.stringify(st);
	const rqJson = JSON.stringify(req);
	const o = measure(() => evaluate(req, st), { minSamples: QUICK ? 5 : 15, minTimeMs: QUICK ? 200 : 1000, sampleMs: 0 });
	const j = measure(() => evaluateJson(rqJson, stJson), { minSamples: QUICK ? 5 : 15, minTimeMs: QUICK ? 200 : 1000, sampleMs: 0 });
	const p = measure(() => JSON.parse(stJson), { minSamples: QUICK ? 5 : 15, minTimeMs: QUICK ? 200 : 1000, sampleMs: 0 });
	rows.push([int(n), fmt(o.ms), fmt(o.ms / (n / 1000)), fmt(j.ms), fmt(j.ms / (n / 1000)), fmt(p.ms), String(entries)]);
}
console.log('\nGET /call/{token} (peers), every session in the call');
table(['sessions', 'object ms', 'ms/1k', 'json ms', 'ms/1k', 'JSON.parse ms', 'entries'], rows);
const last = rows[rows.length - 1];
console.log(`\nGET peers on a ${last[0]}-session room: ${last[1]} ms per call (object API), ${last[3]} ms (JSON twin)`);

// allowedActionsFromTalk against allowedActions on the same view's State: the view adds one module call
// per distinct world its hidden data leaves open (see js/talk-state.mjs), each linear in the participants.
// A public conversation: half the participants guests, a fifth in the call, the moderator asking in it;
// the users with a session outside the call are ring targets whose other sessions the list may hide
// (target-sessions). With the capabilities and signaling settings the frontend holds, that is the one
// open fact; without the signaling settings the signaling mode is open too.
function talkInput(n, signaling) {
	const participants = [{
		attendeeId: 1, actorType: 'users', actorId: 'alice', displayName: 'Alice', participantType: 1, inCall: 7,
		lastPing: NOW, sessionIds: ['alice-s'],
	}];
	for (let id = 2; id <= n; id++) {
		const guest = id % 2 === 0;
		participants.push({
			attendeeId: id, actorType: guest ? 'guests' : 'users', actorId: guest ? `guest-${id}` : `user${id}`,
			displayName: `Participant ${id}`, participantType: guest ? 4 : 3, inCall: id % 5 === 0 ? 7 : 0,
			lastPing: NOW - (id % 50), sessionIds: [sessionId(id)],
		});
	}
	return {
		conversation: {
			token: TOKEN, type: 3, attendeeId: 1, actorType: 'users', actorId: 'alice', participantType: 1, permissions: 254,
			sessionId: 'alice-s', participantFlags: 7, lastPing: NOW, callFlag: 7, callStartTime: NOW - 60, canStartCall: true,
			recordingConsent: 0,
		},
		participants,
		capabilities: { spreed: { config: { call: { enabled: true, 'recording-consent': 0 } } } },
		signalingSettings: signaling ? { signalingMode: 'external' } : undefined,
		currentUser: { uid: 'alice' },
		now: NOW,
	};
}
const talkRows = [];
const talkRatios = {};
for (const signaling of [true, false]) {
	for (const n of [5000, 10000]) {
		const raw = talkInput(n, signaling);
		const view = stateFromTalk(raw);
		if (view.error !== null) {
			throw new Error(`bench: the view was refused: ${view.error.detail}`);
		}
		const opts = { minSamples: QUICK ? 5 : 15, minTimeMs: QUICK ? 300 : 2000, sampleMs: 0 };
		// Side by side in one loop, so that both see the same machine.
		const plain = [];
		const talk = [];
		const start = performance.now();
		allowedActions(view.state, view.actor, view.now);
		allowedActionsFromTalk(view);
		while (plain.length < opts.minSamples || performance.now() - start < opts.minTimeMs) {
			let t = performance.now();
			allowedActions(view.state, view.actor, view.now);
			plain.push(performance.now() - t);
			t = performance.now();
			allowedActionsFromTalk(view);
			talk.push(performance.now() - t);
		}
		const p = median(plain);
		const f = median(talk);
		const read = measure(() => stateFromTalk(raw), { ...opts, minTimeMs: QUICK ? 200 : 1000 }).ms;
		const open = view.uncertain.dependsOn.join(', ');
		talkRows.push([signaling ? 'capabilities + signaling settings' : 'without signaling settings', int(n), open,
			fmt(read), fmt(p), fmt(f), `${(f / p).toFixed(2)}×`]);
		talkRatios[`${signaling ? 'frontend' : 'partial'} ${n}`] = f / p;
	}
}
console.log('\nallowedActionsFromTalk vs allowedActions on the same view (public conversation, half guests)');
table(['view', 'participants', 'open', 'stateFromTalk ms', 'allowedActions ms', 'FromTalk ms', 'ratio'], talkRows);
console.log(`\ngoal: allowedActionsFromTalk within 2× allowedActions at 10,000 participants with what the frontend holds — `
	+ `${talkRatios['frontend 10000'].toFixed(2)}× (5,000: ${talkRatios['frontend 5000'].toFixed(2)}×; `
	+ `with two open facts, four worlds, three asked besides the view's own: ${talkRatios['partial 10000'].toFixed(2)}×)`);
