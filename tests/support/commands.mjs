// Running a build tool from a test script: to completion, its output kept in a log file.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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
