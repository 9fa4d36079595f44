// Type-level test of js/index.d.ts: `tsc --noEmit -p tests/ts` must pass. Not executed.
import {
	init, initSync, isReady, evaluate, apply, ocs, version, evaluateJson, applyJson, ocsJson, versionJson,
	isOutcome, wasmExports, REASONS, CallFlag, Permission, TalkCallRulesError,
	allowedActions, allowedActionsJson, explain, explainJson, lastLoadError, rulesStatus, facts,
} from 'talk-call-rules';
import type {
	Request, State, Outcome, Reason, Mutation, Effect, OcsEnvelope, Version, Peer, Room, Attendee, Session,
	Config, ForeignAttendee, ErrorData, AllowedActions, Explanation, SystemMessageKind,
	RulesStatus, RulesState, RulesUnavailableReason,
} from 'talk-call-rules';

const config: Config = {
	startCalls: 0, allowedGroups: [], recordingConsent: 0, defaultPermissions: null, signaling: 'external',
	someFutureSetting: true, // unknown fields are allowed
};
// Only the identifying fields are required; every other column defaults like the server's.
const minimal: State = {
	room: { token: 'abcd', type: 2 },
	attendees: [{ attendeeId: 1, actorType: 'users', actorId: 'alice', participantType: 1 }],
	sessions: [{ sessionId: 's1', attendeeId: 1 }],
};
void minimal;
const room: Room = {
	token: 'abc123', type: 2, readOnly: 0, lobbyState: 0, lobbyTimer: null, objectType: '', callFlag: 0,
	activeSince: null, activeGuests: 0, defaultPermissions: 0, callPermissions: 0, recordingConsent: 0,
	callRecording: 0, breakoutRoomMode: 0, breakoutRoomStatus: 0,
};
const owner: Attendee = {
	attendeeId: 1, actorType: 'users', actorId: 'alice', displayName: 'Alice', participantType: 1, permissions: 0,
	lastJoinedCall: null, notificationCalls: 1, phoneNumber: null, callId: null,
};
const session: Session = { sessionId: 's1', attendeeId: 1, inCall: CallFlag.IN_CALL | CallFlag.WITH_AUDIO, lastPing: 1700000000 };
const foreign: ForeignAttendee = { attendeeId: 99, actorType: 'users' };
const state: State = {
	config, room, attendees: [owner], sessions: [session], foreignAttendees: [foreign],
	users: { alice: { displayName: 'Alice A.' } },
};
const request: Request = {
	method: 'POST', path: '/call/abc123', body: { flags: 7, silent: false }, actor: { userId: 'alice', sessionId: 's1' },
	now: 1700000000,
};

// @ts-expect-error room.type must be a number (RoomType), not a string
const badRoom: Room = { ...room, type: 'group' };
// @ts-expect-error a session's inCall is an integer bit set
const badSession: Session = { ...session, inCall: '7' };
// @ts-expect-error unknown mutation op
const badMutation: Mutation = { op: 'deleteRoom', set: {} };
// @ts-expect-error a request needs `now`
const badRequest: Request = { method: 'GET', path: '/call/abc123' };

async function main(): Promise<void> {
	const ok: boolean = await init();
	const ok2: boolean = await init(new URL('../../pkg/talk_call_rules_bg.wasm', import.meta.url));
	const ok3: boolean = initSync(new Uint8Array(0));
	const ready: boolean = isReady();
	const why: unknown = lastLoadError();
	void why;
	const rules: RulesStatus = rulesStatus();
	const rulesState: RulesState = rules.state;
	void rulesState;
	if (rules.state === 'unavailable') {
		// Narrowed: an unavailable module always says why and what fixes it.
		const cause: RulesUnavailableReason = rules.reason;
		const line: string = `${rules.detail} (${rules.fix})`;
		void cause, line;
		if (rules.reason === 'csp-blocked') {
			void 0;
		}
	} else if (rules.state === 'ready') {
		// @ts-expect-error a ready module has no reason
		const none: RulesUnavailableReason = rules.reason;
		void none;
	}
	// @ts-expect-error not a reason rulesStatus() gives
	const badCause: RulesUnavailableReason = 'blocked';
	void badCause;

	const outcome: Outcome = evaluate(request, state);
	const status: number = outcome.status;
	const reason: Reason = outcome.reason;
	if (reason === 'consent' || reason === 'bad-input') {
		const err = outcome.data as ErrorData;
		const code: string = err.error;
		void code;
	}
	for (const m of outcome.mutations) {
		switch (m.op) {
		case 'updateRoom': { const f: number | undefined = m.set.callFlag; void f; break; }
		case 'updateSession': { const id: string = m.sessionId; void id; break; }
		case 'updateAttendee': { const id: number = m.attendeeId; void id; break; }
		}
	}
	for (const e of outcome.effects) {
		const effect: Effect = e;
		if (effect.type === 'notifyCallStarted') {
			const ids: number[] = effect.attendeeIds;
			const silent: boolean = effect.silent;
			void ids; void silent;
		} else if (effect.type === 'systemMessage') {
			const msg: SystemMessageKind = effect.message;
			void msg;
		} else if (effect.type === 'dialOut') {
			const n: string | null = effect.number;
			void n;
		}
	}
	const next = apply(state, outcome.mutations);
	if (isOutcome(next)) {
		const r: Reason = next.reason;
		void r;
	} else {
		const s: State = next;
		void s.room.callFlag;
	}
	const envelope: OcsEnvelope = ocs(outcome);
	const sc: number = envelope.ocs.meta.statuscode;
	const st: 'ok' | 'failure' = envelope.ocs.meta.status;
	const v: Version = version();
	const api: 'v4' = v.talkApi;
	const json: string = evaluateJson(JSON.stringify(request), JSON.stringify(state));
	const json2: string = applyJson('{}', '[]') + ocsJson('{}') + versionJson();
	const peers = evaluate({ ...request, method: 'GET' }, state).data as Peer[];
	const first: string | undefined = peers[0]?.sessionId;
	const reasons: readonly Reason[] = REASONS;
	const perm: number = Permission.CALL_START | Permission.PUBLISH_AUDIO;
	const exp = wasmExports();
	if (exp !== null) {
		const ptr: number = exp.tcr_input_reserve(10);
		const len: number = exp.tcr_evaluate(5, 5);
		const out = new Uint8Array(exp.memory.buffer, exp.tcr_output_ptr(), len);
		void ptr; void out;
	}
	const actions = allowedActions(state, { userId: 'alice', sessionId: 's1' }, 1700000000);
	if (!isOutcome(actions)) {
		const map: AllowedActions = actions;
		const canJoin: boolean = map.join.allowed;
		const why: Reason = map.join.reason;
		const flags: number | null = map.join.flags;
		const ringIds: number[] = map.ring.map((r) => r.attendeeId);
		void canJoin; void why; void flags; void ringIds;
	}
	const brief = allowedActions(state, { userId: 'alice' }, 1700000000, { brief: true });
	if (!isOutcome(brief)) {
		const status: number = brief.ring.length > 0 ? brief.ring[0].status : brief.join.status;
		// @ts-expect-error brief answers carry no sentence
		void brief.join.explanation;
		void status;
	}
	const columns = facts().columns.sessions;
	const op: 'updateSession' = columns.op;
	void op;
	const explained: Explanation = explain(outcome);
	const sentence: string = explained.explanation + allowedActionsJson('{}', '{}', 0) + explainJson('{}');
	void sentence;
	// @ts-expect-error `now` is a number of seconds
	allowedActions(state, {}, '1700000000');
	try {
		evaluate(request, state);
	} catch (e) {
		if (e instanceof TalkCallRulesError) {
			const code: 'not-initialised' | 'trapped' | 'unsupported' = e.code;
			void code;
		}
	}
	// @ts-expect-error evaluate takes a Request, not a string
	evaluate('POST /call/abc123', state);
	// @ts-expect-error evaluateJson takes strings
	evaluateJson(request, state);

	void [ok, ok2, ok3, ready, status, sc, st, api, json, json2, first, reasons, perm, badRoom, badSession, badMutation, badRequest];
}

void main;
