<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Storage;

use OCA\TalkCallRules\CallRules;

/**
 * The server-side way to run a call request: one locked load → decide → write.
 *
 *     $store = new CallStore($pdo, $rules, $appConfig, 'oc_', $displayNameOf);
 *     $outcome = $store->decide($request);   // its mutations are committed
 *     // now carry out $outcome['effects'] (notifications, system messages, signaling)
 *
 * Every request that reads the call state and writes it back must be serialized per
 * conversation, or two requests decide on the same old state and the later write wins
 * (two joins leave `call_flag` without the first one's bits; two leaves each see the other
 * still in the call and nobody ends it; a leave that read before a join resets the call the
 * join is in). `decide()` therefore, on each attempt:
 *
 * 1. begins a transaction — a SAVEPOINT when the app's own transaction is open;
 * 2. locks the conversation first (`Sql::lockRoom`: the room's row `FOR UPDATE` on
 *    PostgreSQL and MySQL/MariaDB; SQLite's write lock, taken before any read so its busy
 *    timeout applies);
 * 3. loads the State inside that transaction (StateLoader, with a ring or dial-out
 *    target's row of another conversation), evaluates the request, writes its mutations
 *    (MutationWriter) and commits.
 *
 * A lock conflict — busy or locked SQLite, a deadlock, a serialization failure, a lock
 * wait timeout — rolls the attempt back and starts again from a fresh load, at most
 * `$attempts` times, with a short growing pause. The Outcome returned is the committed
 * attempt's, so its effects belong to exactly one decision. When every attempt failed, or
 * anything else failed, a StorageException is thrown after the rollback: nothing is
 * half-written, and the connection is not left inside a transaction it did not have.
 *
 * Inside the app's own transaction no attempt is repeated (a deadlock may have ended that
 * transaction; the app must run it again): the conflict is thrown with reason `conflict`.
 * An unknown token locks nothing and answers as the rules do (403 or 404).
 *
 * Nextcloud runs its connections at READ COMMITTED; a connection of the app's that runs
 * MySQL/MariaDB at REPEATABLE READ would read the snapshot its transaction began with, so
 * outside an open transaction `decide()` sets READ COMMITTED for its own transaction there.
 */
final class CallStore
{
    /** Attempts before a conflict is given up. */
    public const DEFAULT_ATTEMPTS = 8;

    private readonly Sql $sql;
    private readonly string $prefix;
    private readonly StateLoader $loader;
    private readonly MutationWriter $writer;
    /** @var (callable(string): ?string)|null */
    private $userDisplayName;
    private int $lastAttempts = 0;
    /** @var (callable(string, int, ?array): void)|null */
    private $observer = null;

    /**
     * @param array<string, mixed> $appConfig spreed's app config values (see StateLoader::config())
     * @param string $tablePrefix Nextcloud's `dbtableprefix`
     * @param (callable(string): ?string)|null $userDisplayName the user manager's display name of a user id
     */
    public function __construct(
        \PDO $pdo,
        private readonly CallRules $rules,
        private readonly array $appConfig,
        string $tablePrefix = 'oc_',
        ?callable $userDisplayName = null,
        private readonly int $attempts = self::DEFAULT_ATTEMPTS,
    ) {
        $this->sql = new Sql($pdo);
        $this->prefix = Columns::checkPrefix($tablePrefix);
        $this->loader = new StateLoader($pdo, $this->prefix);
        $this->writer = new MutationWriter($pdo, $this->prefix);
        $this->userDisplayName = $userDisplayName;
        // The app config is read once, so a bad value is reported before any lock is taken.
        StateLoader::config($appConfig);
        if ($attempts < 1) {
            throw new \InvalidArgumentException('CallStore: $attempts must be at least 1');
        }
    }

    /**
     * Decides `$request` (a Request as arrays: method, path, body, actor, now, contentType)
     * on the conversation its path names and commits the mutations. Returns the Outcome.
     *
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     * @throws StorageException after a rollback: `conflict` when every attempt met a lock
     *         conflict (or the one attempt inside the app's transaction did), else the
     *         reason of the failure (`database`, `bad-row`, `missing-row`, …)
     */
    public function decide(array $request): array
    {
        $token = self::tokenOf($request);
        $nested = $this->sql->pdo->inTransaction();
        $this->lastAttempts = 0;
        $last = null;
        for ($attempt = 1; $attempt <= ($nested ? 1 : $this->attempts); $attempt++) {
            $this->lastAttempts = $attempt;
            if ($attempt > 1) {
                // A growing pause with jitter: 2, 4, 8 … ms, at most 100 ms.
                usleep(random_int(1000, 1000 * min(100, 2 ** ($attempt - 1))));
            }
            try {
                $outcome = $this->attempt($token, $request, $nested, $attempt);
            } catch (\Throwable $e) {
                if (!Sql::isConflict($e)) {
                    throw $e instanceof StorageException ? $e
                        : new StorageException(StorageException::DATABASE, $e->getMessage(), null, $e);
                }
                $last = $e;
                $this->notify('conflict', $attempt, null);
                continue;
            }
            $this->notify('committed', $attempt, $outcome);
            return $outcome;
        }
        $why = $nested ? 'inside the caller\'s transaction, which must be run again' : "after {$this->lastAttempts} attempts";
        throw new StorageException(StorageException::CONFLICT, "conversation \"{$token}\" stayed locked {$why}: " . ($last?->getMessage() ?? ''), null, $last);
    }

    /**
     * Watches the attempts (metrics, tracing, tests): `$observer(string $event, int $attempt,
     * ?array $outcome)` is called with "decided" after an attempt evaluated the request and
     * before it writes, with "committed" after its commit, and with "conflict" when a lock
     * conflict ended it. It runs inside the locked transaction for "decided": keep it short.
     *
     * @param (callable(string, int, ?array): void)|null $observer
     */
    public function observe(?callable $observer): void
    {
        $this->observer = $observer;
    }

    /** How many attempts the last decide() made (1 when there was no conflict). */
    public function lastAttempts(): int
    {
        return $this->lastAttempts;
    }

    /** One attempt: begin, lock, load, evaluate, write, commit; rolled back when it throws. */
    private function attempt(string $token, array $request, bool $nested, int $attempt): array
    {
        // Nextcloud's isolation for MySQL/MariaDB connections (theirs may be REPEATABLE READ).
        $this->sql->begin($nested, self::SAVEPOINT, 'READ COMMITTED');
        try {
            $roomId = $token === '' ? null : $this->sql->lockRoom($this->prefix . Columns::ROOMS, $token);
            $state = $roomId === null ? null
                : $this->loader->load($token, $this->appConfig, $request, $this->userDisplayName);
            $outcome = $this->rules->evaluate($request, $state ?? StateLoader::withoutRoom($this->appConfig));
            $this->notify('decided', $attempt, $outcome);
            $mutations = $outcome['mutations'] ?? [];
            if ($state !== null && $mutations !== []) {
                $this->writer->apply($token, $mutations);
            }
            $this->sql->commit($nested, self::SAVEPOINT);
            return $outcome;
        } catch (\Throwable $e) {
            $this->sql->rollBack($nested, self::SAVEPOINT);
            throw $e;
        }
    }

    /**
     * The `{token}` segment of the path as the router reads it (runs of `/` collapsed, then
     * percent-decoded), or '' when the path names no call endpoint: the rules answer that.
     */
    public static function tokenOf(array $request): string
    {
        $path = $request['path'] ?? null;
        if (!is_string($path)) {
            return '';
        }
        return preg_match('~/call/([a-z0-9]{4,30})(?:/|$)~', StateLoader::routingPath($path), $m) === 1 ? $m[1] : '';
    }

    private function notify(string $event, int $attempt, ?array $outcome): void
    {
        if ($this->observer !== null) {
            ($this->observer)($event, $attempt, $outcome);
        }
    }

    private const SAVEPOINT = 'talk_call_rules_store';
}
