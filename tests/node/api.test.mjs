// API tests of js/index.mjs against the optimised pkg/talk_call_rules_bg.wasm (node --test).
// Each test file runs in its own process, so the first test here sees an uninitialised bridge.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import * as bridge from '../../js/index.mjs';
import { applyFixture, caseSteps, clone } from '../drivers/driver.mjs';
import { ROOT, defaultVectorDirs, expandPaths, loadVectorFiles } from './files.mjs';

const {
	init, initSync, isReady, evaluate, apply, ocs, version, evaluateJson, applyJson, ocsJson, versionJson,
	TalkCallRulesError, REASONS, wasmExports, allowedActions, allowedActionsJson, explain, explainJson,
} = bridge;
const NOW = 1700000000;

const WASM_PATH = resolve(ROOT, 'pkg', 'talk_call_rules_bg.wasm');
const vectorFiles = loadVectorFiles(expandPaths(defaultVectorDirs()));

/**
 * Every request step of every vector with the running state it sees: { file, name, index, request, state }.
 * Replayed with the object API, ignoring the expectations (the vector tests check those).
 */
let stepsCache = null;
function allSteps() {
	if (stepsCache) {
		return stepsCache;
	}
	const out = [];
	for (const { file, cases } of vectorFiles) {
		for (const c of cases || []) {
			let state = clone(c.state);
			caseSteps(c).forEach((step, index) => {
				if (step.fixture !== undefined) {
					try {
						state = applyFixture(state, step);
					} catch {
						// a broken fixture is reported by the vector tests
					}
					return;
				}
				out.push({ file, name: c.name, index, request: clone(step.request), state: clone(state) });
				const o = evaluate(step.request, state);
				const next = apply(state, Array.isArray(o.mutations) ? o.mutations : []);
				if (next && next.room) {
					state = next;
				}
			});
		}
	}
	stepsCache = out;
	return out;
}

const SAMPLE_STATE = {
	config: { startCalls: 0, allowedGroups: [], recordingConsent: 0, defaultPermissions: null, signaling: 'external' },
	room: {
		token: 'abc123', type: 2, readOnly: 0, lobbyState: 0, lobbyTimer: null, objectType: '', callFlag: 0,
		activeSince: null, activeGuests: 0, defaultPermissions: 0, callPermissions: 0, recordingConsent: 0,
		callRecording: 0, breakoutRoomMode: 0, breakoutRoomStatus: 0,
	},
	attendees: [{
		attendeeId: 1, actorType: 'users', actorId: 'alice', displayName: 'Alice', participantType: 1,
		permissions: 0, lastJoinedCall: null, notificationCalls: 1, phoneNumber: null, callId: null,
	}],
	sessions: [{ sessionId: 'a-long-session-id', attendeeId: 1, inCall: 0, lastPing: 1700000000 }],
	foreignAttendees: [],
	users: { alice: { displayName: 'Alice A.' } },
};
const SAMPLE_REQUEST = {
	method: 'POST', path: '/call/abc123', body: { flags: 7 },
	actor: { userId: 'alice', sessionId: 'a-long-session-id', groups: [] }, now: 1700000000,
};

/** A test that needs the module loaded (it may run alone, e.g. with --test-name-pattern). */
function loadedTest(name, fn) {
	test(name, async () => {
		assert.equal(await init(), true, 'init() resolved false: run ./build.sh build');
		await fn();
	});
}

function assertBadInput(outcome, label) {
	assert.equal(typeof outcome, 'object', `${label}: outcome is an object`);
	assert.equal(outcome.status, 400, `${label}: status 400 (got ${JSON.stringify(outcome)})`);
	assert.equal(outcome.reason, 'bad-input', `${label}: reason bad-input`);
	assert.equal(outcome.data && outcome.data.error, 'bad-input', `${label}: data.error`);
	assert.equal(typeof outcome.data.detail, 'string', `${label}: data.detail is a string`);
	assert.deepEqual(outcome.mutations, [], `${label}: no mutations`);
}

test('before init every function throws TalkCallRulesError not-initialised', () => {
	assert.equal(isReady(), false);
	assert.equal(wasmExports(), null);
	const calls = {
		evaluate: () => evaluate(SAMPLE_REQUEST, SAMPLE_STATE),
		apply: () => apply(SAMPLE_STATE, []),
		ocs: () => ocs({ status: 200, data: [], message: 'OK' }),
		version: () => version(),
		evaluateJson: () => evaluateJson('{}', '{}'),
		applyJson: () => applyJson('{}', '[]'),
		ocsJson: () => ocsJson('{}'),
		versionJson: () => versionJson(),
		allowedActions: () => allowedActions(SAMPLE_STATE, { userId: 'alice' }, NOW),
		explain: () => explain({ status: 200, reason: 'ok' }),
		allowedActionsJson: () => allowedActionsJson('{}', '{}', NOW),
		explainJson: () => explainJson('{}'),
	};
	for (const [name, call] of Object.entries(calls)) {
		assert.throws(call, (e) => {
			assert.ok(e instanceof TalkCallRulesError, `${name}: instance of TalkCallRulesError`);
			assert.ok(e instanceof Error);
			assert.equal(e.name, 'TalkCallRulesError');
			assert.equal(e.code, 'not-initialised');
			assert.match(e.message, /not initialised.*init\(\)/);
			return true;
		}, name);
	}
});

test('init with unusable input resolves false (never rejects) and can be retried', async () => {
	assert.equal(await init(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 9, 9])), false, 'truncated bytes');
	assert.equal(await init(new ArrayBuffer(0)), false, 'empty bytes');
	assert.equal(await init(resolve(ROOT, 'pkg', 'does-not-exist.wasm')), false, 'missing file');
	assert.equal(await init(42), false, 'a number');
	assert.equal(await init(new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))), false, 'a foreign module');
	assert.equal(initSync(new Uint8Array([1, 2, 3])), false, 'initSync with bad bytes');
	assert.ok(bridge.lastLoadError() instanceof Error, 'the reason is kept for logs');
	assert.equal(isReady(), false);
});

test('init is idempotent and memoized', async () => {
	const p1 = init();
	const p2 = init();
	assert.equal(p1, p2, 'concurrent calls share one promise');
	assert.equal(await p1, true);
	assert.equal(isReady(), true);
	assert.equal(bridge.lastLoadError(), null);
	assert.equal(await init(), true);
	assert.equal(await init(new Uint8Array([1, 2, 3])), true, 'once ready, input is ignored');
	assert.equal(initSync(), true);
});

loadedTest('version', () => {
	const v = version();
	assert.equal(v.crate, 'talk-call-rules');
	assert.equal(typeof v.version, 'string');
	assert.equal(v.talkApi, 'v4');
	assert.equal(v.serverParity, 'talk-18');
	assert.equal(v.abi, 1);
	assert.deepEqual(JSON.parse(versionJson()), v);
});

test('reason codes list', () => {
	assert.equal(new Set(REASONS).size, REASONS.length);
	for (const r of ['ok', 'no-route', 'method-not-allowed', 'bad-input', 'dial-out-unavailable']) {
		assert.ok(REASONS.includes(r), r);
	}
	assert.throws(() => { REASONS.push('x'); });
});

loadedTest('every vector outcome carries a known reason and a matching OCS envelope', () => {
	const steps = allSteps();
	assert.ok(steps.length > 0, 'vectors found');
	for (const s of steps) {
		const o = evaluate(s.request, s.state);
		const where = `${s.file} :: ${s.name} :: step ${s.index + 1}`;
		assert.ok(REASONS.includes(o.reason), `${where}: unknown reason ${o.reason}`);
		assert.ok(Array.isArray(o.mutations) && Array.isArray(o.effects), `${where}: mutations/effects arrays`);
		const env = ocs(o);
		assert.equal(env.ocs.meta.statuscode, o.status, where);
		assert.equal(env.ocs.meta.status, o.status >= 200 && o.status < 300 ? 'ok' : 'failure', where);
		assert.equal(env.ocs.meta.message, o.message,
			`${where}: ocs(outcome).ocs.meta.message must be outcome.message (CONTRACT: the Outcome's message is the server's ocs.meta.message, "OK" on 2xx)`);
		assert.deepEqual(env.ocs.data, o.data, where);
	}
});

loadedTest('JSON twins agree with the object API on every vector step', () => {
	const steps = allSteps();
	assert.ok(steps.length > 0, 'vectors found');
	for (const s of steps) {
		const where = `${s.file} :: ${s.name} :: step ${s.index + 1}`;
		const o = evaluate(s.request, s.state);
		const oj = JSON.parse(evaluateJson(JSON.stringify(s.request), JSON.stringify(s.state)));
		assert.deepEqual(oj, o, `${where}: evaluateJson`);
		const next = apply(s.state, o.mutations);
		const nextJ = JSON.parse(applyJson(JSON.stringify(s.state), JSON.stringify(o.mutations)));
		assert.deepEqual(nextJ, next, `${where}: applyJson`);
		assert.deepEqual(JSON.parse(ocsJson(JSON.stringify(o))), ocs(o), `${where}: ocsJson`);
	}
});

loadedTest('apply returns a new value and leaves its input untouched; unknown fields survive', () => {
	const state = clone(SAMPLE_STATE);
	state.extra = { keep: [1, 2, 3] };
	state.room.futureColumn = 'x';
	state.sessions[0].futureColumn = 5;
	const before = JSON.stringify(state);
	const next = apply(state, [
		{ op: 'updateRoom', set: { callFlag: 7, activeSince: 1700000000 } },
		{ op: 'updateSession', sessionId: 'a-long-session-id', set: { inCall: 7 } },
		{ op: 'updateAttendee', attendeeId: 1, set: { lastJoinedCall: 1700000000 } },
	]);
	assert.equal(JSON.stringify(state), before, 'input untouched');
	assert.notEqual(next, state);
	assert.equal(next.room.callFlag, 7);
	assert.equal(next.room.activeSince, 1700000000);
	assert.equal(next.sessions[0].inCall, 7);
	assert.equal(next.attendees[0].lastJoinedCall, 1700000000);
	assert.deepEqual(next.extra, { keep: [1, 2, 3] });
	assert.equal(next.room.futureColumn, 'x');
	assert.equal(next.sessions[0].futureColumn, 5);
});

function nested(depth, leaf = 1) {
	let v = leaf;
	for (let i = 0; i < depth; i++) {
		v = { a: v };
	}
	return v;
}

loadedTest('bad data never throws: it answers 400 bad-input', () => {
	const badObjects = {
		'undefined request and state': () => evaluate(undefined, undefined),
		'null request': () => evaluate(null, SAMPLE_STATE),
		'number request': () => evaluate(42, SAMPLE_STATE),
		'string state': () => evaluate(SAMPLE_REQUEST, 'state'),
		'empty objects': () => evaluate({}, {}),
		'path is a number': () => evaluate({ ...SAMPLE_REQUEST, path: 5 }, SAMPLE_STATE),
		'now is a string': () => evaluate({ ...SAMPLE_REQUEST, now: 'soon' }, SAMPLE_STATE),
		'now is NaN': () => evaluate({ ...SAMPLE_REQUEST, now: NaN }, SAMPLE_STATE),
		'attendees is not a list': () => evaluate(SAMPLE_REQUEST, { ...SAMPLE_STATE, attendees: {} }),
		'room missing': () => evaluate(SAMPLE_REQUEST, { ...SAMPLE_STATE, room: undefined }),
		'callFlag out of range': () => evaluate(SAMPLE_REQUEST, { ...SAMPLE_STATE, room: { ...SAMPLE_STATE.room, callFlag: 2 ** 40 } }),
		'duplicate attendee ids': () => evaluate(SAMPLE_REQUEST, { ...SAMPLE_STATE, attendees: [SAMPLE_STATE.attendees[0], SAMPLE_STATE.attendees[0]] }),
		'flags is a nested object': () => evaluate({ ...SAMPLE_REQUEST, body: { flags: nested(300) } }, SAMPLE_STATE),
		'apply: mutations not a list': () => apply(SAMPLE_STATE, 'nope'),
		'apply: unknown op': () => apply(SAMPLE_STATE, [{ op: 'dropTable', set: {} }]),
		'apply: state null': () => apply(null, []),
	};
	const badJson = {
		'not JSON': () => evaluateJson('not json', '{}'),
		'empty strings': () => evaluateJson('', ''),
		'non-string arguments': () => evaluateJson(undefined, 12),
		'JSON array as request': () => evaluateJson('[]', JSON.stringify(SAMPLE_STATE)),
		'truncated state': () => evaluateJson(JSON.stringify(SAMPLE_REQUEST), JSON.stringify(SAMPLE_STATE).slice(0, 50)),
		'100,000 nested arrays': () => evaluateJson('['.repeat(100000) + ']'.repeat(100000), '{}'),
		'applyJson garbage': () => applyJson('{', '['),
		'applyJson mutations object': () => applyJson(JSON.stringify(SAMPLE_STATE), '{}'),
	};
	// Not necessarily bad-input (the rules may ignore or accept them), but never a throw.
	const noThrow = {
		'bigint in state': () => evaluate(SAMPLE_REQUEST, { ...SAMPLE_STATE, room: { ...SAMPLE_STATE.room, callFlag: 7n } }),
		'symbol as method': () => evaluate({ ...SAMPLE_REQUEST, method: Symbol('POST') }, SAMPLE_STATE),
		'function as state': () => evaluate(SAMPLE_REQUEST, () => 1),
		'100,000 levels in an ignored body field': () => evaluate({ ...SAMPLE_REQUEST, body: { flags: 7, unknownField: nested(100000) } }, SAMPLE_STATE),
		'100,000 levels in an unknown state field': () => evaluate(SAMPLE_REQUEST, { ...SAMPLE_STATE, extra: nested(100000) }),
		'lone surrogate in the path': () => evaluate({ ...SAMPLE_REQUEST, path: '/call/abc123\ud800' }, SAMPLE_STATE),
		'apply: unknown session': () => apply(SAMPLE_STATE, [{ op: 'updateSession', sessionId: 'nope', set: { inCall: 1 } }]),
		'json: lone surrogate escape': () => JSON.parse(evaluateJson(JSON.stringify({ ...SAMPLE_REQUEST, path: '\ud800' }), JSON.stringify(SAMPLE_STATE))),
		'json: 100,000 levels in an ignored body field': () => JSON.parse(evaluateJson(
			`{"method":"POST","path":"/call/abc123","now":1700000000,"actor":{"userId":"alice","sessionId":"a-long-session-id"},"body":{"x":${'['.repeat(100000)}${']'.repeat(100000)}}}`,
			JSON.stringify(SAMPLE_STATE),
		)),
	};
	for (const [label, call] of Object.entries(badObjects)) {
		let outcome;
		assert.doesNotThrow(() => { outcome = call(); }, label);
		assertBadInput(outcome, label);
	}
	for (const [label, call] of Object.entries(badJson)) {
		let out;
		assert.doesNotThrow(() => { out = call(); }, label);
		assert.equal(typeof out, 'string', label);
		assertBadInput(JSON.parse(out), label);
	}
	for (const [label, call] of Object.entries(noThrow)) {
		let out;
		assert.doesNotThrow(() => { out = call(); }, label);
		assert.equal(typeof out, 'object', label);
		assert.ok(typeof out.status === 'number' || out.room, `${label}: an Outcome or a State (got ${JSON.stringify(out)})`);
		if (typeof out.status === 'number') {
			assert.ok(REASONS.includes(out.reason), `${label}: known reason ${out.reason}`);
		}
	}
	for (const [label, call] of Object.entries({ 'ocs(null)': () => ocs(null), 'ocsJson garbage': () => ocsJson('}{') })) {
		assert.doesNotThrow(call, label);
	}
	assert.equal(isReady(), true, 'still usable after bad data');
});

function abiCall(exp, fn, ...parts) {
	const enc = new TextEncoder();
	const bytes = parts.map((p) => enc.encode(p));
	const total = bytes.reduce((n, b) => n + b.length, 0);
	const ptr = exp.tcr_input_reserve(total);
	assert.notEqual(ptr, 0, 'tcr_input_reserve');
	let at = ptr;
	for (const b of bytes) {
		new Uint8Array(exp.memory.buffer, at, b.length).set(b);
		at += b.length;
	}
	const len = exp[fn](...bytes.map((b) => b.length));
	assert.ok(len >= 0, `${fn} returned ${len}`);
	return new TextDecoder().decode(new Uint8Array(exp.memory.buffer, exp.tcr_output_ptr(), len));
}

/** Instantiates the .wasm as a non-JS host would: every import is a host function that traps. */
function standaloneAbiInstance() {
	const module = new WebAssembly.Module(readFileSync(WASM_PATH));
	const imports = {};
	for (const imp of WebAssembly.Module.imports(module)) {
		if (imp.kind !== 'function') {
			throw new Error(`unexpected ${imp.kind} import ${imp.module}.${imp.name}`);
		}
		imports[imp.module] ??= {};
		imports[imp.module][imp.name] = () => {
			throw new Error(`host import ${imp.module}.${imp.name} called from a C-ABI export`);
		};
	}
	return new WebAssembly.Instance(module, imports).exports;
}

loadedTest('C-ABI exports give the same JSON as the JSON twins', () => {
	const steps = allSteps();
	assert.ok(steps.length > 0);
	// A few steps from every file, plus bad data.
	const picked = [];
	const seen = new Map();
	for (const s of steps) {
		const n = seen.get(s.file) || 0;
		if (n < 3) {
			picked.push(s);
			seen.set(s.file, n + 1);
		}
	}
	for (const [label, exp] of [['standalone instance (traps on imports)', standaloneAbiInstance()], ['bridge instance', wasmExports()]]) {
		assert.equal(exp.tcr_abi_version(), 1, label);
		assert.equal(exp.tcr_input_reserve(0x7fffffff), 0, `${label}: oversized reserve answers 0`);
		assert.equal(abiCall(exp, 'tcr_version'), versionJson(), `${label}: tcr_version`);
		for (const s of picked) {
			const where = `${label}: ${s.file} :: ${s.name} :: step ${s.index + 1}`;
			const req = JSON.stringify(s.request);
			const st = JSON.stringify(s.state);
			const out = abiCall(exp, 'tcr_evaluate', req, st);
			assert.equal(out, evaluateJson(req, st), `${where}: tcr_evaluate`);
			const muts = JSON.stringify(JSON.parse(out).mutations ?? []);
			assert.equal(abiCall(exp, 'tcr_apply', st, muts), applyJson(st, muts), `${where}: tcr_apply`);
			assert.equal(abiCall(exp, 'tcr_ocs', out), ocsJson(out), `${where}: tcr_ocs`);
		}
		const bad = abiCall(exp, 'tcr_evaluate', 'not json', '{}');
		assert.equal(bad, evaluateJson('not json', '{}'), `${label}: bad input`);
		assert.equal(JSON.parse(bad).reason, 'bad-input');
	}
	assert.equal(isReady(), true);
});

loadedTest('a trap makes the module unusable until init() re-instantiates it', async () => {
	assert.equal(isReady(), true);
	// Corrupt the instance's memory (allocator state included) so that the next call traps.
	new Uint8Array(wasmExports().memory.buffer).fill(0xff);
	assert.throws(() => evaluate(SAMPLE_REQUEST, SAMPLE_STATE), (e) => {
		assert.ok(e instanceof TalkCallRulesError);
		assert.equal(e.code, 'trapped');
		assert.ok(e.cause !== undefined, 'the original error is the cause');
		return true;
	});
	assert.equal(isReady(), false);
	assert.equal(wasmExports(), null);
	assert.throws(() => versionJson(), (e) => e.code === 'trapped');
	assert.equal(await init(), true, 're-init');
	assert.equal(isReady(), true);
	assert.equal(version().talkApi, 'v4');
	const o = evaluate(SAMPLE_REQUEST, SAMPLE_STATE);
	assert.equal(typeof o.status, 'number');
	assert.deepEqual(JSON.parse(evaluateJson(JSON.stringify(SAMPLE_REQUEST), JSON.stringify(SAMPLE_STATE))), o);
	// initSync also recovers.
	new Uint8Array(wasmExports().memory.buffer).fill(0xff);
	assert.throws(() => evaluateJson('{}', '{}'), (e) => e.code === 'trapped');
	assert.equal(initSync(), true);
	assert.equal(JSON.parse(versionJson()).abi, 1);
});

test('allowedActions and explain agree with evaluate (when the build has them)', async (t) => {
	assert.equal(await init(), true);
	const exp = wasmExports();
	if (typeof exp.allowedActions !== 'function' || typeof exp.explain !== 'function') {
		t.skip('this build of the module has no allowedActions/explain');
		return;
	}
	const ACTIONS = ['join', 'updateFlags', 'leave', 'endForEveryone', 'peers'];
	let checked = 0;
	for (const s of allSteps()) {
		const where = `${s.file} :: ${s.name} :: step ${s.index + 1}`;
		// explain: one sentence per reason, for every outcome
		const o = evaluate(s.request, s.state);
		const e = explain(o);
		assert.equal(e.reason, o.reason, `${where}: explain reason`);
		assert.equal(e.status, o.status, `${where}: explain status`);
		assert.ok(typeof e.explanation === 'string' && e.explanation.length > 0, `${where}: explanation`);
		assert.deepEqual(JSON.parse(explainJson(JSON.stringify(o))), e, `${where}: explainJson`);
		// allowedActions: each modelled request answers exactly what evaluate answers
		const actor = s.request && s.request.actor;
		if (!actor || typeof s.request.now !== 'number') {
			continue;
		}
		const map = allowedActions(s.state, actor, s.request.now);
		if (map.reason === 'bad-input') {
			assert.equal(o.reason, 'bad-input', `${where}: allowedActions refused a state that evaluate accepts: ${JSON.stringify(map.data)}`);
			continue;
		}
		const json = JSON.parse(allowedActionsJson(JSON.stringify(s.state), JSON.stringify(actor), s.request.now));
		assert.deepEqual(json, map, `${where}: allowedActionsJson`);
		const answers = [...ACTIONS.map((k) => [k, map[k]]), ...map.ring.map((r) => ['ring', r]), ...map.dialOut.map((r) => ['dialOut', r])];
		for (const [k, a] of answers) {
			assert.ok(a && typeof a.allowed === 'boolean' && typeof a.status === 'number', `${where}: ${k} shape`);
			assert.ok(REASONS.includes(a.reason), `${where}: ${k} reason ${a.reason}`);
			assert.equal(typeof a.explanation, 'string', `${where}: ${k} explanation`);
			const direct = evaluate({ ...a.request, actor, now: s.request.now }, s.state);
			assert.equal(direct.status, a.status, `${where}: ${k} status vs evaluate(${a.request.method} ${a.request.path})`);
			assert.equal(direct.reason, a.reason, `${where}: ${k} reason vs evaluate(${a.request.method} ${a.request.path})`);
			if (a.allowed) {
				assert.ok(direct.status >= 200 && direct.status < 300, `${where}: ${k} allowed but ${direct.status}`);
			}
			checked++;
		}
	}
	assert.ok(checked > 0, 'some actions were checked');
	// bad data never throws
	const state = clone(SAMPLE_STATE);
	for (const [label, call] of Object.entries({
		'state null': () => allowedActions(null, { userId: 'alice' }, NOW),
		'actor a number': () => allowedActions(state, 1, NOW),
		'now a string': () => allowedActions(state, { userId: 'alice' }, '1700000000'),
		'now a BigInt': () => allowedActions(state, { userId: 'alice' }, 1700000000n),
		'now fractional': () => allowedActions(state, { userId: 'alice' }, 1.5),
		'json: not JSON': () => JSON.parse(allowedActionsJson('nope', '{}', NOW)),
	})) {
		let out;
		assert.doesNotThrow(() => { out = call(); }, label);
		assertBadInput(out, label);
	}
	assert.doesNotThrow(() => explain(null));
	assert.doesNotThrow(() => explainJson('}{'));
	assert.equal(isReady(), true);
});

test('C-ABI tcr_allowed_actions and tcr_explain (when exported) match the JSON twins', async (t) => {
	assert.equal(await init(), true);
	const exp = standaloneAbiInstance();
	if (typeof exp.tcr_allowed_actions !== 'function' || typeof exp.tcr_explain !== 'function') {
		t.skip('this build has no tcr_allowed_actions/tcr_explain');
		return;
	}
	const picked = allSteps().filter((s) => s.request && s.request.actor).slice(0, 20);
	for (const s of picked) {
		const st = JSON.stringify(s.state);
		const actor = JSON.stringify(s.request.actor);
		const enc = new TextEncoder();
		const a = enc.encode(st);
		const b = enc.encode(actor);
		const ptr = exp.tcr_input_reserve(a.length + b.length);
		new Uint8Array(exp.memory.buffer, ptr, a.length).set(a);
		new Uint8Array(exp.memory.buffer, ptr + a.length, b.length).set(b);
		const len = exp.tcr_allowed_actions(a.length, b.length, 0, BigInt(s.request.now));
		const out = new TextDecoder().decode(new Uint8Array(exp.memory.buffer, exp.tcr_output_ptr(), len));
		assert.equal(out, allowedActionsJson(st, actor, s.request.now), `${s.file} :: ${s.name}: tcr_allowed_actions`);
		const outcome = evaluateJson(JSON.stringify(s.request), st);
		assert.equal(abiCall(exp, 'tcr_explain', outcome), explainJson(outcome), `${s.file} :: ${s.name}: tcr_explain`);
	}
});

test('allowedActions models the join and update-flags bodies it is given', async () => {
	assert.equal(await init(), true);
	const state = {
		config: { recordingConsent: 1 },
		room: { token: 'opts1234', type: 2 },
		attendees: [{ attendeeId: 1, actorType: 'users', actorId: 'alice', participantType: 3, permissions: 1 | 2 | 16 }],
		sessions: [{ sessionId: 's1', attendeeId: 1, inCall: 0, lastPing: NOW }],
	};
	const actor = { userId: 'alice', sessionId: 's1' };
	const plain = allowedActions(state, actor, NOW);
	assert.equal(plain.join.reason, 'consent');
	assert.equal(plain.caller.permissions, 19);
	const consenting = allowedActions(state, actor, NOW, { join: { recordingConsent: true, flags: 7 } });
	assert.equal(consenting.join.allowed, true);
	assert.equal(consenting.join.flags, 3, 'video stripped: no PUBLISH_VIDEO');
	assert.deepEqual(consenting.join.request.body, { recordingConsent: true, flags: 7 });
	const viaJson = JSON.parse(allowedActionsJson(JSON.stringify(state), JSON.stringify(actor), NOW,
		JSON.stringify({ join: { recordingConsent: true, flags: 7 } })));
	assert.deepEqual(viaJson, consenting);
	assert.equal(allowedActions(state, actor, NOW, { join: 5 }).reason, 'bad-input');
	// brief: the same answers without their sentences and requests.
	const brief = allowedActions(state, actor, NOW, { join: { recordingConsent: true, flags: 7 }, brief: true });
	const strip = (v) => JSON.parse(JSON.stringify(v, (k, x) => (k === 'explanation' || k === 'request' ? undefined : x)));
	assert.deepEqual(brief, strip(consenting));
	assert.equal(allowedActions(state, actor, NOW, { brief: 'yes' }).reason, 'bad-input');
});

// The bridge writes documents into the module's input area itself (js/core.mjs, `abi`): ASCII text in
// one pass, anything else encoded for its exact size, and text that can not fit refused in JS with the
// engine's wording.
loadedTest('non-ASCII text crosses the C ABI unchanged, in every document position', () => {
	const names = ['José Müller', 'Zoë 🎉', '日本語の名前', 'a\u0000b"c\\d\n', 'ümlaut'.repeat(500)];
	const state = clone(SAMPLE_STATE);
	state.room.callFlag = 7;
	state.room.activeSince = NOW - 60;
	state.sessions[0].inCall = 7;
	state.sessions[0].lastPing = NOW;
	for (const name of names) {
		state.attendees[0].displayName = name;
		const request = { method: 'GET', path: '/call/abc123', actor: { userId: 'alice', sessionId: 'a-long-session-id' }, now: NOW };
		const viaObjects = evaluate(request, state);
		assert.equal(viaObjects.status, 200, JSON.stringify(viaObjects));
		assert.equal(viaObjects.data[0].displayName, name, 'the peers answer carries the name as stored');
		assert.deepEqual(JSON.parse(evaluateJson(JSON.stringify(request), JSON.stringify(state))), viaObjects);
		// Non-ASCII first, ASCII after it: the second document must not lose the room the first took.
		const joined = evaluate({ ...SAMPLE_REQUEST, actor: { ...SAMPLE_REQUEST.actor, groups: [name] } }, state);
		assert.equal(joined.status, 200, JSON.stringify(joined));
		const applied = apply(state, joined.mutations);
		assert.equal(applied.attendees[0].displayName, name);
		assert.equal(explain({ ...joined, data: { note: name } }).reason, 'ok');
		assert.equal(ocs({ ...joined, data: { note: name } }).ocs.data.note, name);
	}
});

loadedTest('text over the limits in UTF-8 but not in UTF-16 is refused with the engine\'s wording', () => {
	// 3,000,000 euro signs: 3 M UTF-16 units (under the 8 MiB limit), 9 MB of UTF-8 (over it).
	const euros = '€'.repeat(3_000_000);
	const state = { ...clone(SAMPLE_STATE), pad: euros };
	const viaEngine = evaluate(SAMPLE_REQUEST, state);
	assertBadInput(viaEngine, 'evaluate');
	assert.match(viaEngine.data.detail, /^state: 9000\d{3} bytes exceed the limit of 8388608$/);
	// Two such documents (18 MB) do not fit the module's input area: refused in JS, same wording.
	const both = apply(state, [{ op: 'updateRoom', set: { pad: euros } }]);
	assertBadInput(both, 'apply');
	assert.match(both.data.detail, /^state: 9000\d{3} bytes exceed the limit of 8388608$/);
	assert.equal(ocsJson(JSON.stringify({ status: 200, message: '', data: euros + euros })).includes('"statuscode":400'), true);
	assert.equal(evaluate(SAMPLE_REQUEST, SAMPLE_STATE).status, 200, 'the next call is answered normally');
});

loadedTest('hostile objects get bad-input from every object entry point, before reaching linear memory', () => {
	const cyclic = {};
	cyclic.self = cyclic;
	let deep = {};
	for (let i = 0; i < 10_000; i++) {
		deep = { a: deep };
	}
	const big = { x: 'a'.repeat(9 * 1024 * 1024) };
	const before = wasmExports().memory.buffer.byteLength;
	for (const [label, value] of [['cyclic', cyclic], ['10,000 deep', deep], ['9 MiB', big], ['a BigInt', { n: 1n }],
		['undefined', undefined], ['a symbol', Symbol('x')], ['a function', () => 1]]) {
		assertBadInput(evaluate(SAMPLE_REQUEST, value), `evaluate(${label})`);
		assertBadInput(evaluate(value, SAMPLE_STATE), `evaluate(request ${label})`);
		assertBadInput(apply(value, []), `apply(${label})`);
		assertBadInput(allowedActions(value, { userId: 'alice' }, NOW), `allowedActions(${label})`);
		if (value !== undefined) { // undefined options mean the default request bodies
			assertBadInput(allowedActions(SAMPLE_STATE, { userId: 'alice' }, NOW, value), `allowedActions options ${label}`);
		}
		assert.equal(explain(value).reason, 'bad-input', `explain(${label})`);
		assert.equal(ocs(value).ocs.meta.statuscode, 400, `ocs(${label})`);
	}
	assert.ok(wasmExports().memory.buffer.byteLength - before < 4 * 1024 * 1024, 'linear memory did not take the big object');
	assert.equal(evaluate(SAMPLE_REQUEST, SAMPLE_STATE).status, 200);
	for (const now of [1.5, -1, Number.NaN, '1700000000', 2 ** 60, 10n]) {
		assertBadInput(allowedActions(SAMPLE_STATE, { userId: 'alice' }, now), `allowedActions(now ${String(now)})`);
	}
});
