#!/usr/bin/env node
// The Node host: node tests/drivers/node.mjs FILE... > transcript.jsonl
// Runs the vector files (paths as given; `cargo xtask vector-files` lists the default set) through
// js/index.mjs and the optimised pkg/ module, writing one transcript line per step to stdout.
// `cargo xtask check --transcript transcript.jsonl FILE...` judges it.
import { readFileSync, writeSync } from 'node:fs';
import { init, evaluate, apply, version } from '../../js/index.mjs';
import { drive } from './driver.mjs';

const files = process.argv.slice(2);
if (files.length === 0 || files.includes('--help')) {
	console.error('usage: node tests/drivers/node.mjs FILE... > transcript.jsonl');
	process.exit(2);
}
if (!(await init())) {
	console.error('node driver: the WebAssembly module could not be loaded (run ./build.sh build)');
	process.exit(2);
}
const out = (line) => writeSync(1, `${JSON.stringify(line)}\n`);
out({ host: 'node', version: version(), node: process.version });
const parsed = files.map((file) => {
	try {
		return { file, cases: JSON.parse(readFileSync(file, 'utf8')) };
	} catch (e) {
		return { file, error: e.message };
	}
});
await drive({ evaluate, apply, recover: () => init() }, parsed, out);
