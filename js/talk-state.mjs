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
// decided by the same module, and which start_calls values give the caller the conversation's
// `canStartCall` is asked of it too (so `stateFromTalk` needs the module, like the answers). Talk's
// constants come from ./facts.mjs, generated from the engine.
//
// What the view takes as given: the conversation's `sessionId` is the session the browser's
// requests carry ("0": none). Talk 18 shows exactly that session in a room-list entry and in
// `GET /room/{token}`, with one exception no view can reveal: a logged-in user with a row of their
// own whose cookie still names ANOTHER attendee's session of this conversation (a guest session from
// before logging in, until the frontend joins again) sees their own row without a session, while
// the call API acts as that other attendee (`InjectionMiddleware::getLoggedInOrGuest` looks the
// session up first).
//
// Hostile input: the input is read once, field by field, into plain data before anything is decided
// (a getter or Proxy trap that throws, a revoked Proxy, a hole in a list all answer bad input), and
// every list is refused by its length before it is read (see LIMITS below), so no input runs code
// during a decision and the work is bounded by the limits. The view is frozen; a view that is not
// this module's own is read the same way before it is decided on.
//
// Cost: each world is one call of the module on the view's State, and each distinct world is asked
// once (a world equal to the view's own State reuses its answer); the State's text is serialised
// once per call and the worlds' changes are spliced into it; the answers are compared through maps.
// So an answer takes (1 + distinct worlds) module calls, linear in the number of participants.
//
// Browser-safe, synchronous; nothing here reads a clock.

import { allowedActionsJson, evaluateJson, isOutcome } from './core.mjs';
import {
	LIMITS, SESSION_TIMEOUT, MODERATOR_TYPES, Permission, ParticipantType, RoomType, StartCalls, ActorType, CallFlag,
	LobbyState, RecordingConsent, Listable, CallRecording, BreakoutRoomMode, BreakoutRoomStatus,
} from './facts.mjs';

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

/** Largest `clockSkew` accepted (one hour). */
const MAX_SKEW = 3600;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const MODERATORS = new Set(MODERATOR_TYPES);

/** The smallest and the largest value of one of Talk's constant sets (./facts.mjs): `int()` bounds. */
function rangeOf(constants) {
	const values = Object.values(constants);
	return { min: Math.min(...values), max: Math.max(...values) };
}
/** The allowed group of a State in which Talk is disabled for the caller (no actor holds it). */
const TALK_DISABLED = '(talk is disabled for this user)';

/**
 * The most entries read from a participant list: the module's limit on attendee rows. Longer lists
 * are refused by their length, before an entry is read.
 */
const MAX_PARTICIPANTS = LIMITS.attendees;
/** The most session ids read from a participant list, over all its entries: the module's limit on sessions. */
const MAX_SESSION_IDS = LIMITS.sessions;
/** The most keys read from the capabilities (every app's part: a few dozen in practice). */
const MAX_CAPABILITY_KEYS = 10000;
/** The most values read from the options or request of an answer: each takes at least one byte of JSON. */
const MAX_REQUEST_VALUES = LIMITS.requestBytes;
const MAX_DEPTH = LIMITS.depth;

class BadInput extends Error {}

function fail(detail) {
	throw new BadInput(detail);
}

/** A thrown value as text, without trusting it. */
function describe(e) {
	try {
		const m = e !== null && typeof e === 'object' && typeof e.message === 'string' ? e.message : String(e);
		return m.length > 200 ? `${m.slice(0, 197)}...` : m;
	} catch {
		return 'an exception';
	}
}

function unreadable(at, e) {
	fail(`${at}: could not be read (${describe(e)})`);
}

/**
 * `obj[key]`; a getter or trap that throws is bad input at `at.key` (`at[key]` for an index), with
 * `at` read as `at[index]` when an index is given.
 */
function read(obj, key, at, index = undefined) {
	try {
		return obj[key];
	} catch (e) {
		return unreadable(path(path(at, index), key), e);
	}
}

/** Where a value sits: `at`, or its `key` (`at.key`, `at[index]`). */
function path(at, key) {
	return key === undefined ? at : typeof key === 'number' ? `${at}[${key}]` : `${at}.${key}`;
}

/** `Array.isArray`, which throws for a revoked Proxy (at `path(at, key)`). */
function isArray(v, at = 'input', key = undefined) {
	try {
		return Array.isArray(v);
	} catch (e) {
		return unreadable(path(at, key), e);
	}
}

function isObject(v, at, key = undefined) {
	return v !== null && typeof v === 'object' && !isArray(v, at, key);
}

function kind(v) {
	if (v === null) {
		return 'null';
	}
	try {
		return Array.isArray(v) ? 'array' : typeof v;
	} catch {
		return typeof v;
	}
}

/** A list's length, checked before any entry is read. */
function lengthOf(list, at, max, what = 'entries') {
	const n = read(list, 'length', at);
	if (!Number.isSafeInteger(n) || n < 0) {
		fail(`${at}.length: expected a count, got ${kind(n)}`);
	}
	if (n > max) {
		fail(`${at}: ${n} ${what} exceed the limit of ${max}`);
	}
	return n;
}

const OPAQUE_FUNCTION = Object.freeze(() => {});

/**
 * A field's value as plain data: primitives as they are, anything else as an empty value of the
 * same kind, so that it is refused with the same words and never read again.
 */
function scalar(v, at, key = undefined) {
	if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
		return v;
	}
	if (typeof v === 'function') {
		return OPAQUE_FUNCTION;
	}
	return isArray(v, at, key) ? [] : {};
}

/** The named fields of `obj` (at `at`, or `at[index]`), each read once, as plain data. */
function fields(obj, keys, at, index = undefined) {
	const out = {};
	for (const k of keys) {
		const v = read(obj, k, at, index);
		out[k] = v === null || typeof v !== 'object' ? scalar(v) : scalar(v, path(at, index), k);
	}
	return out;
}

/** An object's named fields as plain data (see `fields`), or anything else as `scalar` gives it. */
function record(v, keys, at) {
	return isObject(v, at) ? fields(v, keys, at) : scalar(v, at);
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
 * For each start_calls value, whether the caller may start a call (`canStartCall`), as the module
 * answers it (`caller.canStartCall` of allowedActions) on a State that holds only the
 * conversation's type and the caller's row with the view's participant type and effective
 * permissions (0: every level is 0, so the app default is 0 as well). Used only to find which
 * start_calls values agree with the conversation's `canStartCall`.
 * @returns {Map<number, boolean>}
 */
function canStartCallBy(roomType, participantType, permissions) {
	const attendees = [{ attendeeId: 1, actorType: ActorType.USERS, actorId: 'caller', participantType, permissions }];
	const can = new Map();
	for (const startCalls of Object.values(StartCalls)) {
		const state = {
			config: { startCalls, defaultPermissions: permissions === 0 ? 0 : null },
			room: { token: 'caller00', type: roomType },
			attendees,
		};
		const answer = JSON.parse(allowedActionsJson(JSON.stringify(state), '{"userId":"caller"}', 0, '{"brief":true}'));
		const value = answer !== null && typeof answer === 'object' && answer.caller ? answer.caller.canStartCall : undefined;
		if (typeof value !== 'boolean') {
			throw new Error(`talk-call-rules: the module answered no caller.canStartCall (${describe(answer && answer.reason)})`);
		}
		can.set(startCalls, value);
	}
	return can;
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
	const at = 'capabilities';
	if (capabilities === undefined || capabilities === null) {
		return { given: false, talk: true, call: {} };
	}
	// Talk's own answer for a user it refuses: PHP's empty array, `[]` in JSON.
	const emptyArray = (v, where) => isArray(v, where) && read(v, 'length', where) === 0;
	if (emptyArray(capabilities, at)) {
		return { given: true, talk: false, call: {} };
	}
	if (!isObject(capabilities, at)) {
		fail(`capabilities: expected an object, got ${kind(capabilities)}`);
	}
	const part = read(capabilities, 'spreed', at);
	if (emptyArray(part, `${at}.spreed`)) {
		return { given: true, talk: false, call: {} };
	}
	let spreed = null;
	if (isObject(part, `${at}.spreed`)) {
		spreed = part;
	} else if (isObject(read(capabilities, 'config', at), `${at}.config`) || isArray(read(capabilities, 'features', at), `${at}.features`)) {
		spreed = capabilities;
	}
	if (spreed === null) {
		if (part !== undefined && part !== null) {
			fail(`capabilities.spreed: expected an object, got ${kind(part)}`);
		}
		let keys;
		try {
			keys = Object.keys(capabilities);
		} catch (e) {
			return unreadable(at, e);
		}
		if (keys.length > MAX_CAPABILITY_KEYS) {
			fail(`capabilities: ${keys.length} keys exceed the limit of ${MAX_CAPABILITY_KEYS}`);
		}
		const saysNothing = keys.every((k) => {
			const v = read(capabilities, k, at);
			return v === undefined || v === null;
		});
		return saysNothing ? { given: false, talk: true, call: {} } : { given: true, talk: null, call: {} };
	}
	const where = spreed === part ? `${at}.spreed` : at;
	const config = read(spreed, 'config', where);
	const call = isObject(config, `${where}.config`) ? read(config, 'call', `${where}.config`) : undefined;
	return {
		given: true,
		talk: true,
		call: isObject(call, `${where}.config.call`) ? fields(call, ['enabled', 'recording-consent', 'sip-dialout-enabled'], `${where}.config.call`) : {},
	};
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
		participantType: int(p, 'participantType', at, rangeOf(ParticipantType)),
		attendeePermissions: int(p, 'attendeePermissions', at, { min: INT32_MIN, max: INT32_MAX, fallback: 0 }),
		inCall: int(p, 'inCall', at, { min: INT32_MIN, max: INT32_MAX, fallback: CallFlag.DISCONNECTED }),
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
	return session.inCall !== CallFlag.DISCONNECTED && session.lastPing >= now + skew - SESSION_TIMEOUT;
}

/** Could this session be fresh at some second of [now − skew, now + skew]? */
function freshSometime(lastPing, now, skew) {
	return lastPing >= now - skew - SESSION_TIMEOUT;
}

/** The fields read from the conversation (see docs/frontend.md, "What it reads"). */
const CONVERSATION_FIELDS = [
	'token', 'type', 'attendeeId', 'actorType', 'actorId', 'participantType', 'permissions', 'attendeePermissions',
	'callPermissions', 'defaultPermissions', 'sessionId', 'participantFlags', 'lastPing', 'readOnly', 'lobbyState',
	'lobbyTimer', 'canStartCall', 'callFlag', 'callStartTime', 'objectType', 'listable', 'notificationCalls',
	'callRecording', 'breakoutRoomMode', 'breakoutRoomStatus', 'recordingConsent',
];
/** The fields read from a participant list entry, besides `sessionIds`. */
const PARTICIPANT_FIELDS = [
	'attendeeId', 'actorType', 'actorId', 'displayName', 'participantType', 'attendeePermissions', 'inCall', 'lastPing',
	'phoneNumber', 'callId',
];

/**
 * The input as plain data: every field `build` reads, read once; lists refused by their length
 * first. `onNow` receives `now` as soon as it is read (for the error view).
 */
function snapshot(input, onNow) {
	if (!isObject(input, 'input')) {
		fail(`input: expected an object, got ${kind(input)}`);
	}
	const now = scalar(read(input, 'now', 'input'), 'input.now');
	onNow(now);
	const top = (key) => read(input, key, 'input');
	const conversation = top('conversation');
	const participants = top('participants');
	const capabilities = top('capabilities');
	const currentUser = top('currentUser');
	const signalingSettings = top('signalingSettings');
	const clockSkew = scalar(top('clockSkew'), 'input.clockSkew');
	return {
		now,
		clockSkew,
		conversation: record(conversation, CONVERSATION_FIELDS, 'conversation'),
		participants: participants !== undefined && participants !== null && isArray(participants, 'participants')
			? participantList(participants) : scalar(participants, 'participants'),
		caps: spreedCapabilities(capabilities),
		currentUser: record(currentUser, ['uid'], 'currentUser'),
		signalingSettings: record(signalingSettings, ['signalingMode'], 'signalingSettings'),
	};
}

/** The participant list as plain data: at most MAX_PARTICIPANTS entries and MAX_SESSION_IDS session ids. */
function participantList(list) {
	const n = lengthOf(list, 'participants', MAX_PARTICIPANTS);
	const out = [];
	let sessionIds = 0;
	// Paths are written only for an error: a list holds up to MAX_PARTICIPANTS entries.
	for (let i = 0; i < n; i += 1) {
		let present;
		try {
			present = i in list;
		} catch (e) {
			unreadable(`participants[${i}]`, e);
		}
		if (!present) {
			fail(`participants[${i}]: missing (a hole in the list)`);
		}
		const p = read(list, i, 'participants');
		if (!isObject(p, 'participants', i)) {
			out.push(scalar(p, 'participants', i));
			continue;
		}
		const e = fields(p, PARTICIPANT_FIELDS, 'participants', i);
		const ids = read(p, 'sessionIds', 'participants', i);
		if (ids !== undefined && ids !== null && isArray(ids, `participants[${i}]`, 'sessionIds')) {
			const where = `participants[${i}].sessionIds`;
			const m = lengthOf(ids, where, MAX_SESSION_IDS, 'session ids');
			sessionIds += m;
			if (sessionIds > MAX_SESSION_IDS) {
				fail(`participants: more than ${MAX_SESSION_IDS} session ids (the limit) up to participants[${i}]`);
			}
			e.sessionIds = [];
			for (let j = 0; j < m; j += 1) {
				e.sessionIds.push(scalar(read(ids, j, where), where, j));
			}
		} else {
			e.sessionIds = scalar(ids, `participants[${i}]`, 'sessionIds');
		}
		out.push(e);
	}
	return out;
}

/** The view from the input's snapshot (see `snapshot`). */
function build(input) {
	const { conversation: c, participants, caps, currentUser, signalingSettings } = input;
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
	const type = int(c, 'type', at, rangeOf(RoomType));
	const attendeeId = int(c, 'attendeeId', at, { fallback: 0 });
	const participantType = int(c, 'participantType', at, { ...rangeOf(ParticipantType), fallback: ParticipantType.GUEST });
	const permissions = int(c, 'permissions', at, { min: INT32_MIN, max: INT32_MAX, fallback: 0 });
	const lobbyState = int(c, 'lobbyState', at, { ...rangeOf(LobbyState), fallback: LobbyState.NONE });
	const lobbyTimer = int(c, 'lobbyTimer', at, { fallback: 0 });
	const moderator = MODERATORS.has(participantType);
	const isParticipant = attendeeId > 0;
	// A non-moderator without LOBBY_IGNORE in an active lobby gets a reduced conversation
	// (no `canStartCall`, `hasCall` false) and no participant list.
	const lobbyBlocked = isParticipant && lobbyState === LobbyState.NON_MODERATORS && !moderator && !(permissions & Permission.LOBBY_IGNORE);
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
		: int(c, 'recordingConsent', at, rangeOf(RecordingConsent));
	const consentCap = caps.call['recording-consent'];
	const consentRange = rangeOf(RecordingConsent);
	let recordingConsent;
	let roomConsent;
	if (Number.isInteger(consentCap) && consentCap >= consentRange.min && consentCap <= consentRange.max) {
		// The effective requirement; with OPTIONAL the conversation shows its own setting.
		recordingConsent = consentCap;
		roomConsent = consentCap === RecordingConsent.OPTIONAL ? (consentShown ?? RecordingConsent.NO) : RecordingConsent.NO;
		if (consentCap === RecordingConsent.OPTIONAL && consentShown === null) {
			hidden.add('recording-consent');
		}
	} else {
		// Without the capability the conversation still says whether consent is needed: YES is
		// exactly "a join without consent answers 400".
		recordingConsent = consentShown === RecordingConsent.YES ? RecordingConsent.YES : RecordingConsent.NO;
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
		callFlag: int(c, 'callFlag', at, { min: INT32_MIN, max: INT32_MAX, fallback: CallFlag.DISCONNECTED }),
		activeSince: callStartTime > 0 ? callStartTime : null,
		activeGuests: 0,
		defaultPermissions: int(c, 'defaultPermissions', at, { min: INT32_MIN, max: INT32_MAX, fallback: 0 }),
		callPermissions: int(c, 'callPermissions', at, { min: INT32_MIN, max: INT32_MAX, fallback: 0 }),
		recordingConsent: roomConsent,
		callRecording: int(c, 'callRecording', at, { ...rangeOf(CallRecording), fallback: CallRecording.NONE }),
		breakoutRoomMode: int(c, 'breakoutRoomMode', at, { ...rangeOf(BreakoutRoomMode), fallback: BreakoutRoomMode.NOT_CONFIGURED }),
		// Every status the server stores (`lib/Model/BreakoutRoom.php`): stopped 0, started 1, and in a
		// breakout room 2 while its participants request assistance (reset to 0).
		breakoutRoomStatus: int(c, 'breakoutRoomStatus', at, { ...rangeOf(BreakoutRoomStatus), fallback: BreakoutRoomStatus.STOPPED }),
		listable: int(c, 'listable', at, { ...rangeOf(Listable), fallback: Listable.NONE }),
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
	const canStart = isParticipant ? canStartCallBy(type, participantType, permissions) : null;
	for (const s of Object.values(StartCalls)) {
		const disabled = s === StartCalls.NO_ONE;
		if (enabled !== null && enabled === disabled) {
			continue;
		}
		const can = isParticipant ? canStart.get(s) : '';
		if (informative && can !== canStartCall) {
			continue;
		}
		const key = `${disabled}:${can}`;
		if (!classes.has(key)) {
			classes.set(key, s);
		}
	}
	// An inconsistent view (e.g. canStartCall true with calls disabled) keeps the capabilities' word.
	const startCalls = classes.size > 0 ? [...classes.values()] : [enabled === false ? StartCalls.NO_ONE : StartCalls.EVERYONE];
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
				inCall: int(c, 'participantFlags', at, { min: INT32_MIN, max: INT32_MAX, fallback: CallFlag.DISCONNECTED }),
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
			if (e.actorType === ActorType.USERS) {
				// Ring targets. An empty `sessionIds` means no session at all; a listed session in the
				// call is real; otherwise a session idle > 100 s, left out of the list, may be flagged.
				targetsInCall[e.attendeeId] = e.inCall !== CallFlag.DISCONNECTED ? true : e.sessionIds.length === 0 ? false : null;
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
			sessions.push({ sessionId: id, attendeeId: e.attendeeId, inCall: i === 0 ? e.inCall : CallFlag.DISCONNECTED, lastPing: e.lastPing });
		});
		// A single listed session is exact: the sessions the list leaves out are idle > 100 s.
		if (ids.length === 1 && !combined && freshThroughout({ inCall: e.inCall, lastPing: e.lastPing }, now, skew)) {
			freshCallSession = true;
		}
	}
	// A session whose ping turns stale within the clock window depends on the server's clock.
	if (freshCallSession === null && skew > 0 && sessions.some((s) => s.inCall !== CallFlag.DISCONNECTED
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
	if (isParticipant && type !== RoomType.PUBLIC && uid !== null
		&& !attendees.some((a) => a.actorType === ActorType.USERS && a.actorId === uid)) {
		room.listable = Listable.ALL;
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

/** States, uncertainties and actors this module made (and froze): read without copying. */
const OWN = new WeakSet();

function deepFreeze(root) {
	const stack = [Object.freeze(root)];
	const visit = (x) => {
		if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
			stack.push(Object.freeze(x));
		}
	};
	while (stack.length > 0) {
		const v = stack.pop();
		if (Array.isArray(v)) {
			v.forEach(visit);
		} else {
			for (const k of Object.keys(v)) {
				visit(v[k]);
			}
		}
	}
	return root;
}

/**
 * The State, Actor and clock for the caller from what the spreed frontend holds, and what it
 * could not see. Never throws for bad data: a view with `error` set (`state` null) instead. The
 * view is frozen: what was checked is what the answers decide on.
 * @param {import('./index.d.ts').TalkInput} input
 * @returns {import('./index.d.ts').TalkView}
 */
export function stateFromTalk(input) {
	let now = null;
	let view;
	try {
		view = build(snapshot(input, (n) => {
			now = Number.isInteger(n) ? n : null;
		}));
	} catch (e) {
		if (!(e instanceof BadInput)) {
			throw e;
		}
		return deepFreeze({ state: null, actor: null, now, uncertain: null, error: { reason: 'bad-input', detail: e.message } });
	}
	deepFreeze(view);
	OWN.add(view.state);
	OWN.add(view.uncertain);
	OWN.add(view.actor);
	return view;
}

// ------------------------------------------------------------------------------------------------
// reading a view, an options object or a request: plain data, bounded
// ------------------------------------------------------------------------------------------------

const NOT_A_VIEW = 'view: expected the result of stateFromTalk()';

/** The bad-input Outcome, as the module writes it. */
function badInput(detail) {
	return { status: 400, data: { error: 'bad-input', detail }, message: '', reason: 'bad-input', mutations: [], effects: [] };
}

/** The fields of each table of a State the module reads (src/input.rs); the rest it skips. */
const STATE_FIELDS = {
	config: ['startCalls', 'recordingConsent', 'defaultPermissions', 'signaling'],
	room: [
		'token', 'type', 'readOnly', 'lobbyState', 'lobbyTimer', 'objectType', 'callFlag', 'activeSince', 'activeGuests',
		'defaultPermissions', 'callPermissions', 'recordingConsent', 'callRecording', 'breakoutRoomMode',
		'breakoutRoomStatus', 'listable',
	],
	attendees: [
		'attendeeId', 'actorType', 'actorId', 'displayName', 'participantType', 'permissions', 'lastJoinedCall',
		'notificationCalls', 'phoneNumber', 'callId',
	],
	sessions: ['sessionId', 'attendeeId', 'inCall', 'lastPing'],
	foreignAttendees: ['attendeeId', 'actorType'],
};

/** A list of strings (or what the module refuses instead), at most `max` long. */
function strings(v, at, max) {
	if (v === undefined || v === null || !isArray(v, at)) {
		return scalar(v, at);
	}
	const n = lengthOf(v, at, max);
	const out = [];
	for (let i = 0; i < n; i += 1) {
		out.push(scalar(read(v, i, at), at, i));
	}
	return out;
}

/** A table of rows (or what the module refuses instead), at most `max` rows of the named fields. */
function rows(v, at, keys, max) {
	if (v === undefined || v === null || !isArray(v, at)) {
		return scalar(v, at);
	}
	const n = lengthOf(v, at, max, 'rows');
	const out = [];
	for (let i = 0; i < n; i += 1) {
		const r = read(v, i, at);
		out.push(record(r, keys, `${at}[${i}]`));
	}
	return out;
}

/** A State the caller made: the fields the module reads, as plain data, within its limits. */
function stateOf(state) {
	if (OWN.has(state)) {
		return state;
	}
	const at = 'view.state';
	if (!isObject(state, at)) {
		fail(NOT_A_VIEW);
	}
	const out = {};
	const config = read(state, 'config', at);
	if (config !== undefined) {
		if (isObject(config, `${at}.config`)) {
			out.config = fields(config, STATE_FIELDS.config, `${at}.config`);
			out.config.allowedGroups = strings(read(config, 'allowedGroups', `${at}.config`), `${at}.config.allowedGroups`, LIMITS.groups);
		} else {
			out.config = scalar(config, `${at}.config`);
		}
	}
	const room = read(state, 'room', at);
	out.room = record(room, STATE_FIELDS.room, `${at}.room`);
	for (const table of ['attendees', 'sessions', 'foreignAttendees']) {
		const v = read(state, table, at);
		if (v !== undefined) {
			out[table] = rows(v, `${at}.${table}`, STATE_FIELDS[table], LIMITS[table]);
		}
	}
	const users = read(state, 'users', at);
	if (isObject(users, `${at}.users`)) {
		let keys;
		try {
			keys = Object.keys(users);
		} catch (e) {
			unreadable(`${at}.users`, e);
		}
		if (keys.length > LIMITS.users) {
			fail(`${at}.users: ${keys.length} entries exceed the limit of ${LIMITS.users}`);
		}
		out.users = {};
		for (const k of keys) {
			const u = read(users, k, `${at}.users`);
			out.users[k] = record(u, ['displayName'], `${at}.users.${k}`);
		}
	} else if (users !== undefined) {
		out.users = scalar(users, `${at}.users`);
	}
	return out;
}

/** What a view leaves open, as the caller gave it: checked value by value. */
function uncertainOf(u) {
	if (OWN.has(u)) {
		return u;
	}
	const at = 'view.uncertain';
	if (!isObject(u, at)) {
		fail(NOT_A_VIEW);
	}
	const get = (key) => read(u, key, at);
	const oneOf = (key, values) => {
		const v = get(key);
		if (!values.includes(v)) {
			fail(`${at}.${key}: expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
		}
		return v;
	};
	const list = (key, values, max) => {
		const v = get(key);
		if (!isArray(v, `${at}.${key}`)) {
			fail(`${at}.${key}: expected an array, got ${kind(v)}`);
		}
		const n = lengthOf(v, `${at}.${key}`, max);
		const out = [];
		for (let i = 0; i < n; i += 1) {
			const x = read(v, i, `${at}.${key}`);
			if (!values.includes(x)) {
				fail(`${at}.${key}[${i}]: expected one of ${values.map((y) => JSON.stringify(y)).join(', ')}`);
			}
			out.push(x);
		}
		return out;
	};
	const targets = get('targetsInCall');
	if (!isObject(targets, `${at}.targetsInCall`)) {
		fail(`${at}.targetsInCall: expected an object, got ${kind(targets)}`);
	}
	let ids;
	try {
		ids = Object.keys(targets);
	} catch (e) {
		unreadable(`${at}.targetsInCall`, e);
	}
	if (ids.length > LIMITS.attendees) {
		fail(`${at}.targetsInCall: ${ids.length} entries exceed the limit of ${LIMITS.attendees}`);
	}
	const targetsInCall = {};
	for (const id of ids) {
		const v = read(targets, id, `${at}.targetsInCall`);
		if (!/^[1-9][0-9]{0,15}$/.test(id) || !Number.isSafeInteger(Number(id)) || (v !== true && v !== false && v !== null)) {
			fail(`${at}.targetsInCall.${id}: expected an attendee id with true, false or null`);
		}
		targetsInCall[id] = v;
	}
	const startCalls = list('startCalls', Object.values(StartCalls), Object.keys(StartCalls).length);
	if (startCalls.length === 0) {
		fail(`${at}.startCalls: expected at least one value`);
	}
	const clockSkew = get('clockSkew');
	if (!Number.isInteger(clockSkew) || clockSkew < 0 || clockSkew > MAX_SKEW) {
		fail(`${at}.clockSkew: expected an integer in 0..${MAX_SKEW}`);
	}
	return {
		freshCallSession: oneOf('freshCallSession', [true, null]),
		freshCallCauses: list('freshCallCauses', TALK_HIDDEN, TALK_HIDDEN.length),
		targetsInCall,
		startCalls,
		signaling: oneOf('signaling', ['internal', 'external', null]),
		recordingConsent: oneOf('recordingConsent', [...Object.values(RecordingConsent), null]),
		clockSkew,
		talkAllowed: oneOf('talkAllowed', [true, false, null]),
	};
}

/** The caller of a view, as the caller gave it: the fields the module reads. */
function actorOf(actor) {
	if (OWN.has(actor)) {
		return actor;
	}
	if (!isObject(actor, 'view.actor')) {
		return scalar(actor, 'view.actor');
	}
	const out = fields(actor, ['userId', 'sessionId'], 'view.actor');
	out.groups = strings(read(actor, 'groups', 'view.actor'), 'view.actor.groups', LIMITS.groups);
	return out;
}

/** A view as plain data: `{ state, uncertain, actor, now }`; bad input for anything else. */
function viewOf(view) {
	if (!isObject(view, 'view')) {
		fail(NOT_A_VIEW);
	}
	const error = read(view, 'error', 'view');
	if (error !== null) {
		const detail = isObject(error, 'view.error') ? read(error, 'detail', 'view.error') : undefined;
		fail(typeof detail === 'string' ? detail : NOT_A_VIEW);
	}
	const now = read(view, 'now', 'view');
	if (!Number.isInteger(now)) {
		fail(NOT_A_VIEW);
	}
	return {
		state: stateOf(read(view, 'state', 'view')),
		uncertain: uncertainOf(read(view, 'uncertain', 'view')),
		actor: actorOf(read(view, 'actor', 'view')),
		now,
	};
}

/** A boxed primitive's value (what JSON.stringify writes for it), or undefined. */
function unboxed(v) {
	for (const type of [Number, String, Boolean]) {
		try {
			return type.prototype.valueOf.call(v);
		} catch {
			// not of this type
		}
	}
	return undefined;
}

/**
 * A value as the plain data JSON.stringify would write for it (toJSON called, boxed primitives
 * unboxed), read once: at most `budget.left` values and MAX_DEPTH levels, every list refused by its
 * length before it is read.
 */
function plainCopy(value, at, budget = { left: MAX_REQUEST_VALUES }, depth = 0) {
	if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
		return value;
	}
	if (depth > MAX_DEPTH) {
		fail(`${at}: nesting deeper than ${MAX_DEPTH}`);
	}
	const array = isArray(value, at);
	const toJSON = read(value, 'toJSON', at);
	if (typeof toJSON === 'function') {
		let out;
		try {
			out = toJSON.call(value, '');
		} catch (e) {
			unreadable(at, e);
		}
		return plainCopy(out, at, budget, depth + 1);
	}
	if (typeof value === 'function') {
		return undefined;
	}
	const primitive = unboxed(value);
	if (primitive !== undefined) {
		return primitive;
	}
	const over = (n) => fail(`${at}: more than ${MAX_REQUEST_VALUES} values in all exceed the limit of ${LIMITS.requestBytes} bytes`
		+ ` (${n} here)`);
	if (array) {
		const n = read(value, 'length', at);
		if (!Number.isSafeInteger(n) || n < 0) {
			fail(`${at}.length: expected a count, got ${kind(n)}`);
		}
		if (n > budget.left) {
			over(n);
		}
		budget.left -= n;
		const out = [];
		for (let i = 0; i < n; i += 1) {
			out.push(plainCopy(read(value, i, at), `${at}[${i}]`, budget, depth + 1));
		}
		return out;
	}
	let keys;
	try {
		keys = Object.keys(value);
	} catch (e) {
		unreadable(at, e);
	}
	if (keys.length > budget.left) {
		over(keys.length);
	}
	budget.left -= keys.length;
	const out = {};
	for (const k of keys) {
		out[k] = plainCopy(read(value, k, at), `${at}.${k}`, budget, depth + 1);
	}
	return out;
}

/** JSON text of a plain value, refused as the bridge refuses it. */
function jsonText(value, what) {
	let text;
	try {
		text = JSON.stringify(value);
	} catch (e) {
		fail(`${what}: not serialisable as JSON (${describe(e)})`);
	}
	if (typeof text !== 'string') {
		fail(`${what}: not a JSON value (undefined, a function or a symbol)`);
	}
	return text;
}

// ------------------------------------------------------------------------------------------------
// worlds: the states the hidden facts may be in
// ------------------------------------------------------------------------------------------------

/**
 * The dimensions the view leaves open, each with the values to try. `extra` adds the
 * request-specific one (an attendee id outside the list).
 */
function dimensions(v, extra) {
	const u = v.uncertain;
	const dims = [];
	if (u.freshCallSession !== true) {
		dims.push({ name: 'alive', causes: u.freshCallCauses.length ? u.freshCallCauses : ['other-sessions-ping'], values: ['none', 'fresh'] });
	}
	const hiddenTargets = Object.entries(u.targetsInCall).filter(([, x]) => x === null).map(([id]) => Number(id));
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
		dims.push({ name: 'consent', causes: ['recording-consent'], values: [RecordingConsent.NO, RecordingConsent.YES] });
	}
	if (u.talkAllowed === null) {
		dims.push({ name: 'talk', causes: ['talk-allowed'], values: ['allowed', 'disabled'] });
	}
	const timer = v.state.room.lobbyTimer;
	const skew = u.clockSkew;
	if (timer !== null && skew > 0 && timer > v.now - skew && timer <= v.now + skew) {
		// The lobby timer flips between timer − 1 and timer: one second on each side covers the window.
		dims.push({ name: 'clock', causes: ['server-clock'], values: [timer - 1, timer] });
	}
	if (extra) {
		dims.push(extra);
	}
	return dims;
}

/** Every combination of the dimensions' values, the last dimension changing fastest. */
function grid(dims) {
	let out = [{}];
	for (const d of dims) {
		const next = [];
		for (const w of out) {
			d.values.forEach((x, i) => next.push({ ...w, [d.name]: x, [`#${d.name}`]: i }));
		}
		out = next;
	}
	return out;
}

/**
 * What one answer decides on: the view read once, and the State as JSON text by table, so that a
 * world's State is the view's text with the world's changes spliced in (a table's text is written
 * once per answer, whatever the number of worlds).
 */
function context(v) {
	const st = v.state;
	const list = (t) => (isArray(st[t]) ? st[t] : []);
	const text = {};
	for (const key of Object.keys(st)) {
		if (key !== 'config' && key !== 'room') {
			text[key] = JSON.stringify(st[key]);
		}
	}
	const stale = Math.max(0, v.now - v.uncertain.clockSkew - SESSION_TIMEOUT - 1);
	let taken = null;
	let nextId = null;
	let capped = null;
	return {
		v,
		config: isObject(st.config) ? st.config : {},
		text,
		/** Session ids of the view's State a world's hidden session could collide with. */
		taken: () => {
			if (taken === null) {
				taken = new Set();
				for (const s of list('sessions')) {
					if (typeof s.sessionId === 'string' && s.sessionId.startsWith('hidden-')) {
						taken.add(s.sessionId);
					}
				}
			}
			return taken;
		},
		nextId: () => nextId ?? (nextId = list('attendees').reduce((m, a) => Math.max(m, a.attendeeId), 0) + 1),
		/** Nobody in the call with a fresh ping at any second of the window: the sessions' text, or null when that is the view's. */
		capped: () => {
			if (capped === null) {
				const sessions = list('sessions');
				const changes = sessions.some((s) => s.inCall !== CallFlag.DISCONNECTED && Math.min(s.lastPing, stale) !== s.lastPing);
				capped = changes
					? JSON.stringify(sessions.map((s) => (s.inCall !== CallFlag.DISCONNECTED ? { ...s, lastPing: Math.min(s.lastPing, stale) } : s)))
					: false;
			}
			return capped || null;
		},
	};
}

/** A row given as its JSON text (many rows of one shape are written faster as text). */
class Row {
	constructor(text) {
		this.text = text;
	}
}

/** A table's JSON text with `extra` rows (objects or Rows) appended. */
function append(text, extra) {
	if (extra.length === 0) {
		return text;
	}
	let rowsText = '';
	for (const r of extra) {
		rowsText += `${rowsText === '' ? '' : ','}${r instanceof Row ? r.text : JSON.stringify(r)}`;
	}
	return text === undefined || text === 'null' || text === '[]' ? `[${rowsText}]` : `${text.slice(0, -1)},${rowsText}]`;
}

/** The view's own State and clock, as a world without changes. */
function unchanged(ctx) {
	return { config: null, room: null, sessions: null, add: { attendees: [], sessions: [], foreignAttendees: [] }, now: ctx.v.now, key: '' };
}

/**
 * The changes one world makes to the view's State (`w` maps a dimension name to its value), and
 * `key`: which dimensions change anything, and to what (equal keys, equal States).
 */
function worldOf(ctx, dims, w) {
	const { v } = ctx;
	const st = v.state;
	const skew = v.uncertain.clockSkew;
	const o = unchanged(ctx);
	const added = new Set();
	const freeSessionId = (base) => {
		let id = base;
		for (let i = 2; ctx.taken().has(id) || added.has(id); i += 1) {
			id = `${base}-${i}`;
		}
		added.add(id);
		return id;
	};
	const key = [];
	for (const d of dims) {
		const value = w[d.name];
		let changes = true;
		if (d.name === 'alive') {
			if (value === 'none') {
				o.sessions = ctx.capped();
				changes = o.sessions !== null;
			} else {
				// Somebody the view does not show is in the call with a fresh ping.
				const id = ctx.nextId();
				o.add.attendees.push(attendeeRow(id, ActorType.GUESTS, 'hidden-attendee', '', ParticipantType.GUEST, 0, { notificationCalls: 0 }));
				o.add.sessions.push({ sessionId: freeSessionId('hidden-fresh-session'), attendeeId: id, inCall: CallFlag.IN_CALL, lastPing: v.now + skew });
			}
		} else if (d.name === 'targets') {
			changes = value === 'in-call';
			if (changes) {
				// A session idle for more than 100 s, left out of the list, still flagged in the call.
				for (const id of d.ids) {
					o.add.sessions.push(new Row(`{"sessionId":${JSON.stringify(freeSessionId(`hidden-idle-session-${id}`))},`
						+ `"attendeeId":${id},"inCall":${CallFlag.IN_CALL},"lastPing":0}`));
				}
			}
		} else if (d.name === 'startCalls') {
			changes = ctx.config.startCalls !== value;
			o.config = changes ? { ...o.config, startCalls: value } : o.config;
		} else if (d.name === 'signaling') {
			changes = ctx.config.signaling !== value;
			o.config = changes ? { ...o.config, signaling: value } : o.config;
		} else if (d.name === 'consent') {
			changes = ctx.config.recordingConsent !== value || st.room.recordingConsent !== value;
			if (changes) {
				o.config = { ...o.config, recordingConsent: value };
				o.room = { recordingConsent: value };
			}
		} else if (d.name === 'talk') {
			const groups = value === 'disabled' ? [TALK_DISABLED] : [];
			changes = JSON.stringify(ctx.config.allowedGroups) !== JSON.stringify(groups);
			o.config = changes ? { ...o.config, allowedGroups: groups } : o.config;
		} else if (d.name === 'clock') {
			changes = value !== v.now;
			o.now = value;
		} else if (d.name === 'target') {
			changes = value !== null;
			if (changes) {
				value(o.add, freeSessionId);
			}
		}
		key.push(changes ? w[`#${d.name}`] : '-');
	}
	o.key = key.every((k) => k === '-') ? '' : key.join(',');
	return o;
}

/** The JSON text of a world's State. */
function stateText(ctx, o) {
	const st = ctx.v.state;
	let out = '';
	const put = (key, text) => {
		if (text !== undefined) {
			out = `${out}${out === '' ? '' : ','}"${key}":${text}`;
		}
	};
	put('config', JSON.stringify(o.config === null ? st.config : { ...ctx.config, ...o.config }));
	put('room', JSON.stringify(o.room === null ? st.room : { ...st.room, ...o.room }));
	for (const key of Object.keys(ctx.text)) {
		const own = key === 'sessions' && o.sessions !== null ? o.sessions : ctx.text[key];
		put(key, key in o.add ? append(own, o.add[key]) : own);
	}
	for (const key of Object.keys(o.add)) {
		if (!(key in ctx.text)) {
			put(key, append(undefined, o.add[key]));
		}
	}
	return `{${out}}`;
}

/**
 * Each world's answer, each distinct world asked once: `{ list, of }`, `of[i]` the index in `list`
 * of world `i`'s answer. A world equal to the view's own State reuses `base`.
 */
function answersOf(ctx, dims, worlds, base, ask) {
	const list = [];
	const at = new Map();
	const of = worlds.map((w) => {
		const o = worldOf(ctx, dims, w);
		let i = at.get(o.key);
		if (i === undefined) {
			i = list.length;
			list.push(o.key === '' ? base : ask(o));
			at.set(o.key, i);
		}
		return i;
	});
	return { list, of };
}

/**
 * Judges answers: `judge(baseKey, keys)` with `keys[k]` the key of `answers.list[k]`. Equal
 * everywhere → certain; otherwise the dimensions along which it changes: those with two worlds that
 * differ in that dimension alone and answer differently (or every dimension, when only a
 * combination changes it). Verdicts are shared by equal keys.
 */
function judgeOf(dims, of) {
	// For each dimension, the pairs of distinct answers of two worlds that differ in it alone.
	const stride = [];
	let size = 1;
	for (let k = dims.length - 1; k >= 0; k -= 1) {
		stride[k] = size;
		size *= dims[k].values.length;
	}
	const pairs = dims.map((d, k) => {
		const seen = new Set();
		const out = [];
		for (let i = 0; i < of.length; i += 1) {
			const digit = Math.floor(i / stride[k]) % d.values.length;
			for (let x = digit + 1; x < d.values.length; x += 1) {
				const a = of[i];
				const b = of[i + (x - digit) * stride[k]];
				const id = a < b ? `${a},${b}` : `${b},${a}`;
				if (a !== b && !seen.has(id)) {
					seen.add(id);
					out.push([a, b]);
				}
			}
		}
		return out;
	});
	const memo = new Map();
	return (baseKey, keys) => {
		let same = true;
		for (let k = 0; k < keys.length && same; k += 1) {
			same = keys[k] === baseKey;
		}
		if (same) {
			return CERTAIN;
		}
		const id = `${baseKey}\u0000${keys.join('\u0000')}`;
		let v = memo.get(id);
		if (v === undefined) {
			v = verdict(baseKey, keys, dims, pairs);
			memo.set(id, v);
		}
		return v;
	};
}

function verdict(baseKey, keys, dims, pairs) {
	if (keys.every((k) => k === baseKey)) {
		return { certain: true };
	}
	const causes = new Set();
	dims.forEach((d, k) => {
		if (pairs[k].some(([a, b]) => keys[a] !== keys[b])) {
			d.causes.forEach((c) => causes.add(c));
		}
	});
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

const CERTAIN = Object.freeze({ certain: true });

/** Copies a verdict onto an answer (each answer its own `dependsOn`). */
function certainty(v) {
	return v.certain ? { certain: true } : { certain: false, dependsOn: [...v.dependsOn] };
}

const SINGLE_ACTIONS = ['join', 'updateFlags', 'leave', 'endForEveryone', 'peers'];

/**
 * A list's entries by attendee id: `find(i, id)` is the entry for `id`, looked for first at place `i`
 * (worlds list the view's attendees in the same order), else in an index built on first need.
 */
function entriesOf(list) {
	let map = null;
	return (i, id) => {
		const e = list[i];
		if (e !== undefined && e.attendeeId === id) {
			return e;
		}
		if (map === null) {
			map = new Map();
			for (const x of list) {
				if (!map.has(x.attendeeId)) {
					map.set(x.attendeeId, x);
				}
			}
		}
		return map.get(id);
	};
}

/**
 * `allowedActions` for the caller of a view, with `certain` on every entry and, when false,
 * `dependsOn`: the hidden data that could change that answer. Bad views and options answer a
 * bad-input Outcome, like `allowedActions`.
 * @param {import('./index.d.ts').TalkView} view
 * @param {import('./index.d.ts').AllowedActionsOptions} [options]
 */
export function allowedActionsFromTalk(view, options) {
	let v;
	let opts;
	let optionsText;
	let actorText;
	try {
		v = viewOf(view);
		actorText = jsonText(v.actor, 'actor');
		opts = options === undefined || options === null ? {} : plainCopy(options, 'options');
		optionsText = options === undefined || options === null ? '' : jsonText(opts, 'options');
	} catch (e) {
		if (!(e instanceof BadInput)) {
			throw e;
		}
		return badInput(e.message);
	}
	const ctx = context(v);
	const ask = (o, text) => JSON.parse(allowedActionsJson(stateText(ctx, o), actorText, o.now, text));
	const base = ask(unchanged(ctx), optionsText);
	if (isOutcome(base)) {
		return base;
	}
	// The worlds' answers are only compared: brief ones (no sentences, no requests) are smaller to write and read.
	const briefText = JSON.stringify({ ...opts, brief: true });
	const dims = dimensions(v);
	const answers = answersOf(ctx, dims, grid(dims), base, (o) => {
		const a = ask(o, briefText);
		return isOutcome(a) ? null : a;
	});
	const judge = judgeOf(dims, answers.of);
	let all = true;
	const causes = new Set();
	const mark = (entry, verdictOf) => {
		Object.assign(entry, certainty(verdictOf));
		if (!verdictOf.certain) {
			all = false;
			verdictOf.dependsOn.forEach((c) => causes.add(c));
		}
	};
	for (const name of SINGLE_ACTIONS) {
		const join = name === 'join';
		const keys = answers.list.map((a) => (a === null ? 'bad' : entryKey(a[name], join)));
		mark(base[name], judge(entryKey(base[name], join), keys));
	}
	const keys = new Array(answers.list.length);
	for (const list of ['ring', 'dialOut']) {
		const finds = answers.list.map((a) => (a === null ? null : entriesOf(a[list])));
		const worlds = new Array(keys.length);
		base[list].forEach((entry, i) => {
			// The status of each world's entry too: a dial-out some world allows depends on the signaling server.
			let allowed = entry.status === 201;
			let same = true;
			for (let k = 0; k < keys.length; k += 1) {
				const e = finds[k] === null ? null : finds[k](i, entry.attendeeId);
				worlds[k] = e;
				allowed = allowed || (isObject(e) && e.status === 201);
				same = same && e !== null && e !== undefined
					&& e.status === entry.status && e.reason === entry.reason && e.allowed === entry.allowed;
			}
			let v = CERTAIN;
			if (!same) {
				for (let k = 0; k < keys.length; k += 1) {
					keys[k] = finds[k] === null ? 'bad' : entryKey(worlds[k], false);
				}
				v = judge(entryKey(entry, false), keys);
			}
			mark(entry, list === 'dialOut' && allowed ? withSignalingServer(v, [201]) : v);
		});
	}
	base.certain = all;
	base.dependsOn = TALK_HIDDEN.filter((h) => causes.has(h));
	return base;
}

/** The attendee id a ring or dial-out path names, if the view does not list it. */
/**
 * The path as Nextcloud's router reads it (src/reading.rs): runs of `/` collapsed, the query and
 * fragment cut, then percent-decoded once (`rawurldecode`; invalid escapes stay).
 */
function routingPath(path) {
	const raw = path.replace(/\/{2,}/g, '/').split(/[?#]/, 1)[0];
	return raw.replace(/%([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16)));
}

/**
 * PHP's `(int)` of a route segment, for the ids a row can have (1 … 2^53 − 1): leading white
 * space, then the numeric prefix, truncated ("12abc" → 12, "1e3" → 1000, "+7" → 7); NaN otherwise.
 */
function phpIntOf(segment) {
	const m = /^[ \t\n\r\v\f]*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/.exec(segment);
	return m ? Math.trunc(Number(m[1])) : Number.NaN;
}

function unlistedTarget(v, path) {
	const m = typeof path === 'string' ? /\/call\/[^/]+\/(ring|dialout)\/([^/]+)$/.exec(routingPath(path)) : null;
	if (!m) {
		return null;
	}
	// The server casts the segment like an int parameter; only a positive id can name a row.
	const id = phpIntOf(m[2]);
	const attendees = isArray(v.state.attendees) ? v.state.attendees : [];
	if (!Number.isSafeInteger(id) || id < 1 || attendees.some((a) => a.attendeeId === id)) {
		return null;
	}
	const here = (actorType, inCall) => (add, freeSessionId) => {
		add.attendees.push(attendeeRow(id, actorType, `hidden-${actorType}`, '', ParticipantType.USER, 0,
			actorType === ActorType.PHONES ? { phoneNumber: '' } : {}));
		if (inCall) {
			add.sessions.push({ sessionId: freeSessionId(`hidden-idle-session-${id}`), attendeeId: id, inCall: CallFlag.IN_CALL, lastPing: 0 });
		}
	};
	const elsewhere = (actorType) => (add) => add.foreignAttendees.push({ attendeeId: id, actorType });
	// Not listed: no row; a row of another conversation (a user or not); or a row of this one the
	// list leaves out (a user without a display name, with or without a session in the call; a phone).
	const { USERS, GROUPS, PHONES } = ActorType;
	const values = [null, elsewhere(USERS), elsewhere(GROUPS), here(USERS, false), here(USERS, true), here(PHONES, false)];
	return { name: 'target', causes: ['target-attendee'], values };
}

/**
 * `evaluate` of a request (`{ method, path, body?, contentType? }`) for the caller of a view, with
 * `certain` and `dependsOn` as in `allowedActionsFromTalk`. The actor and clock are the view's.
 * @param {import('./index.d.ts').TalkView} view
 * @param {import('./index.d.ts').TalkRequest} request
 */
export function evaluateFromTalk(view, request) {
	let v;
	let req;
	try {
		v = viewOf(view);
		req = plainCopy(request, 'request');
	} catch (e) {
		if (!(e instanceof BadInput)) {
			throw e;
		}
		return { ...badInput(e.message), certain: true };
	}
	const given = isObject(req);
	const ctx = context(v);
	const ask = (o) => {
		let text;
		try {
			text = jsonText(given ? { ...req, actor: v.actor, now: o.now } : req, 'request');
		} catch (e) {
			if (!(e instanceof BadInput)) {
				throw e;
			}
			return badInput(e.message);
		}
		return JSON.parse(evaluateJson(text, stateText(ctx, o)));
	};
	const base = ask(unchanged(ctx));
	if (base.reason === 'bad-input' || !given) {
		return { ...base, certain: true };
	}
	const dims = dimensions(v, unlistedTarget(v, req.path));
	const answers = answersOf(ctx, dims, grid(dims), base, ask);
	const verdictOf = judgeOf(dims, answers.of)(outcomeKey(base), answers.list.map(outcomeKey));
	const dialOut = typeof req.path === 'string' && /\/call\/[^/?#]+\/dialout\//.test(req.path);
	return { ...base, ...certainty(dialOut ? withSignalingServer(verdictOf, [base, ...answers.list].map((o) => o.status)) : verdictOf) };
}
