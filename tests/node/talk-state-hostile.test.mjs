// stateFromTalk, allowedActionsFromTalk and evaluateFromTalk on hostile input: getters and Proxy
// traps that throw, revoked Proxies, holes, hand-made views, lists of absurd length. Every case
// answers a bad-input result and never throws; lists are refused by their length before an entry is
// read (counted with Proxies, never timed).
import test from 'node:test';
import assert from 'node:assert/strict';

import {
	init, stateFromTalk, allowedActionsFromTalk, evaluateFromTalk, isOutcome, LIMITS,
} from '../../js/index.mjs';

const NOW = 1700000000;
const CONVERSATION = Object.freeze({
	token: 'abcd1234', type: 3, attendeeId: 1, actorType: 'users', actorId: 'alice', participantType: 1, permissions: 254,
	sessionId: 'alice-s', participantFlags: 7, lastPing: NOW, callFlag: 7, callStartTime: NOW - 60, canStartCall: true,
	recordingConsent: 0,
});

function participant(id, extra = {}) {
	return {
		attendeeId: id, actorType: 'users', actorId: `u${id}`, displayName: `U ${id}`, participantType: 3, inCall: 0,
		lastPing: NOW - 5, sessionIds: [`s${id}`], ...extra,
	};
}

function input(extra = {}) {
	return {
		conversation: { ...CONVERSATION },
		participants: [participant(1, { actorId: 'alice', sessionIds: ['alice-s'], inCall: 7 }), participant(2), participant(3)],
		capabilities: { spreed: { config: { call: { enabled: true, 'recording-consent': 0 } } } },
		signalingSettings: { signalingMode: 'external' },
		currentUser: { uid: 'alice' },
		now: NOW,
		...extra,
	};
}

const thrower = () => {
	throw new Error('boom');
};

/** An object whose `key` is a getter that throws. */
function throwingGetter(obj, key) {
	const out = { ...obj };
	Object.defineProperty(out, key, { get: thrower, enumerable: true });
	return out;
}

function revoked(target = {}) {
	const { proxy, revoke } = Proxy.revocable(target, {});
	revoke();
	return proxy;
}

/**
 * A list of `length` entries (2^32 − 1: as long as an array can be) that counts every entry read
 * and throws past `budget` reads, so that a reader that walks it fails instead of running for minutes.
 */
function tripwire(length, budget = 1000) {
	const reads = { entries: 0 };
	const trap = (key) => {
		if (typeof key === 'string' && /^\d+$/.test(key)) {
			reads.entries += 1;
			if (reads.entries > budget) {
				throw new Error(`read ${reads.entries} entries of a list of ${length}`);
			}
			return true;
		}
		return false;
	};
	const list = new Proxy([], {
		get: (target, key) => (key === 'length' ? length : trap(key) ? participant(2) : target[key]),
		has: (target, key) => trap(key) || key in target,
	});
	return { list, reads };
}

/** The answers on a view that must be bad: a bad-input view, and bad-input outcomes from both answer functions. */
function assertRefused(view, detail) {
	assert.equal(view.state, null, detail);
	assert.equal(view.error.reason, 'bad-input', detail);
	assert.ok(view.error.detail.startsWith(detail), `"${view.error.detail}" starts with "${detail}"`);
	const a = allowedActionsFromTalk(view);
	assert.deepEqual([a.status, a.reason, a.data.detail], [400, 'bad-input', view.error.detail]);
	const o = evaluateFromTalk(view, { method: 'GET', path: '/call/abcd1234' });
	assert.deepEqual([o.status, o.reason, o.certain], [400, 'bad-input', true]);
}

function assertBadOutcome(answer, detail) {
	assert.ok(isOutcome(answer), JSON.stringify(answer).slice(0, 200));
	assert.equal(answer.status, 400);
	assert.equal(answer.reason, 'bad-input');
	assert.ok(answer.data.detail.startsWith(detail), `"${answer.data.detail}" starts with "${detail}"`);
}

test('the module loads', async () => {
	assert.equal(await init(), true, 'init() resolved false: run ./build.sh build');
});

test('stateFromTalk: getters that throw answer bad input', () => {
	assertRefused(stateFromTalk(throwingGetter(input(), 'conversation')), 'input.conversation: could not be read (boom)');
	assertRefused(stateFromTalk(throwingGetter(input(), 'participants')), 'input.participants: could not be read (boom)');
	assertRefused(stateFromTalk(throwingGetter(input(), 'now')), 'input.now: could not be read (boom)');
	const caps = input();
	caps.capabilities = throwingGetter({}, 'spreed');
	assertRefused(stateFromTalk(caps), 'capabilities.spreed: could not be read (boom)');
	const call = input();
	call.capabilities = { spreed: { config: { call: throwingGetter({ enabled: true }, 'recording-consent') } } };
	assertRefused(stateFromTalk(call), 'capabilities.spreed.config.call.recording-consent: could not be read (boom)');
	const conversation = input();
	conversation.conversation = throwingGetter(CONVERSATION, 'permissions');
	assertRefused(stateFromTalk(conversation), 'conversation.permissions: could not be read (boom)');
	const entry = input();
	entry.participants[1] = throwingGetter(participant(2), 'attendeeId');
	assertRefused(stateFromTalk(entry), 'participants[1].attendeeId: could not be read (boom)');
	const sessions = input();
	sessions.participants[2] = throwingGetter(participant(3), 'sessionIds');
	assertRefused(stateFromTalk(sessions), 'participants[2].sessionIds: could not be read (boom)');
	const user = input({ currentUser: throwingGetter({}, 'uid') });
	assertRefused(stateFromTalk(user), 'currentUser.uid: could not be read (boom)');
	// What is thrown need not be an Error, and reading its message may throw too.
	const odd = input();
	odd.participants[1] = throwingGetter(participant(2), 'actorId');
	Object.defineProperty(odd.participants[1], 'actorId', {
		get() {
			throw new Proxy({}, { get: thrower });
		},
	});
	assertRefused(stateFromTalk(odd), 'participants[1].actorId: could not be read (an exception)');
});

test('stateFromTalk: Proxy traps that throw answer bad input', () => {
	assertRefused(stateFromTalk(new Proxy(input(), { get: thrower })), 'input.now: could not be read (boom)');
	// Capabilities without Talk's part are read key by key (do they say anything?): ownKeys throws.
	const keys = input({ capabilities: new Proxy({ core: { pollinterval: 60 } }, { ownKeys: thrower }) });
	assertRefused(stateFromTalk(keys), 'capabilities: could not be read (boom)');
	// A list whose `has` trap throws: a hole is told from an entry by asking.
	const has = input();
	has.participants = new Proxy(has.participants, { has: thrower });
	assertRefused(stateFromTalk(has), 'participants[0]: could not be read (boom)');
	const get = input();
	get.participants = new Proxy(get.participants, { get: (t, k) => (k === 'length' ? t.length : thrower()) });
	assertRefused(stateFromTalk(get), 'participants[0]: could not be read (boom)');
	const length = input();
	length.participants = new Proxy(length.participants, { get: (t, k) => (k === 'length' ? -1 : t[k]) });
	assertRefused(stateFromTalk(length), 'participants.length: expected a count');
});

test('stateFromTalk: revoked Proxies answer bad input', () => {
	assertRefused(stateFromTalk(revoked()), 'input: could not be read');
	const conversation = input({ conversation: revoked(CONVERSATION) });
	assertRefused(stateFromTalk(conversation), 'conversation: could not be read');
	const entry = input();
	entry.participants[1] = revoked(participant(2));
	assertRefused(stateFromTalk(entry), 'participants[1]: could not be read');
	const list = input({ participants: revoked([]) });
	assertRefused(stateFromTalk(list), 'participants: could not be read');
	const ids = input();
	ids.participants[1].sessionIds = revoked([]);
	assertRefused(stateFromTalk(ids), 'participants[1].sessionIds: could not be read');
	assertRefused(stateFromTalk(input({ capabilities: revoked() })), 'capabilities: could not be read');
});

test('stateFromTalk: holes in the participant list answer bad input', () => {
	const holes = input();
	holes.participants = [participant(1, { actorId: 'alice', sessionIds: ['alice-s'] }), , participant(3)];
	assertRefused(stateFromTalk(holes), 'participants[1]: missing (a hole in the list)');
	const ids = input();
	ids.participants[1].sessionIds = ['a', , 'c'];
	assertRefused(stateFromTalk(ids), 'participants[1].sessionIds[1]: expected a non-empty string');
});

test('stateFromTalk: lists longer than the limits are refused by their length, before an entry is read', () => {
	const max = LIMITS.attendees;
	// A sparse array as long as an array can be.
	const sparse = input();
	sparse.participants = [];
	sparse.participants.length = 2 ** 32 - 1;
	assertRefused(stateFromTalk(sparse), `participants: 4294967295 entries exceed the limit of ${max}`);
	const { list, reads } = tripwire(2 ** 32 - 1);
	assertRefused(stateFromTalk(input({ participants: list })), `participants: 4294967295 entries exceed the limit of ${max}`);
	assert.equal(reads.entries, 0, 'no entry was read');
	// One more than the limit is refused; the limit itself is read.
	const over = tripwire(max + 1, max + 10);
	assertRefused(stateFromTalk(input({ participants: over.list })), `participants: ${max + 1} entries exceed the limit of ${max}`);
	assert.equal(over.reads.entries, 0);
	// Session ids: per entry, and over the whole list.
	const ids = input();
	ids.participants[1].sessionIds = [];
	ids.participants[1].sessionIds.length = 2 ** 32 - 1;
	assertRefused(stateFromTalk(ids), `participants[1].sessionIds: 4294967295 session ids exceed the limit of ${LIMITS.sessions}`);
	const many = input();
	const half = Array.from({ length: LIMITS.sessions / 2 + 1 }, (_, i) => `x${i}`);
	many.participants[1].sessionIds = half;
	many.participants[2].sessionIds = half.map((s) => `${s}-other`);
	assertRefused(stateFromTalk(many), `participants: more than ${LIMITS.sessions} session ids (the limit) up to participants[2]`);
});

test('the view is frozen: nothing can change what was checked', () => {
	const view = stateFromTalk(input());
	assert.equal(view.error, null);
	for (const v of [view, view.state, view.state.room, view.state.attendees, view.state.attendees[0], view.state.sessions[0],
		view.actor, view.uncertain, view.uncertain.targetsInCall, view.uncertain.startCalls]) {
		assert.ok(Object.isFrozen(v));
	}
	assert.throws(() => {
		view.state.attendees.push({});
	}, TypeError);
	assert.ok(Object.isFrozen(stateFromTalk(undefined).error));
});

test('allowedActionsFromTalk and evaluateFromTalk: hand-made views answer bad input', () => {
	const view = stateFromTalk(input());
	const request = { method: 'POST', path: '/call/abcd1234', body: { flags: 3 } };
	const both = (v, detail) => {
		assertBadOutcome(allowedActionsFromTalk(v), detail);
		const o = evaluateFromTalk(v, request);
		assertBadOutcome(o, detail);
		assert.equal(o.certain, true);
	};
	both(throwingGetter(view, 'state'), 'view.state: could not be read (boom)');
	both(throwingGetter(view, 'error'), 'view.error: could not be read (boom)');
	both({ ...view, state: throwingGetter(view.state, 'attendees') }, 'view.state.attendees: could not be read (boom)');
	both({ ...view, state: { ...view.state, room: throwingGetter(view.state.room, 'token') } }, 'view.state.room.token: could not be read');
	both({ ...view, state: { ...view.state, sessions: [throwingGetter(view.state.sessions[0], 'inCall')] } },
		'view.state.sessions[0].inCall: could not be read');
	both({ ...view, uncertain: throwingGetter(view.uncertain, 'targetsInCall') }, 'view.uncertain.targetsInCall: could not be read');
	both({ ...view, actor: new Proxy({}, { get: thrower }) }, 'view.actor.userId: could not be read (boom)');
	both(new Proxy(view, { get: thrower }), 'view.error: could not be read (boom)');
	both(revoked(), 'view: could not be read');
	both({ ...view, state: revoked() }, 'view.state: could not be read');
	// Wrong shapes: what the answers would otherwise trip over.
	both({ ...view, uncertain: {} }, 'view.uncertain.targetsInCall: expected an object, got undefined');
	both({ ...view, uncertain: { ...view.uncertain, freshCallSession: 'yes' } }, 'view.uncertain.freshCallSession: expected one of true, null');
	both({ ...view, uncertain: { ...view.uncertain, freshCallCauses: ['nonsense'] } }, 'view.uncertain.freshCallCauses[0]: expected one of');
	both({ ...view, uncertain: { ...view.uncertain, targetsInCall: { abc: null } } }, 'view.uncertain.targetsInCall.abc: expected an attendee id');
	both({ ...view, uncertain: { ...view.uncertain, startCalls: [] } }, 'view.uncertain.startCalls: expected at least one value');
	both({ ...view, uncertain: { ...view.uncertain, clockSkew: 1e9 } }, 'view.uncertain.clockSkew: expected an integer in 0..3600');
	both({ ...view, now: '1700000000' }, 'view: expected the result of stateFromTalk()');
	both({ ...view, error: { reason: 'bad-input', detail: 5 } }, 'view: expected the result of stateFromTalk()');
	both(5, 'view: expected the result of stateFromTalk()');
	// Tables longer than the module's limits are refused by their length.
	const { list, reads } = tripwire(2 ** 32 - 1);
	both({ ...view, state: { ...view.state, attendees: list } },
		`view.state.attendees: 4294967295 rows exceed the limit of ${LIMITS.attendees}`);
	both({ ...view, state: { ...view.state, sessions: list } }, `view.state.sessions: 4294967295 rows exceed the limit of ${LIMITS.sessions}`);
	both({ ...view, uncertain: { ...view.uncertain, startCalls: list } }, 'view.uncertain.startCalls: 4294967295 entries exceed the limit of 4');
	assert.equal(reads.entries, 0, 'no entry was read');
});

test('allowedActionsFromTalk and evaluateFromTalk: hostile options and requests answer bad input', () => {
	const view = stateFromTalk(input());
	const { list, reads } = tripwire(2 ** 32 - 1);
	assertBadOutcome(allowedActionsFromTalk(view, { join: { flags: list } }), 'options.join.flags: more than 65536 values');
	const o = evaluateFromTalk(view, { method: 'POST', path: '/call/abcd1234', body: { flags: list } });
	assertBadOutcome(o, 'request.body.flags: more than 65536 values');
	assert.equal(o.certain, true);
	assert.equal(reads.entries, 0, 'no entry was read');
	assertBadOutcome(allowedActionsFromTalk(view, throwingGetter({}, 'join')), 'options.join: could not be read (boom)');
	assertBadOutcome(allowedActionsFromTalk(view, new Proxy({}, { ownKeys: thrower })), 'options: could not be read (boom)');
	assertBadOutcome(evaluateFromTalk(view, throwingGetter({ method: 'GET' }, 'path')), 'request.path: could not be read (boom)');
	assertBadOutcome(evaluateFromTalk(view, revoked()), 'request: could not be read');
	const deep = {};
	let at = deep;
	for (let i = 0; i < 100; i += 1) {
		at.next = {};
		at = at.next;
	}
	assertBadOutcome(allowedActionsFromTalk(view, { join: deep }), 'options.join.next');
	const cyclic = { method: 'GET', path: '/call/abcd1234' };
	cyclic.body = cyclic;
	assertBadOutcome(evaluateFromTalk(view, cyclic), 'request.body');
});

test('views that are plain copies, or this module\'s own with another clock, answer as the original', () => {
	const view = stateFromTalk(input({ signalingSettings: undefined }));
	const copy = JSON.parse(JSON.stringify(view));
	const options = { join: { flags: 3 } };
	assert.deepEqual(allowedActionsFromTalk(copy, options), allowedActionsFromTalk(view, options));
	for (const path of ['/call/abcd1234', '/call/abcd1234/ring/2', '/call/abcd1234/ring/77', '/call/abcd1234/dialout/2']) {
		assert.deepEqual(evaluateFromTalk(copy, { method: 'POST', path }), evaluateFromTalk(view, { method: 'POST', path }), path);
	}
	// The same view a minute later: the view's own State, another clock.
	const later = { ...view, now: NOW + 60 };
	const fresh = stateFromTalk(input({ signalingSettings: undefined, now: NOW + 60 }));
	assert.equal(allowedActionsFromTalk(later).join.status, allowedActionsFromTalk(fresh).join.status);
	// Options that JSON.stringify would write as other values (toJSON, boxed primitives) are read as it would.
	const boxed = { join: { flags: new Number(3), silent: new Boolean(false) } };
	assert.deepEqual(allowedActionsFromTalk(view, boxed), allowedActionsFromTalk(view, { join: { flags: 3, silent: false } }));
	const dated = { join: { toJSON: () => ({ flags: 1 }) } };
	assert.equal(allowedActionsFromTalk(view, dated).join.flags, 1);
});
