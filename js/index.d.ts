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
// State
// ---------------------------------------------------------------------------------------------

export interface Config {
	/** 0 everyone, 1 users, 2 moderators, 3 no one. */
	startCalls: 0 | 1 | 2 | 3;
	allowedGroups: string[];
	/** The server's effective requirement (0 when no recording backend is usable). */
	recordingConsent: 0 | 1 | 2;
	/** App-level default permissions (null = unset, 246). */
	defaultPermissions: Permissions | null;
	signaling: 'internal' | 'external';
	[field: string]: unknown;
}

export interface Room {
	token: string;
	type: RoomType;
	readOnly: 0 | 1;
	lobbyState: 0 | 1;
	lobbyTimer: UnixTime | null;
	objectType: string;
	callFlag: CallFlags;
	activeSince: UnixTime | null;
	activeGuests: number;
	defaultPermissions: Permissions;
	callPermissions: Permissions;
	recordingConsent: 0 | 1 | 2;
	callRecording: number;
	breakoutRoomMode: number;
	breakoutRoomStatus: number;
	/** 0 participants only (default), 1 regular users, 2 everyone: who may find a non-public conversation they are not in. */
	listable?: 0 | 1 | 2;
	[field: string]: unknown;
}

export interface Attendee {
	attendeeId: number;
	actorType: ActorType;
	actorId: string;
	displayName: string;
	participantType: ParticipantType;
	permissions: Permissions;
	lastJoinedCall: UnixTime | null;
	notificationCalls: 0 | 1;
	phoneNumber: string | null;
	callId: string | null;
	[field: string]: unknown;
}

export interface Session {
	sessionId: string;
	attendeeId: number;
	inCall: CallFlags;
	lastPing: UnixTime;
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
	config: Config;
	room: Room;
	attendees: Attendee[];
	sessions: Session[];
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
	| 'call_missed';

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
	number: string;
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
