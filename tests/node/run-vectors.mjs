#!/usr/bin/env node
// Usage: node tests/node/run-vectors.mjs PATH...   (files or folders of conformance vectors)
// Runs every case through js/index.mjs (the optimised pkg/ module), prints one line per failing
// case and ends with exactly "N passed, M failed". Exit 0 only when M is 0; 2 on usage errors.
import { init, evaluate, apply } from '../../js/index.mjs';
import { runFiles, summaryLine } from './vector-runner.mjs';
import { defaultVectorDirs, expandPaths, loadSkips, loadVectorFiles } from './files.mjs';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
	console.log('usage: node tests/node/run-vectors.mjs [PATH...]  (default: ../shared/vectors tests/vectors)');
	process.exit(0);
}
let files;
try {
	files = expandPaths(args.length > 0 ? args : defaultVectorDirs());
} catch (e) {
	console.error(`run-vectors: ${e.message}`);
	process.exit(2);
}
if (!(await init())) {
	console.error('run-vectors: the WebAssembly module could not be loaded (run ./build.sh build)');
	process.exit(2);
}
const result = await runFiles(
	{ evaluate, apply, recover: () => init() },
	loadVectorFiles(files),
	{ skips: loadSkips(), log: (line) => console.log(line) },
);
console.log(summaryLine(result.passed, result.failed));
process.exit(result.failed === 0 ? 0 : 1);
