<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Storage;

/**
 * Parameterised statements on a PDO connection, whatever error mode the caller set on
 * it: a failure is always a StorageException (reason `database`), never a warning or a
 * silent false. Integers are bound as integers so every driver compares them as such.
 *
 * @internal
 */
final class Sql
{
    public function __construct(public readonly \PDO $pdo)
    {
    }

    /** @return list<array<string, mixed>> */
    public function select(string $sql, array $params = []): array
    {
        $st = $this->run($sql, $params);
        $rows = $st->fetchAll(\PDO::FETCH_ASSOC);
        $st->closeCursor();
        return $rows;
    }

    /** Runs a statement that returns no rows; gives the affected row count. */
    public function exec(string $sql, array $params = []): int
    {
        $st = $this->run($sql, $params);
        $n = $st->rowCount();
        $st->closeCursor();
        return $n;
    }

    /** Runs a statement without parameters (transaction control). */
    public function control(string $sql): void
    {
        try {
            $ok = $this->pdo->exec($sql);
        } catch (\PDOException $e) {
            throw new StorageException(StorageException::DATABASE, "{$sql}: {$e->getMessage()}", null, $e);
        }
        if ($ok === false) {
            throw new StorageException(StorageException::DATABASE, "{$sql}: " . self::info($this->pdo->errorInfo()));
        }
    }

    /**
     * Begins a transaction or, inside one the caller already opened (`$nested`), the savepoint
     * `$savepoint`. `$isolation` ("READ COMMITTED", "REPEATABLE READ") applies to a transaction
     * of its own only: MySQL takes it before BEGIN for the next transaction, PostgreSQL as the
     * transaction's first statement.
     */
    public function begin(bool $nested, string $savepoint, ?string $isolation = null): void
    {
        if ($nested) {
            $this->control("SAVEPOINT {$savepoint}");
            return;
        }
        $driver = $this->driver();
        if ($isolation !== null && $driver === 'mysql') {
            $this->control("SET TRANSACTION ISOLATION LEVEL {$isolation}");
        }
        try {
            $ok = $this->pdo->beginTransaction();
        } catch (\PDOException $e) {
            throw new StorageException(StorageException::DATABASE, "could not begin a transaction: {$e->getMessage()}", null, $e);
        }
        if (!$ok) {
            throw new StorageException(StorageException::DATABASE, 'could not begin a transaction');
        }
        if ($isolation !== null && $driver === 'pgsql') {
            $this->control("SET TRANSACTION ISOLATION LEVEL {$isolation}");
        }
    }

    /** Commits what begin() opened; a failed commit is rolled back, then reported. */
    public function commit(bool $nested, string $savepoint): void
    {
        if ($nested) {
            $this->control("RELEASE SAVEPOINT {$savepoint}");
            return;
        }
        try {
            $ok = $this->pdo->commit();
        } catch (\PDOException $e) {
            $this->rollBack(false, $savepoint);
            throw new StorageException(StorageException::DATABASE, "the commit failed: {$e->getMessage()}; nothing was written", null, $e);
        }
        if (!$ok) {
            $this->rollBack(false, $savepoint);
            throw new StorageException(StorageException::DATABASE, 'the commit failed; nothing was written');
        }
    }

    /**
     * Undoes what begin() opened. A failure here is not reported over the error that caused
     * the rollback: that one says what went wrong, and a transaction left open is discarded by
     * the database when the connection closes.
     */
    public function rollBack(bool $nested, string $savepoint): void
    {
        try {
            if ($nested) {
                $this->control("ROLLBACK TO SAVEPOINT {$savepoint}");
                $this->control("RELEASE SAVEPOINT {$savepoint}");
            } elseif ($this->pdo->inTransaction()) {
                $this->pdo->rollBack();
            }
        } catch (\Throwable) {
        }
    }

    /** The PDO driver: "sqlite", "pgsql", "mysql" (MariaDB too), or another. */
    public function driver(): string
    {
        return (string) $this->pdo->getAttribute(\PDO::ATTR_DRIVER_NAME);
    }

    /**
     * Takes the write lock for conversation `$token` inside the open transaction and gives
     * the room's id (null when no room has that token; then nothing is locked on
     * PostgreSQL and MySQL). SQLite locks the whole database: a write statement that
     * changes nothing takes the write lock before anything is read, so the connection's
     * busy timeout applies (a deferred transaction that reads first cannot wait to become
     * a writer). PostgreSQL and MySQL/MariaDB lock the room's row (`SELECT … FOR UPDATE`).
     */
    public function lockRoom(string $roomsTable, string $token): ?int
    {
        if ($this->driver() === 'sqlite') {
            $this->exec("UPDATE {$roomsTable} SET token = token WHERE 1 = 0");
            $rows = $this->select("SELECT id FROM {$roomsTable} WHERE token = ?", [$token]);
        } else {
            $rows = $this->select("SELECT id FROM {$roomsTable} WHERE token = ? FOR UPDATE", [$token]);
        }
        return $rows === [] ? null : Columns::int($rows[0]['id'], $roomsTable . '.id');
    }

    /**
     * Is this failure one that the same work can succeed at when tried again from the
     * start: a busy or locked SQLite database (5, 6), a serialization failure or deadlock
     * (SQLSTATE 40001, 40P01), a lock not available (55P03), a MySQL lock wait timeout or
     * deadlock (1205, 1213)?
     */
    public static function isConflict(\Throwable $e): bool
    {
        for ($t = $e; $t !== null; $t = $t->getPrevious()) {
            if (!$t instanceof \PDOException) {
                continue;
            }
            $info = $t->errorInfo;
            $state = (string) ($info[0] ?? $t->getCode());
            $code = (int) ($info[1] ?? 0);
            if (in_array($state, ['40001', '40P01', '55P03'], true) || in_array($code, [1205, 1213], true)) {
                return true;
            }
            if ($state === 'HY000' && in_array($code, [5, 6], true)) {
                return true;
            }
            // SQLite through PDO without errorInfo: the message names the result code.
            if (preg_match('/database (?:table )?is locked|database is busy/i', $t->getMessage()) === 1) {
                return true;
            }
        }
        return false;
    }

    private function run(string $sql, array $params): \PDOStatement
    {
        try {
            $st = $this->pdo->prepare($sql);
            if ($st === false) {
                throw new StorageException(StorageException::DATABASE, 'prepare failed: ' . self::info($this->pdo->errorInfo()) . " ({$sql})");
            }
            foreach (array_values($params) as $i => $v) {
                $type = match (true) {
                    is_int($v) => \PDO::PARAM_INT,
                    $v === null => \PDO::PARAM_NULL,
                    default => \PDO::PARAM_STR,
                };
                $st->bindValue($i + 1, $v, $type);
            }
            if (!$st->execute()) {
                throw new StorageException(StorageException::DATABASE, self::info($st->errorInfo()) . " ({$sql})");
            }
            return $st;
        } catch (\PDOException $e) {
            throw new StorageException(StorageException::DATABASE, "{$e->getMessage()} ({$sql})", null, $e);
        }
    }

    private static function info(mixed $info): string
    {
        return is_array($info) ? trim(implode(' ', array_map('strval', array_filter($info, static fn ($x) => $x !== null)))) : 'unknown error';
    }
}
