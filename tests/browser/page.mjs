// Runs conformance vectors inside the browser page, through the same bridge and runner as Node.
// The vector files are fetched from the test server.
import { init, isReady, evaluate, apply, version } from '../../js/index.mjs';
import { runFiles } from '../node/vector-runner.mjs';

/**
 * @param {{ files: { file: string, url: string }[], skips?: unknown[] }} args
 */
export async function run({ files, skips = [] }) {
	const started = performance.now();
	const ok = await init();
	if (!ok) {
		return { error: 'init() resolved false: the wasm could not be loaded in the browser' };
	}
	const loaded = [];
	for (const { file, url } of files) {
		try {
			const response = await fetch(url);
			if (!response.ok) {
				throw new Error(`HTTP ${response.status} for ${url}`);
			}
			loaded.push({ file, cases: await response.json() });
		} catch (e) {
			loaded.push({ file, error: `cannot fetch: ${e.message}` });
		}
	}
	const result = await runFiles({ evaluate, apply, recover: () => init() }, loaded, { skips });
	return {
		...result,
		ready: isReady(),
		version: version(),
		userAgent: navigator.userAgent,
		wasmResource: performance.getEntriesByType('resource')
			.filter((e) => e.name.endsWith('.wasm'))
			.map((e) => ({ name: e.name, bytes: e.encodedBodySize })),
		ms: Math.round(performance.now() - started),
	};
}
