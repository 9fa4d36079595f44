// Property test of stateFromTalk (js/talk-state.mjs): for random stored rows and a random caller,
// render what the Talk 18 server sends that caller (tests/node/talk18-api.mjs), rebuild the State
// from it, and require every decision of the caller to equal the decision from the rows — or to
// be marked `certain: false`. Seeded (TCR_SEED, default below) so a failure is reproducible;
// TCR_STATES sets the number of states. Prints the share of uncertain decisions.
import test from 'node:test';
import assert from 'node:assert/strict';

import {
	init, allowedActions, evaluate, isOutcome, stateFromTalk, allowedActionsFromTalk, evaluateFromTalk, TALK_HIDDEN,
} from '../../js/index.mjs';
import { renderTalkApi } from './talk18-api.mjs';
import * as shapes from './fixtures/talk18-shapes.mjs';

const SEED = Number(process.env.TCR_SEED ?? 20231122);
const STATES = Number(process.env.TCR_STATES ?? 2000);
const SKEWED_STATES = Math.ceil(STATES / 4);
const NOW = 1700000000;
const SINGLE = ['join', 'updateFlags', 'leave', 'endForEveryone', 'peers'];

/** mulberry32: a small seeded PRNG. */
function prng(seed) {
	let a = seed >>> 0;
	const next = () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
	const pick = (list) => list[Math.floor(next() * list.length)];
	const chance = (p) => next() < p;
	return { int, pick, chance };
}

function customPermissions(r) {
	// Every combination of the bits, with CUSTOM (1) as the server stores custom sets — or without.
	return r.int(0, 255) | (r.chance(0.8) ? 1 : 0);
}

/** Random stored rows: every room type, lobby and timers, read-only, consent, start_calls, groups, sessions. */
function randomState(r, now) {
	const type = r.pick([1, 2, 2, 3, 3, 3, 4, 5, 6]);
	const objectType = type === 3 ? r.pick(['', '', '', 'share:password', 'room', 'file'])
		: type === 2 ? r.pick(['', '', 'room', 'file']) : r.pick(['', '', 'file']);
	const lobbyState = r.chance(type === 2 || type === 3 ? 0.4 : 0.15) ? 1 : 0;
	const lobbyTimer = r.pick([null, null, null, now + r.int(1, 600), now - r.int(0, 600), now, now + 1]);
	const attendees = [];
	const sessions = [];
	const users = {};
	let id = r.int(1, 1000);
	const n = r.int(1, 7);
	let sessionSeq = 0;
	for (let i = 0; i < n; i += 1) {
		id += r.int(1, 3);
		let actorType = r.pick(['users', 'users', 'users', 'users', 'users', 'guests', 'guests', 'groups', 'circles',
			'emails', 'phones', 'phones', 'federated_users', 'bridged']);
		if ((actorType === 'guests' || actorType === 'emails') && type !== 3 && r.chance(0.8)) {
			actorType = 'users'; // guests are rare outside public conversations (a conversation made private keeps them)
		}
		const participantType = actorType === 'users' ? r.pick([1, 2, 3, 3, 3, 5])
			: actorType === 'guests' ? r.pick([4, 4, 6]) : actorType === 'emails' ? 4 : 3;
		const actorId = actorType === 'users' ? `user${i}` : actorType === 'phones' ? `phone${i}` : `${actorType}-${i}-${r.int(0, 9999)}`;
		let displayName = `Name ${i}`;
		if (actorType === 'users' && r.chance(0.2)) {
			displayName = '';
			if (r.chance(0.5)) {
				users[actorId] = { displayName: `Manager name ${i}` };
			}
		}
		attendees.push({
			attendeeId: id, actorType, actorId, displayName, participantType,
			permissions: r.chance(0.6) ? 0 : customPermissions(r),
			lastJoinedCall: r.chance(0.5) ? null : now - r.int(0, 3000),
			notificationCalls: r.chance(0.8) ? 1 : 0,
			phoneNumber: actorType === 'phones' ? `+4916012${r.int(10000, 99999)}` : null,
			callId: actorType === 'phones' && r.chance(0.3) ? `call-${i}` : null,
		});
		if (actorType === 'groups' || actorType === 'circles') {
			continue;
		}
		const count = r.pick(actorType === 'guests' ? [0, 1, 1, 2] : [0, 1, 1, 1, 2, 3]);
		for (let k = 0; k < count; k += 1) {
			sessionSeq += 1;
			sessions.push({
				sessionId: `s${sessionSeq}-${r.int(0, 1e6).toString(36)}`,
				attendeeId: id,
				inCall: r.pick([0, 0, 0, 1, 3, 5, 7, 7, 15, 2]),
				lastPing: now - r.pick([r.int(0, 10), r.int(25, 35), r.int(36, 99), r.int(100, 400)]),
			});
		}
	}
	const inCall = sessions.filter((s) => s.inCall !== 0);
	const running = inCall.length > 0 ? r.chance(0.9) : r.chance(0.1);
	const callFlag = running ? (inCall.reduce((f, s) => f | s.inCall, 0) || r.pick([1, 7])) : (r.chance(0.05) ? 7 : 0);
	return {
		config: {
			startCalls: r.pick([0, 0, 1, 2, 3]),
			allowedGroups: r.chance(0.2) ? ['staff'] : [],
			recordingConsent: r.pick([0, 0, 1, 2]),
			defaultPermissions: r.chance(0.7) ? null : r.pick([0, customPermissions(r)]),
			signaling: r.pick(['internal', 'external']),
		},
		room: {
			token: `tok${r.int(1000, 9999)}`,
			type,
			readOnly: r.chance(0.15) ? 1 : 0,
			lobbyState,
			lobbyTimer,
			objectType,
			callFlag,
			activeSince: running ? now - r.int(0, 3600) : null,
			activeGuests: 0,
			defaultPermissions: r.chance(0.7) ? 0 : customPermissions(r),
			callPermissions: r.chance(0.8) ? 0 : customPermissions(r),
			recordingConsent: r.pick([0, 1]),
			callRecording: r.pick([0, 0, 0, 1, 2, 5]),
			breakoutRoomMode: 0,
			breakoutRoomStatus: 0,
			listable: r.pick([0, 0, 0, 1, 2]),
		},
		attendees,
		sessions,
		foreignAttendees: [{ attendeeId: id + 50, actorType: r.pick(['users', 'groups']) }],
		users,
	};
}

/**
 * A caller as a browser would be. The cookie names the Talk session of this browser in the
 * conversation: one of the caller's own sessions, none (the conversation is open only on other
 * tabs or devices, or nowhere), or an id the server has removed. Strangers are users without a row;
 * some still hold the session of a guest row (joined as a guest, then logged in). Left out: a user
 * with a row of their own whose cookie names ANOTHER attendee's session — the conversation then shows
 * the user's row without a session while the call API acts as that attendee, which the browser
 * cannot see (see js/talk-state.mjs).
 */
function randomActor(r, state) {
	const groups = state.config.allowedGroups.length > 0 ? [r.chance(0.7) ? 'staff' : 'other'] : [];
	if (r.chance(0.1)) {
		groups.push('guest_app');
	}
	const gone = () => `gone-${r.int(0, 1e6).toString(36)}`;
	const roll = r.int(0, 99);
	if (roll < 8) {
		const guestSessions = state.sessions.filter((x) => state.attendees.some((a) => a.attendeeId === x.attendeeId && a.actorType === 'guests'));
		return guestSessions.length > 0 && r.chance(0.25) ? { userId: 'stranger', sessionId: r.pick(guestSessions).sessionId, groups }
			: { userId: 'stranger', groups };
	}
	if (roll < 12) {
		return r.chance(0.3) ? { sessionId: gone(), groups: [] } : { groups: [] };
	}
	// Callers are users and guests (email invitees join as guests); other rows rarely hold a session.
	const people = state.attendees.filter((x) => ['users', 'guests', 'emails'].includes(x.actorType));
	const a = people.length > 0 && r.chance(0.9) ? r.pick(people) : r.pick(state.attendees);
	const own = state.sessions.filter((s) => s.attendeeId === a.attendeeId);
	const cookie = own.length > 0 && r.chance(0.7) ? r.pick(own).sessionId : r.chance(0.1) ? gone() : null;
	if (a.actorType === 'users') {
		return cookie ? { userId: a.actorId, sessionId: cookie, groups } : { userId: a.actorId, groups };
	}
	return cookie ? { sessionId: cookie, groups: [] } : { groups: [] };
}

function randomOptions(r) {
	const join = {};
	const flags = r.pick([undefined, 7, 3, 1, 0, 15, 6]);
	if (flags !== undefined) {
		join.flags = flags;
	}
	if (r.chance(0.5)) {
		join.recordingConsent = r.chance(0.5);
	}
	if (r.chance(0.2)) {
		join.silent = true;
	}
	return { join, updateFlags: { flags: r.pick([7, 3, 1, 0, 2]) } };
}

function keyOf(e, join) {
	const base = { status: e.status, reason: e.reason, allowed: e.allowed };
	return join ? { ...base, flags: e.flags, startsCall: e.startsCall } : base;
}

class Tally {
	constructor() {
		this.rows = new Map();
		this.causes = new Map();
	}

	add(action, certain, dependsOn = []) {
		const row = this.rows.get(action) || { total: 0, uncertain: 0 };
		row.total += 1;
		row.uncertain += certain ? 0 : 1;
		this.rows.set(action, row);
		for (const c of dependsOn) {
			this.causes.set(c, (this.causes.get(c) || 0) + 1);
		}
	}

	lines(title) {
		const pct = (a, b) => (b === 0 ? '—' : `${((100 * a) / b).toFixed(1)}%`);
		let total = 0;
		let uncertain = 0;
		const out = [];
		for (const [action, row] of this.rows) {
			total += row.total;
			uncertain += row.uncertain;
			out.push(`  ${action.padEnd(16)} ${String(row.uncertain).padStart(6)} / ${String(row.total).padStart(6)} uncertain (${pct(row.uncertain, row.total)})`);
		}
		const causes = [...this.causes].sort((x, y) => y[1] - x[1]).map(([c, k]) => `${c} ${k}`).join(', ');
		return [`${title}: ${uncertain} / ${total} decisions uncertain (${pct(uncertain, total)})`, ...out,
			`  dependsOn counts: ${causes || 'none'}`];
	}
}

/**
 * One case: rows, caller, the API view. Returns counts; throws (with the case) when a decision
 * marked certain differs from the decision on the rows.
 */
function runCase(r, index, tallies, counters, skewed) {
	const now = NOW + r.int(-5000, 5000);
	const state = randomState(r, now);
	const actor = randomActor(r, state);
	const api = renderTalkApi(state, actor, now);
	if (api.conversation.status !== 200) {
		counters.noView[api.conversation.status] = (counters.noView[api.conversation.status] || 0) + 1;
		return;
	}
	const skew = skewed ? r.int(1, 10) : 0;
	// A user's conversation comes from the room list (GET /room, refreshed by the frontend) or from
	// GET /room/{token}: the same formatter, the same participant and session.
	const entry = api.roomList.status === 200 ? api.roomList.data.find((c) => c.token === state.room.token) : undefined;
	if (entry) {
		assert.deepEqual(entry, api.conversation.data, 'the room-list entry is the single conversation');
	}
	const fromList = entry !== undefined && r.chance(0.5);
	const conversation = fromList ? entry : api.conversation.data;
	// getCapabilities() as the page holds them (every app's, Talk's under `spreed`), only Talk's
	// part, `{}` (no capabilities initial state on the page), or none given.
	const capsForm = r.pick(['whole', 'whole', 'whole', 'whole', 'spreed', 'spreed', 'spreed', 'empty', 'absent', 'absent']);
	const capabilities = capsForm === 'whole' ? { core: { pollinterval: 60, 'webdav-root': 'remote.php/webdav' }, ...api.capabilities }
		: capsForm === 'spreed' ? api.capabilities.spreed : capsForm === 'empty' ? {} : undefined;
	const input = {
		conversation,
		participants: api.participants.status === 200 ? api.participants.data : null,
		capabilities,
		currentUser: actor.userId ? { uid: actor.userId } : null,
		signalingSettings: r.chance(0.5) ? api.signalingSettings : undefined,
		// The client's clock may be off by up to `skew` seconds from the server's.
		now: now + (skew ? r.int(-skew, skew) : 0),
		clockSkew: skew,
	};
	if (input.participants === null) {
		counters.noList += 1;
	}
	counters.fromList += fromList ? 1 : 0;
	if (conversation.attendeeId > 0 && conversation.sessionId === '0') {
		// A participant without a session in this browser; the list may show their other tabs and devices.
		counters.noSessionHere += 1;
		const mine = (input.participants || []).find((p) => p.attendeeId === conversation.attendeeId);
		counters.otherDevices += mine && mine.sessionIds.length > 0 ? 1 : 0;
	}
	const options = randomOptions(r);
	// What the spreed frontend always holds: capabilities and the signaling settings.
	const complete = (capsForm === 'whole' || capsForm === 'spreed') && input.signalingSettings !== undefined;
	const tally = complete ? tallies.complete : tallies.partial;
	const evalTally = tallies.evaluate;
	const view = stateFromTalk(input);
	const where = () => `case #${index}${skewed ? ' (skewed clock)' : ''}, seed ${SEED}: `
		+ JSON.stringify({ state, actor, now, input, options });
	assert.equal(view.error, null, `${where()}\nview error ${JSON.stringify(view.error)}`);
	const truth = allowedActions(state, actor, now, options);
	const got = allowedActionsFromTalk(view, options);
	assert.ok(!isOutcome(truth), `${where()}\nrows refused: ${JSON.stringify(truth)}`);
	assert.ok(!isOutcome(got), `${where()}\nview refused: ${JSON.stringify(got)}`);
	counters.views += 1;

	// Who the caller is and their effective permissions are never uncertain.
	const callerFields = (c) => (c === null ? null : {
		attendeeId: c.attendeeId, participantType: c.participantType, permissions: c.permissions, sessionId: c.sessionId, inCall: c.inCall,
	});
	assert.deepEqual(callerFields(got.caller), callerFields(truth.caller), `${where()}\ncaller`);

	const compare = (action, mine, theirs, join) => {
		tally.add(action, mine.certain, mine.dependsOn);
		if (mine.certain) {
			assert.deepEqual(keyOf(mine, join), keyOf(theirs, join),
				`${where()}\n${action} ${mine.request.path} is marked certain but differs from the server's decision`);
		} else {
			assert.ok(Array.isArray(mine.dependsOn) && mine.dependsOn.length > 0 && mine.dependsOn.every((d) => TALK_HIDDEN.includes(d)),
				`${where()}\n${action}: an uncertain answer names what it depends on`);
		}
		// The modelled request through evaluate, on the rows and through the view.
		const request = { method: mine.request.method, path: mine.request.path, body: mine.request.body };
		const o = evaluate({ ...request, actor, now }, state);
		const v = evaluateFromTalk(view, request);
		evalTally.add(action, v.certain, v.dependsOn);
		if (v.certain) {
			assert.deepEqual({ status: v.status, reason: v.reason }, { status: o.status, reason: o.reason },
				`${where()}\nevaluate ${request.method} ${request.path} is marked certain but differs from the server's decision`);
		}
		assert.ok(!mine.certain || v.certain, `${where()}\n${action}: allowedActions certain but evaluate not`);
	};
	for (const name of SINGLE) {
		compare(name, got[name], truth[name], name === 'join');
	}
	if (conversation.attendeeId > 0 && conversation.sessionId === '0') {
		// No session here: PUT and DELETE are a certain 404, as on the server (no fallback to a session
		// of the caller's other tabs or devices); POST /call too once the guards before it pass.
		for (const name of ['updateFlags', 'leave', 'endForEveryone']) {
			assert.deepEqual([got[name].status, got[name].reason, got[name].certain], [404, 'no-session', true],
				`${where()}\n${name} without a session here`);
		}
	}
	for (const list of ['ring', 'dialOut']) {
		for (const mine of got[list]) {
			const theirs = truth[list].find((e) => e.attendeeId === mine.attendeeId);
			assert.ok(theirs, `${where()}\n${list} ${mine.attendeeId} is not an attendee of the rows`);
			compare(list, mine, theirs, false);
		}
		counters.unlisted += truth[list].length - got[list].length;
	}
	assert.equal(got.certain, SINGLE.every((n) => got[n].certain) && [...got.ring, ...got.dialOut].every((e) => e.certain),
		`${where()}\nthe summary flag`);
}

function runAll(t, count, skewed, seedOffset) {
	const r = prng(SEED + seedOffset);
	const tallies = { complete: new Tally(), partial: new Tally(), evaluate: new Tally() };
	const counters = { views: 0, noView: {}, noList: 0, unlisted: 0, fromList: 0, noSessionHere: 0, otherDevices: 0 };
	for (let i = 0; i < count; i += 1) {
		runCase(r, i, tallies, counters, skewed);
	}
	const tally = new Tally();
	for (const part of [tallies.complete, tallies.partial]) {
		for (const [action, row] of part.rows) {
			const sum = tally.rows.get(action) || { total: 0, uncertain: 0 };
			tally.rows.set(action, { total: sum.total + row.total, uncertain: sum.uncertain + row.uncertain });
		}
		for (const [c, k] of part.causes) {
			tally.causes.set(c, (tally.causes.get(c) || 0) + k);
		}
	}
	const lines = [
		`${count} random states (seed ${SEED}${skewed ? ', client clock off by up to ±10 s, clockSkew given' : ''}): `
			+ `${counters.views} callers with a conversation, ${counters.noView[403] || 0} refused it (403: not in the `
			+ `allowed groups) and ${counters.noView[404] || 0} could not see it (404): nothing to decide; `
			+ `${counters.noList} of them without a participant list (guests, lobby), `
			+ `${counters.unlisted} ring/dial-out targets the list leaves out; ${counters.fromList} conversations from the `
			+ `room list; ${counters.noSessionHere} participants without a session in this browser (sessionId "0"), `
			+ `${counters.otherDevices} of them with sessions on other tabs or devices listed`,
		...tally.lines('allowedActionsFromTalk, all views'),
		...tallies.complete.lines('  of which with capabilities and signaling settings (what the frontend holds)'),
		...tallies.partial.lines('  of which without one of them'),
		...tallies.evaluate.lines('evaluateFromTalk of the same requests'),
	];
	for (const line of lines) {
		t.diagnostic(line);
	}
	return { tally, counters };
}

test('stateFromTalk: every certain decision equals the decision on the rows (random states)', async (t) => {
	assert.equal(await init(), true, 'init() resolved false: run ./build.sh build');
	const { tally, counters } = runAll(t, STATES, false, 0);
	assert.ok(counters.views > STATES / 2, 'most callers have a conversation to decide from');
	// The adapter is useful only if most decisions are certain.
	const rows = [...tally.rows.values()];
	const total = rows.reduce((s, x) => s + x.total, 0);
	const uncertain = rows.reduce((s, x) => s + x.uncertain, 0);
	assert.ok(total > 0 && uncertain < total, 'some decisions are certain');
});

test('stateFromTalk: with the client clock off by up to clockSkew seconds, certain decisions still hold', async (t) => {
	assert.equal(await init(), true, 'init() resolved false: run ./build.sh build');
	runAll(t, SKEWED_STATES, true, 1);
});

test('stateFromTalk: bad input is a structured error, and the answers are bad-input outcomes', async () => {
	assert.equal(await init(), true);
	const conversation = { token: 'abcd1234', type: 2, attendeeId: 1, actorType: 'users', actorId: 'alice', participantType: 1 };
	const cases = [
		[undefined, 'input: expected an object'],
		[{ now: NOW }, 'conversation: expected an object'],
		[{ conversation, now: 'later' }, 'input.now: expected an integer'],
		[{ conversation: { ...conversation, type: 9 }, now: NOW }, 'conversation.type: 9 is out of range 1..6'],
		[{ conversation, now: NOW, participants: {} }, 'participants: expected an array or null'],
		[{ conversation, now: NOW, participants: [{ attendeeId: 'x' }] }, 'participants[0].attendeeId: expected an integer'],
		[{ conversation, now: NOW, participants: [{ attendeeId: 2, actorType: 'users', actorId: 'b', participantType: 3, sessionIds: 'one' }] },
			'participants[0].sessionIds: expected an array'],
		[{ conversation, now: NOW, currentUser: 'alice' }, 'currentUser: expected an object or null'],
		[{ conversation, now: NOW, clockSkew: -1 }, 'input.clockSkew: -1 is out of range'],
		[{ conversation, now: NOW, signalingSettings: 'external' }, 'signalingSettings: expected an object'],
		[{ conversation, now: NOW, capabilities: { spreed: 'yes' } }, 'capabilities.spreed: expected an object'],
		[{ conversation, now: NOW, capabilities: ['spreed'] }, 'capabilities: expected an object'],
	];
	for (const [input, detail] of cases) {
		const view = stateFromTalk(input);
		assert.equal(view.state, null, detail);
		assert.equal(view.error.reason, 'bad-input');
		assert.ok(view.error.detail.startsWith(detail), `${view.error.detail} starts with ${detail}`);
		const answer = allowedActionsFromTalk(view);
		assert.equal(answer.status, 400);
		assert.equal(answer.reason, 'bad-input');
		assert.equal(answer.data.detail, view.error.detail);
		const evaluated = evaluateFromTalk(view, { method: 'GET', path: '/call/abcd1234' });
		assert.equal(evaluated.reason, 'bad-input');
	}
	const twice = stateFromTalk({
		conversation, now: NOW,
		participants: [2, 2].map((id) => ({ attendeeId: id, actorType: 'users', actorId: `u${id}`, participantType: 3 })),
	});
	assert.equal(twice.error.detail, 'participants: attendee 2 is listed twice');
	const view = stateFromTalk({ conversation, now: NOW });
	assert.equal(allowedActionsFromTalk(view, { join: 5 }).reason, 'bad-input', 'bad options are the core\'s bad input');
	assert.equal(evaluateFromTalk(view, { method: 'POST', path: '/call/abcd1234', body: { flags: {} } }).reason, 'bad-input');
});

test('stateFromTalk: a ring to an attendee id the list does not show depends on what that id names', async () => {
	assert.equal(await init(), true);
	const view = stateFromTalk({
		conversation: {
			token: 'abcd1234', type: 2, attendeeId: 1, actorType: 'users', actorId: 'alice', participantType: 1, permissions: 254,
			sessionId: 'alice-s', participantFlags: 7, lastPing: NOW, callFlag: 7, callStartTime: NOW - 60, hasCall: true, canStartCall: true,
		},
		participants: [],
		capabilities: { spreed: { config: { call: { enabled: true, 'recording-consent': 0 } } } },
		signalingSettings: { signalingMode: 'external' },
		currentUser: { uid: 'alice' },
		now: NOW,
	});
	const ring = evaluateFromTalk(view, { method: 'POST', path: '/call/abcd1234/ring/42' });
	assert.equal(ring.reason, 'target-not-found');
	assert.equal(ring.certain, false);
	assert.deepEqual(ring.dependsOn, ['target-attendee']);
	// The path is read as the router reads it (slashes collapsed, percent-decoded once, the id cast
	// like PHP's (int)): these name attendee 42 too, and are just as uncertain.
	for (const path of ['/call/abcd1234/ring/%2B42', '//call//abcd1234/ring/42?x=1', '/call/abcd1234/ring/42abc', '/call/ab%63d1234/ring/4.2e1']) {
		const other = evaluateFromTalk(view, { method: 'POST', path });
		assert.deepEqual([other.reason, other.certain, other.dependsOn], ['target-not-found', false, ['target-attendee']], path);
	}
	// The caller is in the call with a fresh ping: the call is certainly alive, so joining is certain.
	const actions = allowedActionsFromTalk(view);
	assert.equal(actions.join.certain, true);
	assert.equal(actions.updateFlags.reason, 'ok');
	assert.equal(view.uncertain.freshCallSession, true);
});

// ---- real server shapes (tests/node/fixtures/talk18-shapes.mjs names the source of each) ----------

const PAGE_CAPS = shapes.pageCapabilities(shapes.spreedCapabilities());

function viewOf(fixture, conversation, { capabilities = PAGE_CAPS, signaling = 'internal', uid } = {}) {
	return stateFromTalk({
		conversation,
		participants: fixture.participants,
		capabilities,
		signalingSettings: signaling === 'none' ? undefined : shapes.signalingSettings(signaling),
		currentUser: uid === null ? null : { uid: uid ?? conversation.actorId },
		now: shapes.NOW,
	});
}

test('stateFromTalk: a room-list entry without a session here (sessionId "0") answers 404 no-session to POST, PUT and DELETE', async () => {
	assert.equal(await init(), true);
	const fixture = shapes.groupRoomWithCallElsewhere;
	const view = viewOf(fixture, fixture.conversation);
	assert.equal(view.error, null);
	assert.equal(view.actor.sessionId, null, 'no session in this browser');
	// participant1's phone is in the room and in the call: a session of the State, not the caller's.
	assert.deepEqual(view.state.sessions.find((s) => s.sessionId === 'participant1-phone-session'),
		{ sessionId: 'participant1-phone-session', attendeeId: 101, inCall: 7, lastPing: shapes.NOW - 4 });
	const a = allowedActionsFromTalk(view);
	assert.equal(a.caller.attendeeId, 101);
	assert.equal(a.caller.sessionId, null, 'the other device\'s session is not the caller\'s');
	for (const name of ['join', 'updateFlags', 'leave', 'endForEveryone']) {
		assert.deepEqual([a[name].status, a[name].reason, a[name].certain], [404, 'no-session', true], name);
	}
	assert.deepEqual([a.peers.status, a.peers.certain], [200, true], 'GET works without a session');
	const ring3 = a.ring.find((e) => e.attendeeId === 103);
	assert.deepEqual([ring3.status, ring3.reason, ring3.certain], [200, 'ok', true], 'ring needs no session of the caller in the call');
	const requests = [
		['POST', '/call/grp18tok', { flags: 3 }], ['PUT', '/call/grp18tok', { flags: 1 }],
		['DELETE', '/call/grp18tok', null], ['DELETE', '/call/grp18tok?all=true', null],
	];
	// The rows the server holds: the same attendees, participant1's phone session in the call.
	const rows = {
		config: { startCalls: 0, allowedGroups: [], recordingConsent: 0, defaultPermissions: null, signaling: 'internal' },
		room: { token: 'grp18tok', type: 2, callFlag: 7, activeSince: shapes.NOW - 120 },
		attendees: [
			{ attendeeId: 101, actorType: 'users', actorId: 'participant1', displayName: 'participant1-displayname', participantType: 1, permissions: 0 },
			{ attendeeId: 102, actorType: 'users', actorId: 'participant2', displayName: 'participant2-displayname', participantType: 3, permissions: 0 },
			{ attendeeId: 103, actorType: 'users', actorId: 'participant3', displayName: 'participant3-displayname', participantType: 3, permissions: 0 },
		],
		sessions: [
			{ sessionId: 'participant1-phone-session', attendeeId: 101, inCall: 7, lastPing: shapes.NOW - 4 },
			{ sessionId: 'participant2-browser-session', attendeeId: 102, inCall: 0, lastPing: shapes.NOW - 12 },
		],
	};
	for (const [method, path, body] of requests) {
		const o = evaluateFromTalk(view, { method, path, body });
		assert.deepEqual([o.status, o.reason, o.certain], [404, 'no-session', true], `${method} ${path}`);
		const server = evaluate({ method, path, body, actor: { userId: 'participant1', groups: [] }, now: shapes.NOW }, rows);
		assert.deepEqual([server.status, server.reason], [404, 'no-session'], `${method} ${path} on the rows`);
	}
	// Once this browser joined the conversation, the same user may join the call.
	const here = allowedActionsFromTalk(viewOf(shapes.groupRoomJoinedHere, shapes.groupRoomJoinedHere.conversation));
	assert.equal(here.caller.sessionId, 'participant1-browser-session');
	assert.deepEqual([here.join.status, here.join.reason, here.join.certain], [200, 'ok', true]);
});

test('stateFromTalk: breakoutRoomStatus 2 (assistance requested) is a conversation like any other', async () => {
	assert.equal(await init(), true);
	const fixture = shapes.breakoutRoomAssistanceRequested;
	const teacher = viewOf(fixture, fixture.teacher);
	assert.equal(teacher.error, null);
	assert.equal(teacher.state.room.breakoutRoomStatus, 2);
	const t = allowedActionsFromTalk(teacher);
	assert.ok(!isOutcome(t));
	assert.deepEqual([t.join.status, t.join.reason, t.join.certain], [200, 'ok', true]);
	const student = allowedActionsFromTalk(viewOf(fixture, fixture.student));
	assert.ok(!isOutcome(student));
	assert.deepEqual([student.updateFlags.status, student.updateFlags.certain], [200, true]);
	assert.deepEqual([student.leave.status, student.leave.certain], [200, true]);
	const bad = stateFromTalk({ conversation: { ...fixture.teacher, breakoutRoomStatus: 3 }, now: shapes.NOW });
	assert.equal(bad.error.detail, 'conversation.breakoutRoomStatus: 3 is out of range 0..2');
});

test('stateFromTalk: capabilities that say nothing about Talk do not disable it; Talk\'s own [] does', async () => {
	assert.equal(await init(), true);
	const fixture = shapes.groupRoomJoinedHere;
	const answer = (capabilities) => allowedActionsFromTalk(viewOf(fixture, fixture.conversation, { capabilities }));
	// The whole page capabilities with Talk's part, Talk's part alone, and what says nothing: `{}` from
	// getCapabilities() on a page without the capabilities initial state (and the README's example
	// passes getCapabilities()), null, or nothing. A user holding the conversation may use Talk.
	for (const capabilities of [PAGE_CAPS, shapes.spreedCapabilities(), shapes.NO_INITIAL_STATE_CAPABILITIES, null, undefined]) {
		const a = answer(capabilities);
		assert.equal(a.join.status, 200, `join with ${JSON.stringify(capabilities)?.slice(0, 40)}`);
		assert.equal(a.join.reason, 'ok');
		assert.equal(a.join.certain, true);
		assert.ok(!a.dependsOn.includes('talk-allowed'));
		for (const name of SINGLE) {
			assert.notEqual(a[name].reason, 'talk-not-allowed', name);
		}
	}
	// Talk's own answer for a user it refuses (lib/Capabilities.php: `return []`), as the bare part
	// or under `spreed`: every answer is a certain 403.
	for (const capabilities of [[], { spreed: [] }]) {
		const a = answer(capabilities);
		for (const name of SINGLE) {
			assert.equal(a[name].status, 403, name);
			assert.equal(a[name].reason, 'talk-not-allowed', name);
			assert.equal(a[name].certain, true, name);
		}
	}
	// The page's capabilities without Talk's part: what the server renders for a user Talk refused
	// when the page loaded, while the conversation shows the user could use Talk when it was fetched.
	// The answers the allowed groups change depend on which is current.
	const disagreeing = viewOf(fixture, fixture.conversation, { capabilities: shapes.pageCapabilities(undefined) });
	assert.ok(disagreeing.uncertain.dependsOn.includes('talk-allowed'));
	assert.equal(disagreeing.uncertain.talkAllowed, null);
	const a = allowedActionsFromTalk(disagreeing);
	assert.equal(a.join.reason, 'ok', 'the view\'s own answer: the conversation\'s word');
	assert.equal(a.join.certain, false);
	assert.deepEqual(a.join.dependsOn, ['talk-allowed']);
	const post = evaluateFromTalk(disagreeing, { method: 'POST', path: '/call/grp18tok', body: { flags: 3 } });
	assert.deepEqual([post.status, post.certain, post.dependsOn], [200, false, ['talk-allowed']]);
	// Guests: Talk refuses only logged-in users, so nothing depends on it.
	const guestConversation = { ...fixture.conversation, actorType: 'guests', actorId: 'guest-hash', participantType: 4 };
	const guest = viewOf({ participants: null }, guestConversation, { capabilities: shapes.pageCapabilities(undefined), uid: null });
	assert.ok(!guest.uncertain.dependsOn.includes('talk-allowed'));
	assert.ok(!allowedActionsFromTalk(guest).dependsOn.includes('talk-allowed'));
});

test('stateFromTalk: a dial-out the rules allow still depends on the signaling server', async () => {
	assert.equal(await init(), true);
	const fixture = shapes.sipDialOutRoom;
	const capabilities = shapes.pageCapabilities(shapes.spreedCapabilities({ sip: true }));
	const path = '/call/sip18tok/dialout/303';
	const external = viewOf(fixture, fixture.conversation, { capabilities, signaling: 'external' });
	const entry = allowedActionsFromTalk(external).dialOut.find((e) => e.attendeeId === 303);
	assert.deepEqual([entry.status, entry.certain, entry.dependsOn], [201, false, ['signaling-server']]);
	const o = evaluateFromTalk(external, { method: 'POST', path });
	assert.deepEqual([o.status, o.certain, o.dependsOn], [201, false, ['signaling-server']]);
	// Dial-out to a user is refused whatever the signaling server would say.
	const user = evaluateFromTalk(external, { method: 'POST', path: '/call/sip18tok/dialout/302' });
	assert.deepEqual([user.status, user.certain], [404, true]);
	// Without an external signaling server there is nobody to ask: a certain 501.
	const internal = evaluateFromTalk(viewOf(fixture, fixture.conversation, { capabilities, signaling: 'internal' }), { method: 'POST', path });
	assert.deepEqual([internal.status, internal.certain], [501, true]);
	// Without the signaling settings both are open.
	const unknown = evaluateFromTalk(viewOf(fixture, fixture.conversation, { capabilities, signaling: 'none' }), { method: 'POST', path });
	assert.deepEqual([unknown.certain, unknown.dependsOn], [false, ['signaling-mode', 'signaling-server']]);
});
