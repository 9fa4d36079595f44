#!/usr/bin/env node
// Usage: node tests/support/import-cycles.mjs PATH...
//
// Fails when the project's own ES modules import each other in a cycle. Each PATH is a module or a
// folder (its .mjs and .js files, below it too; node_modules, target and dot folders skipped). The
// modules' relative imports are followed to the files they name, also outside the PATHs, so a
// cycle that leaves a folder and comes back is found as well.
//
// What counts as an import: `import … from '…'`, `import '…'`, `export … from '…'` and `import('…')`
// with a literal specifier (a string, or a template without substitutions). Comments, strings,
// templates and regular expressions are skipped, so quoted code is not an import. Bare specifiers
// (packages, `node:` built-ins) and computed dynamic imports are not followed.
//
// Prints each elementary cycle as `a.mjs -> b.mjs -> a.mjs` (paths relative to the working folder,
// each cycle starting at its first file in sorted order) and exits 1; exits 0 with one summary
// line when there is none, 2 on a usage error. No dependencies: Node's own modules only.

import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The file extensions read as modules when a folder is given. */
const MODULE_EXTENSIONS = new Set(['.mjs', '.js']);
/** Folders never walked into. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'target']);
/** How many cycles are listed at most (the rest are counted). */
const MAX_CYCLES = 100;

// ------------------------------------------------------------------------------------------------
// tokens
// ------------------------------------------------------------------------------------------------

/** Keywords after which a `/` starts a regular expression, not a division. */
const REGEX_AFTER_KEYWORD = new Set([
	'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else',
	'yield', 'await', 'extends',
]);

const isIdentStart = (c) => /[A-Za-z_$#\u0080-\uffff]/.test(c);
const isIdentPart = (c) => /[\w$\u0080-\uffff]/.test(c);

/** Whether a `/` after token `prev` starts a regular expression. */
function regexAllowed(prev) {
	if (prev === null) {
		return true;
	}
	if (prev.type === 'name') {
		return REGEX_AFTER_KEYWORD.has(prev.value);
	}
	if (prev.type === 'punct') {
		return prev.value !== ')' && prev.value !== ']' && prev.value !== '}';
	}
	return false; // after a number, string, template or regular expression
}

/**
 * The significant tokens of module text: `{ type, value }` with type 'name', 'string', 'template'
 * (value: its text when it has no substitution, else null), 'number', 'regex' or 'punct'. Lenient:
 * text that does not parse (an unterminated string, comment …) ends the token it is in.
 * @param {string} text
 */
export function tokenize(text) {
	const tokens = [];
	/** For each open `{`: whether it opened a template substitution (`${`). */
	const braces = [];
	let i = 0;
	const n = text.length;
	const push = (type, value) => {
		tokens.push({ type, value });
	};
	if (text.startsWith('#!')) {
		i = text.indexOf('\n');
		if (i < 0) {
			return tokens;
		}
	}

	/** Reads template text from i (after a backtick or a substitution's `}`); returns its end state. */
	const templateRest = (start) => {
		let j = start;
		let raw = '';
		while (j < n) {
			const c = text[j];
			if (c === '\\') {
				raw += text.slice(j, j + 2);
				j += 2;
			} else if (c === '`') {
				return { end: j + 1, raw, open: false };
			} else if (c === '$' && text[j + 1] === '{') {
				return { end: j + 2, raw, open: true };
			} else {
				raw += c;
				j += 1;
			}
		}
		return { end: n, raw, open: false };
	};

	while (i < n) {
		const c = text[i];
		if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v' || c === '\u00a0'
			|| c === '\u2028' || c === '\u2029' || c === '\ufeff') {
			i += 1;
		} else if (c === '/' && text[i + 1] === '/') {
			const end = text.indexOf('\n', i);
			i = end < 0 ? n : end + 1;
		} else if (c === '/' && text[i + 1] === '*') {
			const end = text.indexOf('*/', i + 2);
			i = end < 0 ? n : end + 2;
		} else if (c === '\'' || c === '"') {
			let j = i + 1;
			let value = '';
			while (j < n && text[j] !== c && text[j] !== '\n') {
				if (text[j] === '\\') {
					value += text.slice(j, j + 2);
					j += 2;
				} else {
					value += text[j];
					j += 1;
				}
			}
			push('string', value);
			i = j + 1;
		} else if (c === '`') {
			const t = templateRest(i + 1);
			if (t.open) {
				braces.push(true);
				push('template', null);
			} else {
				push('template', t.raw);
			}
			i = t.end;
		} else if (c === '}' && braces.length > 0 && braces[braces.length - 1]) {
			// The end of a template substitution: the template goes on.
			braces.pop();
			const t = templateRest(i + 1);
			if (t.open) {
				braces.push(true);
			}
			i = t.end;
		} else if (c === '/' && regexAllowed(tokens.length ? tokens[tokens.length - 1] : null)) {
			let j = i + 1;
			let inClass = false;
			while (j < n && text[j] !== '\n') {
				const d = text[j];
				if (d === '\\') {
					j += 2;
					continue;
				}
				if (d === '[') {
					inClass = true;
				} else if (d === ']') {
					inClass = false;
				} else if (d === '/' && !inClass) {
					break;
				}
				j += 1;
			}
			j += 1;
			while (j < n && isIdentPart(text[j])) {
				j += 1;
			}
			push('regex', text.slice(i, j));
			i = j;
		} else if (isIdentStart(c)) {
			let j = i + 1;
			while (j < n && isIdentPart(text[j])) {
				j += 1;
			}
			push('name', text.slice(i, j));
			i = j;
		} else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
			let j = i + 1;
			while (j < n && /[\w.]/.test(text[j])) {
				j += 1;
			}
			push('number', text.slice(i, j));
			i = j;
		} else if (c === '.' && text.startsWith('...', i)) {
			push('punct', '...');
			i += 3;
		} else if (c === '?' && text[i + 1] === '.' && !/[0-9]/.test(text[i + 2] ?? '')) {
			push('punct', '?.');
			i += 2;
		} else {
			if (c === '{') {
				braces.push(false);
			} else if (c === '}') {
				braces.pop();
			}
			push('punct', c);
			i += 1;
		}
	}
	return tokens;
}

// ------------------------------------------------------------------------------------------------
// imports
// ------------------------------------------------------------------------------------------------

const isPunct = (t, value) => t !== undefined && t.type === 'punct' && t.value === value;
const isName = (t, value) => t !== undefined && t.type === 'name' && (value === undefined || t.value === value);
/** A string, or a template without substitutions: the literal text, else undefined. */
const literal = (t) => (t !== undefined && (t.type === 'string' || (t.type === 'template' && t.value !== null))
	? t.value : undefined);

/** The index after the `}` matching the `{` at `start`. */
function skipBraces(tokens, start) {
	let depth = 0;
	for (let j = start; j < tokens.length; j += 1) {
		if (isPunct(tokens[j], '{')) {
			depth += 1;
		} else if (isPunct(tokens[j], '}')) {
			depth -= 1;
			if (depth === 0) {
				return j + 1;
			}
		}
	}
	return tokens.length;
}

/**
 * The literal specifiers module text imports: `{ specifier, kind }` in source order, kind 'import'
 * (static, side-effect imports included), 'export' (`export … from`) or 'dynamic' (`import('…')`).
 * @param {string} text
 * @returns {{ specifier: string, kind: 'import' | 'export' | 'dynamic' }[]}
 */
export function importsOf(text) {
	const tokens = tokenize(text);
	const found = [];
	for (let i = 0; i < tokens.length; i += 1) {
		const t = tokens[i];
		const prev = tokens[i - 1];
		if (t.type !== 'name' || isPunct(prev, '.') || isPunct(prev, '?.')) {
			continue; // `x.import`, `x?.export`: property names
		}
		if (t.value === 'import') {
			const next = tokens[i + 1];
			if (isPunct(next, '(')) {
				const spec = literal(tokens[i + 2]);
				if (spec !== undefined && (isPunct(tokens[i + 3], ')') || isPunct(tokens[i + 3], ','))) {
					found.push({ specifier: spec, kind: 'dynamic' });
				}
				continue;
			}
			if (isPunct(next, '.')) {
				continue; // import.meta
			}
			if (next !== undefined && next.type === 'string') {
				found.push({ specifier: next.value, kind: 'import' });
				continue;
			}
			// import x, { a as b }, * as ns from '…'
			let j = i + 1;
			while (j < tokens.length) {
				const u = tokens[j];
				if (isName(u, 'from') && tokens[j + 1] !== undefined && tokens[j + 1].type === 'string') {
					found.push({ specifier: tokens[j + 1].value, kind: 'import' });
					break;
				}
				if (isPunct(u, '{')) {
					j = skipBraces(tokens, j);
				} else if (isName(u) || isPunct(u, ',') || isPunct(u, '*')) {
					j += 1;
				} else {
					break;
				}
			}
		} else if (t.value === 'export') {
			let j = i + 1;
			if (isPunct(tokens[j], '*')) {
				j += 1;
				if (isName(tokens[j], 'as')) {
					j += 2;
				}
			} else if (isPunct(tokens[j], '{')) {
				j = skipBraces(tokens, j);
			} else {
				continue;
			}
			if (isName(tokens[j], 'from') && tokens[j + 1] !== undefined && tokens[j + 1].type === 'string') {
				found.push({ specifier: tokens[j + 1].value, kind: 'export' });
			}
		}
	}
	return found;
}

// ------------------------------------------------------------------------------------------------
// the graph
// ------------------------------------------------------------------------------------------------

/** The module files a path names: itself, or the .mjs/.js files below a folder (sorted). */
function modulesBelow(path) {
	const stat = statSync(path);
	if (!stat.isDirectory()) {
		return [path];
	}
	const out = [];
	for (const entry of readdirSync(path, { withFileTypes: true })) {
		const full = join(path, entry.name);
		if (entry.isDirectory()) {
			if (!SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith('.')) {
				out.push(...modulesBelow(full));
			}
		} else if (entry.isFile() && MODULE_EXTENSIONS.has(extname(entry.name))) {
			out.push(full);
		}
	}
	return out.sort();
}

/** The file a relative specifier of `from` names, or null (bare, URL, missing, not a file). */
function resolveSpecifier(from, specifier) {
	if (!specifier.startsWith('./') && !specifier.startsWith('../') && specifier !== '.' && specifier !== '..') {
		return null;
	}
	const path = resolve(dirname(from), specifier.replace(/[?#].*$/, ''));
	try {
		return statSync(path).isFile() ? realpathSync(path) : null;
	} catch {
		return null;
	}
}

/**
 * The import graph of the modules below `paths`, followed through relative imports: `{ modules,
 * edges }`, modules as absolute real paths (sorted), edges as a Map from each to the sorted files
 * it imports.
 * @param {string[]} paths
 */
export function importGraph(paths) {
	const edges = new Map();
	const queue = paths.flatMap((p) => modulesBelow(resolve(p))).map((p) => realpathSync(p));
	while (queue.length > 0) {
		const file = queue.shift();
		if (edges.has(file)) {
			continue;
		}
		const targets = new Set();
		for (const { specifier } of importsOf(readFileSync(file, 'utf8'))) {
			const target = resolveSpecifier(file, specifier);
			if (target !== null) {
				targets.add(target);
				if (!edges.has(target)) {
					queue.push(target);
				}
			}
		}
		edges.set(file, [...targets].sort());
	}
	return { modules: [...edges.keys()].sort(), edges };
}

/**
 * The elementary cycles of a graph, each as its nodes with the first repeated at the end, starting
 * at its smallest node; in sorted order, at most `max` (then `truncated` is true).
 * @param {Map<string, string[]>} edges
 * @param {number} [max]
 * @returns {{ cycles: string[][], truncated: boolean }}
 */
export function cyclesOf(edges, max = MAX_CYCLES) {
	const nodes = [...edges.keys()].sort();
	const order = new Map(nodes.map((node, k) => [node, k]));
	const cycles = [];
	let truncated = false;
	// From each start, paths through larger nodes only: each cycle is found once, from its smallest node.
	for (const start of nodes) {
		const path = [start];
		const onPath = new Set([start]);
		const walk = (node) => {
			for (const next of edges.get(node) ?? []) {
				if (cycles.length >= max) {
					truncated = true;
					return;
				}
				if (next === start) {
					cycles.push([...path, start]);
				} else if (order.get(next) > order.get(start) && !onPath.has(next) && reaches(next, start)) {
					path.push(next);
					onPath.add(next);
					walk(next);
					path.pop();
					onPath.delete(next);
				}
			}
		};
		const reachCache = new Map();
		/** Whether `from` leads back to `start` through nodes not smaller than it (prunes dead ends). */
		const reaches = (from) => {
			if (!reachCache.has(from)) {
				const seen = new Set([from]);
				const stack = [from];
				let found = false;
				while (stack.length > 0 && !found) {
					for (const next of edges.get(stack.pop()) ?? []) {
						if (next === start) {
							found = true;
							break;
						}
						if (order.get(next) > order.get(start) && !seen.has(next)) {
							seen.add(next);
							stack.push(next);
						}
					}
				}
				reachCache.set(from, found);
			}
			return reachCache.get(from);
		};
		walk(start);
		if (truncated) {
			break;
		}
	}
	return { cycles, truncated };
}

/** A cycle as text: `a.mjs -> b.mjs -> a.mjs`, paths relative to `base` with forward slashes. */
export function formatCycle(cycle, base = process.cwd()) {
	return cycle.map((file) => relative(base, file).split(sep).join('/')).join(' -> ');
}

// ------------------------------------------------------------------------------------------------
// command line
// ------------------------------------------------------------------------------------------------

function main(args) {
	if (args.length === 0 || args.includes('-h') || args.includes('--help')) {
		console.error('usage: node tests/support/import-cycles.mjs PATH...   (modules or folders of .mjs/.js files)');
		return 2;
	}
	const missing = args.filter((p) => !existsSync(p));
	if (missing.length > 0) {
		console.error(`import-cycles: no such file or folder: ${missing.join(', ')}`);
		return 2;
	}
	const { modules, edges } = importGraph(args);
	const imports = [...edges.values()].reduce((sum, targets) => sum + targets.length, 0);
	const { cycles, truncated } = cyclesOf(edges);
	for (const cycle of cycles) {
		console.log(formatCycle(cycle));
	}
	const what = `${modules.length} modules, ${imports} imports (${args.join(' ')})`;
	if (cycles.length > 0) {
		console.error(`import-cycles: ${truncated ? `more than ${cycles.length}` : cycles.length} `
			+ `import cycle${cycles.length === 1 ? '' : 's'} among ${what}`);
		return 1;
	}
	console.log(`import-cycles: no import cycle among ${what}`);
	return 0;
}

const invoked = process.argv[1] !== undefined && (() => {
	try {
		return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
	} catch {
		return false;
	}
})();
if (invoked) {
	process.exitCode = main(process.argv.slice(2));
}
