// The decisions every consumer (the webpack app, the Vite app, Node) makes with the installed
// package: a user joining a running call in a small group room, and the same join refused by the
// lobby. `expect` is what Talk 18 answers (spec: join, middleware RequireModeratorOrNoLobby).

export const NOW = 1700000000;
export const TOKEN = 'abc123xy';
const ALICE_SESSION = 'alice-session-0000000000000000000000000000000000000000000000000000';
const BOB_SESSION = 'bob-session-00000000000000000000000000000000000000000000000000000000';

/** Alice (owner) has been in the call for a minute; Bob (user) has the room open. */
function groupRoom(roomFields) {
	return {
		config: { startCalls: 0, allowedGroups: [], recordingConsent: 0, defaultPermissions: null, signaling: 'external' },
		room: {
			token: TOKEN, type: 2, readOnly: 0, lobbyState: 0, lobbyTimer: null, objectType: '',
			callFlag: 7, activeSince: NOW - 60, activeGuests: 0, defaultPermissions: 0, callPermissions: 0,
			recordingConsent: 0, callRecording: 0, breakoutRoomMode: 0, breakoutRoomStatus: 0,
			...roomFields,
		},
		attendees: [
			{ attendeeId: 1, actorType: 'users', actorId: 'alice', displayName: 'Alice', participantType: 1, permissions: 0,
				lastJoinedCall: NOW - 60, notificationCalls: 1, phoneNumber: null, callId: null },
			{ attendeeId: 2, actorType: 'users', actorId: 'bob', displayName: 'Bob', participantType: 3, permissions: 0,
				lastJoinedCall: null, notificationCalls: 1, phoneNumber: null, callId: null },
		],
		sessions: [
			{ sessionId: ALICE_SESSION, attendeeId: 1, inCall: 7, lastPing: NOW - 5 },
			{ sessionId: BOB_SESSION, attendeeId: 2, inCall: 0, lastPing: NOW - 2 },
		],
	};
}

export const BOB = { userId: 'bob', sessionId: BOB_SESSION, groups: [] };

const join = { method: 'POST', path: `/call/${TOKEN}`, body: { flags: 7, silent: false }, actor: BOB, now: NOW };

export const CASES = [
	{ name: 'join a running call', request: join, state: groupRoom({}), expect: { status: 200, reason: 'ok' } },
	{ name: 'join behind the lobby', request: join, state: groupRoom({ lobbyState: 1 }), expect: { status: 412, reason: 'lobby' } },
];

/**
 * Loads the module from `wasmUrl` and decides every case; what a page publishes for the test.
 * @param {typeof import('talk-call-rules')} rules
 */
export async function decideAll(rules, wasmUrl) {
	const ready = await rules.init(wasmUrl);
	if (!ready) {
		const why = rules.lastLoadError();
		return { ready, wasmUrl: String(wasmUrl), loadError: String(why && why.message ? why.message : why) };
	}
	const actions = rules.allowedActions(CASES[0].state, BOB, NOW);
	return {
		ready,
		wasmUrl: String(wasmUrl),
		version: rules.version(),
		decisions: CASES.map((c) => ({ name: c.name, outcome: rules.evaluate(c.request, c.state) })),
		joinAllowed: rules.isOutcome(actions) ? null : actions.join.allowed,
	};
}

/** Writes the result (or the failure) into the DOM, where the browser test reads it. */
export function publish(promise) {
	promise.then(
		(result) => { document.body.dataset.result = JSON.stringify(result); },
		(e) => { document.body.dataset.error = String(e && e.stack ? e.stack : e); },
	);
}
