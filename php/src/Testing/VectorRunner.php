<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Testing;

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\CallRulesException;

/**
 * The conformance-vector runner for the PHP bridge: the matching rules of the
 * contract, step for step the same as tests/support/runner.rs (fixtures edit the
 * running state; requests are evaluated through the bridge, checked against
 * `expect`, and their mutations applied through the bridge).
 *
 * Documents are decoded to stdClass objects (json_decode($t, false)) so `{}` stays
 * an object and `[]` a list when they are sent back to the module as JSON.
 */
final class VectorRunner
{
    private const ENCODE = JSON_PRESERVE_ZERO_FRACTION | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE;

    /** @param list<array{0:string,1:string}> $skips (name, reason) pairs */
    public function __construct(private readonly CallRules $rules, private readonly array $skips = [])
    {
    }

    /** The repository this runner lives in (php/src/Testing → repo). */
    public static function repo(): string
    {
        return dirname(__DIR__, 3);
    }

    /** The default vector folders: the shared public vectors beside the repository, and the project's own. */
    public static function defaultPaths(): array
    {
        $repo = self::repo();
        return [dirname($repo) . '/shared/vectors', $repo . '/tests/vectors'];
    }

    /** @return list<array{0:string,1:string}> from tests/vector-skips.json */
    public static function skips(?string $file = null): array
    {
        $file ??= self::repo() . '/tests/vector-skips.json';
        $text = is_file($file) ? (string) file_get_contents($file) : '[]';
        $items = json_decode($text, true);
        if (!is_array($items) || !array_is_list($items)) {
            throw new \RuntimeException("{$file} is not a JSON array");
        }
        $out = [];
        foreach ($items as $i) {
            if (!is_array($i) || !is_string($i['name'] ?? null) || !is_string($i['reason'] ?? null)) {
                throw new \RuntimeException("{$file}: a skip entry without name or reason");
            }
            $out[] = [$i['name'], $i['reason']];
        }
        return $out;
    }

    /**
     * Every *.json file named, or inside a folder named, sorted per folder.
     *
     * @param list<string> $paths
     * @return list<string>
     */
    public static function vectorFiles(array $paths): array
    {
        $files = [];
        foreach ($paths as $p) {
            if (is_dir($p)) {
                $inside = glob(rtrim($p, '/') . '/*.json') ?: [];
                $inside = array_values(array_filter($inside, 'is_file'));
                sort($inside, SORT_STRING);
                array_push($files, ...$inside);
            } elseif (is_file($p)) {
                $files[] = $p;
            } else {
                throw new \RuntimeException("{$p}: no such file or folder");
            }
        }
        return $files;
    }

    /**
     * @return list<array{file:string,name:string,skipped:?string,failure:?string}>
     */
    public function runFile(string $file, string $text): array
    {
        try {
            $cases = json_decode($text, false, 100000, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            return [self::result($file, '(file)', null, $e->getMessage())];
        }
        if (!is_array($cases)) {
            return [self::result($file, '(file)', null, 'the file is not a JSON array')];
        }
        $results = [];
        foreach ($cases as $case) {
            $name = is_object($case) && is_string($case->name ?? null) ? $case->name : '(unnamed)';
            $skipped = null;
            foreach ($this->skips as [$n, $reason]) {
                if ($n === $name) {
                    $skipped = $reason;
                    break;
                }
            }
            $failure = null;
            if ($skipped === null) {
                try {
                    $this->runCase($case);
                } catch (VectorFailure $f) {
                    $failure = $f->getMessage();
                } catch (CallRulesException $e) {
                    $failure = get_class($e) . ': ' . $e->getMessage();
                }
            }
            $results[] = self::result($file, $name, $skipped, $failure);
        }
        return $results;
    }

    private static function result(string $file, string $name, ?string $skipped, ?string $failure): array
    {
        return ['file' => $file, 'name' => $name, 'skipped' => $skipped, 'failure' => $failure];
    }

    /**
     * "N passed, M failed" plus one line per failing case.
     *
     * @return array{0:string,1:int} the report and the number of failures
     */
    public static function report(array $results): array
    {
        $out = '';
        $failed = array_values(array_filter($results, static fn ($r) => $r['failure'] !== null));
        foreach ($failed as $r) {
            $out .= "FAIL {$r['file']} :: {$r['name']} :: {$r['failure']}\n";
        }
        $skipped = count(array_filter($results, static fn ($r) => $r['skipped'] !== null));
        $passed = count($results) - count($failed) - $skipped;
        if ($skipped > 0) {
            $out .= "{$skipped} skipped by name (tests/vector-skips.json)\n";
        }
        $out .= sprintf("%d passed, %d failed\n", $passed, count($failed));
        return [$out, count($failed)];
    }

    // ---- one case ----

    private function runCase(mixed $case): void
    {
        $this->walk($case, function (int $n, object $step, mixed $state): mixed {
            $outcome = json_decode($this->rules->evaluateJson(self::json($step->request), self::json($state)), false, 100000);
            try {
                $this->check($outcome, $step->expect, $state);
            } catch (VectorFailure $e) {
                throw new VectorFailure("step {$n} (" . self::describe($step->request) . "): {$e->getMessage()}");
            }
            $mutations = self::get($outcome, 'mutations') ?? [];
            try {
                return $this->apply($state, $mutations);
            } catch (VectorFailure $e) {
                throw new VectorFailure("step {$n}: {$e->getMessage()}");
            }
        });
    }

    /**
     * Walks a case's steps over its running state: fixture steps edit the state here,
     * and each request step goes to $visit(int $n, object $step, mixed $state), which
     * returns the state after that step. One walk serves the conformance checks and any
     * other host test that must see the same states (e.g. the storage round trip).
     *
     * @param callable(int, object, mixed): mixed $visit
     * @throws VectorFailure
     */
    public function walk(mixed $case, callable $visit): void
    {
        if (!is_object($case) || !property_exists($case, 'state')) {
            throw new VectorFailure('case without state');
        }
        $state = self::copy($case->state);
        if (property_exists($case, 'steps')) {
            if (!is_array($case->steps)) {
                throw new VectorFailure('steps is not an array');
            }
            $steps = $case->steps;
        } else {
            $steps = [$case];
        }
        foreach ($steps as $i => $step) {
            $n = $i + 1;
            $fixture = is_object($step) && is_string($step->fixture ?? null) ? $step->fixture : null;
            if ($fixture !== null) {
                try {
                    $this->fixture($state, $fixture, $step);
                } catch (VectorFailure $e) {
                    throw new VectorFailure("step {$n} (fixture {$fixture}): {$e->getMessage()}");
                }
                continue;
            }
            if (!is_object($step) || !property_exists($step, 'request')) {
                throw new VectorFailure("step {$n}: no request");
            }
            if (!property_exists($step, 'expect')) {
                throw new VectorFailure("step {$n}: no expect");
            }
            $state = $visit($n, $step, self::copy($state));
        }
    }

    /** apply() through the bridge; a bad-input Outcome is a failure. */
    private function apply(mixed $state, mixed $mutations): mixed
    {
        $text = $this->rules->applyJson(self::json($state), self::json($mutations));
        $after = json_decode($text, false, 100000);
        if (is_object($after) && property_exists($after, 'reason') && property_exists($after, 'status')
            && ($after->reason ?? null) === 'bad-input' && !property_exists($after, 'room')) {
            throw new VectorFailure("apply failed: {$text}");
        }
        return $after;
    }

    private static function describe(mixed $request): string
    {
        $s = static fn (string $k): string => is_object($request) && is_string($request->{$k} ?? null) ? $request->{$k} : '?';
        return $s('method') . ' ' . $s('path');
    }

    // ---- fixtures ----

    private function fixture(mixed &$state, string $kind, object $step): void
    {
        $field = static function (string $k) use ($step): mixed {
            if (!property_exists($step, $k)) {
                throw new VectorFailure("{$k} missing");
            }
            return self::copy($step->{$k});
        };
        switch ($kind) {
            case 'addSession':
                $rows = &self::rows($state, 'sessions');
                $rows[] = $field('session');
                break;
            case 'addAttendee':
                $rows = &self::rows($state, 'attendees');
                $rows[] = $field('attendee');
                break;
            case 'removeSession':
                $id = $field('sessionId');
                $rows = &self::rows($state, 'sessions');
                $rows = array_values(array_filter($rows, static fn ($s) => !(self::has($s, 'sessionId') && self::same($s->sessionId, $id))));
                break;
            case 'removeAttendee':
                $id = $field('attendeeId');
                $rows = &self::rows($state, 'attendees');
                $rows = array_values(array_filter($rows, static fn ($a) => !self::numEq($a, 'attendeeId', $id)));
                unset($rows);
                $rows = &self::rows($state, 'sessions');
                $rows = array_values(array_filter($rows, static fn ($s) => !self::numEq($s, 'attendeeId', $id)));
                break;
            case 'setRoom':
                self::merge(self::objectField($state, 'room'), $field('set'));
                break;
            case 'setConfig':
                self::merge(self::objectField($state, 'config'), $field('set'));
                break;
            case 'setAttendee':
                $id = $field('attendeeId');
                $set = $field('set');
                $rows = &self::rows($state, 'attendees');
                foreach ($rows as $row) {
                    if (self::numEq($row, 'attendeeId', $id)) {
                        self::merge($row, $set);
                        return;
                    }
                }
                throw new VectorFailure('no such attendee');
            case 'ping':
                $id = $field('sessionId');
                $at = $field('at');
                $rows = &self::rows($state, 'sessions');
                foreach ($rows as $row) {
                    if (is_object($row) && property_exists($row, 'sessionId') && self::same($row->sessionId, $id)) {
                        $row->lastPing = $at;
                        return;
                    }
                }
                throw new VectorFailure('no such session');
            default:
                throw new VectorFailure("unknown fixture {$kind}");
        }
    }

    /** The rows of a table (created empty when absent). */
    private static function &rows(mixed &$state, string $table): array
    {
        if (!is_object($state)) {
            throw new VectorFailure('state is not an object');
        }
        if (!property_exists($state, $table)) {
            $state->{$table} = [];
        }
        if (!is_array($state->{$table})) {
            throw new VectorFailure("state.{$table} is not an array");
        }
        return $state->{$table};
    }

    private static function objectField(mixed $state, string $key): mixed
    {
        if (!is_object($state)) {
            throw new VectorFailure('state is not an object');
        }
        if (!property_exists($state, $key)) {
            $state->{$key} = new \stdClass();
        }
        return $state->{$key};
    }

    private static function merge(mixed $target, mixed $set): void
    {
        if (!is_object($set)) {
            throw new VectorFailure('set is not an object');
        }
        if (!is_object($target)) {
            // The Rust runner's Value::set on a non-object does nothing.
            return;
        }
        foreach (get_object_vars($set) as $k => $v) {
            $target->{(string) $k} = $v;
        }
    }

    /** Value equality as the Rust runner's `==` on values (same kind and value). */
    private static function same(mixed $a, mixed $b): bool
    {
        return self::json($a) === self::json($b);
    }

    /** num_eq(row.get(key), Some(id)) of the Rust runner. */
    private static function numEq(mixed $row, string $key, mixed $id): bool
    {
        if (!is_object($row) || !property_exists($row, $key)) {
            return false;
        }
        return self::deepEq($row->{$key}, $id);
    }

    // ---- matching ----

    /** JSON equality: numbers by value, objects regardless of key order. */
    public static function deepEq(mixed $a, mixed $b): bool
    {
        if (is_object($a) && is_object($b)) {
            $x = get_object_vars($a);
            $y = get_object_vars($b);
            if (count($x) !== count($y)) {
                return false;
            }
            foreach ($x as $k => $v) {
                if (!array_key_exists($k, $y) || !self::deepEq($v, $y[$k])) {
                    return false;
                }
            }
            return true;
        }
        if (is_array($a) && is_array($b)) {
            if (count($a) !== count($b)) {
                return false;
            }
            foreach (array_values($a) as $i => $v) {
                if (!self::deepEq($v, array_values($b)[$i])) {
                    return false;
                }
            }
            return true;
        }
        if ((is_int($a) || is_float($a)) && (is_int($b) || is_float($b))) {
            return (float) $a === (float) $b;
        }
        return $a === $b;
    }

    private static function get(mixed $v, string $key): mixed
    {
        return is_object($v) && property_exists($v, $key) ? $v->{$key} : null;
    }

    private static function has(mixed $v, string $key): bool
    {
        return is_object($v) && property_exists($v, $key);
    }

    /** Every key of $partial has an equal value in $full. */
    private static function contains(mixed $full, mixed $partial): void
    {
        if (!is_object($partial)) {
            throw new VectorFailure('expected partial row is not an object');
        }
        foreach (get_object_vars($partial) as $k => $want) {
            $got = self::get($full, (string) $k);
            if (!self::deepEq($got, $want)) {
                throw new VectorFailure("{$k} is " . self::json($got) . ' but ' . self::json($want) . ' was expected');
            }
        }
    }

    private function check(mixed $outcome, mixed $expect, mixed $before): void
    {
        foreach (['status', 'data', 'message', 'reason'] as $key) {
            if (self::has($expect, $key)) {
                $want = $expect->{$key};
                $got = self::get($outcome, $key);
                if (!self::deepEq($got, $want)) {
                    throw new VectorFailure(
                        "{$key}: got " . self::json($got) . ' expected ' . self::json($want) . ' (outcome ' . self::short($outcome) . ')'
                    );
                }
            }
        }
        $mutations = self::get($outcome, 'mutations');
        if (self::get($expect, 'mutations') === 'none' && !(is_array($mutations) && $mutations === [])) {
            throw new VectorFailure('mutations: expected none, got ' . self::json($mutations));
        }
        if (self::has($expect, 'state')) {
            $after = $this->applyOrFail($before, $mutations);
            $this->checkState($after, $expect->state);
        }
        $peers = self::get($expect, 'peers');
        if (is_array($peers)) {
            $key = static fn (mixed $p): string => implode('|', array_map(
                static fn (string $k): string => self::has($p, $k) ? self::json($p->{$k}) : '',
                ['actorType', 'actorId', 'sessionId']
            ));
            $data = self::get($outcome, 'data');
            if (!is_array($data)) {
                throw new VectorFailure('peers: data is not a list');
            }
            $have = array_map($key, $data);
            $need = array_map($key, $peers);
            sort($have, SORT_STRING);
            sort($need, SORT_STRING);
            if ($have !== $need) {
                throw new VectorFailure('peers: got [' . implode(', ', $have) . '] expected [' . implode(', ', $need) . ']');
            }
        }
        $effects = self::get($outcome, 'effects');
        $effects = is_array($effects) ? $effects : [];
        $want = self::get($expect, 'effects');
        if (is_array($want)) {
            foreach ($want as $w) {
                $found = false;
                foreach ($effects as $e) {
                    if (self::effectMatches($e, $w)) {
                        $found = true;
                        break;
                    }
                }
                if (!$found) {
                    throw new VectorFailure('effects: none matches ' . self::json($w) . ' (effects ' . self::json($effects) . ')');
                }
            }
        }
        $types = self::get($expect, 'noEffects');
        if (is_array($types)) {
            foreach ($types as $t) {
                foreach ($effects as $e) {
                    if (self::has($e, 'type') && self::same($e->type, $t)) {
                        throw new VectorFailure('noEffects: found ' . self::json($e));
                    }
                }
            }
        }
    }

    private function applyOrFail(mixed $state, mixed $mutations): mixed
    {
        $text = $this->rules->applyJson(self::json($state), self::json($mutations));
        $after = json_decode($text, false, 100000);
        if (is_object($after) && ($after->reason ?? null) === 'bad-input' && property_exists($after, 'status') && !property_exists($after, 'room')) {
            throw new VectorFailure($text);
        }
        return $after;
    }

    private static function effectMatches(mixed $effect, mixed $want): bool
    {
        if (!is_object($want)) {
            return false;
        }
        foreach (get_object_vars($want) as $k => $w) {
            $g = self::get($effect, (string) $k);
            if ((string) $k === 'attendeeIds') {
                if (!is_array($g) || !is_array($w)) {
                    return false;
                }
                $set = static function (array $v): array {
                    $ids = array_map(self::json(...), $v);
                    sort($ids, SORT_STRING);
                    return $ids;
                };
                if ($set($g) !== $set($w)) {
                    return false;
                }
            } elseif (!self::deepEq($g, $w)) {
                return false;
            }
        }
        return true;
    }

    private function checkState(mixed $state, mixed $want): void
    {
        if (self::has($want, 'room')) {
            try {
                self::contains(self::get($state, 'room'), $want->room);
            } catch (VectorFailure $e) {
                throw new VectorFailure("state.room: {$e->getMessage()}");
            }
        }
        foreach (['sessions' => 'sessionId', 'attendees' => 'attendeeId'] as $table => $idKey) {
            $rows = self::get($want, $table);
            if (!is_object($rows)) {
                continue;
            }
            $have = self::get($state, $table);
            $have = is_array($have) ? $have : [];
            foreach (get_object_vars($rows) as $id => $partial) {
                $id = (string) $id;
                $row = null;
                foreach ($have as $r) {
                    if (self::has($r, $idKey)) {
                        $v = $r->{$idKey};
                        if (is_string($v) ? $v === $id : self::json($v) === $id) {
                            $row = $r;
                            break;
                        }
                    }
                }
                if ($partial === null) {
                    if ($row !== null) {
                        throw new VectorFailure("state.{$table}.{$id}: row should not exist");
                    }
                    continue;
                }
                if ($row === null) {
                    throw new VectorFailure("state.{$table}.{$id}: row missing");
                }
                try {
                    self::contains($row, $partial);
                } catch (VectorFailure $e) {
                    throw new VectorFailure("state.{$table}.{$id}: {$e->getMessage()}");
                }
            }
        }
    }

    // ---- JSON helpers ----

    /** JSON text of a decoded (stdClass) value; objects stay objects. */
    public static function json(mixed $v): string
    {
        $t = json_encode($v, self::ENCODE | JSON_PARTIAL_OUTPUT_ON_ERROR, 100000);
        return $t === false ? 'null' : $t;
    }

    /** A deep copy (objects are handles in PHP). */
    private static function copy(mixed $v): mixed
    {
        if (is_object($v)) {
            $o = new \stdClass();
            foreach (get_object_vars($v) as $k => $x) {
                $o->{(string) $k} = self::copy($x);
            }
            return $o;
        }
        if (is_array($v)) {
            return array_map(self::copy(...), $v);
        }
        return $v;
    }

    private static function short(mixed $outcome): string
    {
        $s = self::json($outcome);
        if (strlen($s) <= 600) {
            return $s;
        }
        $cut = 600;
        while ($cut > 0 && (ord($s[$cut]) & 0xC0) === 0x80) {
            $cut--;
        }
        return substr($s, 0, $cut) . '…';
    }
}
