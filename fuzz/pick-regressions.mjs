#!/usr/bin/env node
// Picks a few corpus inputs that reach deep into the rules (a successful start, end-for-everyone,
// ring, dial-out, a failure that persists something…) and copies the smallest of each kind to
// tests/fuzz-regressions/<target>-<kind>.bin, where tests/fuzz_regressions.rs replays them.
// Run after a fuzz campaign (needs the built pkg/): node fuzz/pick-regressions.mjs
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { initSync, evaluateJson, applyJson, allowedActionsJson } from '../js/index.mjs';

initSync(readFileSync(new URL('../pkg/talk_call_rules_bg.wasm', import.meta.url)));
const corpus = (t) => {
	const dir = new URL(`corpus/${t}/`, import.meta.url);
	// A running fuzzer replaces files as it goes: skip the ones gone meanwhile.
	const read = (f) => { try { return readFileSync(new URL(f, dir)); } catch { return null; } };
	return existsSync(dir) ? readdirSync(dir).map(read).filter(Boolean) : [];
};
const parts = (buf, n) => {
	const out = [];
	let at = 0;
	for (let i = 0; i < n - 1; i++) {
		const z = buf.indexOf(0, at);
		if (z < 0) break;
		out.push(buf.subarray(at, z).toString('utf8'));
		at = z + 1;
	}
	out.push(buf.subarray(at).toString('utf8'));
	while (out.length < n) out.push('');
	return out;
};
const best = new Map(); // kind -> Buffer (smallest)
const offer = (kind, buf) => {
	if (!best.has(kind) || buf.length < best.get(kind).length) best.set(kind, buf);
};

for (const t of ['evaluate_mutated', 'evaluate_json']) {
	for (const buf of corpus(t)) {
		const [req, st] = parts(buf, 2);
		let o;
		try { o = JSON.parse(evaluateJson(req, st)); } catch { continue; }
		const types = new Set((o.effects ?? []).map((e) => e.message ?? e.type));
		let r;
		try { r = JSON.parse(req); } catch { r = {}; }
		const m = r && r.method;
		if (o.status === 200 && types.has('notifyCallStarted')) offer(`${t}-join-starts-call`, buf);
		if (o.status === 200 && types.has('call_ended_everyone')) offer(`${t}-end-for-everyone`, buf);
		if (o.status === 200 && types.has('ring')) offer(`${t}-ring`, buf);
		if (o.status === 200 && types.has('dialOut')) offer(`${t}-dialout`, buf);
		if (o.status === 200 && m === 'PUT' && o.mutations?.length) offer(`${t}-update-flags`, buf);
		if (o.status >= 400 && o.mutations?.length) offer(`${t}-failure-persists`, buf);
		if (o.status >= 400 && types.has('storeRecordingConsent')) offer(`${t}-failure-consent`, buf);
		if (o.status === 200 && typeof r?.path === 'string' && r.path.includes('?')) offer(`${t}-query-string`, buf);
		if (o.reason === 'bad-input' && /duplicate|no attendee|sessions\[/.test(o.data?.detail ?? '')) offer(`${t}-bad-rows`, buf);
	}
}
for (const buf of corpus('apply_json')) {
	const [st, mu] = parts(buf, 2);
	const out = JSON.parse(applyJson(st, mu));
	let n = 0;
	try { n = JSON.parse(mu).length; } catch { /* */ }
	if (!('reason' in out) && n >= 2) offer('apply_json-applied', buf);
}
for (const buf of corpus('allowed_actions_json')) {
	const [st, actor, now] = parts(buf, 3);
	const out = JSON.parse(allowedActionsJson(st, actor, Number.parseInt(now, 10) || 0));
	if (out.join && out.ring?.length) offer('allowed_actions_json-map-with-ring', buf);
}
for (const buf of corpus('abi_split')) {
	if (buf.length < 9 || buf[0] % 5 !== 2) continue;
	const a = buf.readInt32LE(1);
	const b = buf.readInt32LE(5);
	const area = buf.subarray(9);
	if (a < 0 || b < 0 || a + b > area.length) continue;
	const o = JSON.parse(evaluateJson(area.subarray(0, a).toString(), area.subarray(a, a + b).toString()));
	if (o.status === 200 && o.mutations?.length) offer('abi_split-two-documents', buf);
}
// One of each kind: the structure-aware target's (valid JSON, deeper) wins.
for (const kind of [...best.keys()]) {
	if (kind.startsWith('evaluate_json-') && best.has(kind.replace('evaluate_json-', 'evaluate_mutated-'))) best.delete(kind);
}
const out = new URL('../tests/fuzz-regressions/', import.meta.url);
for (const [kind, buf] of [...best].sort()) {
	writeFileSync(new URL(`${kind}.bin`, out), buf);
	console.log(`${kind}.bin  ${buf.length} bytes`);
}
