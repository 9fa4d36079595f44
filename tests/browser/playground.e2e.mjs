#!/usr/bin/env node
// End-to-end tests of the playground page (playground/) in headless Chromium.
// Usage: node tests/browser/playground.e2e.mjs [--update-docs] [--headed-debug]
//
// Debian's /usr/bin/chromium (or $CHROMIUM) is driven by playwright-core; no browser is downloaded.
// The repository root is served by tests/browser/serve.mjs on a free localhost port.
// Prints "ok - NAME" / "FAIL - NAME: why" per check and ends with exactly "N passed, M failed".
// Screenshots: tests/artifacts/playground.png (full page, after ringing in the group preset) and
// tests/artifacts/playground-final.png; docs/playground.png (the 1280×800 viewport of the first one,
// as a 256-colour PNG) is written when it is missing or with --update-docs.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TIMEOUT_MS, launchChromium } from './chromium.mjs';
import { startServer, ROOT } from './serve.mjs';
import { toPalettePng } from './png-palette.mjs';

const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
const DOCS_SHOT = join(ROOT, 'docs', 'playground.png');
const UPDATE_DOCS = process.argv.includes('--update-docs');

const results = [];
const problems = [];

function assert(cond, message) {
	if (!cond) {
		throw new Error(message);
	}
}

function assertIncludes(haystack, needle, what) {
	assert(String(haystack).includes(needle), `${what}: expected to contain ${JSON.stringify(needle)}, got ${JSON.stringify(haystack)}`);
}

function assertEqual(actual, expected, what) {
	assert(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

async function check(name, fn) {
	try {
		await fn();
		results.push({ name, ok: true });
		console.log(`ok - ${name}`);
	} catch (e) {
		results.push({ name, ok: false });
		console.log(`FAIL - ${name}: ${(e && e.message ? e.message : String(e)).split('\n')[0]}`);
	}
}

const timer = setTimeout(() => {
	console.error(`playground.e2e: timed out after ${TIMEOUT_MS} ms`);
	process.exit(2);
}, TIMEOUT_MS);

const server = await startServer();
let browser;
let exitCode = 1;
try {
	browser = await launchChromium();
	const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
	page.setDefaultTimeout(10000);
	page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning') {
			problems.push(`console ${m.type()}: ${m.text()}`);
		}
	});
	page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
	const wasmResponses = [];
	page.on('response', (r) => {
		if (r.url().endsWith('.wasm')) {
			wasmResponses.push({ url: r.url(), type: r.headers()['content-type'], status: r.status() });
		}
	});

	const tid = (id) => page.locator(`[data-testid="${id}"]`);
	const text = async (id) => (await tid(id).innerText()).trim();
	const preset = async (id) => {
		await tid('preset').selectOption(id);
		await tid('reset').click(); // a fresh copy, whatever happened before
		assertEqual(await tid('preset').inputValue(), id, 'preset');
	};
	const actAs = async (key) => {
		await tid(`actor-${key}`).check();
	};
	const click = async (id) => {
		const before = await page.evaluate(() => document.getElementById('history').children.length);
		await tid(id).click();
		await page.waitForFunction((n) => document.getElementById('history').children.length !== n || n >= 30, before);
	};
	const outcome = async () => ({
		status: await text('outcome-status'),
		reason: await text('outcome-reason'),
		explanation: await text('outcome-explanation'),
		ocs: JSON.parse(await text('outcome-ocs')),
		mutations: await text('outcome-mutations'),
		effects: await text('outcome-effects'),
	});
	const enabled = async (id) => tid(id).isEnabled();

	await check('page loads, instantiates the module and shows the version', async () => {
		await page.goto(`${server.url}/playground/`);
		await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
		assert(/^talk-call-rules \d+\.\d+\.\d+ · Talk API v4 · parity talk-18$/.test(await text('version')), `version line: ${await text('version')}`);
		assert(wasmResponses.some((r) => r.status === 200 && r.type === 'application/wasm' && r.url.endsWith('/pkg/talk_call_rules_bg.wasm')),
			`the optimised module is fetched from /pkg/ as application/wasm: ${JSON.stringify(wasmResponses)}`);
		assertEqual((await tid('preset').locator('option').allInnerTexts()).length, 7, 'number of presets');
		assertEqual(await text('clock-now'), '1700000000', 'clock');
		assert(await tid('outcome-empty').isVisible(), 'no outcome before the first click');
	});

	await check('group, the owner with a session: Join is enabled and starts the call (200, callFlag 7, activeSince set)', async () => {
		await preset('group');
		await actAs(1);
		assert(await enabled('action-join'), 'Join enabled');
		assertEqual(await text('action-join-status'), '200 ok', 'join answer');
		assertEqual(await text('action-join-explanation'), 'The server would accept this request.', 'join explanation');
		assertEqual(await text('action-leave-status'), '200 ok', 'leave answer (not in call: still 200)');
		assertEqual(await text('action-update-status'), '400 not-in-call', 'update flags answer');
		assertEqual(await text('in-call'), 'nobody', 'nobody in call before');
		await click('action-join');
		const o = await outcome();
		assertEqual(o.status, '200', 'status');
		assertEqual(o.reason, 'ok', 'reason');
		assertEqual(o.ocs.ocs.meta.statuscode, 200, 'ocs statuscode');
		assertEqual(o.ocs.ocs.meta.status, 'ok', 'ocs status');
		assertIncludes(o.effects, '"type":"notifyCallStarted"', 'effects');
		assertIncludes(o.mutations, '"op":"updateRoom"', 'mutations');
		assertIncludes(await text('in-call'), 'Alice (owner)', 'in call');
		assert((await text('room-callflag')).startsWith('7 · in call, audio, video'), `callFlag: ${await text('room-callflag')}`);
		assertIncludes(await text('room-activesince'), '1700000000', 'activeSince');
		assertIncludes(await text('summary-in-call'), 'Alice (owner)', 'summary: in call');
		assert((await text('summary-callflag')).startsWith('7'), 'summary: callFlag');
		assert((await text('session-incall-alice-s1')).startsWith('7'), 'alice-s1 inCall 7');
		assertEqual(await text('action-join-status'), '200 ok', 'join again (same flags) still ok');
		assertEqual(await text('action-update-status'), '200 ok', 'update flags now ok');
	});

	await check('group, a plain user: Ring the owner answers target-in-call (200, nothing sent); Ring Carol rings', async () => {
		// continues from the previous check: Alice is in the call
		await actAs(3);
		assertEqual(await text('action-ring-1-status'), '400 not-in-call', 'Bob is not in the call yet');
		assertEqual(await text('action-ring-1-explanation'), 'You are not in the call.', 'ring explanation');
		assert(!(await enabled('action-ring-1')), 'ring disabled');
		await click('action-join');
		assertEqual((await outcome()).status, '200', 'Bob joins');
		assertIncludes(await text('in-call'), 'Bob', 'Bob in call');
		assertEqual(await text('action-ring-1-status'), '200 target-in-call', 'ring owner');
		assertIncludes(await text('action-ring-1-explanation'), 'already in the call', 'ring owner explanation');
		assert(!(await enabled('action-ring-1')), 'a no-op ring is not offered');
		await tid('send-anyway').check();
		await click('action-ring-1');
		let o = await outcome();
		assertEqual(o.status, '200', 'ring owner status');
		assertEqual(o.reason, 'target-in-call', 'ring owner reason');
		assertEqual(o.effects, 'none', 'nothing is sent to a participant in the call');
		await tid('send-anyway').uncheck();
		assert(await enabled('action-ring-4'), 'ring Carol enabled');
		await click('action-ring-4');
		o = await outcome();
		assertEqual(o.status, '200', 'ring Carol status');
		assertEqual(o.reason, 'ok', 'ring Carol reason');
		assertIncludes(o.effects, '{"type":"ring","attendeeId":4}', 'ring effect');
		mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: join(ARTIFACTS, 'playground.png'), fullPage: true });
		if (UPDATE_DOCS || !existsSync(DOCS_SHOT)) {
			mkdirSync(join(ROOT, 'docs'), { recursive: true });
			// 256 colours keep the committed README picture small (about a third of the RGB file).
			writeFileSync(DOCS_SHOT, toPalettePng(await page.screenshot()));
			console.error(`playground.e2e: wrote ${DOCS_SHOT} (${statSync(DOCS_SHOT).size} B)`);
		}
	});

	await check('group: the owner leaves last, the call ends (nobody in call, callFlag 0, activeSince null)', async () => {
		await click('action-leave'); // Bob leaves
		assertEqual((await outcome()).status, '200', 'Bob leaves');
		assertIncludes(await text('room-activesince'), '1700000000', 'the call still runs');
		await actAs(1);
		await click('action-leave');
		const o = await outcome();
		assertEqual(o.status, '200', 'Alice leaves');
		assertIncludes(o.effects, '"message":"call_ended"', 'call_ended message');
		assertEqual(await text('in-call'), 'nobody', 'nobody in call');
		assertEqual(await text('room-activesince'), 'null (no call)', 'activeSince');
		assertEqual(await text('room-callflag'), '0 · not in call', 'callFlag');
	});

	await check('lobby, a user: Join is disabled with the lobby explanation and clicking it does nothing', async () => {
		await preset('lobby');
		await actAs(3);
		assert(!(await enabled('action-join')), 'Join disabled');
		assertEqual(await tid('action-join').getAttribute('data-allowed'), 'false', 'data-allowed');
		assertEqual(await text('action-join-status'), '412 lobby', 'join answer');
		assertEqual(await text('action-join-explanation'), 'The lobby is active and you are not a moderator.', 'visible explanation');
		const historyBefore = await text('history');
		await tid('action-join').click({ force: true }); // a real click on the disabled button
		await page.waitForTimeout(200);
		assert(await tid('outcome-empty').isVisible(), 'no outcome appeared');
		assertEqual(await text('history'), historyBefore, 'no request was sent');
		assertEqual(await text('in-call'), 'nobody', 'nobody in call');
		await actAs(4); // Lena has the "ignore lobby" permission
		assert(await enabled('action-join'), 'Lena may join');
		await actAs(2);
		assert(await enabled('action-join'), 'the moderator may join');
	});

	await check('SIP: Dial out answers 201 with a dialOut effect when signaling is external; 501 with internal', async () => {
		await preset('sip');
		await actAs(1);
		assertEqual(await text('action-dialout-4-status'), '400 no-call', 'no call yet');
		await click('action-join');
		assertEqual((await outcome()).status, '200', 'join');
		assert(await enabled('action-dialout-4'), 'dial out enabled');
		await click('action-dialout-4');
		const o = await outcome();
		assertEqual(o.status, '201', 'status');
		assertEqual(o.ocs.ocs.meta.statuscode, 201, 'ocs statuscode');
		assertIncludes(o.effects, '"type":"dialOut","attendeeId":4,"number":"+491601231212"', 'dialOut effect');
		await tid('cfg-signaling').selectOption('internal');
		assertEqual(await text('action-dialout-4-status'), '501 dial-out-unavailable', 'internal signaling');
		assert(!(await enabled('action-dialout-4')), 'dial out disabled');
	});

	await check('read-only: Join answers 403 read-only; the last one in the call leaves and the call ends', async () => {
		await preset('read-only');
		await actAs(1);
		assertEqual(await text('action-join-status'), '403 read-only', 'join answer');
		assertIncludes(await text('action-join-explanation'), 'read-only', 'explanation');
		assert(!(await enabled('action-join')), 'join disabled');
		await tid('send-anyway').check();
		await click('action-join');
		let o = await outcome();
		assertEqual(o.status, '403', 'status');
		assertEqual(o.reason, 'read-only', 'reason');
		assertEqual(o.ocs.ocs.meta.status, 'failure', 'ocs status');
		assertEqual(o.mutations, 'none', 'no mutations');
		await tid('send-anyway').uncheck();
		assertIncludes(await text('in-call'), 'Bob', 'Bob still in the call');
		await actAs(2);
		assert(await enabled('action-leave'), 'leave enabled');
		await click('action-leave');
		o = await outcome();
		assertEqual(o.status, '200', 'leave status');
		assertEqual(await text('in-call'), 'nobody', 'nobody in call');
		assertEqual(await text('room-activesince'), 'null (no call)', 'activeSince null');
	});

	await check('recording consent: Join needs the consent toggle; with it the join stores the consent', async () => {
		await preset('recording-consent');
		await actAs(1);
		assertEqual(await text('action-join-status'), '400 consent', 'join without consent');
		assert(!(await enabled('action-join')), 'disabled');
		await tid('join-consent').check();
		assertEqual(await text('action-join-status'), '200 ok', 'join with consent');
		assert(await enabled('action-join'), 'enabled');
		await click('action-join');
		const o = await outcome();
		assertEqual(o.status, '200', 'status');
		assertIncludes(o.effects, '"type":"storeRecordingConsent"', 'consent stored');
	});

	await check('session toggle and stranger: no session answers no-session, a new session may join; a stranger gets 404', async () => {
		await preset('group');
		await actAs(4); // Carol has no session
		assertEqual(await text('action-join-status'), '404 no-session', 'Carol without a session');
		await tid('session-4').check();
		assertEqual(await text('action-join-status'), '200 ok', 'Carol with a session');
		assertIncludes(await text('actor-json'), '"sessionId":"carol-s', 'actor carries the session');
		await actAs('stranger');
		assertEqual(await text('action-join-status'), '404 not-found', 'stranger');
		assertIncludes(await text('action-join-explanation'), 'not a participant', 'stranger explanation');
	});

	await check('clock: +5 min makes sessions stale; fresh ping makes them fresh again', async () => {
		await preset('group');
		await tid('clock-300').click();
		assertEqual(await text('clock-now'), '1700000300', 'clock advanced');
		assertIncludes(await tid('session-row-alice-s1').innerText(), 'stale', 'stale');
		await tid('fresh-ping').click();
		assertIncludes(await tid('session-row-alice-s1').innerText(), 'fresh', 'fresh');
		assertIncludes(await tid('session-row-alice-s1').innerText(), '1700000300', 'lastPing = now');
	});

	await check('every preset renders 2–6 attendees without errors from allowedActions', async () => {
		const ids = await tid('preset').locator('option').evaluateAll((os) => os.map((o) => o.value));
		for (const id of ids) {
			await preset(id);
			const n = await page.locator('[data-testid^="attendee-row-"]').count();
			assert(n >= 2 && n <= 6, `${id}: ${n} attendees`);
			assertEqual(await tid('actions-error').count(), 0, `${id}: allowedActions error`);
		}
		await preset('sip');
		await page.screenshot({ path: join(ARTIFACTS, 'playground-final.png'), fullPage: true });
	});

	await check('API view: what the caller\'s browser holds, and which decisions stateFromTalk can not settle', async () => {
		await preset('group');
		await actAs(5); // Dave's own permissions lack "start call"
		assertEqual(await text('api-view-conversation-status'), '200', 'the conversation is fetched');
		assertEqual(await text('api-view-participants-status'), '200', 'the participant list is fetched');
		assertEqual(await page.locator('[data-testid^="api-view-participant-"]').count(), 5, 'listed participants');
		assertIncludes(await text('api-view-conversation'), 'canStartCall: false', 'the server tells Dave he may not start calls');
		assertEqual(await text('api-view-join-answer'), '403 cannot-start-call', 'join from the view');
		assertEqual(await text('api-view-join-rows'), '403 cannot-start-call', 'join from the rows');
		assertEqual(await text('api-view-join-certainty'), 'uncertain: other-sessions-ping',
			'a session the list does not show could be in the call');
		assertEqual(await text('api-view-leave-certainty'), 'certain', 'leave');
		assertIncludes(await text('api-view-summary'), 'depend on what the browser can not see', 'summary');
		await actAs(1);
		await click('action-join'); // Alice starts the call; her fresh in-call session is listed
		await actAs(5);
		assertEqual(await text('api-view-join-answer'), '200 ok', 'Dave may join the running call');
		assertEqual(await text('api-view-join-certainty'), 'certain', 'certain once somebody is visibly in the call');
		assertEqual(await text('api-view-join-rows'), '200 ok', 'the rows agree');

		await preset('public');
		await actAs(4); // Gina is a guest
		assertEqual(await text('api-view-participants-status'), '403 guests get no list', 'guests get no participant list');
		assertEqual(await page.locator('[data-testid^="api-view-decision-ring-"]').count(), 0, 'no ring targets without a list');
		await actAs('stranger');
		assertEqual(await text('api-view-conversation-status'), '200', 'a public conversation shows its basics to a stranger');
		assertEqual(await text('api-view-join-answer'), '404 not-found', 'a stranger is not a participant');
		assertEqual(await text('api-view-join-certainty'), 'certain', 'certainly not');

		await preset('sip');
		await actAs(1);
		await click('action-join');
		assertEqual(await text('api-view-dialout-4-answer'), '201 ok', 'dial-out from the view');
		assertEqual(await text('api-view-dialout-4-certainty'), 'uncertain: signaling-server',
			'the signaling settings say external, and the signaling server may still refuse (501)');
		await tid('api-view-signaling').uncheck();
		assertEqual(await text('api-view-dialout-4-certainty'), 'uncertain: signaling-mode, signaling-server', 'without the signaling settings');
		await tid('api-view-signaling').check();
		await actAs('stranger');
		assertEqual(await text('api-view-conversation-status'), '404 not found', 'a group conversation hides from a stranger');
		assertIncludes(await text('api-view-summary'), 'nothing to decide from', 'no view, no decisions');
	});

	await check('no page errors, console errors or failed requests', async () => {
		assert(problems.length === 0, problems.join('; '));
	});
	exitCode = results.every((r) => r.ok) ? 0 : 1;
} catch (e) {
	console.error(`playground.e2e: ${e.stack || e.message}`);
	exitCode = 2;
} finally {
	clearTimeout(timer);
	await browser?.close().catch(() => {});
	await server.close();
}
const passed = results.filter((r) => r.ok).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(exitCode);
