// Every conformance vector (../shared/vectors and tests/vectors) through js/index.mjs and the optimised
// pkg/talk_call_rules_bg.wasm, with the CONTRACT's matching rules: one subtest per case.
// Cases named in tests/vector-skips.json are skipped (with their reason); nothing else is.
import test from 'node:test';
import assert from 'node:assert/strict';

import { init, evaluate, apply } from '../../js/index.mjs';
import { runCase, skipMap } from './vector-runner.mjs';
import { defaultVectorDirs, expandPaths, loadSkips, loadVectorFiles } from './files.mjs';

const files = loadVectorFiles(expandPaths(defaultVectorDirs()));
const skips = skipMap(loadSkips());
const api = { evaluate, apply };

test('the WebAssembly module loads', async () => {
	assert.equal(await init(), true, 'init() resolved false: run ./build.sh build');
});

test('vector files were found', () => {
	assert.ok(files.length > 0, `no vector files in ${defaultVectorDirs().join(', ')}`);
});

for (const { file, cases, error } of files) {
	test(file, async (t) => {
		assert.ok(!error, error);
		assert.ok(Array.isArray(cases), 'a vector file is a JSON array of cases');
		await init();
		for (const c of cases) {
			const name = c && typeof c.name === 'string' ? c.name : '(unnamed case)';
			await t.test(name, { skip: skips.has(name) ? skips.get(name) : false }, async () => {
				let result;
				try {
					result = runCase(api, c);
				} catch (e) {
					await init(); // re-instantiate after a trap so the other cases still run
					throw e;
				}
				assert.ok(result.ok, result.diffs.join('\n'));
			});
		}
	});
}
