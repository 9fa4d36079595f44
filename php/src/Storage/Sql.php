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
