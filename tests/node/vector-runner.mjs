// Conformance-vector runner shared by the Node tests, tests/node/run-vectors.mjs and the Chromium page.
// Browser-safe: no Node imports here. Callers read the files and pass the parsed cases in.
//
// Matching rules: ../../../shared/CONTRACT.md, "Conformance vectors".

const EXPECT_KEYS = new Set(['status', 'data', 'message', 'reason', 'state', 'peers', 'effects', 'noEffects', 'mutations']);

/** JSON deep clone (vectors are plain JSON). */
export function clone(value) {
	return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function isPlainObject(v) {
	return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep equality with JSON semantics (an `undefined` property counts as absent). */
export function deepEqual(a, b) {
	if (a === b) {
		return true;
	}
	if (typeof a === 'number' && typeof b === 'number') {
		return Number.isNaN(a) && Number.isNaN(b);
	}
	if (Array.isArray(a) || Array.isArray(b)) {
		if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) {
			return false;
		}
		return a.every((x, i) => deepEqual(x, b[i]));
	}
	if (isPlainObject(a) && isPlainObject(b)) {
		const ka = Object.keys(a).filter((k) => a[k] !== undefined);
		const kb = Object.keys(b).filter((k) => b[k] !== undefined);
		if (ka.length !== kb.length) {
			return false;
		}
		return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
	}
	return false;
}

/** Short JSON for messages. */
export function show(value, max = 300) {
	let s;
	try {
		s = value === undefined ? 'undefined' : JSON.stringify(value);
	} catch {
		s = String(value);
	}
	if (s === undefined) {
		s = String(value);
	}
	return s.length > max ? `${s.slice(0, max)}…` : s;
}

class FixtureError extends Error {}

/**
 * Applies a fixture step to a (cloned) running state and returns it.
 * @throws {Error} on an unknown fixture or a row that does not exist.
 */
export function applyFixture(state, step) {
	const s = clone(state);
	const list = (key) => {
		if (!Array.isArray(s[key])) {
			s[key] = [];
		}
		return s[key];
	};
	const findSession = (id) => {
		const row = list('sessions').find((x) => x && x.sessionId === id);
		if (!row) {
			throw new FixtureError(`fixture ${step.fixture}: no session ${show(id)}`);
		}
		return row;
	};
	const findAttendee = (id) => {
		const row = list('attendees').find((x) => x && x.attendeeId === id);
		if (!row) {
			throw new FixtureError(`fixture ${step.fixture}: no attendee ${show(id)}`);
		}
		return row;
	};
	switch (step.fixture) {
	case 'addSession':
		list('sessions').push(clone(step.session));
		break;
	case 'removeSession':
		findSession(step.sessionId);
		s.sessions = s.sessions.filter((x) => x.sessionId !== step.sessionId);
		break;
	case 'addAttendee':
		list('attendees').push(clone(step.attendee));
		break;
	case 'removeAttendee':
		findAttendee(step.attendeeId);
		s.attendees = s.attendees.filter((x) => x.attendeeId !== step.attendeeId);
		s.sessions = list('sessions').filter((x) => x.attendeeId !== step.attendeeId);
		break;
	case 'setRoom':
		s.room = { ...(s.room || {}), ...clone(step.set) };
		break;
	case 'setAttendee':
		Object.assign(findAttendee(step.attendeeId), clone(step.set));
		break;
	case 'setConfig':
		s.config = { ...(s.config || {}), ...clone(step.set) };
		break;
	case 'ping':
		findSession(step.sessionId).lastPing = step.at;
		break;
	default:
		throw new FixtureError(`unknown fixture ${show(step.fixture)}`);
	}
	return s;
}

function sameSet(a, b) {
	if (!Array.isArray(a) || !Array.isArray(b)) {
		return false;
	}
	const sa = new Set(a.map((x) => JSON.stringify(x)));
	const sb = new Set(b.map((x) => JSON.stringify(x)));
	return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** Does one actual effect match a partial expected effect? */
export function effectMatches(actual, expected) {
	if (!isPlainObject(actual)) {
		return false;
	}
	return Object.keys(expected).every((k) => {
		if (k === 'attendeeIds') {
			return sameSet(actual[k], expected[k]);
		}
		return deepEqual(actual[k], expected[k]);
	});
}

function peerKey(p) {
	return JSON.stringify([p && p.actorType, p && p.actorId, p && p.sessionId]);
}

function compareRows(diffs, label, rows, idField, expectedRows) {
	const actualRows = Array.isArray(rows) ? rows : [];
	for (const [id, want] of Object.entries(expectedRows || {})) {
		const row = actualRows.find((r) => r && String(r[idField]) === id);
		if (want === null) {
			if (row) {
				diffs.push(`state.${label}[${id}]: expected no row, got ${show(row)}`);
			}
			continue;
		}
		if (!row) {
			diffs.push(`state.${label}[${id}]: row missing`);
			continue;
		}
		for (const [k, v] of Object.entries(want)) {
			if (!deepEqual(row[k], v)) {
				diffs.push(`state.${label}[${id}].${k}: expected ${show(v)}, got ${show(row[k])}`);
			}
		}
	}
}

function compareObject(diffs, label, actual, want) {
	if (!isPlainObject(actual)) {
		diffs.push(`state.${label}: missing in the new state`);
		return;
	}
	for (const [k, v] of Object.entries(want || {})) {
		if (!deepEqual(actual[k], v)) {
			diffs.push(`state.${label}.${k}: expected ${show(v)}, got ${show(actual[k])}`);
		}
	}
}

/**
 * Compares an outcome (and the state after applying its mutations) with an `expect` object.
 * @returns {string[]} differences (empty when it matches)
 */
export function compareExpect(outcome, newState, expect) {
	const diffs = [];
	for (const key of Object.keys(expect)) {
		if (!EXPECT_KEYS.has(key)) {
			diffs.push(`unknown expect key ${show(key)}`);
		}
	}
	if (!isPlainObject(outcome)) {
		diffs.push(`outcome is not an object: ${show(outcome)}`);
		return diffs;
	}
	if (!('status' in expect)) {
		diffs.push('expect.status missing (required)');
	} else if (outcome.status !== expect.status) {
		diffs.push(`status: expected ${expect.status}, got ${show(outcome.status)} (reason ${show(outcome.reason)}, data ${show(outcome.data)})`);
	}
	if ('data' in expect && !deepEqual(outcome.data, expect.data)) {
		diffs.push(`data: expected ${show(expect.data)}, got ${show(outcome.data)}`);
	}
	for (const key of ['message', 'reason']) {
		if (key in expect && outcome[key] !== expect[key]) {
			diffs.push(`${key}: expected ${show(expect[key])}, got ${show(outcome[key])}`);
		}
	}
	const mutations = outcome.mutations === undefined ? [] : outcome.mutations;
	if ('mutations' in expect) {
		if (expect.mutations === 'none') {
			if (!Array.isArray(mutations) || mutations.length !== 0) {
				diffs.push(`mutations: expected none, got ${show(mutations)}`);
			}
		} else if (!deepEqual(mutations, expect.mutations)) {
			diffs.push(`mutations: expected ${show(expect.mutations)}, got ${show(mutations)}`);
		}
	}
	if ('peers' in expect) {
		if (!Array.isArray(outcome.data)) {
			diffs.push(`peers: data is not a list: ${show(outcome.data)}`);
		} else {
			const got = outcome.data.map(peerKey).sort();
			const want = (expect.peers || []).map(peerKey).sort();
			if (!deepEqual(got, want)) {
				diffs.push(`peers: expected ${show(expect.peers)}, got ${show(outcome.data.map((p) => ({ actorType: p.actorType, actorId: p.actorId, sessionId: p.sessionId })))}`);
			}
		}
	}
	const effects = Array.isArray(outcome.effects) ? outcome.effects : [];
	if ('effects' in expect) {
		for (const want of expect.effects || []) {
			if (!effects.some((e) => effectMatches(e, want))) {
				diffs.push(`effects: no effect matches ${show(want)}; got ${show(effects)}`);
			}
		}
	}
	if ('noEffects' in expect) {
		for (const type of expect.noEffects || []) {
			if (effects.some((e) => e && e.type === type)) {
				diffs.push(`noEffects: unexpected ${show(type)} effect in ${show(effects)}`);
			}
		}
	}
	if ('state' in expect) {
		const want = expect.state || {};
		for (const [key, value] of Object.entries(want)) {
			if (key === 'sessions') {
				compareRows(diffs, 'sessions', newState && newState.sessions, 'sessionId', value);
			} else if (key === 'attendees') {
				compareRows(diffs, 'attendees', newState && newState.attendees, 'attendeeId', value);
			} else {
				compareObject(diffs, key, newState && newState[key], value);
			}
		}
	}
	return diffs;
}

function isBadInputOutcome(value) {
	return isPlainObject(value) && typeof value.status === 'number' && 'reason' in value && !('room' in value);
}

function describeRequest(request) {
	if (!isPlainObject(request)) {
		return show(request, 60);
	}
	return `${request.method} ${request.path}`;
}

/** The steps of a case (a single-step case is one step). */
export function caseSteps(c) {
	if (Array.isArray(c.steps)) {
		return c.steps;
	}
	return [{ request: c.request, expect: c.expect }];
}

/**
 * Runs one case.
 * @param {{evaluate: Function, apply: Function}} api object API (objects in, objects out)
 * @param {object} c the case
 * @param {{onStep?: Function}} [options] onStep({ index, request, state, outcome, newState }) is called per evaluated step
 * @returns {{ ok: boolean, step?: number, diffs: string[] }}
 */
export function runCase(api, c, options = {}) {
	let state = clone(c.state);
	const steps = caseSteps(c);
	for (let i = 0; i < steps.length; i++) {
		const step = steps[i];
		const at = `step ${i + 1}/${steps.length}`;
		try {
			if (step.fixture !== undefined) {
				state = applyFixture(state, step);
				continue;
			}
			const before = JSON.stringify(state);
			const outcome = api.evaluate(step.request, state);
			if (JSON.stringify(state) !== before) {
				return { ok: false, step: i + 1, diffs: [`${at} (${describeRequest(step.request)}): evaluate modified its input state`] };
			}
			const mutations = isPlainObject(outcome) && Array.isArray(outcome.mutations) ? outcome.mutations : [];
			const newState = api.apply(state, mutations);
			if (JSON.stringify(state) !== before) {
				return { ok: false, step: i + 1, diffs: [`${at} (${describeRequest(step.request)}): apply modified its input state`] };
			}
			if (isBadInputOutcome(newState)) {
				return { ok: false, step: i + 1, diffs: [`${at} (${describeRequest(step.request)}): apply(state, mutations) refused: ${show(newState.data)}; mutations ${show(mutations)}`] };
			}
			if (options.onStep) {
				options.onStep({ index: i, request: step.request, state, outcome, newState });
			}
			const diffs = compareExpect(outcome, newState, step.expect || {});
			if (diffs.length > 0) {
				return { ok: false, step: i + 1, diffs: diffs.map((d, n) => (n === 0 ? `${at} (${describeRequest(step.request)}): ${d}` : d)) };
			}
			state = newState;
		} catch (e) {
			if (e && e.name === 'TalkCallRulesError') {
				throw e;
			}
			const what = e instanceof FixtureError ? e.message : `threw ${e && e.name ? e.name : 'error'}: ${e && e.message ? e.message : String(e)}`;
			return { ok: false, step: i + 1, diffs: [`${at}: ${what}`] };
		}
	}
	return { ok: true, diffs: [] };
}

/** Map of skipped case name -> reason, from the parsed tests/vector-skips.json. */
export function skipMap(skips) {
	const map = new Map();
	for (const s of Array.isArray(skips) ? skips : []) {
		if (s && typeof s.name === 'string') {
			map.set(s.name, typeof s.reason === 'string' ? s.reason : 'skipped');
		}
	}
	return map;
}

/** One failure line: file, case name, step, what differed. */
export function failureLine(file, name, result) {
	return `FAIL ${file} :: ${name} :: ${result.diffs.join(' | ')}`;
}

/**
 * Runs parsed vector files.
 * @param {{evaluate: Function, apply: Function, recover?: () => Promise<boolean>}} api
 * @param {{file: string, cases: unknown}[]} files
 * @param {{skips?: unknown, log?: (line: string) => void}} [options]
 * @returns {Promise<{passed: number, failed: number, skipped: number, lines: string[]}>}
 */
export async function runFiles(api, files, options = {}) {
	const skips = skipMap(options.skips);
	const log = options.log || (() => {});
	const out = { passed: 0, failed: 0, skipped: 0, lines: [] };
	const emit = (line) => {
		out.lines.push(line);
		log(line);
	};
	for (const { file, cases, error } of files) {
		if (error || !Array.isArray(cases)) {
			out.failed++;
			emit(`FAIL ${file} :: (file) :: ${error || 'not a JSON array of cases'}`);
			continue;
		}
		for (const c of cases) {
			const name = c && typeof c.name === 'string' ? c.name : '(unnamed case)';
			if (skips.has(name)) {
				out.skipped++;
				emit(`SKIP ${file} :: ${name} :: ${skips.get(name)}`);
				continue;
			}
			let result;
			try {
				result = runCase(api, c);
			} catch (e) {
				result = { ok: false, diffs: [`${e.code || e.name}: ${e.message}`] };
				if (api.recover) {
					await api.recover();
				}
			}
			if (result.ok) {
				out.passed++;
			} else {
				out.failed++;
				emit(failureLine(file, name, result));
			}
		}
	}
	return out;
}

/** The contract's last line. */
export function summaryLine(passed, failed) {
	return `${passed} passed, ${failed} failed`;
}
