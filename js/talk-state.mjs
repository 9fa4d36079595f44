// talk-call-rules — the engine's State from what the spreed frontend already holds.
//
// The browser does not hold the server's rows. It holds what the Talk 18 API sent to this caller:
// the conversation (`GET /room/{token}`, Room API v4), the participant list
// (`GET /room/{token}/participants`), the capabilities and the signaling settings. `stateFromTalk()`
// turns those into a State and an Actor for which the CALLER's decisions come out as on the
// server, and says what it could not see. `allowedActionsFromTalk()` and `evaluateFromTalk()` then
// answer like `allowedActions()` / `evaluate()`, marking every answer that hidden data could still
// change (`certain: false`, `dependsOn: [...]`).
//
// How certainty is decided: the hidden data reaches the caller's answers through a few facts
// only (is some other session in the call with a fresh ping, has a ring target a session in the
// call that the list leaves out, start_calls, the signaling mode, whether the signaling server
// accepts a dial-out, whether the lobby timer has passed on the server's clock, what an attendee
// id outside the list names, whether Talk is enabled for the user when the capabilities and the
// conversation disagree). The view records
// which of those it cannot tell. For each such fact the answer is computed again in every
// "world" that fact may be in — an answer is certain only when every world gives the same
// status, reason and flags. The rules themselves are never re-implemented here: every world is
// decided by the same module.
//
// What the view takes as given: the conversation's `sessionId` is the session the browser's
// requests carry ("0": none). Talk 18 shows exactly that session in a room-list entry and in
// `GET /room/{token}`, with one exception no view can reveal: a logged-in user with a row of their
// own whose cookie still names ANOTHER attendee's session of this conversation (a guest session from
// before logging in, until the frontend joins again) sees their own row without a session, while
// the call API acts as that other attendee (`InjectionMiddleware::getLoggedInOrGuest` looks the
// session up first).
//
// Browser-safe, synchronous; nothing here reads a clock.

import { allowedActions, evaluate, isOutcome } from './index.mjs';

/** What hidden data a decision may depend on (`dependsOn` entries). */
export const TALK_HIDDEN = Object.freeze([
	'other-sessions-ping',
	'target-sessions',
	'target-attendee',
	'start-calls',
	'signaling-mode',
	'signaling-server',
	'recording-consent',
	'server-clock',
	'talk-allowed',
]);

/** `Session::SESSION_TIMEOUT`: a session pinged within 30 s is fresh. */
const SESSION_TIMEOUT = 30;
/** Largest `clockSkew` accepted (one hour). */
const MAX_SKEW = 3600;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const MODERATORS = new Set([1, 2, 6]);
const GUESTS = new Set([4, 6]);
const LOBBY_IGNORE = 8;
const CALL_START = 2;
const NOTE_TO_SELF = 6;
/** The allowed group of a State in which Talk is disabled for the caller (no actor holds it). */
const TALK_DISABLED = '(talk is disabled for this user)';

class BadInput extends Error {}

function fail(detail) {
	throw new BadInput(detail);
}

function isObject(v) {
	return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function kind(v) {
	return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** An integer field; `fallback` when absent (undefined/null), an error when present but wrong. */
function int(obj, key, at, { min = 0, max = MAX_SAFE, fallback } = {}) {
	const v = obj[key];
	if (v === undefined || v === null) {
		if (fallback === undefined) {
			fail(`${at}.${key}: required`);
		}
		return fallback;
	}
	// The OCS API sends integers; booleans appear for 0/1 columns in some clients' stores.
	const n = typeof v === 'boolean' ? Number(v) : v;
	if (typeof n !== 'number' || !Number.isInteger(n)) {
		fail(`${at}.${key}: expected an integer, got ${kind(v)}`);
	}
	if (n < min || n > max) {
		fail(`${at}.${key}: ${n} is out of range ${min}..${max}`);
	}
	return n;
}

function string(obj, key, at, { fallback, nonEmpty = false } = {}) {
	const v = obj[key];
	if (v === undefined || v === null) {
		if (fallback === undefined) {
			fail(`${at}.${key}: required`);
		}
		return fallback;
	}
	if (typeof v !== 'string') {
		fail(`${at}.${key}: expected a string, got ${kind(v)}`);
	}
	if (nonEmpty && v === '') {
		fail(`${at}.${key}: must not be empty`);
	}
	return v;
}

function bool(obj, key, at) {
	const v = obj[key];
	if (v === undefined || v === null) {
		return null;
	}
	if (typeof v !== 'boolean') {
		fail(`${at}.${key}: expected a boolean, got ${kind(v)}`);
	}
	return v;
}

/**
 * `Participant::canStartCall()` of Talk 18 for one start_calls value (spec §5.2), used only to
 * find which start_calls values agree with the conversation's `canStartCall`.
 */
function serverCanStartCall(startCalls, permissions, participantType, roomType) {
	if (roomType === NOTE_TO_SELF || startCalls === 3 || !(permissions & CALL_START)) {
		return false;
	}
	const moderator = MODERATORS.has(participantType);
	if (startCalls === 0) {
		return true;
	}
	if (startCalls === 1) {
		return !GUESTS.has(participantType) || moderator;
	}
	return startCalls === 2 && moderator;
}

/** Talk's own answer for a user it refuses: PHP's empty array, `[]` in JSON. */
function isEmptyArray(v) {
	return Array.isArray(v) && v.length === 0;
}

/**
 * The spreed part of the capabilities, whether given whole (`{ spreed: … }`, as
 * `getCapabilities()` of @nextcloud/capabilities returns them) or as that part.
 *
 * `talk` says what they tell about Talk being enabled for this user:
 * - `true`: Talk answered (a spreed part), or they say nothing (absent, `null`, or `{}`, which is
 *   what `getCapabilities()` returns on a page without the `core`/`capabilities` initial state).
 *   The conversation then decides: a logged-in user holding one may use Talk, because
 *   `CanUseTalkMiddleware` answers 403 to `GET /room` (and `GET /room/{token}`) for users Talk is
 *   disabled for (spreed `lib/Middleware/CanUseTalkMiddleware.php`, Talk 18).
 * - `false`: Talk's own answer `[]` (or `{ spreed: [] }`): `Capabilities::getCapabilities()`
 *   returns `[]` exactly for a logged-in user `Config::isDisabledForUser()` refuses
 *   (spreed `lib/Capabilities.php`, Talk 18).
 * - `null`: other apps' capabilities without a spreed part. The server renders this for a user
 *   Talk refuses (the capabilities manager merges Talk's `[]` into nothing, nextcloud/server
 *   `lib/private/CapabilitiesManager.php`), yet the conversation shows the user could use Talk
 *   when it was fetched: the two disagree, so the answers the allowed groups would change are
 *   uncertain (`talk-allowed`).
 */
function spreedCapabilities(capabilities) {
	if (capabilities === undefined || capabilities === null) {
		return { given: false, talk: true, call: {} };
	}
	if (isEmptyArray(capabilities) || (isObject(capabilities) && isEmptyArray(capabilities.spreed))) {
		return { given: true, talk: false, call: {} };
	}
	if (!isObject(capabilities)) {
		fail(`capabilities: expected an object, got ${kind(capabilities)}`);
	}
	const spreed = isObject(capabilities.spreed) ? capabilities.spreed
		: isObject(capabilities.config) || Array.isArray(capabilities.features) ? capabilities : null;
	if (spreed === null) {
		if (capabilities.spreed !== undefined && capabilities.spreed !== null) {
			fail(`capabilities.spreed: expected an object, got ${kind(capabilities.spreed)}`);
		}
		const saysNothing = Object.keys(capabilities).every((k) => capabilities[k] === undefined || capabilities[k] === null);
		return saysNothing ? { given: false, talk: true, call: {} } : { given: true, talk: null, call: {} };
	}
	const call = isObject(spreed.config) && isObject(spreed.config.call) ? spreed.config.call : {};
	return { given: true, talk: true, call };
}

function signalingOf(settings) {
	if (settings === undefined || settings === null) {
		return null;
	}
	if (!isObject(settings)) {
		fail(`signalingSettings: expected an object, got ${kind(settings)}`);
	}
	const mode = string(settings, 'signalingMode', 'signalingSettings', { fallback: '' });
	if (mode === '') {
		return null;
	}
	// `Config::getSignalingMode()` answers "internal" unless a signaling server is configured.
	return mode === 'internal' ? 'internal' : 'external';
}

/** A listed participant, checked; `sessionIds` deduplicated. */
function participantEntry(p, at) {
	if (!isObject(p)) {
		fail(`${at}: expected an object, got ${kind(p)}`);
	}
	const sessionIds = p.sessionIds === undefined || p.sessionIds === null ? [] : p.sessionIds;
	if (!Array.isArray(sessionIds)) {
		fail(`${at}.sessionIds: expected an array, got ${kind(sessionIds)}`);
	}
	sessionIds.forEach((s, i) => {
		if (typeof s !== 'string' || s === '') {
			fail(`${at}.sessionIds[${i}]: expected a non-empty string`);
		}
	});
	return {
		attendeeId: int(p, 'attendeeId', at, { min: 1 }),
		actorType: string(p, 'actorType', at, { nonEmpty: true }),
		actorId: string(p, 'actorId', at, { nonEmpty: true }),
		displayName: string(p, 'displayName', at, { fallback: '' }),
		participantType: int(p, 'participantType', at, { min: 1, max: 6 }),
		attendeePermissions: int(p, 'attendeePermissions', at, { min: INT32_MIN, max: INT32_MAX, fallback: 0 }),
		inCall: int(p, 'inCall', at, { min: INT32_MIN, max: INT32_MAX, fallback: 0 }),
		lastPing: int(p, 'lastPing', at, { fallback: 0 }),
		sessionIds: [...new Set(sessionIds)],
		phoneNumber: string(p, 'phoneNumber', at, { fallback: '' }),
		callId: string(p, 'callId', at, { fallback: '' }),
	};
}

function attendeeRow(attendeeId, actorType, actorId, displayName, participantType, permissions, extra = {}) {
	return {
		attendeeId, actorType, actorId, displayName, participantType, permissions,
		lastJoinedCall: null, notificationCalls: 1, phoneNumber: null, callId: null, ...extra,
	};
}

/** Is this session in the call with a fresh ping at every second of [now − skew, now + skew]? */
function freshThroughout(session, now, skew) {
	return session.inCall !== 0 && session.lastPing >= now + skew - SESSION_TIMEOUT;
}

/** Could this session be fresh at some second of [now − skew, now + skew]? */
function freshSometime(lastPing, now, skew) {
	return lastPing >= now - skew - SESSION_TIMEOUT;
}

function build(input) {
	if (!isObject(input)) {
		fail(`input: expected an object, got ${kind(input)}`);
	}
	const { conversation: c, participants, capabilities, currentUser, signalingSettings } = input;
	const now = int(input, 'now', 'input');
	const skew = int(input, 'clockSkew', 'input', { max: MAX_SKEW, fallback: 0 });
	if (!isObject(c)) {
		fail(`conversation: expected an object (GET /room/{token}), got ${kind(c)}`);
	}
	if (currentUser !== undefined && currentUser !== null && !isObject(currentUser)) {
		fail(`currentUser: expected an object or null, got ${kind(currentUser)}`);
	}
	const uid = isObject(currentUser) ? string(currentUser, 'uid', 'currentUser', { nonEmpty: true }) : null;
	if (participants !== undefined && participants !== null && !Array.isArray(participants)) {
		fail(`participants: expected an array or null, got ${kind(participants)}`);
	}
	const caps = spreedCapabilities(capabilities);
	const signaling = signalingOf(signalingSettings);
	const hidden = new Set();
	// Talk refuses only logged-in users (`Config::isDisabledForUser(IUser)`); guests may always use it.
	const talkAllowed = uid === null ? true : caps.talk;
	if (talkAllowed === null) {
		hidden.add('talk-allowed');
	}

	// ---- the conversation (RoomFormatter::formatRoomV4 of Talk 18) ----
	const at = 'conversation';
	const token = string(c, 'token', at, { nonEmpty: true });
	const type = int(c, 'type', at, { min: 1, max: 6 });
	const attendeeId = int(c, 'attendeeId', at, { fallback: 0 });
	const participantType = int(c, 'participantType', at, { min: 1, max: 6, fallback: 4 });
	const permissions = int(c, 'permissions', at, { min: INT32_MIN, max: INT32_MAX, fallback: 0 });
	const lobbyState = int(c, 'lobbyState', at, { max: 1, fallback: 0 });
	const lobbyTimer = int(c, 'lobbyTimer', at, { fallback: 0 });
	const moderator = MODERATORS.has(participantType);
	const isParticipant = attendeeId > 0;
	// A non-moderator without LOBBY_IGNORE in an active lobby gets a reduced conversation
	// (no `canStartCall`, `hasCall` false) and no participant list.
	const lobbyBlocked = isParticipant && lobbyState === 1 && !moderator && !(permissions & LOBBY_IGNORE);
	// The session of THIS browser in the conversation, or "0": a room-list entry (`GET /room`)
	// and `GET /room/{token}` both join only the session the browser's cookie names, and only when it
	// belongs to the caller's row (`Manager::getRoomsForActor` / `getRoomForUserByToken` cache that
	// participant, `ParticipantService::getParticipant` returns it). "0" therefore means: no session
	// here, even when the user has sessions on other tabs or devices; Talk 18 then answers 404 to
	// POST, PUT and DELETE on the call, since it never falls back to another session of the attendee.
	const sessionId = string(c, 'sessionId', at, { fallback: '0' });
	const ownSession = sessionId !== '0' && sessionId !== '' ? sessionId : null;
	const callStartTime = int(c, 'callStartTime', at, { fallback: 0 });
	const canStartCall = bool(c, 'canStartCall', at);
	const consentShown = c.recordingConsent === undefined || c.recordingConsent === null ? null
		: int(c, 'recordingConsent', at, { max: 2 });
	const consentCap = caps.call['recording-consent'];
	let recordingConsent;
	let roomConsent;
	if (Number.isInteger(consentCap) && consentCap >= 0 && consentCap <= 2) {
		// The effective requirement; with 2 the conversation shows its own setting.
		recordingConsent = consentCap;
		roomConsent = consentCap === 2 ? (consentShown ?? 0) : 0;
		if (consentCap === 2 && consentShown === null) {
			hidden.add('recording-consent');
		}
	} else {
		// Without the capability the conversation still says whether consent is needed: 1 is
		// exactly "a join without consent answers 400".
		recordingConsent = consentShown === 1 ? 1 : 0;
		roomConsent = recordingConsent;
		if (consentShown === null) {
			hidden.add('recording-consent');
		}
	}

	const room = {
		token,
		type,
		readOnly: int(c, 'readOnly', at, { max: 1, fallback: 0 }),
		lobbyState,
		lobbyTimer: lobbyTimer > 0 ? lobbyTimer : null,
		objectType: string(c, 'objectType', at, { fallback: '' }),
		callFlag: int(c, 'callFlag', at, { min: INT32_MIN, max: INT32_MAX, fallback: 0 }),
		activeSince: callStartTime > 0 ? callStartTime : null,
		activeGuests: 0,
		defaultPermissions: int(c, 'defaultPermissions', at, { min: INT32_MIN, max: INT32_MAX, fallback: 0 }),
		callPermissions: int(c, 'callPermissions', at, { min: INT32_MIN, max: INT32_MAX, fallback: 0 }),
		recordingConsent: roomConsent,
		callRecording: int(c, 'callRecording', at, { max: 5, fallback: 0 }),
		breakoutRoomMode: int(c, 'breakoutRoomMode', at, { max: 3, fallback: 0 }),
		// Every status the server stores (`lib/Model/BreakoutRoom.php`): stopped 0, started 1, and in a
		// breakout room 2 while its participants request assistance (reset to 0).
		breakoutRoomStatus: int(c, 'breakoutRoomStatus', at, { max: 2, fallback: 0 }),
		listable: int(c, 'listable', at, { max: 2, fallback: 0 }),
	};
	if (isParticipant && !moderator) {
		// The conversation's `permissions` are the caller's effective ones; the first non-zero
		// level wins, so the attendee row carries them. When they are 0 every level was 0 and the
		// app default was set to "0".
		room.callPermissions = permissions === 0 ? 0 : room.callPermissions;
		room.defaultPermissions = permissions === 0 ? 0 : room.defaultPermissions;
	}

	// ---- start_calls: every value that gives this caller the `canStartCall` the server sent ----
	const enabled = typeof caps.call.enabled === 'boolean' ? caps.call.enabled : null;
	const informative = isParticipant && !lobbyBlocked && canStartCall !== null;
	const classes = new Map();
	for (const s of [0, 1, 2, 3]) {
		if (enabled !== null && enabled !== (s !== 3)) {
			continue;
		}
		const can = serverCanStartCall(s, moderator ? 254 : permissions, participantType, type);
		if (informative && can !== canStartCall) {
			continue;
		}
		const key = `${s === 3}:${isParticipant ? can : ''}`;
		if (!classes.has(key)) {
			classes.set(key, s);
		}
	}
	// An inconsistent view (e.g. canStartCall true with calls disabled) keeps the capabilities' word.
	const startCalls = classes.size > 0 ? [...classes.values()] : [enabled === false ? 3 : 0];
	if (startCalls.length > 1) {
		hidden.add('start-calls');
	}

	// ---- rows ----
	const attendees = [];
	const sessions = [];
	const seenAttendees = new Set();
	const seenSessions = new Set();
	let caller = null;
	if (isParticipant) {
		const actorType = string(c, 'actorType', at, { nonEmpty: true });
		const actorId = string(c, 'actorId', at, { nonEmpty: true });
		const raw = int(c, 'attendeePermissions', at, { min: INT32_MIN, max: INT32_MAX, fallback: 0 });
		// The conversation's `displayName` is the conversation's; the caller's comes from the list.
		caller = attendeeRow(attendeeId, actorType, actorId, '',
			participantType, moderator ? raw : permissions,
			{ notificationCalls: int(c, 'notificationCalls', at, { max: 1, fallback: 1 }) });
		attendees.push(caller);
		seenAttendees.add(attendeeId);
		if (ownSession !== null) {
			sessions.push({
				sessionId: ownSession,
				attendeeId,
				inCall: int(c, 'participantFlags', at, { min: INT32_MIN, max: INT32_MAX, fallback: 0 }),
				lastPing: int(c, 'lastPing', at, { fallback: 0 }),
			});
			seenSessions.add(ownSession);
		}
	}

	// Fresh in-call sessions: true when one is certainly there over the whole clock window,
	// null when the view cannot tell (the list leaves out attendees and sessions idle for
	// more than 100 s, and shows one combined entry per attendee).
	let freshCallSession = sessions.some((s) => freshThroughout(s, now, skew)) ? true : null;
	const pingCauses = new Set(['other-sessions-ping']);
	const targetsInCall = {};
	const listKnown = Array.isArray(participants);
	if (listKnown) {
		const entries = participants.map((p, i) => participantEntry(p, `participants[${i}]`));
		for (const e of entries) {
			if (e.attendeeId === attendeeId) {
				// The caller: their row comes from the conversation. The entry's other sessions are their
				// other tabs and devices: sessions in the room like anybody's, never the caller's own (the
				// actor names only this browser's session, and the module does not fall back to another).
				caller.displayName = e.displayName;
				if (ownSession === null) {
					// No session here: the entry lists exactly those other sessions.
					addSessions(e, e.sessionIds, false);
				} else {
					// The entry's flags and newest ping also cover this browser's session.
					addSessions(e, e.sessionIds.filter((id) => id !== ownSession), true);
				}
				continue;
			}
			if (seenAttendees.has(e.attendeeId)) {
				fail(`participants: attendee ${e.attendeeId} is listed twice`);
			}
			seenAttendees.add(e.attendeeId);
			attendees.push(attendeeRow(e.attendeeId, e.actorType, e.actorId, e.displayName, e.participantType,
				e.attendeePermissions, {
					phoneNumber: e.phoneNumber === '' ? null : e.phoneNumber,
					callId: e.callId === '' ? null : e.callId,
				}));
			addSessions(e, e.sessionIds, false);
			if (e.actorType === 'users') {
				// Ring targets. An empty `sessionIds` means no session at all; a listed session in the
				// call is real; otherwise a session idle > 100 s, left out of the list, may be flagged.
				targetsInCall[e.attendeeId] = e.inCall !== 0 ? true : e.sessionIds.length === 0 ? false : null;
			}
		}
	}
	if (Object.values(targetsInCall).includes(null)) {
		hidden.add('target-sessions');
	}

	/** One entry's sessions. `combined`: its inCall/lastPing also cover sessions not added here. */
	function addSessions(e, ids, combined) {
		if (ids.length === 0) {
			return;
		}
		ids.forEach((id, i) => {
			if (seenSessions.has(id)) {
				fail(`participants: session ${JSON.stringify(id)} is listed twice`);
			}
			seenSessions.add(id);
			// The first session carries the entry's combined flags and newest ping; the others idle.
			sessions.push({ sessionId: id, attendeeId: e.attendeeId, inCall: i === 0 ? e.inCall : 0, lastPing: e.lastPing });
		});
		// A single listed session is exact: the sessions the list leaves out are idle > 100 s.
		if (ids.length === 1 && !combined && freshThroughout({ inCall: e.inCall, lastPing: e.lastPing }, now, skew)) {
			freshCallSession = true;
		}
	}
	// A session whose ping turns stale within the clock window depends on the server's clock.
	if (freshCallSession === null && skew > 0 && sessions.some((s) => s.inCall !== 0
		&& freshSometime(s.lastPing, now, skew) && s.lastPing < now + skew - SESSION_TIMEOUT)) {
		pingCauses.add('server-clock');
	}
	if (freshCallSession === null) {
		for (const cause of pingCauses) {
			hidden.add(cause);
		}
	}
	if (signaling === null) {
		hidden.add('signaling-mode');
	}

	// The conversation was rendered for this caller, so it is visible to them; a logged-in caller
	// whose cookie session belongs to a row that is not their user row keeps that visibility.
	if (isParticipant && type !== 3 && uid !== null
		&& !attendees.some((a) => a.actorType === 'users' && a.actorId === uid)) {
		room.listable = 2;
	}

	const config = {
		startCalls: startCalls[0],
		// A view exists, so the caller may use Talk, unless Talk's own answer says otherwise.
		allowedGroups: talkAllowed === false ? [TALK_DISABLED] : [],
		recordingConsent,
		defaultPermissions: isParticipant && !moderator && permissions === 0 ? 0 : null,
		signaling: signaling ?? (caps.call['sip-dialout-enabled'] === true ? 'external' : 'internal'),
	};
	const actor = { userId: uid, sessionId: ownSession, groups: [] };
	const lobbyWindow = room.lobbyTimer !== null && skew > 0
		&& room.lobbyTimer > now - skew && room.lobbyTimer <= now + skew;
	if (lobbyWindow) {
		hidden.add('server-clock');
	}
	return {
		state: { config, room, attendees, sessions, foreignAttendees: [], users: {} },
		actor,
		now,
		uncertain: {
			dependsOn: TALK_HIDDEN.filter((h) => hidden.has(h)),
			participantsKnown: listKnown,
			freshCallSession,
			freshCallCauses: freshCallSession === null ? [...pingCauses].sort() : [],
			targetsInCall,
			startCalls,
			signaling,
			recordingConsent: hidden.has('recording-consent') ? null : recordingConsent,
			clockSkew: skew,
			talkAllowed,
		},
		error: null,
	};
}

/**
 * The State, Actor and clock for the caller from what the spreed frontend holds, and what it
 * could not see. Never throws for bad data: a view with `error` set (`state` null) instead.
 * @param {import('./index.d.ts').TalkInput} input
 * @returns {import('./index.d.ts').TalkView}
 */
export function stateFromTalk(input) {
	try {
		return build(input);
	} catch (e) {
		if (!(e instanceof BadInput)) {
			throw e;
		}
		const now = isObject(input) && Number.isInteger(input.now) ? input.now : null;
		return { state: null, actor: null, now, uncertain: null, error: { reason: 'bad-input', detail: e.message } };
	}
}

// ------------------------------------------------------------------------------------------------
// worlds: the states the hidden facts may be in
// ------------------------------------------------------------------------------------------------

function badView(view) {
	const detail = isObject(view) && isObject(view.error) ? view.error.detail
		: 'view: expected the result of stateFromTalk()';
	return { status: 400, data: { error: 'bad-input', detail }, message: '', reason: 'bad-input', mutations: [], effects: [] };
}

function validView(view) {
	return isObject(view) && view.error === null && isObject(view.state) && isObject(view.uncertain)
		&& Number.isInteger(view.now);
}

function nextId(state) {
	return state.attendees.reduce((m, a) => Math.max(m, a.attendeeId), 0) + 1;
}

function freeSessionId(state, base) {
	const taken = new Set(state.sessions.map((s) => s.sessionId));
	let id = base;
	for (let i = 2; taken.has(id); i += 1) {
		id = `${base}-${i}`;
	}
	return id;
}

/**
 * The dimensions the view leaves open, each with the values to try. `extra` adds the
 * request-specific one (an attendee id outside the list).
 */
function dimensions(view, extra) {
	const u = view.uncertain;
	const dims = [];
	if (u.freshCallSession !== true) {
		dims.push({ name: 'alive', causes: u.freshCallCauses.length ? u.freshCallCauses : ['other-sessions-ping'], values: ['none', 'fresh'] });
	}
	const hiddenTargets = Object.entries(u.targetsInCall).filter(([, v]) => v === null).map(([id]) => Number(id));
	if (hiddenTargets.length > 0) {
		dims.push({ name: 'targets', causes: ['target-sessions'], values: ['listed', 'in-call'], ids: hiddenTargets });
	}
	if (u.startCalls.length > 1) {
		dims.push({ name: 'startCalls', causes: ['start-calls'], values: u.startCalls });
	}
	if (u.signaling === null) {
		dims.push({ name: 'signaling', causes: ['signaling-mode'], values: ['internal', 'external'] });
	}
	if (u.recordingConsent === null) {
		dims.push({ name: 'consent', causes: ['recording-consent'], values: [0, 1] });
	}
	if (u.talkAllowed === null) {
		dims.push({ name: 'talk', causes: ['talk-allowed'], values: ['allowed', 'disabled'] });
	}
	const timer = view.state.room.lobbyTimer;
	const skew = u.clockSkew;
	if (timer !== null && skew > 0 && timer > view.now - skew && timer <= view.now + skew) {
		// The lobby timer flips between timer − 1 and timer: one second on each side covers the window.
		dims.push({ name: 'clock', causes: ['server-clock'], values: [timer - 1, timer] });
	}
	if (extra) {
		dims.push(extra);
	}
	return dims;
}

/** The state (and clock) of one world: `w` maps a dimension name to its value. */
function worldOf(view, dims, w) {
	const st = JSON.parse(JSON.stringify(view.state));
	const skew = view.uncertain.clockSkew;
	let now = view.now;
	for (const d of dims) {
		const v = w[d.name];
		if (d.name === 'alive') {
			if (v === 'none') {
				// Nobody in the call with a fresh ping, at any second of the window.
				const stale = Math.max(0, view.now - skew - SESSION_TIMEOUT - 1);
				for (const s of st.sessions) {
					if (s.inCall !== 0) {
						s.lastPing = Math.min(s.lastPing, stale);
					}
				}
			} else {
				// Somebody the view does not show is in the call with a fresh ping.
				const id = nextId(st);
				st.attendees.push(attendeeRow(id, 'guests', 'hidden-attendee', '', 4, 0, { notificationCalls: 0 }));
				st.sessions.push({ sessionId: freeSessionId(st, 'hidden-fresh-session'), attendeeId: id, inCall: 1, lastPing: view.now + skew });
			}
		} else if (d.name === 'targets' && v === 'in-call') {
			// A session idle for more than 100 s, left out of the list, still flagged in the call.
			for (const id of d.ids) {
				st.sessions.push({ sessionId: freeSessionId(st, `hidden-idle-session-${id}`), attendeeId: id, inCall: 1, lastPing: 0 });
			}
		} else if (d.name === 'startCalls') {
			st.config.startCalls = v;
		} else if (d.name === 'signaling') {
			st.config.signaling = v;
		} else if (d.name === 'consent') {
			st.config.recordingConsent = v;
			st.room.recordingConsent = v;
		} else if (d.name === 'talk') {
			st.config.allowedGroups = v === 'disabled' ? [TALK_DISABLED] : [];
		} else if (d.name === 'clock') {
			now = v;
		} else if (d.name === 'target') {
			d.apply(st, v);
		}
	}
	return { state: st, now };
}

/** Every combination of the dimensions' values. */
function grid(dims) {
	let out = [{}];
	for (const d of dims) {
		const next = [];
		for (const w of out) {
			d.values.forEach((v, i) => next.push({ ...w, [d.name]: v, [`#${d.name}`]: i }));
		}
		out = next;
	}
	return out;
}

/**
 * Annotates `answers` (one per world, in grid order; `base` is the view's own answer):
 * equal everywhere → certain; otherwise the dimensions along which it changes.
 */
function verdict(base, answers, worlds, dims) {
	if (answers.every((a) => a === base)) {
		return { certain: true };
	}
	const causes = new Set();
	for (const d of dims) {
		for (let i = 0; i < worlds.length; i += 1) {
			for (let j = i + 1; j < worlds.length; j += 1) {
				const differsOnlyInD = dims.every((e) => (e === d) !== (worlds[i][`#${e.name}`] === worlds[j][`#${e.name}`]));
				if (differsOnlyInD && answers[i] !== answers[j]) {
					d.causes.forEach((c) => causes.add(c));
				}
			}
		}
	}
	if (causes.size === 0) {
		// Only a combination changes it (or the view's own guess differs from every world).
		dims.forEach((d) => d.causes.forEach((c) => causes.add(c)));
	}
	return { certain: false, dependsOn: TALK_HIDDEN.filter((h) => causes.has(h)) };
}

/**
 * A dial-out the rules allow (201) is still the signaling server's to refuse: `sipDialOut` answers
 * 501 when its dial-out request fails or gets no valid answer (spreed
 * `lib/Controller/CallController.php`, `ParticipantService::startDialOutRequest`, Talk 18). 201
 * needs an external signaling server, so wherever some world answers 201 the answer also depends
 * on that server.
 */
function withSignalingServer(v, statuses) {
	if (!statuses.includes(201)) {
		return v;
	}
	const causes = new Set(v.certain ? [] : v.dependsOn);
	causes.add('signaling-server');
	return { certain: false, dependsOn: TALK_HIDDEN.filter((h) => causes.has(h)) };
}

function entryKey(e, join) {
	if (!isObject(e)) {
		return 'missing';
	}
	const base = `${e.status}|${e.reason}|${e.allowed}`;
	return join ? `${base}|${e.flags}|${e.startsCall}` : base;
}

function outcomeKey(o) {
	return `${o.status}|${o.reason}`;
}

const SINGLE_ACTIONS = ['join', 'updateFlags', 'leave', 'endForEveryone', 'peers'];

/**
 * `allowedActions` for the caller of a view, with `certain` on every entry and, when false,
 * `dependsOn`: the hidden data that could change that answer. Bad views and options answer a
 * bad-input Outcome, like `allowedActions`.
 * @param {import('./index.d.ts').TalkView} view
 * @param {import('./index.d.ts').AllowedActionsOptions} [options]
 */
export function allowedActionsFromTalk(view, options) {
	if (!validView(view)) {
		return badView(view);
	}
	const base = allowedActions(view.state, view.actor, view.now, options);
	if (isOutcome(base)) {
		return base;
	}
	const dims = dimensions(view);
	const worlds = grid(dims);
	const answers = worlds.map((w) => {
		const { state, now } = worldOf(view, dims, w);
		const a = allowedActions(state, view.actor, now, options);
		return isOutcome(a) ? null : a;
	});
	const pick = (a, list, id) => (a === null ? null : a[list].find((e) => e.attendeeId === id));
	let all = true;
	const causes = new Set();
	const mark = (entry, verdictOf) => {
		Object.assign(entry, verdictOf);
		if (!verdictOf.certain) {
			all = false;
			verdictOf.dependsOn.forEach((c) => causes.add(c));
		}
	};
	for (const name of SINGLE_ACTIONS) {
		const join = name === 'join';
		mark(base[name], verdict(entryKey(base[name], join), answers.map((a) => (a === null ? 'bad' : entryKey(a[name], join))), worlds, dims));
	}
	for (const list of ['ring', 'dialOut']) {
		for (const entry of base[list]) {
			const inWorlds = answers.map((a) => pick(a, list, entry.attendeeId));
			const keys = inWorlds.map((e, i) => (answers[i] === null ? 'bad' : entryKey(e, false)));
			const v = verdict(entryKey(entry, false), keys, worlds, dims);
			mark(entry, list === 'dialOut' ? withSignalingServer(v, [entry, ...inWorlds].map((e) => e && e.status)) : v);
		}
	}
	base.certain = all;
	base.dependsOn = TALK_HIDDEN.filter((h) => causes.has(h));
	return base;
}

/** The attendee id a ring or dial-out path names, if the view does not list it. */
function unlistedTarget(view, path) {
	const m = typeof path === 'string' ? /\/call\/[^/?#]+\/(ring|dialout)\/([^/?#]*)/.exec(path) : null;
	if (!m) {
		return null;
	}
	// The server casts the segment like an int parameter; only a positive id can name a row.
	const id = Number.parseInt(m[2], 10);
	if (!Number.isSafeInteger(id) || id < 1 || view.state.attendees.some((a) => a.attendeeId === id)) {
		return null;
	}
	const here = (actorType, inCall) => (st) => {
		st.attendees.push(attendeeRow(id, actorType, `hidden-${actorType}`, '', 3, 0,
			actorType === 'phones' ? { phoneNumber: '' } : {}));
		if (inCall) {
			st.sessions.push({ sessionId: freeSessionId(st, `hidden-idle-session-${id}`), attendeeId: id, inCall: 1, lastPing: 0 });
		}
	};
	const elsewhere = (actorType) => (st) => st.foreignAttendees.push({ attendeeId: id, actorType });
	// Not listed: no row; a row of another conversation (a user or not); or a row of this one the
	// list leaves out (a user without a display name, with or without a session in the call; a phone).
	const values = [null, elsewhere('users'), elsewhere('groups'), here('users', false), here('users', true), here('phones', false)];
	return { name: 'target', causes: ['target-attendee'], values, apply: (st, fn) => fn && fn(st) };
}

/**
 * `evaluate` of a request (`{ method, path, body?, contentType? }`) for the caller of a view, with
 * `certain` and `dependsOn` as in `allowedActionsFromTalk`. The actor and clock are the view's.
 * @param {import('./index.d.ts').TalkView} view
 * @param {import('./index.d.ts').TalkRequest} request
 */
export function evaluateFromTalk(view, request) {
	if (!validView(view)) {
		return { ...badView(view), certain: true };
	}
	const req = isObject(request) ? { ...request, actor: view.actor, now: view.now } : request;
	const base = evaluate(req, view.state);
	if (base.reason === 'bad-input' || !isObject(request)) {
		return { ...base, certain: true };
	}
	const dims = dimensions(view, unlistedTarget(view, request.path));
	const worlds = grid(dims);
	const outcomes = worlds.map((w) => {
		const { state, now } = worldOf(view, dims, w);
		return evaluate({ ...req, now }, state);
	});
	const v = verdict(outcomeKey(base), outcomes.map(outcomeKey), worlds, dims);
	const dialOut = typeof request.path === 'string' && /\/call\/[^/?#]+\/dialout\//.test(request.path);
	return { ...base, ...(dialOut ? withSignalingServer(v, [base, ...outcomes].map((o) => o.status)) : v) };
}
