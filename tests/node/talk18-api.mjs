// What a Talk 18 server sends to one caller, rendered from the stored rows (a State): the
// conversation (`GET /room/{token}`, RoomFormatter::formatRoomV4), the participant list
// (`GET /room/{token}/participants`, RoomController::formatParticipantList), the capabilities
// (`config.call.*`) and the signaling settings. The oracle of tests/node/talk-state.test.mjs and
// the "API view" panel of the playground; browser-safe (no Node built-ins).
//
// Written from the server's behaviour as documented in the spec (§1.3, §2, §5) and Talk 18's
// formatters; it does not use the module or the adapter. Side effects of those GET requests
// (an expired lobby timer reset, sessions idle for more than 100 s removed, stale guests cleaned
// up) are not applied: the decisions are compared against the rows as they were rendered.

const SESSION_TIMEOUT_KILL = 100; // Session::SESSION_TIMEOUT_KILL = 30 * 3 + 10
const MODERATORS = [1, 2, 6];
const GUEST_APP_GROUP = 'guest_app';

/** Call-related `features` of Talk 18 (docs/capabilities.md up to "## 18"). */
export const TALK18_CALL_FEATURES = Object.freeze([
	'audio', 'video', 'chat-v2', 'conversation-v4', 'in-call-flags', 'start-call-flag', 'webinary-lobby',
	'read-only-rooms', 'listable-rooms', 'conversation-call-flags', 'publishing-permissions',
	'conversation-permissions', 'notification-calls', 'silent-call', 'send-call-notification', 'sip-support',
	'sip-support-nopin', 'breakout-rooms-v1', 'recording-v1', 'note-to-self', 'session-state',
	'recording-consent', 'sip-support-dialout',
]);

const cfgOf = (state) => ({
	startCalls: 0, allowedGroups: [], recordingConsent: 0, defaultPermissions: null, signaling: 'internal', ...state.config,
});
const roomOf = (state) => ({
	readOnly: 0, lobbyState: 0, lobbyTimer: null, objectType: '', callFlag: 0, activeSince: null,
	defaultPermissions: 0, callPermissions: 0, recordingConsent: 0, callRecording: 0, breakoutRoomMode: 0,
	breakoutRoomStatus: 0, listable: 0, ...state.room,
});
const attendeeOf = (a) => ({
	displayName: '', permissions: 0, lastJoinedCall: null, notificationCalls: 1, phoneNumber: null, callId: null, ...a,
});

/** CanUseTalkMiddleware: a logged-in user outside `allowed_groups` may not use Talk at all. */
function mayUseTalk(cfg, actor) {
	return !actor.userId || cfg.allowedGroups.length === 0
		|| (actor.groups || []).some((g) => cfg.allowedGroups.includes(g));
}

/** `Manager::getRoomForUserByToken` then the participant (cookie session first, else the user's first session). */
function resolve(state, room, actor) {
	const userRow = actor.userId ? state.attendees.find((a) => a.actorType === 'users' && a.actorId === actor.userId) : undefined;
	const visible = room.type === 3 || (!!actor.userId && (!!userRow || room.listable === 2
		|| (room.listable === 1 && !(actor.groups || []).includes(GUEST_APP_GROUP))));
	if (!visible) {
		return { visible: false, attendee: null, session: null };
	}
	if (actor.sessionId && actor.sessionId !== '0') {
		const s = state.sessions.find((x) => x.sessionId === actor.sessionId);
		const a = s && state.attendees.find((x) => x.attendeeId === s.attendeeId);
		if (a) {
			return { visible: true, attendee: attendeeOf(a), session: s };
		}
	}
	if (!userRow) {
		return { visible: true, attendee: null, session: null };
	}
	const s = state.sessions.find((x) => x.attendeeId === userRow.attendeeId) || null;
	return { visible: true, attendee: attendeeOf(userRow), session: s };
}

/** `Room::getLobbyState()` / `getLobbyTimer()`: a passed timer is reset where setLobby may change the room. */
function lobbyAsRead(room, now) {
	const settable = (room.type === 2 || room.type === 3) && (room.objectType === '' || room.objectType === 'room');
	if (room.lobbyTimer !== null && room.lobbyTimer <= now && settable) {
		return { state: 0, timer: null };
	}
	return { state: room.lobbyState, timer: room.lobbyTimer };
}

/** `Participant::getPermissions()` (spec §5.1). */
export function effectivePermissions(cfg, room, a) {
	if (MODERATORS.includes(a.participantType)) {
		return 254;
	}
	for (const p of [a.permissions, room.callPermissions, room.defaultPermissions]) {
		if (p !== 0) {
			return p;
		}
	}
	return cfg.defaultPermissions ?? 246;
}

/** `Participant::canStartCall()` (spec §5.2). */
function canStartCall(cfg, room, a) {
	if (room.type === 6 || cfg.startCalls === 3 || !(effectivePermissions(cfg, room, a) & 2)) {
		return false;
	}
	const moderator = MODERATORS.includes(a.participantType);
	if (cfg.startCalls === 0) {
		return true;
	}
	if (cfg.startCalls === 1) {
		return ![4, 6].includes(a.participantType) || moderator;
	}
	return cfg.startCalls === 2 && moderator;
}

/** The conversation's `recordingConsent`: the room's own setting when the admin left it per conversation. */
function consentShown(cfg, room) {
	return cfg.recordingConsent === 2 ? room.recordingConsent : cfg.recordingConsent;
}

/** GET /room/{token}: `{ status, data }`. */
export function renderConversation(state, actor, now) {
	const cfg = cfgOf(state);
	const room = roomOf(state);
	if (!mayUseTalk(cfg, actor)) {
		return { status: 403, data: [] };
	}
	const { visible, attendee, session } = resolve(state, room, actor);
	if (!visible) {
		return { status: 404, data: [] };
	}
	const lobby = lobbyAsRead(room, now);
	const data = {
		token: room.token, type: room.type, name: '', displayName: '', objectType: '', objectId: '',
		participantType: 4, participantFlags: 0, readOnly: 0, hasPassword: false, hasCall: false,
		callStartTime: 0, callRecording: 0, canStartCall: false, lastActivity: 0, notificationLevel: 3,
		notificationCalls: 0, lobbyState: 0, lobbyTimer: 0, lastPing: 0, sessionId: '0', sipEnabled: 0,
		actorType: '', actorId: '', attendeeId: 0, permissions: 1, attendeePermissions: 1, callPermissions: 1,
		defaultPermissions: 1, attendeePin: '', description: '', listable: 0, callFlag: 0, messageExpiration: 0,
		breakoutRoomMode: 0, breakoutRoomStatus: 0, recordingConsent: consentShown(cfg, room),
	};
	const roomFacts = {
		objectType: room.objectType, readOnly: room.readOnly, hasCall: room.activeSince !== null,
		callStartTime: room.activeSince ?? 0, callRecording: room.callRecording, callFlag: room.callFlag,
		lobbyState: lobby.state, lobbyTimer: lobby.timer ?? 0, listable: room.listable,
		breakoutRoomMode: room.breakoutRoomMode, breakoutRoomStatus: room.breakoutRoomStatus,
	};
	if (!attendee) {
		// Listed conversations show their public facts to non-participants; others the defaults.
		return { status: 200, data: room.listable !== 0 ? { ...data, ...roomFacts } : data };
	}
	const permissions = effectivePermissions(cfg, room, attendee);
	Object.assign(data, roomFacts, {
		participantType: attendee.participantType,
		notificationCalls: attendee.notificationCalls, actorType: attendee.actorType, actorId: attendee.actorId,
		attendeeId: attendee.attendeeId, permissions,
		attendeePermissions: attendee.permissions, callPermissions: room.callPermissions,
		defaultPermissions: room.defaultPermissions,
	});
	if (session) {
		Object.assign(data, { participantFlags: session.inCall, lastPing: session.lastPing, sessionId: session.sessionId });
	}
	if (lobby.state === 1 && !MODERATORS.includes(attendee.participantType) && !(permissions & 8)) {
		// No participants, chat messages or call for users in the lobby.
		data.hasCall = false;
		return { status: 200, data };
	}
	data.canStartCall = canStartCall(cfg, room, attendee);
	return { status: 200, data };
}

/** GET /room/{token}/participants: `{ status, data }`. */
export function renderParticipants(state, actor, now) {
	const cfg = cfgOf(state);
	const room = roomOf(state);
	if (!mayUseTalk(cfg, actor)) {
		return { status: 403, data: [] };
	}
	const { attendee: me } = resolve(state, room, actor);
	if (!me) {
		return { status: 404, data: [] };
	}
	const permissionsOfMe = effectivePermissions(cfg, room, me);
	if (lobbyAsRead(room, now).state === 1 && !MODERATORS.includes(me.participantType) && !(permissionsOfMe & 8)) {
		return { status: 412, data: [] };
	}
	if (me.participantType === 4) {
		return { status: 403, data: [] };
	}
	// Phone numbers and call ids only for moderators (guest moderators excluded).
	const seesPhones = me.participantType === 1 || me.participantType === 2;
	const maxPingAge = now - SESSION_TIMEOUT_KILL;
	const users = state.users || {};
	const results = new Map();
	for (const raw of state.attendees) {
		const a = attendeeOf(raw);
		const own = state.sessions.filter((s) => s.attendeeId === a.attendeeId);
		// One row per session, or one row without a session (LEFT JOIN).
		for (const session of own.length > 0 ? own : [null]) {
			const listed = results.get(a.attendeeId);
			if (listed) {
				if (!session || session.lastPing <= maxPingAge) {
					continue; // expired sessions after the first are left out
				}
				listed.inCall |= session.inCall;
				listed.lastPing = Math.max(listed.lastPing, session.lastPing);
				listed.sessionIds.push(session.sessionId);
				continue;
			}
			const result = {
				roomToken: room.token, inCall: 0, lastPing: 0, sessionIds: [],
				participantType: a.participantType, attendeeId: a.attendeeId, actorId: a.actorId, actorType: a.actorType,
				displayName: a.actorId, permissions: effectivePermissions(cfg, room, a), attendeePermissions: a.permissions,
				attendeePin: '', phoneNumber: '', callId: '',
			};
			if (session) {
				Object.assign(result, { inCall: session.inCall, lastPing: session.lastPing, sessionIds: [session.sessionId] });
			}
			if (a.actorType === 'users') {
				result.displayName = a.displayName || users[a.actorId]?.displayName || '';
				if (!result.displayName) {
					continue; // the user no longer exists
				}
			} else if (a.actorType === 'guests') {
				if (a.participantType === 4 && (a.permissions === 0 || a.permissions === 1) && result.lastPing <= maxPingAge) {
					continue; // guests without an up-to-date session are not listed
				}
				result.displayName = a.displayName;
			} else if (a.actorType === 'groups' || a.actorType === 'circles') {
				result.displayName = a.displayName;
			} else if (a.actorType === 'phones') {
				result.displayName = a.displayName;
				if (seesPhones) {
					result.phoneNumber = a.phoneNumber ?? '';
					result.callId = a.callId ?? '';
				}
			}
			results.set(a.attendeeId, result);
		}
	}
	return { status: 200, data: [...results.values()] };
}

/** The capabilities: PHP's `[]` for users who may not use Talk. */
export function renderCapabilities(state, actor) {
	const cfg = cfgOf(state);
	if (!mayUseTalk(cfg, actor)) {
		return [];
	}
	const sip = state.attendees.some((a) => a.actorType === 'phones');
	return {
		spreed: {
			features: [...TALK18_CALL_FEATURES],
			config: {
				call: {
					enabled: cfg.startCalls !== 3,
					'breakout-rooms': true,
					recording: cfg.recordingConsent !== 0,
					'recording-consent': cfg.recordingConsent,
					'sip-enabled': sip,
					'sip-dialout-enabled': sip,
					'can-enable-sip': false,
				},
			},
		},
	};
}

/** GET /signaling/settings (only what the adapter reads). */
export function renderSignalingSettings(state) {
	return { signalingMode: cfgOf(state).signaling === 'external' ? 'external' : 'internal' };
}

/** Everything the caller's browser would hold, with the HTTP status of each fetch. */
export function renderTalkApi(state, actor, now) {
	return {
		conversation: renderConversation(state, actor, now),
		participants: renderParticipants(state, actor, now),
		capabilities: renderCapabilities(state, actor),
		signalingSettings: renderSignalingSettings(state),
	};
}
