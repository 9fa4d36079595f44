#!/usr/bin/env node
// Demo: a user joins a call that the owner of a group room already started.
// Run with `./build.sh demo` (builds pkg/ first) or `node examples/demo.mjs`.
import { init, evaluate, apply, ocs, version, isOutcome } from '../js/index.mjs';

const NOW = 1700000000;
const TOKEN = 'abc123xy';

/** A group room: Alice (owner) is in the call since a minute, Bob (user) has the room open. */
const state = {
	config: { startCalls: 0, allowedGroups: [], recordingConsent: 0, defaultPermissions: null, signaling: 'external' },
	room: {
		token: TOKEN, type: 2, readOnly: 0, lobbyState: 0, lobbyTimer: null, objectType: '',
		callFlag: 7, activeSince: NOW - 60, activeGuests: 0, defaultPermissions: 0, callPermissions: 0,
		recordingConsent: 0, callRecording: 0, breakoutRoomMode: 0, breakoutRoomStatus: 0,
	},
	attendees: [
		{ attendeeId: 1, actorType: 'users', actorId: 'alice', displayName: 'Alice', participantType: 1, permissions: 0,
			lastJoinedCall: NOW - 60, notificationCalls: 1, phoneNumber: null, callId: null },
		{ attendeeId: 2, actorType: 'users', actorId: 'bob', displayName: 'Bob', participantType: 3, permissions: 0,
			lastJoinedCall: null, notificationCalls: 1, phoneNumber: null, callId: null },
	],
	sessions: [
		{ sessionId: 'alice-session-0000000000000000000000000000000000000000000000000000', attendeeId: 1, inCall: 7, lastPing: NOW - 5 },
		{ sessionId: 'bob-session-00000000000000000000000000000000000000000000000000000000', attendeeId: 2, inCall: 0, lastPing: NOW - 2 },
	],
	foreignAttendees: [],
	users: {},
};

/** Bob joins with audio and video (flags IN_CALL | WITH_AUDIO | WITH_VIDEO). */
const request = {
	method: 'POST',
	path: `/call/${TOKEN}`,
	body: { flags: 7, silent: false },
	actor: { userId: 'bob', sessionId: state.sessions[1].sessionId, groups: [] },
	now: NOW,
};

const json = (v) => JSON.stringify(v, null, 2);
const section = (title, body) => console.log(`\n=== ${title} ===\n${body}`);

if (!(await init())) {
	console.error('demo: the WebAssembly module could not be loaded; run ./build.sh build');
	process.exit(1);
}
const v = version();
console.log(`${v.crate} ${v.version} — Talk Call API ${v.talkApi}, server parity ${v.serverParity}, C-ABI ${v.abi}`);

const FULL = process.argv.includes('--full');

/** The call-related columns of every row (`--full` prints the whole state). */
function view(s) {
	if (FULL) {
		return json(s);
	}
	return json({
		room: { token: s.room.token, type: s.room.type, callFlag: s.room.callFlag, activeSince: s.room.activeSince },
		attendees: s.attendees.map(({ attendeeId, actorId, participantType, lastJoinedCall }) => ({ attendeeId, actorId, participantType, lastJoinedCall })),
		sessions: s.sessions.map(({ sessionId, attendeeId, inCall, lastPing }) => ({ sessionId: `${sessionId.slice(0, 12)}…`, attendeeId, inCall, lastPing })),
	}) + '\n(call-related columns; `node examples/demo.mjs --full` prints every field)';
}

section('state before (group room: Alice in the call, Bob about to join)', view(state));
section('request', json(request));

const outcome = evaluate(request, state);
section('decision', `status ${outcome.status}, reason "${outcome.reason}", message ${JSON.stringify(outcome.message)}`);
section('OCS envelope (what the server would answer)', json(ocs(outcome)));
section('mutations (rows the host persists, in order)', json(outcome.mutations));
section('effects (what the host carries out)', json(outcome.effects));

const next = apply(state, outcome.mutations);
if (isOutcome(next)) {
	section('apply refused the mutations', json(next));
	process.exit(1);
}
section('state after apply(state, mutations)', view(next));

const peers = evaluate({ method: 'GET', path: `/call/${TOKEN}`, body: {}, actor: request.actor, now: NOW }, next);
section('GET peers after the join', `status ${peers.status}: ${Array.isArray(peers.data) ? peers.data.map((p) => `${p.actorType}/${p.actorId}`).join(', ') || '(none)' : json(peers.data)}`);
