// Node-only helpers: find and read vector files (the shared runner stays browser-safe).
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Default vector locations: the shared contract vectors (required) and this repository's own (if present). */
export function defaultVectorDirs() {
	const local = resolve(ROOT, 'tests', 'vectors');
	return [
		process.env.TCR_SHARED_VECTORS || resolve(ROOT, '..', 'shared', 'vectors'),
		...(existsSync(local) ? [local] : []),
	];
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

/** tests/vector-skips.json: [{ name, reason }] */
export function loadSkips() {
	const p = resolve(ROOT, 'tests', 'vector-skips.json');
	if (!existsSync(p)) {
		return [];
	}
	const skips = JSON.parse(readFileSync(p, 'utf8'));
	if (!Array.isArray(skips)) {
		throw new Error('tests/vector-skips.json must be a JSON array of { name, reason }');
	}
	return skips;
}
