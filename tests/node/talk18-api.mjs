// What a Talk 18 server sends to one caller, rendered from the stored rows (a State): the
// conversation (`GET /room/{token}`, RoomFormatter::formatRoomV4), the user's room-list entry
// (`GET /room`, the same formatter), the participant list (`GET /room/{token}/participants`,
// RoomController::formatParticipantList), the capabilities (`config.call.*`) and the signaling
// settings. The oracle of tests/node/talk-state.test.mjs and the "API view" panel of the
// playground; browser-safe (no Node built-ins).
//
// The caller is a browser: `actor.sessionId` is the Talk session its cookie names for this
// conversation (none, one of its attendee's sessions, or an id the server no longer has). Which
// participant each endpoint formats follows spreed at the Talk 18 branch point (dd628675):
// `lib/Controller/RoomController.php` (getRooms, getSingleRoom, getParticipants), `lib/Manager.php`
// (getRoomsForActor, getRoomForUserByToken), `lib/Service/ParticipantService.php` (getParticipant,
// getParticipantBySession) and `lib/Middleware/InjectionMiddleware.php` (getLoggedInOrGuest).
//
// Written from that server code, `lib/Middleware/CanUseTalkMiddleware.php` (beforeController),
// `lib/Participant.php` (getPermissions, canStartCall) and Talk 18's formatters; it does not use
// the module or the adapter. Side effects of those GET requests (an expired lobby timer reset,
// sessions idle for more than 100 s removed, stale guests cleaned up) are not applied: the
// decisions are compared against the rows as they were rendered.

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

/** The logged-in user's own attendee row, if any. */
function userRowOf(state, actor) {
	return actor.userId ? state.attendees.find((a) => a.actorType === 'users' && a.actorId === actor.userId) : undefined;
}

/** The session the browser's cookie names: none for no cookie, "0", or an id the server no longer has. */
function cookieSession(state, actor) {
	return actor.sessionId && actor.sessionId !== '0' ? state.sessions.find((s) => s.sessionId === actor.sessionId) || null : null;
}

/** `Manager::getRoomForUserByToken`: public, or the user is an attendee, or it is listed to them. */
function visibleTo(state, room, actor) {
	return room.type === 3 || (!!actor.userId && (!!userRowOf(state, actor) || room.listable === 2
		|| (room.listable === 1 && !(actor.groups || []).includes(GUEST_APP_GROUP))));
}

/** The attendee a session belongs to, with that session (`ParticipantService::getParticipantBySession`). */
function bySession(state, session) {
	const a = session && state.attendees.find((x) => x.attendeeId === session.attendeeId);
	return a ? { attendee: attendeeOf(a), session } : null;
}

/**
 * The participant `GET /room/{token}` formats (`RoomController::getSingleRoom`): a user's own row
 * first, with the cookie's session only when it is that row's (the room query joins the session by
 * id and attendee, `ParticipantService::getParticipant` returns that cached participant); a user
 * without a row, or a guest, by the cookie's session; otherwise none.
 */
function singleRoomParticipant(state, room, actor) {
	const userRow = userRowOf(state, actor);
	const session = cookieSession(state, actor);
	if (userRow) {
		return { attendee: attendeeOf(userRow), session: session && session.attendeeId === userRow.attendeeId ? session : null };
	}
	return bySession(state, session);
}

/**
 * The participant of the call API and of `GET …/participants` (`RequireParticipant`,
 * `InjectionMiddleware::getLoggedInOrGuest`): the cookie's session first, whichever attendee it
 * belongs to; otherwise a user's own row without a session — never another session of that row.
 */
function requestParticipant(state, room, actor) {
	const found = bySession(state, cookieSession(state, actor));
	if (found) {
		return found;
	}
	const userRow = userRowOf(state, actor);
	return userRow ? { attendee: attendeeOf(userRow), session: null } : null;
}

/** `Room::getLobbyState()` / `getLobbyTimer()`: a passed timer is reset where setLobby may change the room. */
function lobbyAsRead(room, now) {
	const settable = (room.type === 2 || room.type === 3) && (room.objectType === '' || room.objectType === 'room');
	if (room.lobbyTimer !== null && room.lobbyTimer <= now && settable) {
		return { state: 0, timer: null };
	}
	return { state: room.lobbyState, timer: room.lobbyTimer };
}

/** `lib/Participant.php::getPermissions` (with `lib/Config.php::getDefaultPermissions`). */
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

/** `lib/Participant.php::canStartCall`. */
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

/** `RoomFormatter::formatRoomV4` for one participant (`{ attendee, session }`, or null for none). */
function formatRoom(cfg, room, participant, now) {
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
	if (!participant) {
		// Listed conversations show their public facts to non-participants; others the defaults.
		return room.listable !== 0 ? { ...data, ...roomFacts } : data;
	}
	const { attendee, session } = participant;
	const permissions = effectivePermissions(cfg, room, attendee);
	Object.assign(data, roomFacts, {
		participantType: attendee.participantType,
		notificationCalls: attendee.notificationCalls, actorType: attendee.actorType, actorId: attendee.actorId,
		attendeeId: attendee.attendeeId, permissions,
		attendeePermissions: attendee.permissions, callPermissions: room.callPermissions,
		defaultPermissions: room.defaultPermissions,
	});
	if (session) {
		// Without a session here `participantFlags` 0, `lastPing` 0 and `sessionId` "0" stay.
		Object.assign(data, { participantFlags: session.inCall, lastPing: session.lastPing, sessionId: session.sessionId });
	}
	if (lobby.state === 1 && !MODERATORS.includes(attendee.participantType) && !(permissions & 8)) {
		// No participants, chat messages or call for users in the lobby.
		data.hasCall = false;
		return data;
	}
	data.canStartCall = canStartCall(cfg, room, attendee);
	return data;
}

/** GET /room/{token} (`RoomController::getSingleRoom`): `{ status, data }`. */
export function renderConversation(state, actor, now) {
	const cfg = cfgOf(state);
	const room = roomOf(state);
	if (!mayUseTalk(cfg, actor)) {
		return { status: 403, data: [] };
	}
	if (!visibleTo(state, room, actor)) {
		return { status: 404, data: [] };
	}
	return { status: 200, data: formatRoom(cfg, room, singleRoomParticipant(state, room, actor), now) };
}

/**
 * GET /room (`RoomController::getRooms`), reduced to the one conversation of the State: `{ status,
 * data }` with `data` the list of the user's conversations (this one when they are an attendee).
 * Users only. The entry's session is the one the browser's cookie names for this conversation
 * (`TalkSession::getAllActiveSessions()`), joined only when it belongs to the user's row
 * (`Manager::getRoomsForActor`); otherwise `sessionId` is "0", whatever sessions the user has on
 * other tabs or devices.
 */
export function renderRoomList(state, actor, now) {
	const cfg = cfgOf(state);
	const room = roomOf(state);
	if (!actor.userId) {
		return { status: 401, data: [] };
	}
	if (!mayUseTalk(cfg, actor)) {
		return { status: 403, data: [] };
	}
	const userRow = userRowOf(state, actor);
	if (!userRow) {
		return { status: 200, data: [] };
	}
	const session = cookieSession(state, actor);
	const participant = { attendee: attendeeOf(userRow), session: session && session.attendeeId === userRow.attendeeId ? session : null };
	return { status: 200, data: [formatRoom(cfg, room, participant, now)] };
}

/** GET /room/{token}/participants: `{ status, data }`. */
export function renderParticipants(state, actor, now) {
	const cfg = cfgOf(state);
	const room = roomOf(state);
	if (!mayUseTalk(cfg, actor)) {
		return { status: 403, data: [] };
	}
	const found = visibleTo(state, room, actor) ? requestParticipant(state, room, actor) : null;
	const me = found && found.attendee;
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
		roomList: renderRoomList(state, actor, now),
		participants: renderParticipants(state, actor, now),
		capabilities: renderCapabilities(state, actor),
		signalingSettings: renderSignalingSettings(state),
	};
}
