// Node-only helpers: find and read vector files, used as input by the API tests (the vectors'
// expectations are judged by `cargo xtask check`, once per host).
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The vendored public vectors and the project's own. */
export function defaultVectorDirs() {
	return [resolve(ROOT, 'tests', 'conformance'), resolve(ROOT, 'tests', 'vectors')];
}

/** Expands files and folders (recursively, *.json, sorted) into absolute file paths. */
export function expandPaths(paths, cwd = process.cwd()) {
	const out = [];
	const walk = (p) => {
		const st = statSync(p);
		if (st.isDirectory()) {
			for (const name of readdirSync(p).sort()) {
				const child = join(p, name);
				if (statSync(child).isDirectory() || name.endsWith('.json')) {
					walk(child);
				}
			}
		} else {
			out.push(p);
		}
	};
	for (const p of paths) {
		const abs = resolve(cwd, p);
		if (!existsSync(abs)) {
			throw new Error(`no such file or folder: ${p}`);
		}
		walk(abs);
	}
	return out;
}

/** Name shown in reports: relative to the repository root. */
export function displayName(abs) {
	return relative(ROOT, abs) || abs;
}

/** Reads and parses vector files: [{ file, path, cases } | { file, path, error }]. */
export function loadVectorFiles(absPaths) {
	return absPaths.map((p) => {
		try {
			return { file: displayName(p), path: p, cases: JSON.parse(readFileSync(p, 'utf8')) };
		} catch (e) {
			return { file: displayName(p), path: p, error: `cannot read: ${e.message}` };
		}
	});
}
