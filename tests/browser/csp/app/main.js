// Talk's call UI as far as the rules go, bundled like spreed's frontend (webpack 5, the .wasm as an
// asset/resource URL) from the packed package, for tests/browser/csp.e2e.mjs: the page loads it with
// its nonce under the Content-Security-Policy a Nextcloud 28 page sends.
import wasmUrl from 'talk-call-rules/talk_call_rules_bg.wasm';
import { init, evaluate, apply, version, lastLoadError, rulesStatus } from 'talk-call-rules';
import { drive, fetchVectorFiles } from './driver.mjs';

// At app start, as the README says: resolves false (never rejects) when the module cannot run.
const ready = init(wasmUrl);
const stateWhileLoading = rulesStatus().state;

function errorOf(e) {
	return e ? { name: String(e.name), message: String(e.message ?? e) } : null;
}

window.talkCallRulesCsp = {
	/** What the frontend learns at start-up, then what a second init() (a retry) answers. */
	async started() {
		const ok = await ready;
		const status = { ...rulesStatus() };
		const error = errorOf(lastLoadError());
		const again = await init(wasmUrl);
		return { ok, again, stateWhileLoading, status, error, statusAfterRetry: { ...rulesStatus() }, wasmUrl: String(wasmUrl) };
	},
	/** Runs the conformance vectors (fetched from `files[].url`) in this page; the transcript lines. */
	async runVectors(files) {
		const loaded = await fetchVectorFiles(files);
		const lines = [{ host: 'chromium', version: version(), userAgent: navigator.userAgent, page: location.pathname }];
		await drive({ evaluate, apply, recover: () => init(wasmUrl) }, loaded, (line) => lines.push(line));
		return lines;
	},
};
