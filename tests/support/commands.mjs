// Running a build tool from a test script: to completion, its output kept in a log file.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A function that runs a command to completion and writes its output to `<logs>/<name>.log`,
 * resolving `{ code, output, ms }` (it never rejects: a command that cannot start has code 1).
 * @param {string} logs the folder of the logs (it must exist)
 * @returns {(name: string, command: string, args: string[], options: { cwd: string, env?: Record<string, string> }) => Promise<{ code: number, output: string, ms: number }>}
 */
export function commandRunner(logs) {
	return (name, command, args, options) => {
		const started = Date.now();
		return new Promise((resolvePromise) => {
			const child = spawn(command, args, {
				cwd: options.cwd,
				env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			const chunks = [];
			child.stdout.on('data', (c) => chunks.push(c));
			child.stderr.on('data', (c) => chunks.push(c));
			child.on('error', (e) => chunks.push(Buffer.from(`\n${e.message}\n`)));
			child.on('close', (code) => {
				const output = Buffer.concat(chunks).toString('utf8');
				writeFileSync(join(logs, `${name}.log`), `$ ${command} ${args.join(' ')}\n(cwd ${options.cwd})\n${output}`);
				resolvePromise({ code: code ?? 1, output, ms: Date.now() - started });
			});
		});
	};
}

/**
 * What a browser stage needs and does not find in the repository at `root` (the built module,
 * playwright-core from npm), as a sentence saying how to get it; '' when nothing is missing.
 * @param {string} root
 */
export function missingPrerequisites(root) {
	const missing = ['pkg/talk_call_rules.js', 'pkg/talk_call_rules_bg.wasm'].filter((f) => !existsSync(join(root, f)));
	if (missing.length) {
		return `${missing.join(', ')} missing: run ./build.sh build first`;
	}
	if (!existsSync(join(root, 'node_modules', 'playwright-core'))) {
		return 'node_modules/playwright-core missing: run ./build.sh setup (or npm ci) first';
	}
	return '';
}

/**
 * npm ci of the bundler test's pinned tools (tests/bundler/package.json and package-lock.json)
 * into `tools`, skipped when its node_modules was installed from this very lockfile. Shared by
 * the bundler and CSP stages, which build with the same tools. Resolves null when the tools were
 * already there, else the result of `npm ci` (`{ code, output, ms }`, its log named npm-ci-tools).
 * @param {string} root the repository
 * @param {string} tools the folder of the tools
 * @param {ReturnType<typeof commandRunner>} run
 * @param {(line: string) => void} log
 */
export async function installPinnedTools(root, tools, run, log) {
	const manifest = readFileSync(join(root, 'tests', 'bundler', 'package.json'));
	const lock = readFileSync(join(root, 'tests', 'bundler', 'package-lock.json'));
	const want = createHash('sha256').update(Buffer.concat([manifest, lock])).digest('hex');
	const stamp = join(tools, 'node_modules', '.tcr-deps');
	if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want) {
		return null;
	}
	log('npm ci of the pinned bundler tools (tests/bundler/package-lock.json)');
	rmSync(tools, { recursive: true, force: true });
	mkdirSync(tools, { recursive: true });
	writeFileSync(join(tools, 'package.json'), manifest);
	writeFileSync(join(tools, 'package-lock.json'), lock);
	const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
	const result = await run('npm-ci-tools', npm, ['ci', '--no-audit', '--no-fund'], { cwd: tools });
	if (result.code === 0) {
		writeFileSync(stamp, `${want}\n`);
	}
	return result;
}
