// talk-call-rules — the bridge's core: the one owner of the WebAssembly instance (wasm-bindgen
// --target web glue in ../pkg, see src/wasm.rs) and the calls of its exports.
//
// * It loads and resets the instance (`init`, `initSync`), refuses oversized text before it is
//   copied into the module, and turns a trap into a `trapped` state; `rulesStatus()` reports
//   all of it. That state lives here and nowhere else.
// * ./index.mjs is the public entry point and re-exports everything here; ./talk-state.mjs calls
//   the module through this file too. The modules import each other in one direction only
//   (index.mjs -> talk-state.mjs -> core.mjs -> ../pkg glue and facts.mjs; index.mjs -> core.mjs),
//   which the lint stage checks (tests/support/import-cycles.mjs).
// * Browser-safe: Node built-ins are only reached through dynamic imports guarded by a runtime
//   check, and are marked so that bundlers (webpack/rspack/vite) leave them alone.

import * as glue from '../pkg/talk_call_rules.js';
import { LIMITS, REASON_INFO } from './facts.mjs';

/** Error thrown for programmer errors only (never for bad data). */
export class TalkCallRulesError extends Error {
	/**
	 * @param {'not-initialised' | 'trapped'} code
	 * @param {string} message
	 * @param {unknown} [cause]
	 */
	constructor(code, message, cause) {
		super(message, cause === undefined ? undefined : { cause });
		this.name = 'TalkCallRulesError';
		this.code = code;
	}
}

/** @type {'idle' | 'ready' | 'trapped'} */
let status = 'idle';
/** @type {Promise<boolean> | null} */
let pending = null;
/** @type {WebAssembly.Exports | null} */
let exportsRef = null;
/** Set once the glue holds an instance (even a trapped one): re-init then resets instead of loading. */
let glueLoaded = false;
/** Why the last init()/initSync() resolved false, for diagnostics. */
let loadError = null;
/** What rulesStatus() reports for the last failed load: `{ reason, detail }`, or null. */
let unavailable = null;
/** The message of the error that made the module trap, while status is 'trapped'. */
let trapDetail = null;
/** How far the current load got: 'input', 'fetch', 'compile', 'check' or 'instantiate'. */
let loadStage = 'input';
/** A `securitypolicyviolation` for WebAssembly seen in this page (browsers only), or null. */
let cspViolation = null;
let watchingCsp = false;
let warnedCsp = false;

const isNode = typeof process === 'object' && process !== null
	&& typeof process.versions === 'object' && process.versions !== null
	&& typeof process.versions.node === 'string';

function defaultUrl() {
	// A literal on purpose: bundlers (webpack, Vite) turn `new URL('literal', import.meta.url)` into
	// the one asset, while a template with a variable makes them emit every file of pkg/ (the glue
	// and its .d.ts included) as extra assets.
	return new URL('../pkg/talk_call_rules_bg.wasm', import.meta.url);
}

async function nodeReadFile(url) {
	// Hidden from bundlers: this branch only runs in Node.
	const specifier = 'node:fs/promises';
	const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
	return fs.readFile(url);
}

function nodeReadFileSync(url) {
	if (typeof process.getBuiltinModule !== 'function') {
		return undefined;
	}
	return process.getBuiltinModule('node:fs').readFileSync(url);
}

function isFileLocation(input) {
	if (input instanceof URL) {
		return input.protocol === 'file:';
	}
	if (typeof input !== 'string') {
		return false;
	}
	// A string in Node is a file path unless it is an http(s)/data/blob URL.
	return !/^(https?|data|blob):/i.test(input);
}

function isBytes(input) {
	return input instanceof ArrayBuffer || ArrayBuffer.isView(input)
		|| (typeof SharedArrayBuffer === 'function' && input instanceof SharedArrayBuffer);
}

function isAcceptedInput(input) {
	return typeof input === 'string'
		|| input instanceof URL
		|| isBytes(input)
		|| input instanceof WebAssembly.Module
		|| (typeof Response === 'function' && input instanceof Response)
		|| (typeof Request === 'function' && input instanceof Request);
}

function markReady(exp) {
	exportsRef = exp;
	glueLoaded = true;
	status = 'ready';
	trapDetail = null;
	loadError = null;
	unavailable = null;
}

/** Re-instantiates the already compiled module after a trap (synchronous). */
function resetAfterTrap() {
	if (typeof glue.__wbg_reset_state !== 'function') {
		return false;
	}
	try {
		glue.__wbg_reset_state();
		// With an instance present, initSync returns the current exports without loading anything.
		markReady(glue.initSync());
		return true;
	} catch {
		return false;
	}
}

// The wasm-bindgen exports the bridge calls (and the C ABI's version, which every build has).
const REQUIRED_EXPORTS = [
	'memory', '__wbindgen_start', 'evaluate', 'evaluateJson', 'applyJson', 'ocsJson', 'allowedActionsJson',
	'explainJson', 'versionJson', 'factsJson', 'tcr_abi_version',
];

/** Refuses a module that is not ours before the glue keeps a reference to it. */
function checkModule(module) {
	const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
	const missing = REQUIRED_EXPORTS.filter((n) => !names.has(n));
	if (missing.length > 0) {
		throw new Error(`not the talk-call-rules module (missing exports: ${missing.join(', ')})`);
	}
	return module;
}

// ---- why the module is unavailable -------------------------------------------------------------

/** The one sentence each reason of rulesStatus() gives as its fix. */
const FIXES = Object.freeze({
	'csp-blocked': "add 'wasm-unsafe-eval' to script-src in this page's Content-Security-Policy "
		+ '(Nextcloud: allowEvalWasm(true) on the policy of each page running the call UI; docs/csp.md)',
	'no-webassembly': 'none here: this browser runs no WebAssembly, the server decides',
	'fetch-failed': 'serve the .wasm at the URL given to init(), as application/wasm, from an origin connect-src allows',
	'compile-failed': "serve this package's .wasm unaltered",
	'wrong-module': "pass init() this package's own .wasm",
	'instantiate-failed': 'pass init() the .wasm of the same release as this bridge',
	'unsupported-input': 'pass init() a URL, a Response, the bytes or a WebAssembly.Module',
});

const CSP_MESSAGE = /content[ -]security[ -]policy|\bCSP\b|wasm-unsafe-eval|unsafe-eval/i;

function messageOf(e) {
	if (e && typeof e.message === 'string') {
		return e.message;
	}
	try {
		return String(e);
	} catch {
		return 'unknown error';
	}
}

/**
 * True for the error a browser raises when the page's policy forbids compiling WebAssembly: a
 * CompileError (Chromium, Firefox) or an EvalError (WebKit) whose message names the policy.
 */
function isCspError(e) {
	return e !== null && e !== undefined && CSP_MESSAGE.test(messageOf(e));
}

/** Why a load that reached `stage` failed with `e`: one of the reasons of rulesStatus(). */
function reasonOf(e, stage) {
	if (typeof WebAssembly !== 'object' || WebAssembly === null) {
		return 'no-webassembly';
	}
	if (isCspError(e) || ((stage === 'compile' || stage === 'instantiate') && cspViolation !== null)) {
		return 'csp-blocked';
	}
	switch (stage) {
	case 'input': return 'unsupported-input';
	case 'fetch': return 'fetch-failed';
	case 'check': return 'wrong-module';
	case 'instantiate': return 'instantiate-failed';
	default: return 'compile-failed';
	}
}

/** Logs the one warning of a page whose policy blocks the module (once per page, retries included). */
function warnCsp(detail) {
	if (warnedCsp || typeof console !== 'object' || console === null || typeof console.warn !== 'function') {
		return;
	}
	warnedCsp = true;
	console.warn("talk-call-rules: this page's Content-Security-Policy forbids compiling WebAssembly, so the call "
		+ `rules are off and the server decides (${detail.replace(/\.$/, '')}). Fix: ${FIXES['csp-blocked']}.`);
}

function markUnavailable(e, stage) {
	loadError = e;
	const reason = reasonOf(e, stage);
	unavailable = { reason, detail: messageOf(e) };
	if (reason === 'csp-blocked') {
		warnCsp(unavailable.detail);
	}
}

/**
 * In a browser, records the page's report of a WebAssembly compilation its policy refused (the
 * `securitypolicyviolation` event may arrive after the compile error, and some browsers word the
 * error without naming the policy): a load that failed to compile is then reported as csp-blocked.
 */
function watchCsp() {
	if (watchingCsp || isNode || typeof globalThis.addEventListener !== 'function') {
		return;
	}
	watchingCsp = true;
	globalThis.addEventListener('securitypolicyviolation', (event) => {
		const blocked = event && typeof event.blockedURI === 'string' ? event.blockedURI : '';
		if (blocked !== 'wasm-eval' && blocked !== 'eval') {
			return;
		}
		cspViolation = { directive: event.effectiveDirective || event.violatedDirective || 'script-src', blocked };
		if (unavailable !== null && unavailable.reason === 'compile-failed') {
			unavailable = { reason: 'csp-blocked', detail: unavailable.detail };
			warnCsp(`${cspViolation.directive} refused ${blocked}`);
		}
	});
}

let warnedMime = false;

async function compileResponse(response) {
	if (!response.ok) {
		throw new Error(`failed to fetch the wasm: ${response.status} ${response.statusText} (${response.url})`);
	}
	loadStage = 'compile';
	if (typeof WebAssembly.compileStreaming === 'function') {
		try {
			return await WebAssembly.compileStreaming(response.clone());
		} catch (e) {
			if (isCspError(e) || response.headers.get('Content-Type') === 'application/wasm') {
				throw e;
			}
			if (!warnedMime && typeof console === 'object') {
				warnedMime = true;
				console.warn('talk-call-rules: the web server does not send .wasm files as application/wasm; '
					+ 'falling back to a slower load', e);
			}
		}
	}
	return WebAssembly.compile(await response.arrayBuffer());
}

async function compile(input) {
	if (input instanceof WebAssembly.Module) {
		return input;
	}
	if (isBytes(input)) {
		loadStage = 'compile';
		return WebAssembly.compile(input);
	}
	loadStage = 'fetch';
	if (typeof Response === 'function' && input instanceof Response) {
		return compileResponse(input);
	}
	if (isNode && isFileLocation(input)) {
		const bytes = await nodeReadFile(input);
		loadStage = 'compile';
		return WebAssembly.compile(bytes);
	}
	return compileResponse(await fetch(input));
}

async function load(input) {
	loadStage = 'input';
	watchCsp();
	try {
		if (typeof WebAssembly !== 'object' || WebAssembly === null) {
			throw new Error('WebAssembly is not available in this JavaScript environment');
		}
		if (input !== null && typeof input === 'object' && typeof input.then === 'function') {
			input = await input;
		}
		if (input === undefined || input === null) {
			input = defaultUrl();
		}
		if (!isAcceptedInput(input)) {
			throw new TypeError(`init(): unsupported input ${Object.prototype.toString.call(input)}`);
		}
		const compiled = await compile(input);
		loadStage = 'check';
		const module = checkModule(compiled);
		loadStage = 'instantiate';
		markReady(await glue.default({ module_or_path: module }));
		return true;
	} catch (e) {
		markUnavailable(e, loadStage);
		return false;
	}
}

/**
 * Loads and instantiates the module. Idempotent: concurrent and later calls share the result.
 * Resolves false (never rejects) when the wasm cannot be loaded; calling again retries.
 * After a trap, calling it again re-instantiates the module.
 * @param {string | URL | Response | BufferSource | WebAssembly.Module | Promise<any>} [input]
 * @returns {Promise<boolean>}
 */
export function init(input) {
	if (status === 'ready') {
		return Promise.resolve(true);
	}
	if (status === 'trapped' && glueLoaded) {
		return Promise.resolve(resetAfterTrap());
	}
	if (pending === null) {
		pending = load(input).then((ok) => {
			if (!ok) {
				pending = null; // a later call may retry (another input, the file built meanwhile …)
			}
			return ok;
		});
	}
	return pending;
}

/**
 * Synchronous variant: `bytes` are the .wasm bytes or a compiled WebAssembly.Module.
 * In Node the bytes may be omitted (the built pkg/ file is read). Returns true/false, never throws.
 * @param {BufferSource | WebAssembly.Module} [bytes]
 * @returns {boolean}
 */
export function initSync(bytes) {
	if (status === 'ready') {
		return true;
	}
	if (status === 'trapped' && glueLoaded) {
		return resetAfterTrap();
	}
	let stage = 'input';
	try {
		if (typeof WebAssembly !== 'object' || WebAssembly === null) {
			throw new Error('WebAssembly is not available in this JavaScript environment');
		}
		if (bytes === undefined || bytes === null) {
			stage = 'fetch';
			bytes = isNode ? nodeReadFileSync(defaultUrl()) : undefined;
			stage = 'input';
		}
		if (!(isBytes(bytes) || bytes instanceof WebAssembly.Module)) {
			throw new TypeError('initSync(): pass the .wasm bytes or a WebAssembly.Module');
		}
		stage = 'compile';
		const compiled = bytes instanceof WebAssembly.Module ? bytes : new WebAssembly.Module(bytes);
		stage = 'check';
		const module = checkModule(compiled);
		stage = 'instantiate';
		markReady(glue.initSync({ module }));
		return true;
	} catch (e) {
		markUnavailable(e, stage);
		return false;
	}
}

/** Why the last init()/initSync() answered false (an Error), or null. For logs; never thrown. */
export function lastLoadError() {
	return loadError;
}

/** True when the module is loaded and usable. */
export function isReady() {
	return status === 'ready';
}

/**
 * Whether the call rules run in this page, and if not, why and what fixes it, for a log line or an
 * admin diagnostic: `{ state, reason, detail, fix }`.
 *
 * * `state`: 'not-loaded' (init() not called yet), 'loading', 'ready', 'unavailable' (the last
 *   init()/initSync() resolved false) or 'trapped' (the module crashed; the next init() re-instantiates it).
 * * `reason` (only when unavailable): 'csp-blocked' (the page's Content-Security-Policy forbids
 *   compiling WebAssembly), 'no-webassembly', 'fetch-failed', 'compile-failed', 'wrong-module',
 *   'instantiate-failed' or 'unsupported-input'.
 * * `detail`: the error's message (unavailable, trapped), else null. `fix`: one sentence, else null.
 *
 * Never throws; a new frozen object on every call.
 * @returns {import('./index.d.ts').RulesStatus}
 */
export function rulesStatus() {
	let out;
	if (status === 'ready') {
		out = { state: 'ready', reason: null, detail: null, fix: null };
	} else if (status === 'trapped') {
		out = { state: 'trapped', reason: null, detail: trapDetail, fix: 'call init() again: it re-instantiates the module' };
	} else if (pending !== null) {
		out = { state: 'loading', reason: null, detail: null, fix: null };
	} else if (unavailable !== null) {
		out = { state: 'unavailable', reason: unavailable.reason, detail: unavailable.detail, fix: FIXES[unavailable.reason] };
	} else {
		out = { state: 'not-loaded', reason: null, detail: null, fix: null };
	}
	return Object.freeze(out);
}

/**
 * Raw exports of the current instance (memory, the wasm-bindgen exports and the C-ABI `tcr_*`
 * functions), or null when not ready. Advanced use only; do not keep the object across an
 * `init()` after a trap.
 */
export function wasmExports() {
	return status === 'ready' ? exportsRef : null;
}

function notReady() {
	if (status === 'trapped') {
		return new TalkCallRulesError('trapped',
			'talk-call-rules: the WebAssembly module trapped earlier and is unusable; call init() again or ask the server');
	}
	return new TalkCallRulesError('not-initialised',
		'talk-call-rules: the WebAssembly module is not initialised; await init() (or call initSync()) first');
}

function guard(fn, args) {
	if (status !== 'ready') {
		throw notReady();
	}
	try {
		return fn(...args);
	} catch (e) {
		if (e instanceof TalkCallRulesError) {
			throw e;
		}
		// Anything thrown from inside the module (RuntimeError: unreachable/out of bounds, RangeError:
		// stack overflow, an error raised through wasm-bindgen) leaves the instance in an unknown state.
		status = 'trapped';
		exportsRef = null;
		trapDetail = messageOf(e);
		throw new TalkCallRulesError('trapped',
			`talk-call-rules: the WebAssembly module trapped (${e && e.message ? e.message : String(e)}); `
			+ 'it is now unusable: call init() again or ask the server', e);
	}
}

// The engine's input limits (js/facts.mjs). Text longer than this (in UTF-16 units, never more
// than its UTF-8 bytes) is refused here, before it is encoded, and UTF-8 over it before it is
// copied into wasm memory, which never shrinks.
const MAX_REQUEST = LIMITS.requestBytes;
const MAX_DOCUMENT = LIMITS.documentBytes;
const MAX_SAFE = LIMITS.maxSafeInteger;

/** The detail of the engine's refusal for the first oversized document, or null. */
function oversized(docs) {
	for (const [what, text, max] of docs) {
		if (text.length > max) {
			return `${what}: more than ${max} bytes exceed the limit of ${max}`;
		}
	}
	return null;
}

/** The bad-input Outcome as the engine writes it. */
function badInputJson(detail) {
	return JSON.stringify({
		status: 400, data: { error: 'bad-input', detail }, message: '', reason: 'bad-input', mutations: [], effects: [],
	});
}

/** The envelope `ocs` gives for something that is not an Outcome. */
function badInputEnvelopeJson(detail) {
	const data = { error: 'bad-input', detail };
	return JSON.stringify({ ocs: { meta: { status: 'failure', statuscode: 400, message: '' }, data } });
}

/** What `explain` gives for bad input. */
function badInputExplanationJson() {
	return JSON.stringify({ status: 400, reason: 'bad-input', explanation: REASON_INFO['bad-input'].explanation });
}

function str(value) {
	if (typeof value === 'string') {
		return value;
	}
	try {
		return String(value);
	} catch {
		return '';
	}
}

// ---- calls of the module's exports ----
//
// Text crosses as UTF-8 bytes (`&[u8]` exports): TextEncoder.encodeInto a buffer of the bridge's,
// which the glue copies into linear memory with one native `set` (its string passing loops over
// the characters in JS; TextEncoder.encode would allocate a new buffer per call); the answer comes
// back as JSON text through the glue's TextDecoder. The object API adds JSON.stringify before and
// JSON.parse after: faster than the module's own object exports (serde-wasm-bindgen, field by
// field across the boundary), measured side by side (docs/performance.md), and a throwing
// getter or a cycle stays on the JS side.

const encoder = new TextEncoder();
/** Where documents are encoded: it only grows (up to two of the largest documents), as calls need. */
let scratch = new Uint8Array(1 << 16);

/**
 * The documents (`[name, text, max]`, each within its limit by UTF-16 length) as UTF-8 bytes
 * (views of one buffer, valid until the next call), or `{ detail }` naming the first whose UTF-8
 * is over its limit, as the engine words it.
 */
function encoded(docs) {
	let total = 0;
	for (const d of docs) {
		total += d[1].length;
	}
	// One byte per UTF-16 unit and an eighth more: enough for ASCII text and the accented names
	// of most real rooms; more non-ASCII text is encoded again at its exact size.
	const room = Math.min(total + (total >>> 3) + 64, 2 * MAX_DOCUMENT);
	if (scratch.length < room) {
		scratch = new Uint8Array(room);
	}
	const out = [];
	let at = 0;
	for (const [what, text, max] of docs) {
		const { read, written } = encoder.encodeInto(text, scratch.subarray(at));
		let bytes;
		if (read === text.length) {
			bytes = scratch.subarray(at, at + written);
			at += written;
		} else {
			bytes = encoder.encode(text);
			at = scratch.length;
		}
		if (bytes.length > max) {
			return { detail: `${what}: ${bytes.length} bytes exceed the limit of ${max}` };
		}
		out.push(bytes);
	}
	return { bytes: out };
}

/** JSON text of a JS value for document `what`, or `{ detail }` when it has none. */
function jsonOf(value, what, max) {
	let text;
	try {
		text = JSON.stringify(value);
	} catch (e) {
		return { detail: `${what}: not serialisable as JSON (${e && e.message ? e.message : String(e)})` };
	}
	if (typeof text !== 'string') {
		return { detail: `${what}: not a JSON value (undefined, a function or a symbol)` };
	}
	const detail = oversized([[what, text, max]]);
	return detail ? { detail } : { text };
}

/** The module's time argument: whole non-negative seconds, else -1 (which it refuses as bad input). */
function seconds(now) {
	return typeof now === 'number' && Number.isInteger(now) && now >= 0 && now <= MAX_SAFE ? now : -1;
}

// The JSON text of each answer; `docs` are `[name, text, max]` already within their limits
// by UTF-16 length.

function evaluateText(request, state) {
	const e = encoded([['request', request, MAX_REQUEST], ['state', state, MAX_DOCUMENT]]);
	return e.bytes ? glue.evaluateJson(...e.bytes) : badInputJson(e.detail);
}

function applyText(state, mutations) {
	const e = encoded([['state', state, MAX_DOCUMENT], ['mutations', mutations, MAX_DOCUMENT]]);
	return e.bytes ? glue.applyJson(...e.bytes) : badInputJson(e.detail);
}

function ocsText(outcome) {
	const e = encoded([['outcome', outcome, MAX_DOCUMENT]]);
	return e.bytes ? glue.ocsJson(...e.bytes) : badInputEnvelopeJson(e.detail);
}

function allowedActionsText(state, actor, now, options) {
	const e = encoded([['state', state, MAX_DOCUMENT], ['actor', actor, MAX_REQUEST], ['options', options, MAX_REQUEST]]);
	return e.bytes ? glue.allowedActionsJson(e.bytes[0], e.bytes[1], seconds(now), e.bytes[2]) : badInputJson(e.detail);
}

function explainText(outcome) {
	const e = encoded([['outcome', outcome, MAX_DOCUMENT]]);
	return e.bytes ? glue.explainJson(...e.bytes) : badInputExplanationJson();
}

/** True when `value` (e.g. the result of `apply`) is an Outcome rather than a State. */
export function isOutcome(value) {
	return value !== null && typeof value === 'object' && typeof value.status === 'number'
		&& typeof value.reason === 'string' && !('room' in value);
}

/** Decides a request. @returns {import('./index.d.ts').Outcome} */
export function evaluate(request, state) {
	return guard(() => {
		const r = jsonOf(request, 'request', MAX_REQUEST);
		const s = r.detail === undefined ? jsonOf(state, 'state', MAX_DOCUMENT) : r;
		return JSON.parse(s.detail === undefined ? evaluateText(r.text, s.text) : badInputJson(s.detail));
	}, []);
}

/** Applies mutations; returns the new State (input untouched) or a bad-input Outcome. */
export function apply(state, mutations) {
	return guard(() => {
		const s = jsonOf(state, 'state', MAX_DOCUMENT);
		const m = s.detail === undefined ? jsonOf(mutations, 'mutations', MAX_DOCUMENT) : s;
		return JSON.parse(m.detail === undefined ? applyText(s.text, m.text) : badInputJson(m.detail));
	}, []);
}

/** The OCS v2 envelope the server would send for an Outcome. */
export function ocs(outcome) {
	return guard(() => {
		const o = jsonOf(outcome, 'outcome', MAX_DOCUMENT);
		return JSON.parse(o.detail === undefined ? ocsText(o.text) : badInputEnvelopeJson(o.detail));
	}, []);
}

/**
 * For the caller (`actor`: `{ userId?, sessionId?, groups? }`), every call action with the status and
 * reason the server would answer at `now` (unix seconds): `{ join, updateFlags, leave, endForEveryone,
 * peers, ring[], dialOut[] }`, or a bad-input Outcome.
 */
export function allowedActions(state, actor, now, options) {
	return guard(() => {
		const s = jsonOf(state, 'state', MAX_DOCUMENT);
		const a = s.detail === undefined ? jsonOf(actor, 'actor', MAX_REQUEST) : s;
		const o = a.detail !== undefined || options === undefined || options === null
			? { text: '' } : jsonOf(options, 'options', MAX_REQUEST);
		const detail = s.detail ?? a.detail ?? o.detail;
		return JSON.parse(detail === undefined ? allowedActionsText(s.text, a.text, now, o.text) : badInputJson(detail));
	}, []);
}

/** `{ status, reason, explanation }`: a stable English sentence for an Outcome's reason. */
export function explain(outcome) {
	return guard(() => {
		const o = jsonOf(outcome, 'outcome', MAX_DOCUMENT);
		return JSON.parse(o.detail === undefined ? explainText(o.text) : badInputExplanationJson());
	}, []);
}

/** JSON-string twin of allowedActions. */
export function allowedActionsJson(stateJson, actorJson, now, optionsJson) {
	const options = optionsJson === undefined || optionsJson === null ? '' : str(optionsJson);
	const [state, actor] = [str(stateJson), str(actorJson)];
	const detail = oversized([['state', state, MAX_DOCUMENT], ['actor', actor, MAX_REQUEST], ['options', options, MAX_REQUEST]]);
	return detail ? badInputJson(detail) : guard(allowedActionsText, [state, actor, now, options]);
}

/** JSON-string twin of explain. */
export function explainJson(outcomeJson) {
	const text = str(outcomeJson);
	return oversized([['outcome', text, MAX_DOCUMENT]]) ? badInputExplanationJson() : guard(explainText, [text]);
}

/** The engine's reason codes (code, statuses, sentence), input limits and bad-input shapes. */
export function facts() {
	return JSON.parse(guard(() => glue.factsJson(), []));
}

/** `{ crate, version, talkApi, serverParity, abi }` */
export function version() {
	return JSON.parse(versionJson());
}

/** JSON-string twin of evaluate. */
export function evaluateJson(requestJson, stateJson) {
	const [request, state] = [str(requestJson), str(stateJson)];
	const detail = oversized([['request', request, MAX_REQUEST], ['state', state, MAX_DOCUMENT]]);
	return detail ? badInputJson(detail) : guard(evaluateText, [request, state]);
}

/** JSON-string twin of apply. */
export function applyJson(stateJson, mutationsJson) {
	const [state, mutations] = [str(stateJson), str(mutationsJson)];
	const detail = oversized([['state', state, MAX_DOCUMENT], ['mutations', mutations, MAX_DOCUMENT]]);
	return detail ? badInputJson(detail) : guard(applyText, [state, mutations]);
}

/** JSON-string twin of ocs. */
export function ocsJson(outcomeJson) {
	const text = str(outcomeJson);
	const detail = oversized([['outcome', text, MAX_DOCUMENT]]);
	return detail ? badInputEnvelopeJson(detail) : guard(ocsText, [text]);
}

/** JSON-string twin of version. */
export function versionJson() {
	return guard(() => glue.versionJson(), []);
}
