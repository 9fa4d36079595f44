// The benchmark's rooms: a group conversation of n participants with one session each, some of
// them in the call; shared by bench/bench.mjs and bench/compare.mjs so both measure the same input.

export const NOW = 1700000000;
export const TOKEN = 'bench1234';

export function config() {
	return { startCalls: 0, allowedGroups: [], recordingConsent: 0, defaultPermissions: null, signaling: 'external' };
}

export function room(callFlag, activeSince) {
	return {
		token: TOKEN, type: 2, readOnly: 0, lobbyState: 0, lobbyTimer: null, objectType: '', callFlag,
		activeSince, activeGuests: 0, defaultPermissions: 0, callPermissions: 0, recordingConsent: 0,
		callRecording: 0, breakoutRoomMode: 0, breakoutRoomStatus: 0,
	};
}

export function attendee(id) {
	return {
		attendeeId: id, actorType: 'users', actorId: `user${id}`, displayName: `User ${id}`,
		participantType: id === 1 ? 1 : 3, permissions: 0, lastJoinedCall: null, notificationCalls: 1,
		phoneNumber: null, callId: null,
	};
}

export function sessionId(id) {
	return `s${String(id).padStart(8, '0')}${'x'.repeat(55)}`;
}

/** A group room with `n` participants, one session each; `inCallCount` of them in the call. */
export function roomState(n, inCallCount) {
	const attendees = [];
	const sessions = [];
	for (let id = 1; id <= n; id++) {
		attendees.push(attendee(id));
		sessions.push({ sessionId: sessionId(id), attendeeId: id, inCall: id <= inCallCount ? 7 : 0, lastPing: NOW - (id % 20) });
	}
	return { config: config(), room: room(inCallCount > 0 ? 7 : 0, inCallCount > 0 ? NOW - 60 : null), attendees, sessions, foreignAttendees: [], users: {} };
}

/** A join (POST, flags 7) or another request by participant `actorId` with their session. */
export function request(method, actorId) {
	return {
		method, path: `/call/${TOKEN}`, body: method === 'POST' ? { flags: 7, silent: false } : {},
		actor: { userId: `user${actorId}`, sessionId: sessionId(actorId), groups: [] }, now: NOW,
	};
}
