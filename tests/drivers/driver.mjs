// The JS host driver, shared by Node (tests/drivers/node.mjs) and headless Chromium
// (tests/browser/page.mjs): runs every step of every conformance vector through the bridge and
// records what it got, one transcript line per step. It judges nothing: `cargo xtask check`
// (xtask/src/check.rs) is the one matcher for every host. Browser-safe: no Node imports.
//
// Transcript lines (xtask/src/transcript.rs):
//   { file, case, step, outcome, state[, inputChanged] }   a request: the outcome, and the state
//                                                          after apply(state, outcome.mutations)
//   { file, case, step, fixture }                           a fixture step applied
//   { file, case, step, error } / { file, case, error }     the step / the case could not run

/** JSON deep clone (vectors are plain JSON). */
export function clone(value) {
	return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** The steps of a case (a single-step case is one step). */
export function caseSteps(c) {
	return Array.isArray(c.steps) ? c.steps : [{ request: c.request, expect: c.expect }];
}

function show(v) {
	const s = JSON.stringify(v);
	return s === undefined ? String(v) : s;
}

/**
 * Applies a fixture step of the contract to a copy of the running state.
 * @throws {Error} for an unknown fixture or a row that does not exist
 */
export function applyFixture(state, step) {
	const s = clone(state);
	const list = (key) => {
		if (!Array.isArray(s[key])) {
			s[key] = [];
		}
		return s[key];
	};
	const find = (key, idField, id) => {
		const row = list(key).find((x) => x && x[idField] === id);
		if (!row) {
			throw new Error(`no ${key === 'sessions' ? 'session' : 'attendee'} ${show(id)}`);
		}
		return row;
	};
	const merge = (key) => {
		s[key] = { ...(s[key] && typeof s[key] === 'object' ? s[key] : {}), ...clone(step.set) };
	};
	switch (step.fixture) {
	case 'addSession': list('sessions').push(clone(step.session)); break;
	case 'addAttendee': list('attendees').push(clone(step.attendee)); break;
	case 'removeSession':
		find('sessions', 'sessionId', step.sessionId);
		s.sessions = s.sessions.filter((x) => x.sessionId !== step.sessionId);
		break;
	case 'removeAttendee':
		find('attendees', 'attendeeId', step.attendeeId);
		s.attendees = s.attendees.filter((x) => x.attendeeId !== step.attendeeId);
		s.sessions = list('sessions').filter((x) => x.attendeeId !== step.attendeeId);
		break;
	case 'setRoom': merge('room'); break;
	case 'setConfig': merge('config'); break;
	case 'setAttendee': Object.assign(find('attendees', 'attendeeId', step.attendeeId), clone(step.set)); break;
	case 'ping': find('sessions', 'sessionId', step.sessionId).lastPing = step.at; break;
	default: throw new Error(`unknown fixture ${show(step.fixture)}`);
	}
	return s;
}

function isOutcome(v) {
	return v !== null && typeof v === 'object' && typeof v.status === 'number' && 'reason' in v && !('room' in v);
}

/**
 * Runs one case; returns its transcript lines.
 * @param {{ evaluate: Function, apply: Function }} api the bridge's object API
 */
function driveCase(api, file, index, c) {
	const lines = [];
	const at = (step) => ({ file, case: index, step });
	if (c === null || typeof c !== 'object' || c.state === undefined) {
		return [{ file, case: index, error: 'the case has no state' }];
	}
	let state = clone(c.state);
	const steps = caseSteps(c);
	for (let i = 0; i < steps.length; i++) {
		const step = steps[i];
		if (step.fixture !== undefined) {
			try {
				state = applyFixture(state, step);
			} catch (e) {
				lines.push({ ...at(i + 1), error: `fixture ${step.fixture}: ${e.message}` });
				break;
			}
			lines.push({ ...at(i + 1), fixture: step.fixture });
			continue;
		}
		const before = JSON.stringify(state);
		const outcome = api.evaluate(step.request, state);
		const mutations = outcome && Array.isArray(outcome.mutations) ? outcome.mutations : [];
		const next = api.apply(state, mutations);
		if (isOutcome(next)) {
			lines.push({ ...at(i + 1), error: `apply refused the outcome's mutations: ${show(next.data)}` });
			break;
		}
		const line = { ...at(i + 1), outcome, state: next };
		if (JSON.stringify(state) !== before) {
			line.inputChanged = true;
		}
		lines.push(line);
		state = next;
	}
	return lines;
}

/**
 * Fetches vector files in a page (`files[].url`): each parsed, or with the `error` the checker
 * reports for it.
 * @param {{ file: string, url: string }[]} files
 * @returns {Promise<{ file: string, cases?: unknown[], error?: string }[]>}
 */
export async function fetchVectorFiles(files) {
	const loaded = [];
	for (const { file, url } of files) {
		try {
			const response = await fetch(url);
			if (!response.ok) {
				throw new Error(`HTTP ${response.status} for ${url}`);
			}
			loaded.push({ file, cases: await response.json() });
		} catch (e) {
			loaded.push({ file, error: `cannot fetch: ${e.message}` });
		}
	}
	return loaded;
}

/**
 * Runs every case of the parsed files and hands each transcript line to `write`.
 * @param {{ evaluate: Function, apply: Function, recover?: () => Promise<unknown> }} api
 * @param {{ file: string, cases?: unknown[], error?: string }[]} files
 * @param {(line: object) => void} write
 */
export async function drive(api, files, write) {
	for (const { file, cases } of files) {
		if (!Array.isArray(cases)) {
			continue; // the checker reports files it cannot read itself
		}
		for (let index = 0; index < cases.length; index++) {
			let lines;
			try {
				lines = driveCase(api, file, index, cases[index]);
			} catch (e) {
				lines = [{ file, case: index, error: `threw ${e && e.name}: ${e && e.message}` }];
				if (api.recover) {
					await api.recover(); // re-instantiate after a trap so the other cases still run
				}
			}
			lines.forEach(write);
		}
	}
}
