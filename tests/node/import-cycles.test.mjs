// The lint stage's import cycle check (tests/support/import-cycles.mjs): what it reads as an import,
// the cycles it finds in module trees written to a temporary folder, its command line, and the
// repository's own modules (node --test).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cyclesOf, formatCycle, importGraph, importsOf } from '../support/import-cycles.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = join(ROOT, 'tests', 'support', 'import-cycles.mjs');

const made = [];
after(() => {
	for (const dir of made) {
		rmSync(dir, { recursive: true, force: true });
	}
});

/** A fresh folder holding `files` (relative path -> text); its real path. */
function tree(files) {
	const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tcr-import-cycles-')));
	made.push(dir);
	for (const [path, text] of Object.entries(files)) {
		mkdirSync(dirname(join(dir, path)), { recursive: true });
		writeFileSync(join(dir, path), text);
	}
	return dir;
}

/** The command line run in `cwd`: `{ code, stdout, stderr }`. */
function cli(cwd, ...args) {
	const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd, encoding: 'utf8' });
	return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const specifiers = (text) => importsOf(text).map((i) => `${i.kind} ${i.specifier}`);

test('every form of a literal import is read, in source order', () => {
	const text = [
		"import a from './a.mjs';",
		"import b, { c as d, e } from \"./b.mjs\";",
		"import * as ns from './ns.mjs'",
		"import './side-effect.mjs';",
		"import {\n\tx,\n\ty,\n} from '../multi-line.mjs';",
		"export { f, g as h } from './re.mjs';",
		"export * from './star.mjs';",
		"export * as all from './star-as.mjs';",
		"const m = await import('./dynamic.mjs');",
		'const t = import(`./template.mjs`);',
		"import json from './data.json' with { type: 'json' };",
		"import from from './named-from.mjs';",
		"import fs from 'node:fs';",
	].join('\n');
	assert.deepEqual(specifiers(text), [
		'import ./a.mjs', 'import ./b.mjs', 'import ./ns.mjs', 'import ./side-effect.mjs', 'import ../multi-line.mjs',
		'export ./re.mjs', 'export ./star.mjs', 'export ./star-as.mjs', 'dynamic ./dynamic.mjs',
		'dynamic ./template.mjs', 'import ./data.json', 'import ./named-from.mjs', 'import node:fs',
	]);
});

test('quoted, commented and computed imports are not imports', () => {
	const text = [
		"// import a from './comment.mjs';",
		"/* export * from './block-comment.mjs'; */",
		"const s = \"import b from './string.mjs'\";",
		"const t = `\n import c from './template.mjs';\n ${import('./in-substitution.mjs')} `;",
		"const r = /import d from '.\\/regex.mjs'/g.test(s);",
		"const q = /[/'\"]/.source, after = import('./after-regex.mjs');",
		'const u = new URL(\'./asset.wasm\', import.meta.url);',
		'const spec = \'./computed.mjs\'; await import(spec); await import(`./${spec}`);',
		"obj.import('./method.mjs'); obj?.import('./optional.mjs');",
		'export const x = 1; export { x as y };',
		'export default function f() { return 1 / 2; }',
		"const division = 4 / 2; import('./after-division.mjs');",
	].join('\n');
	assert.deepEqual(specifiers(text), [
		'dynamic ./in-substitution.mjs', 'dynamic ./after-regex.mjs', 'dynamic ./after-division.mjs',
	]);
});

test('a cyclic tree: every cycle once, from its first file, also through a dynamic import and a folder left', () => {
	const dir = tree({
		'js/a.mjs': "import { b } from './b.mjs';\nexport const a = 1;\n",
		'js/b.mjs': "export { a } from './a.mjs';\nexport const b = 2;\n",
		'js/c.mjs': "export const c = () => import('./d.mjs');\n",
		'js/d.mjs': "import '../lib/e.mjs';\n",
		'lib/e.mjs': "import { c } from '../js/c.mjs';\n",
		'js/self.mjs': "import './self.mjs';\n",
		'js/leaf.mjs': "import { a } from './a.mjs';\nimport fs from 'node:fs';\n",
	});
	const { modules, edges } = importGraph([join(dir, 'js')]);
	assert.equal(modules.length, 7, 'the six js/ modules and lib/e.mjs, reached from them');
	const { cycles, truncated } = cyclesOf(edges);
	assert.equal(truncated, false);
	assert.deepEqual(cycles.map((c) => formatCycle(c, dir)), [
		'js/a.mjs -> js/b.mjs -> js/a.mjs',
		'js/c.mjs -> js/d.mjs -> lib/e.mjs -> js/c.mjs',
		'js/self.mjs -> js/self.mjs',
	]);

	const r = cli(dir, 'js');
	assert.equal(r.code, 1, r.stderr);
	assert.equal(r.stdout, [
		'js/a.mjs -> js/b.mjs -> js/a.mjs',
		'js/c.mjs -> js/d.mjs -> lib/e.mjs -> js/c.mjs',
		'js/self.mjs -> js/self.mjs',
		'',
	].join('\n'));
	assert.match(r.stderr, /^import-cycles: 3 import cycles among 7 modules/);
});

test('two cycles through the same files are both listed', () => {
	const dir = tree({
		'a.mjs': "import './b.mjs'; import './c.mjs';\n",
		'b.mjs': "import './a.mjs';\n",
		'c.mjs': "import './b.mjs';\n",
	});
	const r = cli(dir, '.');
	assert.equal(r.code, 1);
	assert.equal(r.stdout, 'a.mjs -> b.mjs -> a.mjs\na.mjs -> c.mjs -> b.mjs -> a.mjs\n');
});

test('an acyclic tree passes: shared imports (a diamond), dynamic imports, missing and bare specifiers', () => {
	const dir = tree({
		'js/index.mjs': "export * from './api.mjs';\nexport { view } from './view.mjs';\n",
		'js/view.mjs': "import { call } from './api.mjs';\nexport const view = () => call();\n",
		'js/api.mjs': "import * as glue from '../pkg/glue.js';\nimport { LIMITS } from './facts.mjs';\n"
			+ "export const call = () => import('./facts.mjs');\n",
		'js/facts.mjs': "export const LIMITS = {};\nconst text = \"import './index.mjs'\";\n",
		'pkg/glue.js': "import x from 'some-package';\nimport './missing.js';\nexport default x;\n",
	});
	const { modules, edges } = importGraph([join(dir, 'js')]);
	assert.equal(modules.length, 5);
	assert.deepEqual(cyclesOf(edges).cycles, []);
	const r = cli(dir, 'js');
	assert.equal(r.code, 0, r.stdout);
	assert.equal(r.stdout, 'import-cycles: no import cycle among 5 modules, 5 imports (js)\n');
});

test('the command line refuses no path and a missing path', () => {
	const dir = tree({ 'a.mjs': '' });
	assert.equal(cli(dir).code, 2);
	const r = cli(dir, 'nowhere');
	assert.equal(r.code, 2);
	assert.match(r.stderr, /no such file or folder: nowhere/);
});

test('the bridge\'s own modules import each other without a cycle', () => {
	const r = cli(ROOT, 'js', 'playground', 'bench', 'examples');
	assert.equal(r.code, 0, r.stdout + r.stderr);
	const { edges } = importGraph([join(ROOT, 'js')]);
	const index = realpathSync(join(ROOT, 'js', 'index.mjs'));
	for (const [file, targets] of edges) {
		assert.ok(!targets.includes(index), `${file} imports js/index.mjs, the entry point`);
	}
});

test('the list of cycles stops at its limit and says so', () => {
	const nodes = ['a', 'b', 'c', 'd', 'e'];
	const edges = new Map(nodes.map((n) => [n, nodes.filter((m) => m !== n)]));
	assert.equal(cyclesOf(edges).cycles.length, 84, 'every elementary cycle of a complete graph of 5');
	const { cycles, truncated } = cyclesOf(edges, 3);
	assert.equal(truncated, true);
	assert.deepEqual(cycles, [['a', 'b', 'a'], ['a', 'b', 'c', 'a'], ['a', 'b', 'c', 'd', 'a']]);
});
