// Type-level test of the stateFromTalk declarations (js/index.d.ts): `tsc --noEmit -p tests/ts` must pass.
import { stateFromTalk, allowedActionsFromTalk, evaluateFromTalk, isOutcome, TALK_HIDDEN } from 'talk-call-rules';
import type {
	TalkConversation, TalkParticipant, TalkCapabilities, TalkView, TalkHidden, TalkAllowedActions, State,
} from 'talk-call-rules';

const conversation: TalkConversation = {
	token: 'abc123', type: 2, attendeeId: 1, actorType: 'users', actorId: 'alice', participantType: 3, permissions: 246,
	sessionId: 's1', participantFlags: 0, lastPing: 1700000000, canStartCall: true, lobbyState: 0, lobbyTimer: 0,
	callStartTime: 0, recordingConsent: 0,
	unreadMessages: 3, // the rest of the Room API object is allowed
};
const participants: TalkParticipant[] = [{
	attendeeId: 2, actorType: 'users', actorId: 'bob', displayName: 'Bob', participantType: 3, inCall: 7,
	lastPing: 1700000000, sessionIds: ['s2'], permissions: 246, attendeePermissions: 0,
}];
const capabilities: TalkCapabilities = { spreed: { features: ['recording-consent'], config: { call: { enabled: true, 'recording-consent': 0 } } } };

const view: TalkView = stateFromTalk({
	conversation, participants, capabilities, currentUser: { uid: 'alice' }, now: 1700000000,
	signalingSettings: { signalingMode: 'external' }, clockSkew: 2,
});
if (view.error !== null) {
	const detail: string = view.error.detail;
	void detail;
} else {
	const state: State | null = view.state;
	const hidden: TalkHidden[] = view.uncertain?.dependsOn ?? [];
	void state; void hidden;
}
const actions = allowedActionsFromTalk(view, { join: { flags: 3, recordingConsent: true } });
if (!isOutcome(actions)) {
	const answers: TalkAllowedActions = actions;
	const join = answers.join;
	if (join.certain) {
		const ok: boolean = join.allowed;
		void ok;
	} else {
		const why: TalkHidden[] = join.dependsOn;
		void why;
	}
	const ringCertain: boolean[] = answers.ring.map((r) => r.certain);
	void ringCertain;
}
const ring = evaluateFromTalk(view, { method: 'POST', path: '/call/abc123/ring/2' });
const certain: boolean = ring.certain;
const all: readonly TalkHidden[] = TALK_HIDDEN;
void certain; void all;

// @ts-expect-error the conversation needs its token and type
stateFromTalk({ conversation: { attendeeId: 1 }, now: 1700000000 });
// @ts-expect-error `now` is unix seconds
stateFromTalk({ conversation, now: new Date() });
// @ts-expect-error dependsOn names only known hidden data
const unknownHidden: TalkHidden = 'the-weather';
void unknownHidden;
