// The Chromium host: runs the conformance vectors inside the page through the same bridge and
// driver as Node (tests/drivers/driver.mjs) and returns the transcript lines. The vector files
// are fetched from the test server.
import { init, isReady, evaluate, apply, version } from '../../js/index.mjs';
import { drive, fetchVectorFiles } from '../drivers/driver.mjs';

/**
 * @param {{ files: { file: string, url: string }[] }} args
 */
export async function run({ files }) {
	const started = performance.now();
	if (!(await init())) {
		return { error: 'init() resolved false: the wasm could not be loaded in the browser' };
	}
	const loaded = await fetchVectorFiles(files);
	const lines = [{ host: 'chromium', version: version(), userAgent: navigator.userAgent }];
	await drive({ evaluate, apply, recover: () => init() }, loaded, (line) => lines.push(line));
	return {
		lines,
		ready: isReady(),
		wasmResource: performance.getEntriesByType('resource')
			.filter((e) => e.name.endsWith('.wasm'))
			.map((e) => ({ name: e.name, bytes: e.encodedBodySize })),
		ms: Math.round(performance.now() - started),
	};
}
