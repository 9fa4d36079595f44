// allowedActionsFromTalk and evaluateFromTalk grow linearly with the participant list. Work is
// counted, never timed: the callbacks that array methods run (find, map, some …) and the text that
// crosses into the module. Twice the participants may cost at most 2.2 times the work, with the same
// number of module calls.
import test from 'node:test';
import assert from 'node:assert/strict';

import { init, stateFromTalk, allowedActionsFromTalk, evaluateFromTalk } from '../../js/index.mjs';

const NOW = 1700000000;
const METHODS = ['find', 'findIndex', 'filter', 'map', 'flatMap', 'some', 'every', 'forEach', 'reduce'];

/**
 * A public conversation with `n` participants, half of them guests, a fifth in the call; the
 * moderator asking is in the call. The users with a session outside the call are ring targets the
 * list may hide a session of; without signaling settings the signaling mode is open too.
 */
function input(n) {
	const participants = [{
		attendeeId: 1, actorType: 'users', actorId: 'alice', displayName: 'Alice', participantType: 1, inCall: 7,
		lastPing: NOW, sessionIds: ['alice-s'],
	}];
	for (let id = 2; id <= n; id += 1) {
		const guest = id % 2 === 0;
		participants.push({
			attendeeId: id, actorType: guest ? 'guests' : 'users', actorId: guest ? `guest-${id}` : `user${id}`,
			displayName: `P ${id}`, participantType: guest ? 4 : 3, inCall: id % 5 === 0 ? 7 : 0, lastPing: NOW - (id % 50),
			sessionIds: [`s${id}`],
		});
	}
	return {
		conversation: {
			token: 'abcd1234', type: 3, attendeeId: 1, actorType: 'users', actorId: 'alice', participantType: 1, permissions: 254,
			sessionId: 'alice-s', participantFlags: 7, lastPing: NOW, callFlag: 7, callStartTime: NOW - 60, canStartCall: true,
			recordingConsent: 0,
		},
		participants,
		capabilities: { spreed: { config: { call: { enabled: true, 'recording-consent': 0 } } } },
		currentUser: { uid: 'alice' },
		now: NOW,
	};
}

/** Runs `fn` and counts its work: array-method callbacks, module calls and the characters passed to the module. */
function work(fn) {
	const counts = { callbacks: 0, moduleCalls: 0, moduleChars: 0 };
	const saved = METHODS.map((m) => Array.prototype[m]);
	// Text crosses into the module as TextEncoder output (js/core.mjs encodes each document).
	const { encode, encodeInto } = TextEncoder.prototype;
	const count = (source) => {
		// The state is the first and largest document of each call.
		if (source.length > 1000) {
			counts.moduleCalls += 1;
		}
		counts.moduleChars += source.length;
	};
	METHODS.forEach((m, k) => {
		const original = saved[k];
		Array.prototype[m] = function counted(callback, ...rest) {
			if (typeof callback !== 'function') {
				return original.call(this, callback, ...rest);
			}
			return original.call(this, function each(...args) {
				counts.callbacks += 1;
				return callback.apply(this, args);
			}, ...rest);
		};
	});
	TextEncoder.prototype.encodeInto = function countedEncodeInto(source, destination) {
		count(source);
		return encodeInto.call(this, source, destination);
	};
	TextEncoder.prototype.encode = function countedEncode(source) {
		count(source);
		return encode.call(this, source);
	};
	try {
		fn();
	} finally {
		METHODS.forEach((m, k) => {
			Array.prototype[m] = saved[k];
		});
		TextEncoder.prototype.encodeInto = encodeInto;
		TextEncoder.prototype.encode = encode;
	}
	return counts;
}

function assertLinear(label, small, large) {
	assert.equal(large.moduleCalls, small.moduleCalls, `${label}: module calls do not depend on the participants`);
	for (const k of ['callbacks', 'moduleChars']) {
		const ratio = large[k] / small[k];
		assert.ok(ratio <= 2.2, `${label}: twice the participants cost ${ratio.toFixed(2)} times the ${k} (${small[k]} → ${large[k]})`);
	}
}

test('the module loads', async () => {
	assert.equal(await init(), true, 'init() resolved false: run ./build.sh build');
});

test('allowedActionsFromTalk: twice the participants, at most 2.2 times the work, and the same module calls', (t) => {
	const small = stateFromTalk(input(1000));
	const large = stateFromTalk(input(2000));
	assert.deepEqual(large.uncertain.dependsOn, ['target-sessions', 'signaling-mode']);
	const a = work(() => allowedActionsFromTalk(small, { join: { flags: 3 } }));
	const b = work(() => allowedActionsFromTalk(large, { join: { flags: 3 } }));
	t.diagnostic(`1000 participants: ${JSON.stringify(a)}; 2000: ${JSON.stringify(b)}`);
	assertLinear('allowedActionsFromTalk', a, b);
	assert.ok(a.moduleCalls <= 4, `one call per distinct world: ${a.moduleCalls}`);
});

test('evaluateFromTalk: twice the participants, at most 2.2 times the work, and the same module calls', (t) => {
	const small = stateFromTalk(input(1000));
	const large = stateFromTalk(input(2000));
	// A ring to an attendee id the list does not show: every world of the targets, the signaling mode and the id.
	const ring = { method: 'POST', path: '/call/abcd1234/ring/999999' };
	const a = work(() => evaluateFromTalk(small, ring));
	const b = work(() => evaluateFromTalk(large, ring));
	t.diagnostic(`1000 participants: ${JSON.stringify(a)}; 2000: ${JSON.stringify(b)}`);
	assertLinear('evaluateFromTalk', a, b);
});

test('stateFromTalk: twice the participants, at most 2.2 times the work', () => {
	const small = input(1000);
	const large = input(2000);
	const a = work(() => stateFromTalk(small));
	const b = work(() => stateFromTalk(large));
	assert.ok(b.callbacks / a.callbacks <= 2.2, `${a.callbacks} → ${b.callbacks}`);
});
