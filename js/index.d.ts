/// <reference lib="dom" />
// Types for js/index.mjs — the talk-call-rules bridge (Nextcloud Talk Call API v4, Talk 18 parity).
// Shapes: README.md, section API. Field names are camelCase mirrors of the server's columns;
// flags and permissions are integers. Unknown fields are allowed everywhere and survive `apply`.

// ---------------------------------------------------------------------------------------------
// Small enumerations
// ---------------------------------------------------------------------------------------------

/** Stable kebab-case decision codes (one per distinct rule). */
export type Reason =
	| 'ok'
	| 'no-route'
	| 'method-not-allowed'
	| 'talk-not-allowed'
	| 'calls-disabled'
	| 'not-found'
	| 'read-only'
	| 'lobby'
	| 'no-start-permission'
	| 'consent'
	| 'no-session'
	| 'conversation-type'
	| 'cannot-start-call'
	| 'not-in-call'
	| 'flags-without-in-call'
	| 'no-call'
	| 'actor-type'
	| 'target-not-found'
	| 'target-in-call'
	| 'dial-out-unavailable'
	| 'bad-input';

/** HTTP method of a request (any other method answers 405 or 404). */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | (string & {});

/** 1 one-to-one, 2 group, 3 public, 4 changelog, 5 former one-to-one, 6 note-to-self. */
export type RoomType = 1 | 2 | 3 | 4 | 5 | 6;

/** 1 owner, 2 moderator, 3 user, 4 guest, 5 user self-joined, 6 guest moderator. */
export type ParticipantType = 1 | 2 | 3 | 4 | 5 | 6;

/** Attendee actor types the server knows. */
export type ActorType =
	| 'users'
	| 'groups'
	| 'guests'
	| 'emails'
	| 'circles'
	| 'bridged'
	| 'federated_users'
	| 'phones'
	| (string & {});

/** Bit set of CallFlag values (0..15). */
export type CallFlags = number;
/** Bit set of Permission values. */
export type Permissions = number;
/** Unix seconds. */
export type UnixTime = number;

// ---------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------

/** Body fields of the call endpoints. Strings are coerced as the server's dispatcher does. */
export interface RequestBody {
	/** Join / update flags (CallFlag bits). */
	flags?: CallFlags | string | null;
	silent?: boolean | string | number | null;
	recordingConsent?: boolean | string | number | null;
	forcePermissions?: Permissions | string | null;
	/** DELETE: end the call for everyone (moderators). */
	all?: boolean | string | number | null;
	[field: string]: unknown;
}

export interface Actor {
	/** The logged-in user; absent (or null) for guests. */
	userId?: string | null;
	/** The room session id the caller's cookie holds; absent when none. */
	sessionId?: string | null;
	/** Used with `config.allowedGroups`, and `guest_app` marks a guests-app user (not offered `listable` 1 conversations). */
	groups?: string[];
	[field: string]: unknown;
}

export interface Request {
	method: HttpMethod;
	/** Relative to `/ocs/v2.php/apps/spreed/api/v4` (the full path is accepted too), e.g. `/call/abc123/ring/12`. */
	path: string;
	body?: RequestBody | null;
	actor?: Actor | null;
	/** Server time, unix seconds. */
	now: UnixTime;
	/**
	 * The request's Content-Type (default `application/json`). Only `application/x-www-form-urlencoded`
	 * changes anything: then (and for GET) the string "false" is false for boolean parameters;
	 * otherwise the server's dispatcher makes every non-empty string but "0" true.
	 */
	contentType?: string;
	[field: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// State: the stored rows. Only room.token, room.type, each attendee's attendeeId, actorType,
// actorId and participantType, and each session's sessionId and attendeeId are required; every
// other field defaults like the server's column (absent and null alike).
// ---------------------------------------------------------------------------------------------

export interface Config {
	/** 0 everyone, 1 users, 2 moderators, 3 no one. */
	startCalls?: 0 | 1 | 2 | 3;
	allowedGroups?: string[];
	/** The server's effective requirement (0 when no recording backend is usable). */
	recordingConsent?: 0 | 1 | 2;
	/** App-level default permissions (null = unset, 246). */
	defaultPermissions?: Permissions | null;
	signaling?: 'internal' | 'external';
	[field: string]: unknown;
}

export interface Room {
	token: string;
	type: RoomType;
	readOnly?: 0 | 1;
	lobbyState?: 0 | 1;
	lobbyTimer?: UnixTime | null;
	objectType?: string;
	callFlag?: CallFlags;
	activeSince?: UnixTime | null;
	activeGuests?: number;
	defaultPermissions?: Permissions;
	callPermissions?: Permissions;
	recordingConsent?: 0 | 1 | 2;
	callRecording?: number;
	breakoutRoomMode?: number;
	breakoutRoomStatus?: number;
	/** 0 participants only (default), 1 regular users, 2 everyone: who may find a non-public conversation they are not in. */
	listable?: 0 | 1 | 2;
	[field: string]: unknown;
}

export interface Attendee {
	attendeeId: number;
	actorType: ActorType;
	actorId: string;
	displayName?: string;
	participantType: ParticipantType;
	permissions?: Permissions;
	lastJoinedCall?: UnixTime | null;
	notificationCalls?: 0 | 1;
	phoneNumber?: string | null;
	callId?: string | null;
	[field: string]: unknown;
}

export interface Session {
	sessionId: string;
	attendeeId: number;
	inCall?: CallFlags;
	lastPing?: UnixTime;
	[field: string]: unknown;
}

/** A row of another room that a ring/dial-out target id may name. */
export interface ForeignAttendee {
	attendeeId: number;
	actorType: ActorType;
	[field: string]: unknown;
}

export interface UserInfo {
	displayName: string;
	[field: string]: unknown;
}

export interface State {
	config?: Config;
	room: Room;
	attendees?: Attendee[];
	sessions?: Session[];
	foreignAttendees?: ForeignAttendee[];
	/** Display names the server's user manager would give (GET peers fallback). */
	users?: Record<string, UserInfo>;
	[field: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// Outcome
// ---------------------------------------------------------------------------------------------

/** One entry of the GET `/call/{token}` list. */
export interface Peer {
	actorType: ActorType;
	actorId: string;
	displayName: string;
	token: string;
	lastPing: UnixTime;
	sessionId: string;
	[field: string]: unknown;
}

/** `data` of error answers, e.g. `{ error: 'consent' }` or `{ error: 'bad-input', detail: '...' }`. */
export interface ErrorData {
	error: string;
	detail?: string;
	message?: string;
	[field: string]: unknown;
}

/** Exactly the server's `ocs.data`: `[]` for empty bodies, the peers list, an error object; null for 405. */
export type OutcomeData = Peer[] | ErrorData | Record<string, unknown> | null;

export interface UpdateRoom {
	op: 'updateRoom';
	set: Partial<Room>;
}
export interface UpdateSession {
	op: 'updateSession';
	sessionId: string;
	set: Partial<Session>;
}
export interface UpdateAttendee {
	op: 'updateAttendee';
	attendeeId: number;
	set: Partial<Attendee>;
}
/** A row change the host persists (in order); `apply` performs them. */
export type Mutation = UpdateRoom | UpdateSession | UpdateAttendee;

export type SystemMessageKind =
	| 'call_started'
	| 'call_joined'
	| 'call_left'
	| 'call_ended'
	| 'call_ended_everyone'
	| 'call_missed'
	/** The lobby timer passed and a request read the lobby (posted as whoever sent that request). */
	| 'lobby_timer_reached'
	/** The same in a breakout room. */
	| 'breakout_rooms_started';

export interface StoreRecordingConsentEffect {
	type: 'storeRecordingConsent';
	actorType: ActorType;
	actorId: string;
}
export interface EnsureOneToOneFilledEffect {
	type: 'ensureOneToOneFilled';
}
export interface NotifyCallStartedEffect {
	type: 'notifyCallStarted';
	/** Recipients (may be empty). */
	attendeeIds: number[];
	silent: boolean;
}
export interface RingEffect {
	type: 'ring';
	attendeeId: number;
}
export interface DialOutEffect {
	type: 'dialOut';
	attendeeId: number;
	/** The phone attendee's stored number (null when the row has none). */
	number: string | null;
	actorId: string;
}
export interface SystemMessageEffect {
	type: 'systemMessage';
	message: SystemMessageKind;
	actorType: ActorType;
	actorId: string;
	silent?: boolean;
}
export interface StopRecordingEffect {
	type: 'stopRecording';
}
export interface SignalingInCallEffect {
	type: 'signalingInCall';
	sessionIds: string[];
	inCall: CallFlags;
}
/** A side effect the host carries out (it changes no stored row). */
export type Effect =
	| StoreRecordingConsentEffect
	| EnsureOneToOneFilledEffect
	| NotifyCallStartedEffect
	| RingEffect
	| DialOutEffect
	| SystemMessageEffect
	| StopRecordingEffect
	| SignalingInCallEffect;

export interface Outcome {
	/** The HTTP status the server answers. */
	status: number;
	data: OutcomeData;
	/** `ocs.meta.message`: "OK" on 2xx, "Can not start a call" for that 403, else "". */
	message: string;
	reason: Reason;
	mutations: Mutation[];
	effects: Effect[];
}

/** The OCS v2 envelope the server would send. */
export interface OcsEnvelope {
	ocs: {
		meta: {
			status: 'ok' | 'failure';
			statuscode: number;
			message: string;
		};
		data: OutcomeData;
	};
}

export interface Version {
	crate: string;
	version: string;
	talkApi: 'v4';
	serverParity: 'talk-18';
	/** Version of the C-ABI (`tcr_*` exports). */
	abi: number;
}

// ---------------------------------------------------------------------------------------------
// allowedActions / explain
// ---------------------------------------------------------------------------------------------

/** What the server would answer to one call action of the caller. */
export interface ActionAnswer {
	/** True when the server would accept it (2xx with reason "ok"). */
	allowed: boolean;
	status: number;
	reason: Reason;
	/** A stable English sentence for `reason` (translate by the code). */
	explanation: string;
	/** The request that was modelled. */
	request: { method: HttpMethod; path: string; body: RequestBody };
}

export interface JoinAnswer extends ActionAnswer {
	/** The flags the caller's session would hold after joining (null when it would not). */
	flags: CallFlags | null;
	/** Whether this join would start the call. */
	startsCall: boolean;
}

export interface TargetAnswer extends ActionAnswer {
	attendeeId: number;
}

/** Who the caller resolves to, with effective permissions (null: not a participant). */
export interface CallerInfo {
	attendeeId: number;
	actorType: ActorType;
	actorId: string;
	participantType: ParticipantType;
	/** Effective permissions (moderators 254; else attendee, call, conversation, app default). */
	permissions: Permissions;
	sessionId: string | null;
	inCall: CallFlags | null;
}

/** The request bodies `allowedActions` models for join and update flags. */
export interface AllowedActionsOptions {
	/** Body of the modelled POST (default `{}`: flags 7). */
	join?: RequestBody | null;
	/** Body of the modelled PUT (default `{ flags: 7 }`). */
	updateFlags?: RequestBody | null;
}

/** Every call action for one caller, as `allowedActions` answers it. */
export interface AllowedActions {
	caller: CallerInfo | null;
	join: JoinAnswer;
	updateFlags: ActionAnswer;
	leave: ActionAnswer;
	endForEveryone: ActionAnswer;
	peers: ActionAnswer;
	/** One entry per other attendee that is not a phone. */
	ring: TargetAnswer[];
	/** One entry per phone attendee. */
	dialOut: TargetAnswer[];
}

export interface Explanation {
	status: number | null;
	reason: Reason;
	explanation: string;
}

// ---------------------------------------------------------------------------------------------
// Bridge
// ---------------------------------------------------------------------------------------------

export type TalkCallRulesErrorCode = 'not-initialised' | 'trapped' | 'unsupported';

/** Thrown for programmer errors only (never for bad data). */
export declare class TalkCallRulesError extends Error {
	constructor(code: TalkCallRulesErrorCode, message: string, cause?: unknown);
	readonly name: 'TalkCallRulesError';
	readonly code: TalkCallRulesErrorCode;
}

/** What `init` accepts: a URL or path of the .wasm, a fetch Response, the bytes, or a compiled module. */
export type InitInput = string | URL | Request_ | Response | BufferSource | WebAssembly.Module;
type Request_ = globalThis.Request;

/** Raw C-ABI exports of the instance (see README: "C ABI"). */
export interface AbiExports {
	readonly memory: WebAssembly.Memory;
	tcr_abi_version(): number;
	tcr_input_reserve(len: number): number;
	tcr_evaluate(requestLen: number, stateLen: number): number;
	tcr_apply(stateLen: number, mutationsLen: number): number;
	tcr_ocs(outcomeLen: number): number;
	tcr_version(): number;
	tcr_output_ptr(): number;
	/** `now` is an i64: pass a BigInt. Optional export. */
	tcr_allowed_actions?(stateLen: number, actorLen: number, optionsLen: number, now: bigint): number;
	/** Optional export. */
	tcr_explain?(outcomeLen: number): number;
	readonly [name: string]: unknown;
}

export declare const REASONS: readonly Reason[];

export declare const CallFlag: {
	readonly DISCONNECTED: 0;
	readonly IN_CALL: 1;
	readonly WITH_AUDIO: 2;
	readonly WITH_VIDEO: 4;
	readonly WITH_PHONE: 8;
};

export declare const Permission: {
	readonly DEFAULT: 0;
	readonly CUSTOM: 1;
	readonly CALL_START: 2;
	readonly CALL_JOIN: 4;
	readonly LOBBY_IGNORE: 8;
	readonly PUBLISH_AUDIO: 16;
	readonly PUBLISH_VIDEO: 32;
	readonly PUBLISH_SCREEN: 64;
	readonly CHAT: 128;
};

/**
 * Loads the module (idempotent; concurrent calls share one promise). Resolves true when ready,
 * false when the wasm cannot be loaded (never rejects). Without `input`: in Node the built
 * `pkg/talk_call_rules_bg.wasm` next to this package, in browsers `new URL('../pkg/…', import.meta.url)`.
 * After a trap, calling it again re-instantiates the module.
 */
export declare function init(input?: InitInput | Promise<InitInput>): Promise<boolean>;
/** Synchronous init from bytes or a compiled module (in Node the bytes may be omitted). */
export declare function initSync(bytes?: BufferSource | WebAssembly.Module): boolean;
export declare function isReady(): boolean;
/** Why the last `init()`/`initSync()` answered false, or null (for logs; never thrown). */
export declare function lastLoadError(): unknown;
/** Raw instance exports (memory, `tcr_*`), null when not ready. Advanced use. */
export declare function wasmExports(): AbiExports | null;

/** Decides a request against the stored rows. */
export declare function evaluate(request: Request, state: State): Outcome;
/** Applies mutations: the new State (input untouched), or a bad-input Outcome on bad data. */
export declare function apply(state: State, mutations: readonly Mutation[]): State | Outcome;
/** The OCS v2 envelope the server would send for `outcome`. */
export declare function ocs(outcome: Outcome): OcsEnvelope;
export declare function version(): Version;

/**
 * For the caller, every call action with the status and reason the server would answer at `now`
 * (unix seconds), or a bad-input Outcome. Throws `unsupported` if the loaded build lacks it.
 */
export declare function allowedActions(
	state: State,
	actor: Actor,
	now: UnixTime,
	options?: AllowedActionsOptions | null,
): AllowedActions | Outcome;
/** A stable English sentence for an Outcome's reason. */
export declare function explain(outcome: Outcome | { status: number; reason: Reason }): Explanation;

/** JSON-string twins (for hosts that speak strings). */
export declare function evaluateJson(requestJson: string, stateJson: string): string;
export declare function applyJson(stateJson: string, mutationsJson: string): string;
export declare function ocsJson(outcomeJson: string): string;
export declare function versionJson(): string;
export declare function allowedActionsJson(
	stateJson: string,
	actorJson: string,
	now: UnixTime,
	optionsJson?: string | null,
): string;
export declare function explainJson(outcomeJson: string): string;

/** Narrows the result of `apply` or `allowedActions`. */
export declare function isOutcome<T extends object>(value: T | Outcome): value is Outcome;

// ---------------------------------------------------------------------------------------------
// stateFromTalk: the State from what the spreed frontend holds (js/talk-state.mjs)
// ---------------------------------------------------------------------------------------------

/**
 * The conversation as `GET /room/{token}` (Room API v4, Talk 18) sends it to the caller; only the
 * fields the adapter reads are listed. Non-participants get the same object with `attendeeId` 0.
 */
export interface TalkConversation {
	token: string;
	type: RoomType;
	/** 0 when the caller is not a participant. */
	attendeeId?: number;
	actorType?: ActorType;
	actorId?: string;
	displayName?: string;
	participantType?: ParticipantType;
	/** The caller's effective permissions (moderators 254). */
	permissions?: Permissions;
	/** The caller's own attendee permissions. */
	attendeePermissions?: Permissions;
	callPermissions?: Permissions;
	defaultPermissions?: Permissions;
	/** The caller's session: `'0'` when none. */
	sessionId?: string;
	/** In-call flags of the caller's session. */
	participantFlags?: CallFlags;
	/** Last ping of the caller's session. */
	lastPing?: UnixTime;
	readOnly?: 0 | 1;
	/** As the server read it: an expired timer is reset while the conversation is formatted. */
	lobbyState?: 0 | 1;
	/** 0 when none. */
	lobbyTimer?: UnixTime;
	hasCall?: boolean;
	callFlag?: CallFlags;
	/** `activeSince` as a timestamp, 0 when no call (capability `recording-v1`). */
	callStartTime?: UnixTime;
	/** Talk's own answer for this caller; false (uninformative) while the lobby holds them. */
	canStartCall?: boolean;
	objectType?: string;
	listable?: 0 | 1 | 2;
	/** 1 when this caller must consent before joining (capability `recording-consent`, Talk 18). */
	recordingConsent?: 0 | 1 | 2;
	callRecording?: number;
	notificationCalls?: 0 | 1;
	breakoutRoomMode?: number;
	breakoutRoomStatus?: number;
	[field: string]: unknown;
}

/** One entry of `GET /room/{token}/participants` (Talk 18): one per attendee, sessions combined. */
export interface TalkParticipant {
	attendeeId: number;
	actorType: ActorType;
	actorId: string;
	displayName?: string;
	participantType: ParticipantType;
	/** In-call flags of the listed sessions, OR-ed. */
	inCall?: CallFlags;
	/** The newest ping of the listed sessions. */
	lastPing?: UnixTime;
	/** Listed sessions (sessions idle for more than 100 s after the first are left out). */
	sessionIds?: string[];
	/** Effective permissions. */
	permissions?: Permissions;
	attendeePermissions?: Permissions;
	/** Only for moderators (capability `sip-support-dialout`); '' otherwise. */
	phoneNumber?: string;
	callId?: string;
	[field: string]: unknown;
}

/** The capabilities (`getCapabilities()`), whole or only their `spreed` part. */
export interface TalkCapabilities {
	spreed?: TalkCapabilities;
	features?: string[];
	config?: {
		call?: {
			/** false when `start_calls` is "no one". */
			enabled?: boolean;
			/** The effective requirement: 0, 1, or 2 (per conversation). */
			'recording-consent'?: 0 | 1 | 2;
			'sip-dialout-enabled'?: boolean;
			[field: string]: unknown;
		};
		[field: string]: unknown;
	};
	[field: string]: unknown;
}

/** `GET /signaling/settings`: only `signalingMode` is read. */
export interface TalkSignalingSettings {
	signalingMode?: 'internal' | 'external' | 'conversation_cluster' | (string & {});
	[field: string]: unknown;
}

export interface TalkInput {
	conversation: TalkConversation;
	/** null or absent when the list is not available (guests get 403, the lobby 412). */
	participants?: TalkParticipant[] | null;
	capabilities?: TalkCapabilities | [] | null;
	/** `getCurrentUser()` of @nextcloud/auth; null for guests. */
	currentUser?: { uid: string; [field: string]: unknown } | null;
	/** Without it, dial-out answers (501 or 201) are uncertain. */
	signalingSettings?: TalkSignalingSettings | null;
	/** The server's time as the client estimates it, unix seconds. */
	now: UnixTime;
	/** How far (seconds, default 0) the server's clock may be from `now`: answers that flip within it are uncertain. */
	clockSkew?: number;
}

/** What hidden data an answer may depend on. */
export type TalkHidden =
	/** Whether some other session is in the call with a fresh ping (the list combines an attendee's sessions and leaves some out). */
	| 'other-sessions-ping'
	/** Whether a ring target has a session flagged in the call that the list leaves out. */
	| 'target-sessions'
	/** What an attendee id outside the list names (evaluateFromTalk only). */
	| 'target-attendee'
	/** The start_calls setting, when neither `canStartCall` nor the capabilities tell it. */
	| 'start-calls'
	/** Whether an external signaling server is configured (dial-out). */
	| 'signaling-mode'
	/** Whether consent is required, when the conversation does not say. */
	| 'recording-consent'
	/** The server's clock, within `clockSkew`. */
	| 'server-clock';

/** What the view could not see; the facts the answers are re-checked against. */
export interface TalkUncertainty {
	/** Every hidden input that may change some answer of this view. */
	dependsOn: TalkHidden[];
	participantsKnown: boolean;
	/** true: a session is certainly in the call with a fresh ping; null: the view cannot tell. */
	freshCallSession: true | null;
	freshCallCauses: TalkHidden[];
	/** Per listed user: is one of their sessions flagged in the call (null: cannot tell). */
	targetsInCall: Record<number, boolean | null>;
	/** start_calls values that give the caller the same answers as the view (the first is used). */
	startCalls: Array<0 | 1 | 2 | 3>;
	signaling: 'internal' | 'external' | null;
	recordingConsent: 0 | 1 | 2 | null;
	clockSkew: number;
}

export interface TalkView {
	/** null when the input was bad (see `error`). */
	state: State | null;
	actor: Actor | null;
	now: UnixTime | null;
	uncertain: TalkUncertainty | null;
	error: { reason: 'bad-input'; detail: string } | null;
}

/** `certain: false` answers say what hidden data could change them. */
export type Certainty = { certain: true; dependsOn?: undefined } | { certain: false; dependsOn: TalkHidden[] };

export type TalkActionAnswer = ActionAnswer & Certainty;

export interface TalkAllowedActions {
	caller: CallerInfo | null;
	join: JoinAnswer & Certainty;
	updateFlags: TalkActionAnswer;
	leave: TalkActionAnswer;
	endForEveryone: TalkActionAnswer;
	peers: TalkActionAnswer;
	ring: Array<TargetAnswer & Certainty>;
	dialOut: Array<TargetAnswer & Certainty>;
	/** Every entry is certain. */
	certain: boolean;
	/** Union of the entries' `dependsOn`. */
	dependsOn: TalkHidden[];
}

/** A request without actor and clock: the view's are used. */
export interface TalkRequest {
	method: HttpMethod;
	path: string;
	body?: RequestBody | null;
	contentType?: string;
	[field: string]: unknown;
}

export declare const TALK_HIDDEN: readonly TalkHidden[];

/** The State, Actor and clock for the caller from what the frontend holds. Never throws for bad data. */
export declare function stateFromTalk(input: TalkInput): TalkView;
/** `allowedActions` for the view's caller, each answer marked certain or not; bad-input Outcome on a bad view. */
export declare function allowedActionsFromTalk(
	view: TalkView,
	options?: AllowedActionsOptions | null,
): TalkAllowedActions | Outcome;
/** `evaluate` of `request` as the view's caller at the view's clock, marked certain or not. */
export declare function evaluateFromTalk(view: TalkView, request: TalkRequest): Outcome & Certainty;
