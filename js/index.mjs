// talk-call-rules — JS bridge over the WebAssembly module built into ../pkg (wasm-bindgen --target web).
//
// * `init(input?)` is the only async function. It resolves `true` when the module is ready and `false`
//   when it cannot be loaded (it never rejects), so a frontend can fall back to asking the server.
// * Every other function is synchronous and pure. Bad *data* never throws: the module answers with an
//   Outcome (status 400, reason "bad-input"). Only programmer errors throw a `TalkCallRulesError`:
//   `not-initialised` (called before `init`), `trapped` (the module crashed; call `init()` again).
// * `rulesStatus()` says whether the rules run and, when they do not, why and what fixes it. A page
//   whose Content-Security-Policy forbids compiling WebAssembly (no 'wasm-unsafe-eval' in script-src,
//   the Nextcloud default) gets one console warning naming the fix (docs/csp.md).
// * A thin façade over the module's wasm-bindgen exports (the generated glue in ../pkg, see
//   src/wasm.rs): ./core.mjs loads and resets the instance, refuses oversized text before it is
//   copied into the module, and turns a trap into a `trapped` state. The PHP bridge calls the same
//   module through its C ABI (`tcr_*`).
// * This file only names the public API; no module of the package imports it. The imports run one
//   way: index.mjs -> talk-state.mjs -> core.mjs -> (../pkg glue, facts.mjs); core.mjs holds the
//   instance and its state. Browser-safe, like the modules it re-exports.

// Reason codes, input limits, call flags and permission bits: generated from the engine
// (`cargo xtask gen`), tested against it.
export { REASONS, REASON_INFO, LIMITS, CallFlag, Permission } from './facts.mjs';

// Loading, status and the calls of the module (object API and JSON-string twins).
export {
	TalkCallRulesError,
	init, initSync, lastLoadError, isReady, rulesStatus, wasmExports,
	isOutcome, evaluate, apply, ocs, allowedActions, explain, facts, version,
	evaluateJson, applyJson, ocsJson, allowedActionsJson, explainJson, versionJson,
} from './core.mjs';

// The State from what the spreed frontend holds (conversation, participants, capabilities), with
// the answers hidden data could still change marked: see talk-state.mjs.
export { stateFromTalk, allowedActionsFromTalk, evaluateFromTalk, TALK_HIDDEN } from './talk-state.mjs';
