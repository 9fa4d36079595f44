<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests\Support;

use OCA\TalkCallRules\CallRules;

/**
 * The PHP host driver for the conformance vectors: runs every step of a case
 * through the bridge's JSON twins and records what it got, one transcript line per
 * step (format: xtask/src/transcript.rs). It judges nothing: `cargo xtask check`
 * is the one matcher for every host. `walk()` also serves host tests that must see
 * the vectors' running states (the storage round trip).
 *
 * Documents are decoded to stdClass objects (json_decode($t, false)) so `{}` stays
 * an object and `[]` a list when they go back to the module as JSON.
 */
final class VectorDriver
{
    private const ENCODE = JSON_PRESERVE_ZERO_FRACTION | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE;

    public function __construct(private readonly CallRules $rules)
    {
    }

    /** The repository (php/tests/Support → repo). */
    public static function repo(): string
    {
        return dirname(__DIR__, 3);
    }

    /**
     * The vendored public vectors and the project's own, as input for host tests.
     * (Which set the conformance run judges is decided once, by `cargo xtask vector-files`.)
     *
     * @return list<string>
     */
    public static function defaultFiles(): array
    {
        $files = [];
        foreach (['tests/conformance', 'tests/vectors'] as $dir) {
            $inside = glob(self::repo() . "/{$dir}/*.json") ?: [];
            sort($inside, SORT_STRING);
            array_push($files, ...$inside);
        }
        return $files;
    }

    /**
     * Runs every case of one vector file; $write receives each transcript line.
     *
     * @param callable(\stdClass): void $write
     */
    public function driveFile(string $file, callable $write): void
    {
        $cases = json_decode((string) @file_get_contents($file), false, 100000);
        if (!is_array($cases)) {
            return; // the checker reports files it cannot read itself
        }
        foreach ($cases as $index => $case) {
            $at = static fn (?int $step): \stdClass => (object) ($step === null
                ? ['file' => $file, 'case' => $index]
                : ['file' => $file, 'case' => $index, 'step' => $step]);
            try {
                $this->walk($case, function (int $n, object $step, mixed $state) use ($at, $write): mixed {
                    $outcome = json_decode($this->rules->evaluateJson(self::json($step->request), self::json($state)), false, 100000);
                    $mutations = is_object($outcome) && is_array($outcome->mutations ?? null) ? $outcome->mutations : [];
                    $next = json_decode($this->rules->applyJson(self::json($state), self::json($mutations)), false, 100000);
                    if (is_object($next) && property_exists($next, 'status') && property_exists($next, 'reason') && !property_exists($next, 'room')) {
                        throw new \RuntimeException("apply refused the outcome's mutations: " . self::json($next->data ?? null), $n);
                    }
                    $line = $at($n);
                    $line->outcome = $outcome;
                    $line->state = $next;
                    $write($line);
                    return $next;
                }, static function (int $n, string $fixture) use ($at, $write): void {
                    $line = $at($n);
                    $line->fixture = $fixture;
                    $write($line);
                });
            } catch (\RuntimeException $e) {
                $line = $at($e->getCode() > 0 ? $e->getCode() : null);
                $line->error = $e->getMessage();
                $write($line);
            } catch (\Throwable $e) {
                // e.g. CallRulesTrapped: the bridge rebuilt its instance; the next case runs.
                $line = $at(null);
                $line->error = 'threw ' . get_class($e) . ': ' . $e->getMessage();
                $write($line);
            }
        }
    }

    /**
     * Walks a case's steps over its running state: fixture steps edit the state here
     * (then $fixtureDone(int $n, string $kind)), and each request step goes to
     * $visit(int $n, object $step, mixed $state), which returns the state after it.
     * A problem with step n is a \RuntimeException with code n.
     *
     * @param callable(int, object, mixed): mixed $visit
     * @param (callable(int, string): void)|null $fixtureDone
     */
    public function walk(mixed $case, callable $visit, ?callable $fixtureDone = null): void
    {
        if (!is_object($case) || !property_exists($case, 'state')) {
            throw new \RuntimeException('the case has no state');
        }
        $state = self::copy($case->state);
        $steps = property_exists($case, 'steps') ? $case->steps : [$case];
        if (!is_array($steps)) {
            throw new \RuntimeException('steps is not a list');
        }
        foreach (array_values($steps) as $i => $step) {
            $n = $i + 1;
            $fixture = is_object($step) && is_string($step->fixture ?? null) ? $step->fixture : null;
            if ($fixture !== null) {
                try {
                    self::fixture($state, $fixture, $step);
                } catch (\RuntimeException $e) {
                    throw new \RuntimeException("fixture {$fixture}: {$e->getMessage()}", $n);
                }
                if ($fixtureDone !== null) {
                    $fixtureDone($n, $fixture);
                }
                continue;
            }
            if (!is_object($step) || !property_exists($step, 'request')) {
                throw new \RuntimeException('a step without request or fixture', $n);
            }
            $state = $visit($n, $step, self::copy($state));
        }
    }

    /** The fixture steps of the contract; a row that does not exist is an error. */
    private static function fixture(mixed &$state, string $kind, object $step): void
    {
        $field = static function (string $k) use ($step): mixed {
            if (!property_exists($step, $k)) {
                throw new \RuntimeException("{$k} missing");
            }
            return self::copy($step->{$k});
        };
        $remove = static function (array $rows, string $key, mixed $id, string $what): array {
            $kept = array_values(array_filter($rows, static fn ($r) => !(is_object($r) && property_exists($r, $key) && self::same($r->{$key}, $id))));
            if (count($kept) === count($rows)) {
                throw new \RuntimeException("no {$what} " . self::json($id));
            }
            return $kept;
        };
        switch ($kind) {
            case 'addSession':
                self::rows($state, 'sessions');
                $state->sessions[] = $field('session');
                return;
            case 'addAttendee':
                self::rows($state, 'attendees');
                $state->attendees[] = $field('attendee');
                return;
            case 'removeSession':
                $state->sessions = $remove(self::rows($state, 'sessions'), 'sessionId', $field('sessionId'), 'session');
                return;
            case 'removeAttendee':
                $id = $field('attendeeId');
                $state->attendees = $remove(self::rows($state, 'attendees'), 'attendeeId', $id, 'attendee');
                $state->sessions = array_values(array_filter(self::rows($state, 'sessions'), static fn ($s) => !(is_object($s) && property_exists($s, 'attendeeId') && self::same($s->attendeeId, $id))));
                return;
            case 'setRoom':
            case 'setConfig':
                $key = $kind === 'setRoom' ? 'room' : 'config';
                if (!is_object($state->{$key} ?? null)) {
                    $state->{$key} = new \stdClass();
                }
                self::merge($state->{$key}, $field('set'));
                return;
            case 'setAttendee':
                self::merge(self::row($state, 'attendees', 'attendeeId', $field('attendeeId'), 'attendee'), $field('set'));
                return;
            case 'ping':
                self::row($state, 'sessions', 'sessionId', $field('sessionId'), 'session')->lastPing = $field('at');
                return;
            default:
                throw new \RuntimeException("unknown fixture {$kind}");
        }
    }

    /** @return list<mixed> the rows of a table (created empty when absent) */
    private static function rows(mixed $state, string $table): array
    {
        if (!is_object($state)) {
            throw new \RuntimeException('the state is not an object');
        }
        $state->{$table} ??= [];
        if (!is_array($state->{$table})) {
            throw new \RuntimeException("state.{$table} is not a list");
        }
        return $state->{$table};
    }

    private static function row(mixed $state, string $table, string $key, mixed $id, string $what): object
    {
        foreach (self::rows($state, $table) as $row) {
            if (is_object($row) && property_exists($row, $key) && self::same($row->{$key}, $id)) {
                return $row;
            }
        }
        throw new \RuntimeException("no {$what} " . self::json($id));
    }

    private static function merge(object $target, mixed $set): void
    {
        if (!is_object($set)) {
            throw new \RuntimeException('set is not an object');
        }
        foreach (get_object_vars($set) as $k => $v) {
            $target->{(string) $k} = $v;
        }
    }

    /** Ids compare by JSON value (1 and 1.0 alike, as in the other drivers). */
    private static function same(mixed $a, mixed $b): bool
    {
        if (is_int($a) || is_float($a)) {
            return (is_int($b) || is_float($b)) && $a == $b;
        }
        return self::json($a) === self::json($b);
    }

    /** JSON text of a decoded (stdClass) value; objects stay objects. */
    public static function json(mixed $v): string
    {
        $t = json_encode($v, self::ENCODE | JSON_PARTIAL_OUTPUT_ON_ERROR, 100000);
        return $t === false ? 'null' : $t;
    }

    /** A deep copy (objects are handles in PHP). */
    public static function copy(mixed $v): mixed
    {
        if (is_object($v)) {
            $o = new \stdClass();
            foreach (get_object_vars($v) as $k => $x) {
                $o->{(string) $k} = self::copy($x);
            }
            return $o;
        }
        return is_array($v) ? array_map(self::copy(...), $v) : $v;
    }
}
