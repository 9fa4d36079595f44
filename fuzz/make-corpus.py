#!/usr/bin/env python3
"""Seed corpus for the fuzz targets, from the conformance vectors.

usage: fuzz/make-corpus.py [VECTOR_FILE_OR_DIR...]   (default: tests/conformance tests/vectors)

Writes fuzz/corpus/<target>/<sha1> for every target (layouts: see fuzz/src/lib.rs):
each case's state with each step's request (evaluate_json, evaluate_mutated, abi_split),
the state with each expected mutation list (apply_json), and the state with each step's
actor and now (allowed_actions_json). Idempotent: files are named by their content.
"""
import glob, hashlib, json, os, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
dirs = sys.argv[1:] or [os.path.join(ROOT, "tests", "conformance"), os.path.join(ROOT, "tests", "vectors")]


def dump(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode()


counts = {}


def put(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1


files = sorted(f for d in dirs for f in ([d] if os.path.isfile(d) else glob.glob(os.path.join(d, "*.json"))))
for f in files:
    with open(f, encoding="utf-8") as fh:
        cases = json.load(fh)
    for case in cases if isinstance(cases, list) else []:
        state = dump(case.get("state"))
        steps = case.get("steps") or [case]
        for step in steps:
            req = step.get("request")
            if req is None:
                continue
            r = dump(req)
            put("evaluate_json", r + b"\0" + state)
            put("evaluate_mutated", r + b"\0" + state)
            put("abi_split", bytes([2]) + struct.pack("<ii", len(r), len(state)) + r + state)
            if isinstance(req, dict):
                now = req.get("now")
                put("allowed_actions_json", state + b"\0" + dump(req.get("actor")) + b"\0" + str(now).encode())
            muts = step.get("expect", {}).get("mutations")
            if isinstance(muts, list):
                put("apply_json", state + b"\0" + dump(muts))
            outcome = {k: v for k, v in step.get("expect", {}).items() if k in ("status", "data", "reason", "message")}
            o = dump(outcome)
            put("abi_split", bytes([1]) + struct.pack("<i", len(o)) + o)
        put("apply_json", state + b"\0[]")

print("fuzz/make-corpus.py: %d vector files; new seeds: %s" % (len(files), ", ".join("%s %d" % kv for kv in sorted(counts.items())) or "none"))
