// talk-call-rules playground: pick a conversation and who you are, see what the Talk 18 server would
// allow (allowedActions), send requests (evaluate), and watch the stored rows change (apply).
// No framework: plain DOM, one render() after every change.
import {
	init, evaluate, apply, ocs, allowedActions, explain, version, isOutcome, lastLoadError,
	stateFromTalk, allowedActionsFromTalk, CallFlag, Permission,
} from '../js/index.mjs';
import { renderTalkApi } from '../tests/node/talk18-api.mjs';
import { PRESETS, START_NOW, presetById } from './presets.mjs';

// ------------------------------------------------------------------------------------------------
// model of the page
// ------------------------------------------------------------------------------------------------

const ui = {
	presetId: PRESETS[0].id,
	state: null,
	now: START_NOW,
	/** 'a:<attendeeId>' or 'stranger' */
	actorKey: 'a:1',
	sessionSeq: 1,
	audio: true,
	video: true,
	silent: false,
	consent: false,
	sendAnyway: false,
	/** API view: does the browser hold the signaling settings; how far the server's clock may be. */
	viewSignaling: true,
	viewSkew: 0,
	/** the last exchange shown in the outcome panel */
	last: null,
	history: [],
};

const $ = (id) => document.getElementById(id);

/** Tiny element builder: h('p', { class: 'x', 'data-testid': 'y' }, 'text', child, ...). */
function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) {
			continue;
		}
		if (k === 'class') {
			el.className = v;
		} else if (k === 'text') {
			el.textContent = v;
		} else if (k.startsWith('on')) {
			el.addEventListener(k.slice(2), v);
		} else if (k === 'checked' || k === 'disabled' || k === 'selected') {
			el[k] = Boolean(v);
		} else if (k === 'value') {
			el.value = v;
		} else {
			el.setAttribute(k, v === true ? '' : String(v));
		}
	}
	for (const c of children.flat()) {
		if (c !== undefined && c !== null && c !== false) {
			el.append(c instanceof Node ? c : document.createTextNode(String(c)));
		}
	}
	return el;
}

// ------------------------------------------------------------------------------------------------
// decoding of the stored values
// ------------------------------------------------------------------------------------------------

const PARTICIPANT_TYPES = { 1: 'owner', 2: 'moderator', 3: 'user', 4: 'guest', 5: 'user (self-joined)', 6: 'guest moderator' };
const ROOM_TYPES = { 1: 'one-to-one', 2: 'group', 3: 'public', 4: 'changelog', 5: 'former one-to-one', 6: 'note to self' };
const START_CALLS = { 0: 'everyone', 1: 'users', 2: 'moderators', 3: 'no one (calls disabled)' };
const CONSENT = { 0: 'off', 1: 'required', 2: 'per conversation' };

function flagsText(f) {
	if (!f) {
		return '0 · not in call';
	}
	const parts = [];
	if (f & CallFlag.IN_CALL) parts.push('in call');
	if (f & CallFlag.WITH_AUDIO) parts.push('audio');
	if (f & CallFlag.WITH_VIDEO) parts.push('video');
	if (f & CallFlag.WITH_PHONE) parts.push('phone');
	return `${f} · ${parts.join(', ')}`;
}

const PERMISSION_NAMES = [
	[Permission.CUSTOM, 'custom'], [Permission.CALL_START, 'start call'], [Permission.CALL_JOIN, 'join call'],
	[Permission.LOBBY_IGNORE, 'ignore lobby'], [Permission.PUBLISH_AUDIO, 'audio'],
	[Permission.PUBLISH_VIDEO, 'video'], [Permission.PUBLISH_SCREEN, 'screen'], [Permission.CHAT, 'chat'],
];

function permissionsText(p) {
	if (!p) {
		return '0 · default';
	}
	return `${p} · ${PERMISSION_NAMES.filter(([bit]) => p & bit).map(([, n]) => n).join(', ')}`;
}

function timeText(t) {
	if (t === null || t === undefined) {
		return 'null';
	}
	const ago = ui.now - t;
	return `${t} (${ago >= 0 ? `${ago} s ago` : `in ${-ago} s`})`;
}

function utc(t) {
	return new Date(t * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

function json(v) {
	return JSON.stringify(v);
}

// ------------------------------------------------------------------------------------------------
// who is calling
// ------------------------------------------------------------------------------------------------

function attendeeOf(key = ui.actorKey) {
	if (!key.startsWith('a:')) {
		return null;
	}
	const id = Number(key.slice(2));
	return ui.state.attendees.find((a) => a.attendeeId === id) || null;
}

function sessionsOf(attendeeId) {
	return ui.state.sessions.filter((s) => s.attendeeId === attendeeId);
}

function nameOf(attendeeId) {
	const a = ui.state.attendees.find((x) => x.attendeeId === attendeeId);
	return a ? a.displayName || a.actorId : `#${attendeeId}`;
}

/** The Actor of a request: the user id (users only) and the room session the caller's cookie holds. */
function actorFor(key = ui.actorKey) {
	if (key === 'stranger') {
		return { userId: 'stranger', groups: [] };
	}
	const a = attendeeOf(key);
	if (!a) {
		return { groups: [] };
	}
	const actor = {};
	if (a.actorType === 'users') {
		actor.userId = a.actorId;
	}
	const s = sessionsOf(a.attendeeId)[0];
	if (s) {
		actor.sessionId = s.sessionId;
	}
	actor.groups = [];
	return actor;
}

function actorLabel(key = ui.actorKey) {
	if (key === 'stranger') {
		return 'a stranger';
	}
	const a = attendeeOf(key);
	return a ? a.displayName || a.actorId : 'nobody';
}

// ------------------------------------------------------------------------------------------------
// state changes
// ------------------------------------------------------------------------------------------------

function loadPreset(id) {
	const p = presetById(id);
	ui.presetId = p.id;
	ui.now = START_NOW;
	ui.state = p.build(ui.now);
	ui.sessionSeq = 2;
	const first = ui.state.attendees.find((a) => sessionsOf(a.attendeeId).length > 0) || ui.state.attendees[0];
	ui.actorKey = `a:${first.attendeeId}`;
	ui.last = null;
	ui.history = [];
	ui.consent = false;
	ui.silent = false;
	ui.audio = true;
	ui.video = true;
	note(`Loaded preset "${p.label}" at now = ${ui.now}.`);
}

function note(text) {
	ui.history.unshift({ now: ui.now, text });
	ui.history.length = Math.min(ui.history.length, 30);
}

function callPath(suffix = '') {
	return `/call/${ui.state.room.token}${suffix}`;
}

/** Sends one request through evaluate, applies its mutations, remembers it for the outcome panel. */
function send(label, method, path, body, actorKey = ui.actorKey) {
	const request = { method, path, body, actor: actorFor(actorKey), now: ui.now };
	const outcome = evaluate(request, ui.state);
	let applyError = null;
	if (outcome.mutations && outcome.mutations.length > 0) {
		const next = apply(ui.state, outcome.mutations);
		if (isOutcome(next)) {
			applyError = next;
		} else {
			ui.state = next;
		}
	}
	ui.last = {
		label, who: actorLabel(actorKey), request, outcome, envelope: ocs(outcome), why: explain(outcome), applyError,
	};
	note(`${actorLabel(actorKey)}: ${method} ${path}${Object.keys(body).length ? ` ${json(body)}` : ''} → ${outcome.status} ${outcome.reason}`);
	return outcome;
}

function toggleSession(attendeeId, on) {
	const a = ui.state.attendees.find((x) => x.attendeeId === attendeeId);
	if (!a) {
		return;
	}
	if (on) {
		const slug = a.actorType === 'users' ? a.actorId : `${a.actorType}${a.attendeeId}`;
		let sessionId;
		do {
			sessionId = `${slug}-s${ui.sessionSeq++}`;
		} while (ui.state.sessions.some((s) => s.sessionId === sessionId));
		ui.state = { ...ui.state, sessions: [...ui.state.sessions, { sessionId, attendeeId, inCall: 0, lastPing: ui.now }] };
		note(`${a.displayName} joined the conversation (room session ${sessionId}).`);
		return;
	}
	// Leaving the conversation leaves its call first, as the server does when a session is closed.
	if (sessionsOf(attendeeId).some((s) => s.inCall !== 0)) {
		send(`${a.displayName} leaves the conversation`, 'DELETE', callPath(), {}, `a:${attendeeId}`);
	}
	ui.state = { ...ui.state, sessions: ui.state.sessions.filter((s) => s.attendeeId !== attendeeId) };
	note(`${a.displayName} left the conversation (room session closed).`);
}

function setting(kind, field, value) {
	ui.state = { ...ui.state, [kind]: { ...ui.state[kind], [field]: value } };
	note(`Setting: ${kind}.${field} = ${json(value)}.`);
}

// ------------------------------------------------------------------------------------------------
// actions
// ------------------------------------------------------------------------------------------------

function joinFlags() {
	return CallFlag.IN_CALL | (ui.audio ? CallFlag.WITH_AUDIO : 0) | (ui.video ? CallFlag.WITH_VIDEO : 0);
}

function joinBody() {
	return { flags: joinFlags(), silent: ui.silent, recordingConsent: ui.consent };
}

function updateBody() {
	return { flags: joinFlags() };
}

/** The rows of the actions panel: label, answer (from allowedActions), and what a click sends. */
function actionRows(aa) {
	const rows = [];
	// allowedActions modelled exactly the join and update bodies these buttons send (its options).
	let joinNote = '';
	if (aa.join.allowed) {
		const flags = flagsText(aa.join.flags);
		joinNote = aa.join.startsCall ? `Starts the call; your session would hold flags ${flags}.`
			: `Joins the running call with flags ${flags}.`;
	}
	rows.push({
		id: 'join', label: 'Join call', answer: aa.join,
		note: joinNote, send: () => send('Join call', 'POST', callPath(), joinBody()),
	});
	rows.push({
		id: 'update', label: 'Update flags', answer: aa.updateFlags,
		note: '', send: () => send('Update flags', 'PUT', callPath(), updateBody()),
	});
	rows.push({ id: 'leave', label: 'Leave call', answer: aa.leave, send: () => send('Leave call', 'DELETE', callPath(), {}) });
	rows.push({
		id: 'end', label: 'End call for everyone', answer: aa.endForEveryone,
		note: !aa.endForEveryone.allowed && aa.endForEveryone.status === 200
			? 'Only moderators end the call for everyone: the server would answer 200 but only you would leave.' : '',
		send: () => send('End call for everyone', 'DELETE', callPath(), { all: true }),
	});
	rows.push({ id: 'peers', label: 'List peers', answer: aa.peers, send: () => send('List peers', 'GET', callPath(), {}) });
	for (const r of aa.ring) {
		rows.push({
			id: `ring-${r.attendeeId}`, label: `Ring ${nameOf(r.attendeeId)}`, answer: r, group: 'ring',
			send: () => send(`Ring ${nameOf(r.attendeeId)}`, 'POST', callPath(`/ring/${r.attendeeId}`), {}),
		});
	}
	for (const d of aa.dialOut) {
		rows.push({
			id: `dialout-${d.attendeeId}`, label: `Dial out ${nameOf(d.attendeeId)}`, answer: d, group: 'dialout',
			send: () => send(`Dial out ${nameOf(d.attendeeId)}`, 'POST', callPath(`/dialout/${d.attendeeId}`), {}),
		});
	}
	return rows;
}

// ------------------------------------------------------------------------------------------------
// rendering
// ------------------------------------------------------------------------------------------------

function renderClock() {
	$('clock-now').textContent = String(ui.now);
	$('clock-utc').textContent = utc(ui.now);
}

function renderConversation() {
	const p = presetById(ui.presetId);
	$('preset').value = p.id;
	$('preset-description').textContent = p.description;
	const { config, room } = ui.state;
	$('cfg-signaling').value = config.signaling;
	$('cfg-start-calls').value = String(config.startCalls);
	$('cfg-consent').value = String(config.recordingConsent);
	$('room-read-only').checked = room.readOnly === 1;
	$('room-lobby').checked = room.lobbyState === 1;
}

function renderActors() {
	const list = $('actors');
	list.replaceChildren();
	for (const a of ui.state.attendees) {
		const key = `a:${a.attendeeId}`;
		const sessions = sessionsOf(a.attendeeId);
		list.append(h('li', { class: `actor${ui.actorKey === key ? ' current' : ''}`, 'data-testid': `actor-row-${a.attendeeId}` },
			h('label', { class: 'who' },
				h('input', {
					type: 'radio', name: 'actor', id: `actor-${a.attendeeId}`, value: key, checked: ui.actorKey === key,
					'data-testid': `actor-${a.attendeeId}`,
				}),
				h('span', { class: 'name' }, a.displayName || a.actorId),
				h('span', { class: 'meta' }, `${PARTICIPANT_TYPES[a.participantType] || a.participantType}${a.actorType === 'users' ? '' : ` · ${a.actorType}`}`)),
			h('label', { class: 'session-toggle' },
				h('input', {
					type: 'checkbox', id: `session-${a.attendeeId}`, 'data-attendee': a.attendeeId, checked: sessions.length > 0,
					'data-testid': `session-${a.attendeeId}`,
				}),
				sessions.length > 0 ? `in the room (${sessions[0].sessionId})` : 'in the room')));
	}
	list.append(h('li', { class: `actor${ui.actorKey === 'stranger' ? ' current' : ''}`, 'data-testid': 'actor-row-stranger' },
		h('label', { class: 'who' },
			h('input', { type: 'radio', name: 'actor', id: 'actor-stranger', value: 'stranger', checked: ui.actorKey === 'stranger', 'data-testid': 'actor-stranger' }),
			h('span', { class: 'name' }, 'a stranger'),
			h('span', { class: 'meta' }, 'not a participant'))));
	$('actor-json').textContent = `actor: ${json(actorFor())}`;
}

function answerLine(ans) {
	return `${ans.status} ${ans.reason}`;
}

function renderActions() {
	$('join-audio').checked = ui.audio;
	$('join-video').checked = ui.video;
	$('join-silent').checked = ui.silent;
	$('join-consent').checked = ui.consent;
	$('send-anyway').checked = ui.sendAnyway;
	$('actions-who').textContent = actorLabel();
	const aa = allowedActions(ui.state, actorFor(), ui.now, { join: joinBody(), updateFlags: updateBody() });
	const box = $('actions');
	box.replaceChildren();
	if (isOutcome(aa)) {
		box.append(h('p', { class: 'error', role: 'alert', 'data-testid': 'actions-error' },
			`allowedActions answered ${aa.status} ${aa.reason}: ${json(aa.data)}`));
		return aa;
	}
	const groups = { main: h('div', { class: 'action-group' }) };
	groups.ring = h('div', { class: 'action-group' }, h('h3', {}, 'Ring (POST /call/{token}/ring/{attendeeId})'));
	groups.dialout = h('div', { class: 'action-group' }, h('h3', {}, 'Dial out (POST /call/{token}/dialout/{attendeeId})'));
	for (const row of actionRows(aa)) {
		const a = row.answer;
		const enabled = a.allowed || ui.sendAnyway;
		const button = h('button', {
			type: 'button', id: `btn-${row.id}`, 'data-testid': `action-${row.id}`, 'data-allowed': String(a.allowed),
			class: a.allowed ? 'allowed' : (ui.sendAnyway ? 'override' : 'denied'),
			disabled: !enabled, 'aria-describedby': `why-${row.id}`,
		}, row.label);
		button.addEventListener('click', () => {
			row.send();
			render();
		});
		const why = h('div', { class: 'why', id: `why-${row.id}` },
			h('span', { class: `badge ${a.allowed ? 'ok' : (a.status >= 200 && a.status < 300 ? 'warn' : 'no')}`, 'data-testid': `action-${row.id}-status` }, answerLine(a)),
			' ',
			h('span', { 'data-testid': `action-${row.id}-explanation` }, a.explanation),
			row.note ? h('span', { class: 'note' }, ` ${row.note}`) : null);
		(groups[row.group] || groups.main).append(h('div', { class: 'action', 'data-testid': `action-${row.id}-row` }, button, why));
	}
	box.append(groups.main);
	if (aa.ring.length === 0) {
		groups.ring.append(h('p', { class: 'muted' }, 'Nobody else to ring.'));
	}
	box.append(groups.ring);
	if (aa.dialOut.length > 0) {
		box.append(groups.dialout);
	}
	return aa;
}

function lines(list) {
	return list && list.length > 0 ? list.map(json).join('\n') : 'none';
}

function renderOutcome() {
	const box = $('outcome');
	box.replaceChildren();
	const l = ui.last;
	if (!l) {
		box.append(h('p', { class: 'muted', 'data-testid': 'outcome-empty' }, 'Click an action to send its request through evaluate().'));
		return;
	}
	const o = l.outcome;
	const ok = o.status >= 200 && o.status < 300;
	box.append(
		h('p', { class: 'request', 'data-testid': 'outcome-request' },
			h('strong', {}, l.label), ` by ${l.who}: `, h('code', {}, `${l.request.method} ${l.request.path}`),
			Object.keys(l.request.body).length ? h('code', { class: 'body' }, ` ${json(l.request.body)}`) : null),
		h('p', { class: 'result' },
			h('span', { class: `status ${ok ? 'ok' : 'no'}`, 'data-testid': 'outcome-status' }, String(o.status)),
			' ',
			h('code', { class: 'reason', 'data-testid': 'outcome-reason' }, o.reason),
			o.message ? h('span', { class: 'muted' }, ` “${o.message}”`) : null),
		h('p', { class: 'explanation', 'data-testid': 'outcome-explanation' }, l.why.explanation),
		h('h3', {}, 'OCS response (ocs(outcome))'),
		h('pre', { 'data-testid': 'outcome-ocs' }, JSON.stringify(l.envelope, null, 1)),
		h('h3', {}, `Mutations${o.mutations.length ? ' (applied with apply())' : ''}`),
		h('pre', { 'data-testid': 'outcome-mutations' }, lines(o.mutations)),
		h('h3', {}, 'Effects (for the host to carry out)'),
		h('pre', { 'data-testid': 'outcome-effects' }, lines(o.effects)),
		...(l.applyError ? [h('p', { class: 'error', role: 'alert' }, `apply() refused the mutations: ${json(l.applyError)}`)] : []));
}

function cell(text, attrs) {
	return h('td', attrs, text);
}

function renderState() {
	const { room, config, attendees, sessions } = ui.state;
	const inCall = sessions.filter((s) => s.inCall !== 0);
	$('in-call').textContent = inCall.length === 0 ? 'nobody'
		: inCall.map((s) => `${nameOf(s.attendeeId)} (${flagsText(s.inCall).split(' · ')[1]})`).join(', ');
	$('summary-in-call').textContent = $('in-call').textContent;
	$('summary-callflag').textContent = flagsText(room.callFlag);
	$('summary-activesince').textContent = room.activeSince === null ? 'null (no call)' : timeText(room.activeSince);
	const dl = $('room-facts');
	dl.replaceChildren();
	const fact = (label, value, testid) => dl.append(h('div', {}, h('dt', {}, label), h('dd', { 'data-testid': testid }, value)));
	fact('token · type', `${room.token} · ${room.type} ${ROOM_TYPES[room.type] || ''}`, 'room-token');
	fact('callFlag', flagsText(room.callFlag), 'room-callflag');
	fact('activeSince', room.activeSince === null ? 'null (no call)' : timeText(room.activeSince), 'room-activesince');
	fact('readOnly · lobby', `${room.readOnly} · lobbyState ${room.lobbyState}${room.lobbyTimer !== null ? `, timer ${timeText(room.lobbyTimer)}` : ''}`, 'room-lobby');
	fact('recording', `consent: room ${room.recordingConsent}, server ${config.recordingConsent} (${CONSENT[config.recordingConsent]}); callRecording ${room.callRecording}`, 'room-recording');
	fact('server', `startCalls ${config.startCalls} (${START_CALLS[config.startCalls]}), signaling ${config.signaling}`, 'room-config');

	const at = $('attendees-body');
	at.replaceChildren();
	for (const a of attendees) {
		at.append(h('tr', { 'data-testid': `attendee-row-${a.attendeeId}` },
			cell(String(a.attendeeId)),
			cell(a.displayName || '—'),
			cell(`${a.actorType}/${a.actorId.length > 14 ? `${a.actorId.slice(0, 12)}…` : a.actorId}`, { title: a.actorId }),
			cell(`${a.participantType} · ${PARTICIPANT_TYPES[a.participantType] || '?'}`),
			cell(permissionsText(a.permissions)),
			cell(timeText(a.lastJoinedCall)),
			cell(a.notificationCalls ? 'on' : 'off'),
			cell(a.phoneNumber || '—')));
	}
	const st = $('sessions-body');
	st.replaceChildren();
	if (sessions.length === 0) {
		st.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No sessions: nobody has joined the conversation.')));
	}
	for (const s of sessions) {
		const fresh = s.lastPing >= ui.now - 30;
		st.append(h('tr', { 'data-testid': `session-row-${s.sessionId}`, class: s.inCall ? 'in-call' : '' },
			cell(s.sessionId),
			cell(nameOf(s.attendeeId)),
			cell(flagsText(s.inCall), { 'data-testid': `session-incall-${s.sessionId}` }),
			cell(timeText(s.lastPing)),
			cell(fresh ? 'fresh' : 'stale (> 30 s)', { class: fresh ? '' : 'warn' })));
	}
}

/** The fields of the conversation the adapter reads (the rest of the Room API object is not shown). */
const CONVERSATION_FIELDS = [
	'token', 'type', 'attendeeId', 'actorType', 'actorId', 'participantType', 'permissions', 'attendeePermissions',
	'callPermissions', 'defaultPermissions', 'sessionId', 'participantFlags', 'lastPing', 'readOnly', 'lobbyState',
	'lobbyTimer', 'hasCall', 'canStartCall', 'callFlag', 'callStartTime', 'objectType', 'listable', 'recordingConsent',
	'notificationCalls',
];

function statusBadge(id, status, what) {
	const el = $(id);
	el.textContent = `${status}${what ? ` ${what}` : ''}`;
	el.className = `badge ${status === 200 ? 'ok' : 'no'}`;
}

function certaintyText(a) {
	return a.certain ? 'certain' : `uncertain: ${a.dependsOn.join(', ')}`;
}

/** The API view panel: what the caller's browser holds, and the decisions stateFromTalk gets from it. */
function renderApiView(rowsAnswers) {
	$('api-view-who').textContent = actorLabel();
	$('api-view-signaling').checked = ui.viewSignaling;
	$('api-view-skew').value = String(ui.viewSkew);
	const actor = actorFor();
	const api = renderTalkApi(ui.state, actor, ui.now);
	const conv = api.conversation;
	const list = api.participants;
	const REFUSED = { 403: 'forbidden', 404: 'not found', 412: 'lobby' };
	statusBadge('api-view-conversation-status', conv.status, REFUSED[conv.status]);
	statusBadge('api-view-participants-status', list.status, list.status === 403 && conv.status === 200 ? 'guests get no list' : REFUSED[list.status]);
	$('api-view-conversation').textContent = conv.status === 200
		? CONVERSATION_FIELDS.map((f) => `${f}: ${json(conv.data[f])}`).join('\n') : 'The browser has no conversation.';
	const body = $('api-view-participants-body');
	body.replaceChildren();
	if (list.status !== 200) {
		body.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'The browser has no participant list.')));
	}
	for (const p of list.status === 200 ? list.data : []) {
		body.append(h('tr', { 'data-testid': `api-view-participant-${p.attendeeId}` },
			cell(`${p.attendeeId} · ${p.displayName || '—'}`),
			cell(p.actorType),
			cell(String(p.participantType)),
			cell(String(p.inCall), { title: flagsText(p.inCall) }),
			cell(p.lastPing ? `${ui.now - p.lastPing} s ago` : '—', { title: String(p.lastPing) }),
			cell(String(p.sessionIds.length)),
			cell(String(p.permissions)),
			cell(p.phoneNumber || '—')));
	}
	$('api-view-capabilities').textContent = Array.isArray(api.capabilities) ? '[] (Talk is disabled for this user)'
		: json(api.capabilities.spreed.config.call);

	const rowsBody = $('api-view-decisions-body');
	rowsBody.replaceChildren();
	if (conv.status !== 200) {
		$('api-view-summary').textContent = `No conversation (${conv.status}): the browser has nothing to decide from.`;
		return;
	}
	const view = stateFromTalk({
		conversation: conv.data,
		participants: list.status === 200 ? list.data : null,
		capabilities: api.capabilities,
		signalingSettings: ui.viewSignaling ? api.signalingSettings : undefined,
		currentUser: actor.userId ? { uid: actor.userId } : null,
		now: ui.now,
		clockSkew: ui.viewSkew,
	});
	const aa = view.error ? view.error : allowedActionsFromTalk(view, { join: joinBody(), updateFlags: updateBody() });
	if (view.error || isOutcome(aa) || isOutcome(rowsAnswers)) {
		$('api-view-summary').textContent = `stateFromTalk answered ${json(view.error || aa)}`;
		return;
	}
	const entries = [
		['join', 'Join call', aa.join, rowsAnswers.join],
		['update', 'Update flags', aa.updateFlags, rowsAnswers.updateFlags],
		['leave', 'Leave call', aa.leave, rowsAnswers.leave],
		['end', 'End call for everyone', aa.endForEveryone, rowsAnswers.endForEveryone],
		['peers', 'List peers', aa.peers, rowsAnswers.peers],
		...aa.ring.map((r) => [`ring-${r.attendeeId}`, `Ring ${nameOf(r.attendeeId)}`, r,
			rowsAnswers.ring.find((x) => x.attendeeId === r.attendeeId)]),
		...aa.dialOut.map((d) => [`dialout-${d.attendeeId}`, `Dial out ${nameOf(d.attendeeId)}`, d,
			rowsAnswers.dialOut.find((x) => x.attendeeId === d.attendeeId)]),
	];
	let uncertain = 0;
	for (const [id, label, mine, theirs] of entries) {
		const same = theirs && mine.status === theirs.status && mine.reason === theirs.reason;
		uncertain += mine.certain ? 0 : 1;
		rowsBody.append(h('tr', { 'data-testid': `api-view-decision-${id}` },
			cell(label),
			cell(answerLine(mine), { 'data-testid': `api-view-${id}-answer` }),
			cell(certaintyText(mine), { class: mine.certain ? 'certain' : 'uncertain', 'data-testid': `api-view-${id}-certainty` }),
			cell(theirs ? `${answerLine(theirs)}${same ? '' : ' (differs)'}` : 'not an attendee',
				{ class: same ? '' : 'differs', 'data-testid': `api-view-${id}-rows` })));
	}
	$('api-view-summary').textContent = uncertain === 0
		? `All ${entries.length} decisions are certain from this view.`
		: `${entries.length - uncertain} of ${entries.length} decisions are certain; ${uncertain} depend on what the browser can not see (${aa.dependsOn.join(', ')}).`;
}

function renderHistory() {
	const ol = $('history');
	ol.replaceChildren(...ui.history.map((e) => h('li', {}, h('span', { class: 'muted' }, `[${e.now}] `), e.text)));
}

function render() {
	const focused = document.activeElement && document.activeElement.id;
	renderClock();
	renderConversation();
	renderActors();
	const answers = renderActions();
	renderOutcome();
	renderState();
	renderApiView(answers);
	renderHistory();
	if (focused && $(focused) && document.activeElement !== $(focused)) {
		$(focused).focus();
	}
}

// ------------------------------------------------------------------------------------------------
// wiring
// ------------------------------------------------------------------------------------------------

function wire() {
	const preset = $('preset');
	preset.replaceChildren(...PRESETS.map((p) => h('option', { value: p.id }, p.label)));
	preset.addEventListener('change', () => { loadPreset(preset.value); render(); });
	$('reset').addEventListener('click', () => { loadPreset(ui.presetId); render(); });
	$('fresh-ping').addEventListener('click', () => {
		ui.state = { ...ui.state, sessions: ui.state.sessions.map((s) => ({ ...s, lastPing: ui.now })) };
		note(`Every session pinged at ${ui.now}.`);
		render();
	});
	for (const [id, secs] of [['clock-1', 1], ['clock-30', 30], ['clock-300', 300]]) {
		$(id).addEventListener('click', () => { ui.now += secs; render(); });
	}
	$('cfg-signaling').addEventListener('change', (e) => { setting('config', 'signaling', e.target.value); render(); });
	$('cfg-start-calls').addEventListener('change', (e) => { setting('config', 'startCalls', Number(e.target.value)); render(); });
	$('cfg-consent').addEventListener('change', (e) => { setting('config', 'recordingConsent', Number(e.target.value)); render(); });
	$('room-read-only').addEventListener('change', (e) => { setting('room', 'readOnly', e.target.checked ? 1 : 0); render(); });
	$('room-lobby').addEventListener('change', (e) => { setting('room', 'lobbyState', e.target.checked ? 1 : 0); render(); });
	$('actors').addEventListener('change', (e) => {
		const t = e.target;
		if (t.name === 'actor') {
			ui.actorKey = t.value;
		} else if (t.dataset.attendee) {
			toggleSession(Number(t.dataset.attendee), t.checked);
		}
		render();
	});
	$('api-view-signaling').addEventListener('change', (e) => { ui.viewSignaling = e.target.checked; render(); });
	$('api-view-skew').addEventListener('change', (e) => { ui.viewSkew = Number(e.target.value); render(); });
	for (const [id, key] of [['join-audio', 'audio'], ['join-video', 'video'], ['join-silent', 'silent'], ['join-consent', 'consent'], ['send-anyway', 'sendAnyway']]) {
		$(id).addEventListener('change', (e) => { ui[key] = e.target.checked; render(); });
	}
}

async function main() {
	const ok = await init();
	if (!ok) {
		const err = lastLoadError();
		$('load-error').hidden = false;
		$('load-error').textContent = `The WebAssembly module could not be loaded (${err && err.message ? err.message : err}). `
			+ 'Run ./build.sh build, then serve the repository root with ./build.sh playground.';
		document.body.dataset.ready = 'error';
		return;
	}
	const v = version();
	$('version').textContent = `${v.crate} ${v.version} · Talk API ${v.talkApi} · parity ${v.serverParity}`;
	wire();
	loadPreset(ui.presetId);
	render();
	document.body.dataset.ready = 'true';
}

main().catch((e) => {
	$('load-error').hidden = false;
	$('load-error').textContent = `The playground failed: ${e && e.stack ? e.stack : e}`;
	document.body.dataset.ready = 'error';
});
