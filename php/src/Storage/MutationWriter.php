<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Storage;

/**
 * Stores an Outcome's `mutations` in Talk's tables: each `updateRoom`, `updateSession`
 * (by session id) and `updateAttendee` (by attendee id) becomes one parameterised UPDATE
 * of the columns its `set` names, in the order given, all in one transaction.
 *
 *     (new MutationWriter($pdo, 'oc_'))->apply($token, $outcome['mutations']);
 *
 * All or nothing: the whole list is checked first (known `op`, known columns, values of
 * the right type), and a mutation naming a row that is not stored — a room other than
 * `$token`, a session or attendee that does not exist or belongs to another conversation —
 * rolls back every earlier one. Either way a StorageException says which mutation and
 * why, after the rollback. Existence is checked by a SELECT, not by counting updated rows
 * (MySQL counts a row whose values did not change as not updated).
 *
 * When the connection is already inside a transaction (the app's own), the writer works
 * inside a SAVEPOINT instead: a failure undoes only its own updates, and committing stays
 * the app's business.
 *
 * The writer alone does not make a request safe under concurrency: the State it writes
 * was decided on must have been read under the same lock. CallStore does both.
 */
final class MutationWriter
{
    private const SAVEPOINT = 'talk_call_rules_mutations';

    private readonly Sql $sql;
    private readonly string $prefix;

    /** @param string $tablePrefix Nextcloud's `dbtableprefix` (letters, digits, underscores) */
    public function __construct(\PDO $pdo, string $tablePrefix = 'oc_')
    {
        $this->sql = new Sql($pdo);
        $this->prefix = Columns::checkPrefix($tablePrefix);
    }

    /**
     * Writes `$mutations` (an Outcome's list, as evaluate() returns it) for conversation
     * `$token`. Returns the number of mutations written (the list's length).
     *
     * @param list<array<string, mixed>> $mutations
     * @throws StorageException nothing of the list is stored when it throws
     */
    public function apply(string $token, array $mutations): int
    {
        $plan = self::plan($mutations);
        if ($plan === []) {
            return 0;
        }
        $pdo = $this->sql->pdo;
        $nested = $pdo->inTransaction();
        $this->sql->begin($nested, self::SAVEPOINT);
        try {
            $roomId = $this->roomId($token);
            foreach ($plan as $i => $step) {
                $this->write($i, $step, $token, $roomId);
            }
        } catch (\Throwable $e) {
            $this->sql->rollBack($nested, self::SAVEPOINT);
            throw $e instanceof StorageException ? $e : new StorageException(StorageException::DATABASE, $e->getMessage(), null, $e);
        }
        $this->sql->commit($nested, self::SAVEPOINT);
        return count($plan);
    }

    /**
     * Checks every mutation and turns it into [table, key, columns => values] before any
     * statement runs.
     *
     * @return list<array{op:string, table:string, key:mixed, set:array<string,mixed>}>
     */
    private static function plan(array $mutations): array
    {
        if (!array_is_list($mutations)) {
            throw new StorageException(StorageException::BAD_MUTATION, 'mutations: expected a list');
        }
        $plan = [];
        foreach ($mutations as $i => $m) {
            $at = "mutations[{$i}]";
            if (!is_array($m)) {
                throw new StorageException(StorageException::BAD_MUTATION, "{$at}: expected an object, got " . Columns::show($m) . '; nothing was written', $i);
            }
            $op = $m['op'] ?? null;
            [$table, $key] = match ($op) {
                'updateRoom' => [Columns::ROOMS, null],
                'updateSession' => [Columns::SESSIONS, self::sessionKey($m, $at, $i)],
                'updateAttendee' => [Columns::ATTENDEES, self::attendeeKey($m, $at, $i)],
                default => throw new StorageException(
                    StorageException::UNKNOWN_OP,
                    "{$at}.op: " . Columns::show($op) . ' is not updateRoom, updateSession or updateAttendee; nothing was written',
                    $i
                ),
            };
            $set = $m['set'] ?? null;
            if (!is_array($set) || ($set !== [] && array_is_list($set))) {
                throw new StorageException(StorageException::BAD_MUTATION, "{$at}.set: expected an object of column values; nothing was written", $i);
            }
            $columns = [];
            foreach ($set as $field => $value) {
                $field = (string) $field;
                $spec = Columns::field($table, $field);
                if ($spec === null) {
                    throw new StorageException(
                        StorageException::UNKNOWN_COLUMN,
                        "{$at}.set.{$field}: not a writable column of {$table} (" . implode(', ', array_keys(Columns::fields($table))) . '); nothing was written',
                        $i
                    );
                }
                [$column, $kind] = $spec;
                [$ok, $bound] = Columns::write($kind, $value, $spec[3] ?? null);
                if (!$ok) {
                    throw new StorageException(
                        StorageException::BAD_MUTATION,
                        "{$at}.set.{$field}: " . Columns::show($value) . " does not fit {$table}.{$column}, which takes {$bound}; nothing was written",
                        $i
                    );
                }
                $columns[$column] = $bound;
            }
            $plan[] = ['op' => $op, 'table' => $table, 'key' => $key, 'set' => $columns];
        }
        return $plan;
    }

    private static function sessionKey(array $m, string $at, int $i): string
    {
        $id = $m['sessionId'] ?? null;
        if (!is_string($id) || $id === '') {
            throw new StorageException(StorageException::BAD_MUTATION, "{$at}.sessionId: expected a non-empty string, got " . Columns::show($id) . '; nothing was written', $i);
        }
        return $id;
    }

    private static function attendeeKey(array $m, string $at, int $i): int
    {
        $id = $m['attendeeId'] ?? null;
        if (!is_int($id) || $id < 1) {
            throw new StorageException(StorageException::BAD_MUTATION, "{$at}.attendeeId: expected a positive integer, got " . Columns::show($id) . '; nothing was written', $i);
        }
        return $id;
    }

    /**
     * The room's id, with the conversation's write lock taken before anything is read
     * (Sql::lockRoom), so on SQLite the busy timeout applies instead of an immediate
     * "database is locked".
     */
    private function roomId(string $token): int
    {
        $id = $this->sql->lockRoom($this->table(Columns::ROOMS), $token);
        if ($id === null) {
            throw new StorageException(StorageException::MISSING_ROW, "conversation \"{$token}\" does not exist; nothing was written", 0);
        }
        return $id;
    }

    /** One mutation: find its row (in this conversation), then update the named columns. */
    private function write(int $i, array $step, string $token, int $roomId): void
    {
        $attendees = $this->table(Columns::ATTENDEES);
        switch ($step['table']) {
            case Columns::ROOMS:
                $rowId = $roomId;
                break;
            case Columns::SESSIONS:
                $rows = $this->sql->select(
                    'SELECT s.id FROM ' . $this->table(Columns::SESSIONS) . " s INNER JOIN {$attendees} a ON a.id = s.attendee_id"
                    . ' WHERE s.session_id = ? AND a.room_id = ?',
                    [$step['key'], $roomId]
                );
                if ($rows === []) {
                    throw new StorageException(
                        StorageException::MISSING_ROW,
                        "mutations[{$i}] (updateSession): no session \"{$step['key']}\" in conversation \"{$token}\"; nothing was written",
                        $i
                    );
                }
                $rowId = Columns::int($rows[0]['id'], Columns::SESSIONS . '.id');
                break;
            default:
                $rows = $this->sql->select("SELECT id FROM {$attendees} WHERE id = ? AND room_id = ?", [$step['key'], $roomId]);
                if ($rows === []) {
                    throw new StorageException(
                        StorageException::MISSING_ROW,
                        "mutations[{$i}] (updateAttendee): no attendee {$step['key']} in conversation \"{$token}\"; nothing was written",
                        $i
                    );
                }
                $rowId = $step['key'];
        }
        if ($step['set'] === []) {
            return;
        }
        $assignments = implode(', ', array_map(static fn (string $c): string => "{$c} = ?", array_keys($step['set'])));
        try {
            $this->sql->exec(
                'UPDATE ' . $this->table($step['table']) . " SET {$assignments} WHERE id = ?",
                [...array_values($step['set']), $rowId]
            );
        } catch (StorageException $e) {
            throw new StorageException(StorageException::DATABASE, "mutations[{$i}] ({$step['op']}): {$e->getMessage()}; nothing was written", $i, $e);
        }
    }

    private function table(string $table): string
    {
        return $this->prefix . $table;
    }
}
