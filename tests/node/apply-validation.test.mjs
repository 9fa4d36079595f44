// apply() and applyJson() take only what the PHP bridge's MutationWriter writes: known operations,
// the writable columns of each table (never a key), values of the column's type and range. Anything
// else is a bad-input Outcome naming the mutation and the field, and no mutation of the list is applied.
import test from 'node:test';
import assert from 'node:assert/strict';

import { init, apply, applyJson, facts, isOutcome } from '../../js/index.mjs';

const STATE = Object.freeze({
	config: { startCalls: 0, allowedGroups: [], recordingConsent: 0, defaultPermissions: null, signaling: 'external' },
	room: { token: 'abcd1234', type: 2, callFlag: 0, activeSince: null, lobbyTimer: null },
	attendees: [
		{ attendeeId: 1, actorType: 'users', actorId: 'alice', participantType: 1, permissions: 0, callId: null },
		{ attendeeId: 2, actorType: 'phones', actorId: 'phone', participantType: 3, permissions: 0, callId: null },
	],
	sessions: [{ sessionId: 's1', attendeeId: 1, inCall: 0, lastPing: 1700000000 }],
});

function refused(mutations, detail) {
	const out = apply(STATE, mutations);
	assert.ok(isOutcome(out), `${JSON.stringify(mutations)} was applied: ${JSON.stringify(out)}`);
	assert.deepEqual([out.status, out.reason], [400, 'bad-input']);
	assert.ok(out.data.detail.startsWith(detail), `"${out.data.detail}" starts with "${detail}"`);
	const text = JSON.parse(applyJson(JSON.stringify(STATE), JSON.stringify(mutations)));
	assert.deepEqual(text, out, 'applyJson answers the same');
}

test('the module loads', async () => {
	assert.equal(await init(), true, 'init() resolved false: run ./build.sh build');
});

test('apply: the mutations the rules write are applied', () => {
	const next = apply(STATE, [
		{ op: 'updateRoom', set: { callFlag: 7, activeSince: 1700000000, lobbyTimer: null } },
		{ op: 'updateSession', sessionId: 's1', set: { inCall: 7 } },
		{ op: 'updateAttendee', attendeeId: 1, set: { lastJoinedCall: 1700000000 } },
		{ op: 'updateAttendee', attendeeId: 2, set: { callId: '' } },
	]);
	assert.ok(!isOutcome(next), JSON.stringify(next));
	assert.deepEqual([next.room.callFlag, next.sessions[0].inCall, next.attendees[0].lastJoinedCall, next.attendees[1].callId],
		[7, 7, 1700000000, '']);
});

test('apply: keys are never written (a mutation cannot move a row or change who it is)', () => {
	refused([{ op: 'updateRoom', set: { token: 'other123' } }], 'mutations[0].set.token: not a writable column of room');
	refused([{ op: 'updateSession', sessionId: 's1', set: { sessionId: 's2' } }],
		'mutations[0].set.sessionId: not a writable column of sessions (inCall, lastPing)');
	refused([{ op: 'updateSession', sessionId: 's1', set: { attendeeId: 2 } }], 'mutations[0].set.attendeeId: not a writable column of sessions');
	refused([{ op: 'updateAttendee', attendeeId: 1, set: { attendeeId: 7 } }], 'mutations[0].set.attendeeId: not a writable column of attendees');
	refused([{ op: 'updateAttendee', attendeeId: 1, set: { actorId: 'mallory' } }], 'mutations[0].set.actorId: not a writable column of attendees');
	refused([{ op: 'updateAttendee', attendeeId: 1, set: { actorType: 'guests' } }], 'mutations[0].set.actorType: not a writable column of attendees');
});

test('apply: unknown operations and columns are refused', () => {
	refused([{ op: 'deleteRoom', set: {} }], 'mutations[0].op: unknown operation "deleteRoom"');
	refused([{ op: 'updateRoom', set: { isAdmin: true } }], 'mutations[0].set.isAdmin: not a writable column of room');
	refused([{ op: 'updateRoom', set: { config: { startCalls: 3 } } }], 'mutations[0].set.config: not a writable column of room');
	refused([{ op: 'updateRoom', set: { callFlag: 7 } }, { op: 'updateRoom', set: { __proto__: 1, owner: 'x' } }],
		'mutations[1].set.owner: not a writable column of room');
});

test('apply: values of the wrong type or out of the column\'s range are refused', () => {
	refused([{ op: 'updateRoom', set: { callFlag: '7' } }], 'mutations[0].set.callFlag: expected an integer, got a string');
	refused([{ op: 'updateRoom', set: { callFlag: 2 ** 31 } }], 'mutations[0].set.callFlag: 2147483648 is out of range -2147483648..2147483647');
	refused([{ op: 'updateRoom', set: { callFlag: null } }], 'mutations[0].set.callFlag: expected an integer, got null');
	refused([{ op: 'updateRoom', set: { activeSince: -1 } }], 'mutations[0].set.activeSince: -1 is out of range 0..9007199254740991');
	refused([{ op: 'updateRoom', set: { lobbyTimer: '2024-01-01 00:00:00' } }],
		'mutations[0].set.lobbyTimer: expected an integer or null, got a string');
	refused([{ op: 'updateRoom', set: { lobbyState: 2 } }], 'mutations[0].set.lobbyState: 2 is out of range 0..1');
	refused([{ op: 'updateSession', sessionId: 's1', set: { inCall: true } }], 'mutations[0].set.inCall: expected an integer, got a boolean');
	refused([{ op: 'updateAttendee', attendeeId: 2, set: { callId: 42 } }], 'mutations[0].set.callId: expected a string or null, got a number');
	refused([{ op: 'updateAttendee', attendeeId: 1, set: { permissions: 1.5 } }], 'mutations[0].set.permissions: expected an integer, got a number');
	refused([{ op: 'updateSession', sessionId: 7, set: {} }], 'mutations[0].sessionId: expected a string');
	refused([{ op: 'updateAttendee', attendeeId: '1', set: {} }], 'mutations[0].attendeeId: expected an integer');
});

test('apply: one bad mutation anywhere in the list, and nothing is applied', () => {
	refused([{ op: 'updateRoom', set: { callFlag: 7 } }, { op: 'updateSession', sessionId: 's1', set: { inCall: 'yes' } }],
		'mutations[1].set.inCall');
});

test('facts(): the writable columns of each table, with their types and ranges', () => {
	const { columns } = facts();
	assert.deepEqual(Object.keys(columns), ['room', 'attendees', 'sessions']);
	assert.deepEqual([columns.room.op, columns.attendees.op, columns.sessions.op], ['updateRoom', 'updateAttendee', 'updateSession']);
	assert.deepEqual(columns.sessions.columns, {
		inCall: { type: 'int', min: -(2 ** 31), max: 2 ** 31 - 1, nullable: false },
		lastPing: { type: 'int', min: 0, max: Number.MAX_SAFE_INTEGER, nullable: false },
	});
	assert.deepEqual(columns.attendees.columns.callId, { type: 'string', nullable: true });
	assert.deepEqual(columns.room.columns.activeSince, { type: 'int', min: 0, max: Number.MAX_SAFE_INTEGER, nullable: true });
	for (const table of Object.values(columns)) {
		for (const key of ['token', 'sessionId', 'attendeeId', 'actorType', 'actorId']) {
			assert.equal(table.columns[key], undefined, `${table.op} writes no ${key}`);
		}
	}
});
