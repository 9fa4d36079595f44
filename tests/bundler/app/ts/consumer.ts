// A typed consumer of the installed package, checked by `tsc` with `moduleResolution: bundler`
// (how spreed's webpack/Vite builds resolve) and with `node16` (Node's ESM rules). It runs nowhere:
// it proves that the public types resolve through the package's `exports` and mean what they say.
import wasmUrl from 'talk-call-rules/talk_call_rules_bg.wasm';
import {
	init, initSync, isReady, evaluate, apply, ocs, explain, version, allowedActions, isOutcome,
	evaluateJson, CallFlag, Permission, REASONS, TalkCallRulesError,
} from 'talk-call-rules';
import type {
	Request, State, Outcome, Reason, Mutation, Effect, OcsEnvelope, AllowedActions, Explanation, Version,
} from 'talk-call-rules';

const NOW = 1700000000;

const state: State = {
	config: { startCalls: 0, allowedGroups: [], recordingConsent: 0, defaultPermissions: null, signaling: 'external' },
	room: {
		token: 'abc123xy', type: 2, readOnly: 0, lobbyState: 0, lobbyTimer: null, objectType: '', callFlag: 0,
		activeSince: null, activeGuests: 0, defaultPermissions: 0, callPermissions: 0, recordingConsent: 0,
		callRecording: 0, breakoutRoomMode: 0, breakoutRoomStatus: 0,
	},
	attendees: [{
		attendeeId: 1, actorType: 'users', actorId: 'alice', displayName: 'Alice', participantType: 1,
		permissions: Permission.DEFAULT, lastJoinedCall: null, notificationCalls: 1, phoneNumber: null, callId: null,
	}],
	sessions: [{ sessionId: 'alice-session', attendeeId: 1, inCall: CallFlag.DISCONNECTED, lastPing: NOW }],
};

const join: Request = {
	method: 'POST',
	path: '/call/abc123xy',
	body: { flags: CallFlag.IN_CALL | CallFlag.WITH_AUDIO, silent: false },
	actor: { userId: 'alice', sessionId: 'alice-session', groups: [] },
	now: NOW,
};

// The wasm subpath is typed as the URL an asset/resource rule makes of it.
const url: string = wasmUrl;

// @ts-expect-error a Reason is one of the stable codes, not any string
const notAReason: Reason = 'maybe';
// @ts-expect-error a request needs `now`
const noClock: Request = { method: 'GET', path: '/call/abc123xy' };

export async function decide(): Promise<string> {
	const ready: boolean = await init(url);
	if (!ready && !initSync(new Uint8Array(0))) {
		return 'ask the server';
	}
	const outcome: Outcome = evaluate(join, state);
	// @ts-expect-error status is a number
	const statusText: string = outcome.status;
	const reason: Reason = outcome.reason;
	const mutations: Mutation[] = outcome.mutations;
	const effects: Effect[] = outcome.effects;
	const envelope: OcsEnvelope = ocs(outcome);
	const why: Explanation = explain(outcome);
	const next = apply(state, mutations);
	const inCall: number = isOutcome(next) ? -1 : next.sessions?.[0]?.inCall ?? -1;
	const actions = allowedActions(state, { userId: 'alice', sessionId: 'alice-session' }, NOW);
	const canJoin: boolean = !isOutcome(actions) && (actions satisfies AllowedActions).join.allowed;
	const v: Version = version();
	const raw: string = evaluateJson(JSON.stringify(join), JSON.stringify(state));
	try {
		evaluate(join, state);
	} catch (e) {
		if (e instanceof TalkCallRulesError && e.code === 'trapped') {
			return 'trapped';
		}
	}
	void [notAReason, noClock, statusText, effects, raw, isReady(), REASONS.length];
	return `${v.talkApi} ${envelope.ocs.meta.statuscode} ${reason} ${why.explanation} ${inCall} ${canJoin}`;
}
