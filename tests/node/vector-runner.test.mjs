// Unit tests of the shared matching logic (no wasm needed).
import test from 'node:test';
import assert from 'node:assert/strict';
import { applyFixture, compareExpect, deepEqual, effectMatches, runCase, runFiles, summaryLine } from './vector-runner.mjs';

const state = {
	config: { startCalls: 0 },
	room: { token: 'abc123', callFlag: 0, activeSince: null },
	attendees: [{ attendeeId: 1, actorId: 'a' }, { attendeeId: 2, actorId: 'b' }],
	sessions: [{ sessionId: 's1', attendeeId: 1, inCall: 0, lastPing: 10 }, { sessionId: 's2', attendeeId: 2, inCall: 0, lastPing: 10 }],
};

test('deepEqual uses JSON semantics', () => {
	assert.ok(deepEqual({ a: [1, { b: null }] }, { a: [1, { b: null }] }));
	assert.ok(deepEqual({ a: 1, u: undefined }, { a: 1 }));
	assert.ok(!deepEqual([], {}));
	assert.ok(!deepEqual({ a: 1 }, { a: '1' }));
	assert.ok(!deepEqual([1, 2], [2, 1]));
});

test('fixtures', () => {
	let s = applyFixture(state, { fixture: 'addSession', session: { sessionId: 's3', attendeeId: 2, inCall: 0, lastPing: 1 } });
	assert.equal(s.sessions.length, 3);
	assert.equal(state.sessions.length, 2, 'input untouched');
	s = applyFixture(s, { fixture: 'removeSession', sessionId: 's1' });
	assert.deepEqual(s.sessions.map((x) => x.sessionId), ['s2', 's3']);
	s = applyFixture(s, { fixture: 'removeAttendee', attendeeId: 2 });
	assert.deepEqual(s.attendees.map((x) => x.attendeeId), [1]);
	assert.deepEqual(s.sessions, [], 'its sessions go too');
	s = applyFixture(s, { fixture: 'addAttendee', attendee: { attendeeId: 5 } });
	s = applyFixture(s, { fixture: 'setAttendee', attendeeId: 5, set: { participantType: 2 } });
	assert.equal(s.attendees[1].participantType, 2);
	s = applyFixture(s, { fixture: 'setRoom', set: { readOnly: 1 } });
	assert.equal(s.room.readOnly, 1);
	assert.equal(s.room.token, 'abc123');
	s = applyFixture(s, { fixture: 'setConfig', set: { startCalls: 3 } });
	assert.equal(s.config.startCalls, 3);
	s = applyFixture(state, { fixture: 'ping', sessionId: 's2', at: 99 });
	assert.equal(s.sessions[1].lastPing, 99);
	assert.throws(() => applyFixture(state, { fixture: 'ping', sessionId: 'nope', at: 1 }), /no session/);
	assert.throws(() => applyFixture(state, { fixture: 'explode' }), /unknown fixture/);
});

test('effects: partial match, attendeeIds as a set', () => {
	const e = { type: 'notifyCallStarted', attendeeIds: [3, 2], silent: false };
	assert.ok(effectMatches(e, { type: 'notifyCallStarted', attendeeIds: [2, 3] }));
	assert.ok(effectMatches(e, { type: 'notifyCallStarted', silent: false }));
	assert.ok(!effectMatches(e, { type: 'notifyCallStarted', attendeeIds: [2] }));
	assert.ok(!effectMatches(e, { type: 'notifyCallStarted', silent: true }));
	assert.ok(!effectMatches(e, { type: 'ring' }));
});

test('compareExpect', () => {
	const outcome = {
		status: 200, data: [{ actorType: 'users', actorId: 'a', sessionId: 's1', displayName: 'A' }, { actorType: 'users', actorId: 'a', sessionId: 's9' }],
		message: 'OK', reason: 'ok', mutations: [], effects: [{ type: 'systemMessage', message: 'call_ended', actorType: 'users', actorId: 'a' }],
	};
	const next = { ...state, room: { ...state.room, callFlag: 7 } };
	assert.deepEqual(compareExpect(outcome, next, { status: 200 }), []);
	assert.deepEqual(compareExpect(outcome, next, {
		status: 200, message: 'OK', reason: 'ok', mutations: 'none',
		peers: [{ actorType: 'users', actorId: 'a', sessionId: 's9' }, { actorType: 'users', actorId: 'a', sessionId: 's1' }],
		effects: [{ type: 'systemMessage', message: 'call_ended' }], noEffects: ['notifyCallStarted'],
		state: { room: { callFlag: 7 }, sessions: { s1: { inCall: 0 }, nope: null }, attendees: { 2: { actorId: 'b' } } },
	}), []);
	const diffs = compareExpect(outcome, next, {
		status: 404, data: [], reason: 'not-found', mutations: 'none',
		peers: [{ actorType: 'users', actorId: 'a', sessionId: 's1' }],
		effects: [{ type: 'ring' }], noEffects: ['systemMessage'],
		state: { room: { callFlag: 1 }, sessions: { s1: null, s7: { inCall: 1 } }, attendees: { 1: { actorId: 'x' } } },
		bogus: 1,
	});
	for (const part of ['unknown expect key', 'status:', 'data:', 'reason:', 'peers:', 'effects:', 'noEffects:', 'state.room.callFlag', 'state.sessions[s1]', 'state.sessions[s7]: row missing', 'state.attendees[1].actorId']) {
		assert.ok(diffs.some((d) => d.includes(part)), `${part} in ${JSON.stringify(diffs)}`);
	}
	assert.ok(compareExpect({ ...outcome, mutations: [{ op: 'updateRoom', set: {} }] }, next, { status: 200, mutations: 'none' }).length === 1);
});

test('runCase / runFiles with a fake engine', async () => {
	const fake = {
		evaluate: (req, s) => (req.method === 'POST'
			? { status: 200, data: [], message: 'OK', reason: 'ok', mutations: [{ op: 'updateRoom', set: { callFlag: 7 } }], effects: [] }
			: { status: 200, data: s.sessions.filter((x) => x.inCall).map((x) => ({ actorType: 'users', actorId: 'a', sessionId: x.sessionId })), message: 'OK', reason: 'ok', mutations: [], effects: [] }),
		apply: (s, ms) => {
			const n = JSON.parse(JSON.stringify(s));
			for (const m of ms) {
				Object.assign(n.room, m.set);
			}
			return n;
		},
	};
	const scenario = {
		name: 'scenario', state,
		steps: [
			{ request: { method: 'POST' }, expect: { status: 200, state: { room: { callFlag: 7 } } } },
			{ fixture: 'setRoom', set: { callFlag: 1 } },
			{ request: { method: 'GET' }, expect: { status: 200, peers: [], state: { room: { callFlag: 1 } } } },
		],
	};
	assert.deepEqual(runCase(fake, scenario), { ok: true, diffs: [] });
	const single = { name: 'single', state, request: { method: 'POST' }, expect: { status: 201 } };
	const r = runCase(fake, single);
	assert.equal(r.ok, false);
	assert.match(r.diffs[0], /^step 1\/1 \(POST undefined\): status: expected 201, got 200/);
	const out = await runFiles(fake, [{ file: 'f.json', cases: [scenario, single, { ...single, name: 'skipped one' }] }, { file: 'g.json', error: 'cannot read' }], { skips: [{ name: 'skipped one', reason: 'why' }] });
	assert.equal(out.passed, 1);
	assert.equal(out.failed, 2);
	assert.equal(out.skipped, 1);
	assert.ok(out.lines.some((l) => l.startsWith('FAIL f.json :: single :: step 1/1')));
	assert.ok(out.lines.some((l) => l.startsWith('SKIP f.json :: skipped one :: why')));
	assert.equal(summaryLine(out.passed, out.failed), '1 passed, 2 failed');
});
