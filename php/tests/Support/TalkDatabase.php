<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests\Support;

/**
 * A Talk database for the storage tests, in SQLite, PostgreSQL or MySQL/MariaDB: the tables of
 * talk-tables.<engine>.sql, rows seeded from a State, the app config values that give a State's
 * `config`, and the projection of a State onto what the tables hold.
 *
 * SQLite is always there (in memory, or in a temporary file when a second connection is
 * wanted). PostgreSQL and MariaDB are the servers the php test stage starts
 * (scripts/databases.sh), named by TCR_PGSQL_DSN/_USER/_PASSWORD and
 * TCR_MYSQL_DSN/_USER/_PASSWORD; each create() on them makes a database of its own there (a
 * PostgreSQL schema, a MariaDB database) named tcr_<pid>_<n>, dropped when the process ends
 * (and, if a process died first, by the next process that uses the server). Without those
 * variables the two are left out of engines() — unless CI=true or TCR_REQUIRE_DATABASES=1,
 * where every engine is listed and a missing server fails the tests that use it.
 *
 * The conversions here are written out on their own (gmdate, 0 for "never", the
 * rules' defaults), not taken from the classes under test, so a mistake there cannot
 * hide behind the same mistake here.
 */
final class TalkDatabase
{
    /** The token of the second conversation, which holds the State's foreign attendees. */
    public const OTHER_TOKEN = 'zz-other-room';

    /** Every engine the suite knows, in the order tests run on them. */
    public const ENGINES = ['sqlite', 'pgsql', 'mysql'];

    /** engine => the prefix of its environment variables (…_DSN, …_USER, …_PASSWORD). */
    private const ENV = ['pgsql' => 'TCR_PGSQL', 'mysql' => 'TCR_MYSQL'];

    /** @var \WeakMap<\PDO, array{dsn:string,user:?string,password:?string,engine:string}>|null */
    private static ?\WeakMap $made = null;
    /** @var array<string, \PDO> engine => the connection that creates and drops databases */
    private static array $admin = [];
    /** @var array<string, list<string>> engine => databases (schemas) this process made */
    private static array $names = [];
    /** @var list<string> SQLite files this process made */
    private static array $files = [];
    private static int $serial = 0;
    private static bool $atExit = false;

    /**
     * The engines to run database tests on: 'sqlite', plus 'pgsql' and 'mysql' when their
     * DSN variable is set, or always when the databases are required (see required()).
     *
     * @return list<string>
     */
    public static function engines(): array
    {
        return array_values(array_filter(
            self::ENGINES,
            static fn (string $e): bool => $e === 'sqlite' || self::required() || self::env($e, 'DSN') !== null
        ));
    }

    /** CI=true or TCR_REQUIRE_DATABASES=1: a missing PostgreSQL or MariaDB fails instead of being left out. */
    public static function required(): bool
    {
        return getenv('CI') === 'true' || getenv('TCR_REQUIRE_DATABASES') === '1';
    }

    /**
     * A PDO (ERRMODE_EXCEPTION) on a fresh, empty database of `$engine` with Talk's tables
     * under `$prefix`. SQLite is in memory unless `$shareable`: then it is a temporary file,
     * which connectAgain() and another process (dsn()) can open too. PostgreSQL and MariaDB
     * databases are always shareable.
     */
    public static function create(string $prefix = 'oc_', string $engine = 'sqlite', bool $shareable = false): \PDO
    {
        if (preg_match('/^[A-Za-z0-9_]*$/', $prefix) !== 1) {
            throw new \InvalidArgumentException("TalkDatabase: bad table prefix \"{$prefix}\"");
        }
        $db = match ($engine) {
            'sqlite' => self::newSqlite($shareable),
            'pgsql', 'mysql' => self::newOnServer($engine),
            default => throw new \InvalidArgumentException("TalkDatabase: unknown engine \"{$engine}\" (" . implode(', ', self::ENGINES) . ')'),
        };
        $pdo = self::open($db);
        $ddl = (string) file_get_contents(__DIR__ . "/talk-tables.{$engine}.sql");
        foreach (self::statements(str_replace('*PREFIX*', $prefix, $ddl)) as $sql) {
            $pdo->exec($sql);
        }
        return $pdo;
    }

    /** A second, independent connection to the database of `$pdo` (made by create()). */
    public static function connectAgain(\PDO $pdo): \PDO
    {
        return self::open(self::dsn($pdo));
    }

    /**
     * How another connection — in this process or another one — opens the database of `$pdo`
     * (made by create()): `new \PDO($dsn, $user, $password)`.
     *
     * @return array{dsn:string,user:?string,password:?string,engine:string}
     */
    public static function dsn(\PDO $pdo): array
    {
        $db = self::$made[$pdo] ?? null;
        if ($db === null) {
            throw new \LogicException('TalkDatabase: this PDO was not made by TalkDatabase::create()');
        }
        if ($db['dsn'] === 'sqlite::memory:') {
            throw new \LogicException('TalkDatabase: an in-memory SQLite database has no second connection; create it with $shareable = true');
        }
        return $db;
    }

    /** The engine of a connection: 'sqlite', 'pgsql' or 'mysql' (PDO's driver name). */
    public static function engine(\PDO $pdo): string
    {
        return (string) $pdo->getAttribute(\PDO::ATTR_DRIVER_NAME);
    }

    /**
     * Empties Talk's three tables (for a test that seeds one database again and again).
     * Table structure, indexes and sequences stay; seed() sets the sequences past its ids.
     */
    public static function clear(\PDO $pdo, string $prefix = 'oc_'): void
    {
        foreach (['talk_sessions', 'talk_attendees', 'talk_rooms'] as $t) {
            $pdo->exec("DELETE FROM {$prefix}{$t}");
        }
    }

    /**
     * Inserts a State's rows: its room (id 1) with its attendees and sessions, and a second
     * room (id 2) holding `foreignAttendees` (actor id "foreign-<id>", participant type 3).
     *
     * @param array<string, mixed> $state a State as arrays (json_decode(..., true))
     */
    public static function seed(\PDO $pdo, array $state, string $prefix = 'oc_'): void
    {
        // One transaction (unless the caller has one open) and one statement per column list:
        // a seed per vector step must stay cheap on a server.
        $own = !$pdo->inTransaction();
        if ($own) {
            $pdo->beginTransaction();
        }
        try {
            self::insertRows($pdo, $state, $prefix);
            $own && $pdo->commit();
        } catch (\Throwable $e) {
            $own && $pdo->inTransaction() && $pdo->rollBack();
            throw $e;
        }
    }

    /** @param array<string, mixed> $state */
    private static function insertRows(\PDO $pdo, array $state, string $prefix): void
    {
        $room = $state['room'];
        $statements = [];
        $ins = static function (string $table, array $row) use ($pdo, $prefix, &$statements): void {
            $cols = array_keys($row);
            $sql = "INSERT INTO {$prefix}{$table} (" . implode(', ', $cols) . ') VALUES ('
                . implode(', ', array_fill(0, count($cols), '?')) . ')';
            ($statements[$sql] ??= $pdo->prepare($sql))->execute(array_values($row));
        };
        $ins('talk_rooms', [
            'id' => 1,
            'name' => 'Seeded conversation',
            'token' => $room['token'],
            'type' => $room['type'],
            'read_only' => $room['readOnly'] ?? 0,
            'listable' => $room['listable'] ?? 0,
            'lobby_state' => $room['lobbyState'] ?? 0,
            'lobby_timer' => self::datetime($room['lobbyTimer'] ?? null),
            'object_type' => $room['objectType'] ?? '',
            'call_flag' => $room['callFlag'] ?? 0,
            'active_since' => self::datetime($room['activeSince'] ?? null),
            'active_guests' => $room['activeGuests'] ?? 0,
            'default_permissions' => $room['defaultPermissions'] ?? 0,
            'call_permissions' => $room['callPermissions'] ?? 0,
            'recording_consent' => $room['recordingConsent'] ?? 0,
            'call_recording' => $room['callRecording'] ?? 0,
            'breakout_room_mode' => $room['breakoutRoomMode'] ?? 0,
            'breakout_room_status' => $room['breakoutRoomStatus'] ?? 0,
        ]);
        $ins('talk_rooms', ['id' => 2, 'token' => self::OTHER_TOKEN, 'type' => 2]);
        foreach ($state['attendees'] ?? [] as $a) {
            $ins('talk_attendees', [
                'id' => $a['attendeeId'],
                'room_id' => 1,
                'actor_type' => $a['actorType'],
                'actor_id' => $a['actorId'],
                'display_name' => $a['displayName'] ?? '',
                'participant_type' => $a['participantType'],
                'permissions' => $a['permissions'] ?? 0,
                'last_joined_call' => $a['lastJoinedCall'] ?? 0,
                'notification_calls' => $a['notificationCalls'] ?? 1,
                'phone_number' => $a['phoneNumber'] ?? null,
                'call_id' => $a['callId'] ?? null,
            ]);
        }
        foreach ($state['foreignAttendees'] ?? [] as $f) {
            $ins('talk_attendees', [
                'id' => $f['attendeeId'],
                'room_id' => 2,
                'actor_type' => $f['actorType'],
                'actor_id' => 'foreign-' . $f['attendeeId'],
                'participant_type' => 3,
            ]);
        }
        foreach ($state['sessions'] ?? [] as $s) {
            $ins('talk_sessions', [
                'attendee_id' => $s['attendeeId'],
                'session_id' => $s['sessionId'],
                'in_call' => $s['inCall'] ?? 0,
                'last_ping' => $s['lastPing'] ?? 0,
            ]);
        }
        if (self::engine($pdo) === 'pgsql') {
            // Rows inserted with their id leave a PostgreSQL sequence where it was (SQLite and
            // MySQL move past them): a later insert without an id would collide.
            foreach (['talk_rooms', 'talk_attendees'] as $t) {
                $pdo->query("SELECT setval(pg_get_serial_sequence('{$prefix}{$t}', 'id'), MAX(id)) FROM {$prefix}{$t}")->closeCursor();
            }
        }
    }

    /**
     * spreed app config values whose effective reading is the State's `config`: external
     * signaling comes with a configured signaling server, a recording-consent requirement
     * with a usable recording backend.
     *
     * @param array<string, mixed> $config the State's config
     * @return array<string, string>
     */
    public static function appConfigFor(array $config): array
    {
        $out = [
            'start_calls' => (string) ($config['startCalls'] ?? 0),
            'allowed_groups' => json_encode($config['allowedGroups'] ?? []),
        ];
        if (($config['defaultPermissions'] ?? null) !== null) {
            $out['default_permissions'] = (string) $config['defaultPermissions'];
        }
        if (($config['signaling'] ?? 'internal') === 'external') {
            $out['signaling_mode'] = 'external';
            $out['signaling_servers'] = '{"servers":[{"server":"wss://signaling.example.test","verify":true}],"secret":"signaling-secret"}';
            $out['call_recording'] = 'yes';
            $out['recording_servers'] = '{"servers":[{"server":"https://recording.example.test","verify":true}],"secret":"recording-secret"}';
            $out['recording_consent'] = (string) ($config['recordingConsent'] ?? 0);
        } else {
            $out['signaling_mode'] = 'internal';
            // Ignored while signaling is internal: no recording backend can be used then.
            $out['recording_consent'] = '1';
        }
        return $out;
    }

    /**
     * The part of a State the tables hold, with the rules' defaults filled in and the
     * tables' equivalences applied (lastJoinedCall 0 = never = null; a NULL display name or
     * object type is ''). Rows are keyed by id and sorted; `foreignAttendees` is narrowed to
     * `$target`, the one row a loader looks up for a request.
     *
     * @param array<string, mixed> $state
     * @return array<string, mixed>
     */
    public static function owned(array $state, ?int $target = null): array
    {
        $c = $state['config'] ?? [];
        $r = $state['room'] ?? [];
        $out = [
            'config' => [
                'startCalls' => $c['startCalls'] ?? 0,
                'allowedGroups' => $c['allowedGroups'] ?? [],
                'recordingConsent' => $c['recordingConsent'] ?? 0,
                'defaultPermissions' => $c['defaultPermissions'] ?? null,
                'signaling' => $c['signaling'] ?? 'internal',
            ],
            'room' => [
                'token' => $r['token'] ?? null,
                'type' => $r['type'] ?? null,
                'readOnly' => $r['readOnly'] ?? 0,
                'listable' => $r['listable'] ?? 0,
                'lobbyState' => $r['lobbyState'] ?? 0,
                'lobbyTimer' => $r['lobbyTimer'] ?? null,
                'objectType' => $r['objectType'] ?? '',
                'callFlag' => $r['callFlag'] ?? 0,
                'activeSince' => $r['activeSince'] ?? null,
                'activeGuests' => $r['activeGuests'] ?? 0,
                'defaultPermissions' => $r['defaultPermissions'] ?? 0,
                'callPermissions' => $r['callPermissions'] ?? 0,
                'recordingConsent' => $r['recordingConsent'] ?? 0,
                'callRecording' => $r['callRecording'] ?? 0,
                'breakoutRoomMode' => $r['breakoutRoomMode'] ?? 0,
                'breakoutRoomStatus' => $r['breakoutRoomStatus'] ?? 0,
            ],
            'attendees' => [],
            'sessions' => [],
            'foreignAttendees' => [],
        ];
        foreach ($state['attendees'] ?? [] as $a) {
            $out['attendees'][$a['attendeeId']] = [
                'attendeeId' => $a['attendeeId'],
                'actorType' => $a['actorType'],
                'actorId' => $a['actorId'],
                'displayName' => $a['displayName'] ?? '',
                'participantType' => $a['participantType'],
                'permissions' => $a['permissions'] ?? 0,
                'lastJoinedCall' => ($a['lastJoinedCall'] ?? 0) === 0 ? null : $a['lastJoinedCall'],
                'notificationCalls' => $a['notificationCalls'] ?? 1,
                'phoneNumber' => $a['phoneNumber'] ?? null,
                'callId' => $a['callId'] ?? null,
            ];
        }
        ksort($out['attendees']);
        foreach ($state['sessions'] ?? [] as $s) {
            $out['sessions'][$s['sessionId']] = [
                'sessionId' => $s['sessionId'],
                'attendeeId' => $s['attendeeId'],
                'inCall' => $s['inCall'] ?? 0,
                'lastPing' => $s['lastPing'] ?? 0,
            ];
        }
        ksort($out['sessions'], SORT_STRING);
        foreach ($state['foreignAttendees'] ?? [] as $f) {
            if ($f['attendeeId'] === $target) {
                $out['foreignAttendees'][] = ['attendeeId' => $f['attendeeId'], 'actorType' => $f['actorType']];
            }
        }
        return $out;
    }

    /**
     * Every row of the three tables, all columns, for "nothing changed" checks.
     *
     * @return array<string, list<array<string, mixed>>>
     */
    public static function dump(\PDO $pdo, string $prefix = 'oc_'): array
    {
        $out = [];
        foreach (['talk_rooms', 'talk_attendees', 'talk_sessions'] as $t) {
            $out[$t] = $pdo->query("SELECT * FROM {$prefix}{$t} ORDER BY id")->fetchAll(\PDO::FETCH_ASSOC);
        }
        return $out;
    }

    /** Unix seconds as the UTC text Nextcloud keeps in DATETIME columns. */
    private static function datetime(?int $unix): ?string
    {
        return $unix === null ? null : gmdate('Y-m-d H:i:s', $unix);
    }

    // ---- connections ----

    /** @param array{dsn:string,user:?string,password:?string,engine:string} $db */
    private static function open(array $db): \PDO
    {
        $pdo = new \PDO($db['dsn'], $db['user'], $db['password'], [\PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION]);
        self::$made ??= new \WeakMap();
        self::$made[$pdo] = $db;
        return $pdo;
    }

    /** @return array{dsn:string,user:?string,password:?string,engine:string} */
    private static function newSqlite(bool $shareable): array
    {
        if (!$shareable) {
            return ['dsn' => 'sqlite::memory:', 'user' => null, 'password' => null, 'engine' => 'sqlite'];
        }
        $file = tempnam(sys_get_temp_dir(), 'tcr-sqlite-');
        if ($file === false) {
            throw new \RuntimeException('TalkDatabase: no temporary file for SQLite');
        }
        self::$files[] = $file;
        self::cleanUpAtExit();
        return ['dsn' => "sqlite:{$file}", 'user' => null, 'password' => null, 'engine' => 'sqlite'];
    }

    /**
     * A new, empty database on the engine's server: a schema that the connection's search
     * path names (PostgreSQL) or a database (MariaDB), tcr_<pid>_<n>.
     *
     * @return array{dsn:string,user:?string,password:?string,engine:string}
     */
    private static function newOnServer(string $engine): array
    {
        $admin = self::admin($engine);
        $name = 'tcr_' . getmypid() . '_' . ++self::$serial;
        if ($engine === 'pgsql') {
            $admin->exec("CREATE SCHEMA {$name}");
            // libpq's `options`: every connection opened with this DSN works in the new schema.
            $dsn = self::withDsnKey(self::env($engine, 'DSN'), 'options', "-csearch_path={$name}");
        } else {
            $admin->exec("CREATE DATABASE {$name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
            $dsn = self::withDsnKey(self::env($engine, 'DSN'), 'dbname', $name);
        }
        self::$names[$engine][] = $name;
        return ['dsn' => $dsn, 'user' => self::env($engine, 'USER'), 'password' => self::env($engine, 'PASSWORD'), 'engine' => $engine];
    }

    /** The connection to the server's test database (TCR_*_DSN) that creates and drops the others. */
    private static function admin(string $engine): \PDO
    {
        if (isset(self::$admin[$engine])) {
            return self::$admin[$engine];
        }
        $var = self::ENV[$engine] . '_DSN';
        $dsn = self::env($engine, 'DSN');
        if ($dsn === null) {
            $what = $engine === 'pgsql' ? 'PostgreSQL' : 'MariaDB';
            throw new \RuntimeException("TalkDatabase: {$var} is not set: no {$what} server to test on"
                . (self::required() ? ' (CI=true or TCR_REQUIRE_DATABASES=1 require it)' : '')
                . '; ./build.sh test-php starts one (scripts/databases.sh)');
        }
        $pdo = new \PDO($dsn, self::env($engine, 'USER'), self::env($engine, 'PASSWORD'), [\PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION]);
        // Cleaning up must never wait long behind a connection a test left inside a transaction.
        $pdo->exec($engine === 'pgsql' ? "SET lock_timeout = '5s'" : 'SET SESSION lock_wait_timeout = 5');
        self::$admin[$engine] = $pdo;
        self::dropLeftovers($engine, $pdo);
        self::cleanUpAtExit();
        return $pdo;
    }

    /** Drops the tcr_<pid>_<n> databases of processes that are gone (they died before cleaning up). */
    private static function dropLeftovers(string $engine, \PDO $admin): void
    {
        $names = $engine === 'pgsql'
            ? $admin->query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tcr\\_%'")->fetchAll(\PDO::FETCH_COLUMN)
            : $admin->query("SHOW DATABASES LIKE 'tcr\\_%'")->fetchAll(\PDO::FETCH_COLUMN);
        foreach ($names as $name) {
            if (preg_match('/^tcr_(\d+)_\d+$/', (string) $name, $m) === 1 && !file_exists("/proc/{$m[1]}")) {
                self::drop($engine, $admin, (string) $name);
            }
        }
    }

    private static function drop(string $engine, \PDO $admin, string $name): void
    {
        try {
            $admin->exec($engine === 'pgsql' ? "DROP SCHEMA IF EXISTS {$name} CASCADE" : "DROP DATABASE IF EXISTS {$name}");
        } catch (\PDOException) {
            // In use by a connection that is still inside a transaction: left for a later run.
        }
    }

    private static function cleanUpAtExit(): void
    {
        if (self::$atExit) {
            return;
        }
        self::$atExit = true;
        register_shutdown_function(static function (): void {
            foreach (self::$names as $engine => $names) {
                foreach ($names as $name) {
                    self::drop($engine, self::$admin[$engine], $name);
                }
            }
            foreach (self::$files as $file) {
                foreach (['', '-journal', '-wal', '-shm'] as $suffix) {
                    if (file_exists($file . $suffix)) {
                        @unlink($file . $suffix);
                    }
                }
            }
        });
    }

    /** An environment variable TCR_PGSQL_<what> / TCR_MYSQL_<what>, null when unset or empty. */
    private static function env(string $engine, string $what): ?string
    {
        if (!isset(self::ENV[$engine])) {
            return null;
        }
        $v = getenv(self::ENV[$engine] . '_' . $what);
        return $v === false || $v === '' ? null : $v;
    }

    /** `$dsn` with `$key=$value` in place of the key's current value (or added). */
    private static function withDsnKey(string $dsn, string $key, string $value): string
    {
        [$driver, $rest] = explode(':', $dsn, 2);
        $parts = array_filter(explode(';', $rest), static fn (string $p): bool => $p !== '' && !str_starts_with(strtolower(trim($p)), "{$key}="));
        $parts[] = "{$key}={$value}";
        return $driver . ':' . implode(';', $parts);
    }

    /** @return list<string> the statements of a .sql file (no `;` inside a statement's text) */
    private static function statements(string $sql): array
    {
        $sql = (string) preg_replace('/^\s*--.*$/m', '', $sql);
        return array_values(array_filter(array_map('trim', explode(';', $sql)), static fn (string $s): bool => $s !== ''));
    }
}
