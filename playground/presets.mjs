// Built-in conversations for the playground: State objects in the Talk 18 shapes of
// README.md, section API (the stored rows a Talk 18 server would load for a call request).
// Every preset is a function of the clock (`now`, unix seconds) so that lastPing/activeSince are
// realistic for the moment the preset is loaded.

/** The playground's clock starts here (the conformance vectors' `now`). */
export const START_NOW = 1700000000;

const CONFIG = Object.freeze({
	startCalls: 0,
	allowedGroups: [],
	recordingConsent: 0,
	defaultPermissions: null,
	signaling: 'internal',
});

function room(token, type, set = {}) {
	return {
		token,
		type,
		readOnly: 0,
		lobbyState: 0,
		lobbyTimer: null,
		objectType: '',
		callFlag: 0,
		activeSince: null,
		activeGuests: 0,
		defaultPermissions: 0,
		callPermissions: 0,
		recordingConsent: 0,
		callRecording: 0,
		breakoutRoomMode: 0,
		breakoutRoomStatus: 0,
		...set,
	};
}

function attendee(attendeeId, actorType, actorId, displayName, participantType, set = {}) {
	return {
		attendeeId,
		actorType,
		actorId,
		displayName,
		participantType,
		permissions: 0,
		lastJoinedCall: null,
		notificationCalls: 1,
		phoneNumber: null,
		callId: null,
		...set,
	};
}

const user = (id, actorId, name, type, set) => attendee(id, 'users', actorId, name, type, set);
const guest = (id, actorId, name, type, set) => attendee(id, 'guests', actorId, name, type, set);
const phone = (id, actorId, number) => attendee(id, 'phones', actorId, number, 3, { phoneNumber: number });

function session(sessionId, attendeeId, lastPing, inCall = 0) {
	return { sessionId, attendeeId, inCall, lastPing };
}

// Custom permission sets (Permission bits: 1 custom, 2 start call, 4 join call, 8 lobby ignore,
// 16 audio, 32 video, 64 screen, 128 chat).
const ALL_BUT_START = 1 | 4 | 16 | 32 | 64 | 128; // 245: may join, may not start
const WITH_LOBBY_IGNORE = 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128; // 255

/**
 * @typedef {{ id: string, label: string, description: string, build: (now: number) => object }} Preset
 * @type {Preset[]}
 */
export const PRESETS = [
	{
		id: 'group',
		label: 'Group conversation',
		description: 'A group conversation (type 2) with an owner, a moderator and users. Carol has call '
			+ 'notifications off; Dave has custom permissions without "start call", so he can only join a running call.',
		build: (now) => ({
			config: { ...CONFIG },
			room: room('grp7k2m9', 2),
			attendees: [
				user(1, 'alice', 'Alice (owner)', 1),
				user(2, 'mia', 'Mia (moderator)', 2),
				user(3, 'bob', 'Bob', 3),
				user(4, 'carol', 'Carol', 3, { notificationCalls: 0 }),
				user(5, 'dave', 'Dave (no start permission)', 3, { permissions: ALL_BUT_START }),
			],
			sessions: [
				session('alice-s1', 1, now - 3),
				session('bob-s1', 3, now - 5),
				session('dave-s1', 5, now - 8),
			],
			foreignAttendees: [],
			users: {},
		}),
	},
	{
		id: 'public',
		label: 'Public conversation with guests',
		description: 'A public conversation (type 3): an owner, an invited user, a self-joined user (type 5), '
			+ 'a guest (type 4) and a guest moderator (type 6). Guests are identified by their session only.',
		build: (now) => ({
			config: { ...CONFIG },
			room: room('pub3x8q1', 3),
			attendees: [
				user(1, 'alice', 'Alice (owner)', 1),
				user(2, 'bob', 'Bob', 3),
				user(3, 'erin', 'Erin (self-joined)', 5),
				guest(4, '35103ef7748b9d720718852e9481e58ee8660527', 'Gina (guest)', 4),
				guest(5, 'f20d1f0e0679892b66325fbc9236b37274049609', 'Hank (guest moderator)', 6),
			],
			sessions: [
				session('alice-s1', 1, now - 2),
				session('erin-s1', 3, now - 6),
				session('gina-s1', 4, now - 4),
				session('hank-s1', 5, now - 9),
			],
			foreignAttendees: [],
			users: {},
		}),
	},
	{
		id: 'one-to-one',
		label: 'One-to-one',
		description: 'A one-to-one conversation (type 1): both users are owners. Joining asks the host to re-add '
			+ 'a participant who left (ensureOneToOneFilled). A one-to-one has exactly two attendees; use '
			+ '"a stranger" for an outsider.',
		build: (now) => ({
			config: { ...CONFIG },
			room: room('oto5n2w4', 1),
			attendees: [
				user(1, 'alice', 'Alice', 1),
				user(2, 'bob', 'Bob', 1),
			],
			sessions: [session('alice-s1', 1, now - 3)],
			foreignAttendees: [],
			users: {},
		}),
	},
	{
		id: 'read-only',
		label: 'Read-only (locked)',
		description: 'A locked group conversation (readOnly 1) while Bob is still in a call that started five '
			+ 'minutes ago: nobody can join or list it, but the call can be left.',
		build: (now) => ({
			config: { ...CONFIG },
			room: room('ro9c4v7b', 2, { readOnly: 1, callFlag: 7, activeSince: now - 300 }),
			attendees: [
				user(1, 'alice', 'Alice (owner)', 1),
				user(2, 'bob', 'Bob', 3, { lastJoinedCall: now - 300 }),
				user(3, 'carol', 'Carol', 3),
			],
			sessions: [
				session('alice-s1', 1, now - 4),
				session('bob-s1', 2, now - 2, 7),
			],
			foreignAttendees: [],
			users: {},
		}),
	},
	{
		id: 'lobby',
		label: 'Lobby',
		description: 'A public conversation with the lobby enabled (lobbyState 1, no timer): moderators and '
			+ 'attendees with the "ignore lobby" permission may join; users and guests get 412.',
		build: (now) => ({
			config: { ...CONFIG },
			room: room('lb2h6j8k', 3, { lobbyState: 1 }),
			attendees: [
				user(1, 'alice', 'Alice (owner)', 1),
				user(2, 'mia', 'Mia (moderator)', 2),
				user(3, 'bob', 'Bob', 3),
				user(4, 'lena', 'Lena (ignores lobby)', 3, { permissions: WITH_LOBBY_IGNORE }),
				guest(5, '35103ef7748b9d720718852e9481e58ee8660527', 'Gina (guest)', 4),
			],
			sessions: [
				session('alice-s1', 1, now - 3),
				session('mia-s1', 2, now - 7),
				session('bob-s1', 3, now - 5),
				session('lena-s1', 4, now - 2),
				session('gina-s1', 5, now - 6),
			],
			foreignAttendees: [],
			users: {},
		}),
	},
	{
		id: 'recording-consent',
		label: 'Recording consent required',
		description: 'The administrator requires recording consent (config.recordingConsent 1): a join without '
			+ 'consent answers 400 "consent". Tick "I consent to recording" to join.',
		build: (now) => ({
			config: { ...CONFIG, recordingConsent: 1 },
			room: room('rc4t1y6u', 2),
			attendees: [
				user(1, 'alice', 'Alice (owner)', 1),
				user(2, 'bob', 'Bob', 3),
				user(3, 'carol', 'Carol', 3),
			],
			sessions: [
				session('alice-s1', 1, now - 3),
				session('bob-s1', 2, now - 5),
			],
			foreignAttendees: [],
			users: {},
		}),
	},
	{
		id: 'sip',
		label: 'SIP with phone attendees',
		description: 'A group conversation with SIP and two phone attendees, on a server with an external '
			+ 'signaling server (High-performance backend), which dial-out needs. Join the call first, then dial out.',
		build: (now) => ({
			config: { ...CONFIG, signaling: 'external' },
			room: room('sip8d3f5', 2, { sipEnabled: 1 }),
			attendees: [
				user(1, 'alice', 'Alice (owner)', 1),
				user(2, 'mia', 'Mia (moderator)', 2),
				user(3, 'bob', 'Bob', 3),
				phone(4, '0dbabc7f368e64ae39722a9c0b703023d2769c6f', '+491601231212'),
				phone(5, '7c4a8d09ca3762af61e59520943dc26494f8941b', '+4930901820'),
			],
			sessions: [
				session('alice-s1', 1, now - 3),
				session('bob-s1', 3, now - 6),
			],
			foreignAttendees: [],
			users: {},
		}),
	},
];

export function presetById(id) {
	return PRESETS.find((p) => p.id === id) || PRESETS[0];
}
