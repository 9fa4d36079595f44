<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Storage\MutationWriter;
use OCA\TalkCallRules\Storage\StateLoader;
use OCA\TalkCallRules\Storage\StorageException;
use OCA\TalkCallRules\Tests\Support\VectorDriver;
use OCA\TalkCallRules\Tests\Support\TalkDatabase;
use PHPUnit\Framework\TestCase;

/**
 * StateLoader and MutationWriter against Talk's tables in SQLite, PostgreSQL and MariaDB
 * (TalkDatabase::engines(); every database test runs on each): every vector request step
 * whose state the tables can hold — each one that expects a state among them — goes through
 * the database (rows seeded from the running state, loaded, evaluated, written, read back),
 * plus the all-or-nothing writes, the State → rows → State round trip, UTC datetimes,
 * prefixes, the three schemas side by side and the app config mapping.
 */
final class StorageTest extends TestCase
{
    private static ?CallRules $rules = null;

    private static function rules(): CallRules
    {
        // Not skipped when unavailable: a green run must have run the vectors.
        return self::$rules ??= new CallRules();
    }

    public static function tearDownAfterClass(): void
    {
        self::$rules = null;
    }

    /** @return array<string, array{0:string}> engine => [engine] */
    public static function engines(): array
    {
        $out = [];
        foreach (TalkDatabase::engines() as $engine) {
            $out[$engine] = [$engine];
        }
        return $out;
    }

    /**
     * Each case once per engine, the engine first: "pgsql: name" => [engine, ...case].
     *
     * @param array<string, list<mixed>> $cases
     * @return array<string, list<mixed>>
     */
    private static function onEveryEngine(array $cases): array
    {
        $out = [];
        foreach (TalkDatabase::engines() as $engine) {
            foreach ($cases as $name => $args) {
                $out["{$engine}: {$name}"] = [$engine, ...$args];
            }
        }
        return $out;
    }

    /** @return array<string, array{0:string, 1:string}> engine, vector file */
    public static function files(): array
    {
        $out = [];
        foreach (VectorDriver::defaultFiles() as $f) {
            $out[basename(dirname($f)) . '/' . basename($f)] = [$f];
        }
        return self::onEveryEngine($out);
    }

    /**
     * Each request step whose running state the tables can hold goes through the database:
     * rows seeded from the running state load back as that state, the loaded state gets the
     * same Outcome, and its mutations, written and read back, equal CallRules::apply()'s
     * state in every field the tables hold. Every step with `expect.state` must be among them.
     * One database per file, emptied before each step.
     *
     * @dataProvider files
     */
    public function testVectorStepsThroughTheDatabase(string $engine, string $file): void
    {
        $rules = self::rules();
        $pdo = TalkDatabase::create('oc_', $engine);
        $driver = new VectorDriver($rules);
        $cases = json_decode((string) file_get_contents($file), false, 100000, JSON_THROW_ON_ERROR);
        $withState = 0;
        $checked = ['steps' => 0, 'with expect.state' => 0];
        foreach ($cases as $case) {
            foreach (property_exists($case, 'steps') ? $case->steps : [$case] as $step) {
                if (is_object($step) && property_exists($step, 'request') && is_object($step->expect->state ?? null)) {
                    $withState++;
                }
            }
            $driver->walk($case, function (int $n, object $step, mixed $state) use ($rules, $case, $pdo, &$checked): mixed {
                $what = "{$case->name} step {$n}";
                $text = $rules->evaluateJson(VectorDriver::json($step->request), VectorDriver::json($state));
                $outcome = json_decode($text, true);
                $hasState = is_object($step->expect->state ?? null);
                $why = self::outOfReach(self::arrays($state), $outcome);
                if ($why === null) {
                    $this->roundTrip($pdo, $what, $step->request, $state, $outcome);
                    $checked['steps']++;
                    $checked['with expect.state'] += $hasState ? 1 : 0;
                } else {
                    self::assertFalse($hasState, "{$what}: a step with expect.state has a state the tables cannot hold ({$why})");
                }
                $mutations = json_decode($text, false)->mutations;
                return json_decode($rules->applyJson(VectorDriver::json($state), VectorDriver::json($mutations)), false);
            });
        }
        self::assertSame($withState, $checked['with expect.state'], "{$file}: every step with expect.state goes through the database");
        self::assertGreaterThan(0, $checked['steps'], "{$file}: no step went through the database");
    }

    /**
     * Why a running state cannot come out of Talk's tables and app config, or null when it
     * can: the rules reject it as it stands (a column typed as text, a missing room), or its
     * config asks for recording consent while signaling is internal, where the server's
     * effective requirement is always 0.
     */
    private static function outOfReach(array $state, array $outcome): ?string
    {
        $detail = $outcome['data']['detail'] ?? null;
        if ($outcome['reason'] === 'bad-input' && is_string($detail) && str_starts_with($detail, 'state')) {
            return "the rules reject it: {$detail}";
        }
        $config = $state['config'] ?? [];
        if (($config['signaling'] ?? 'internal') !== 'external' && ($config['recordingConsent'] ?? 0) !== 0) {
            return 'a recording-consent requirement with internal signaling';
        }
        return null;
    }

    private function roundTrip(\PDO $pdo, string $what, object $requestTree, mixed $stateTree, array $expected): void
    {
        $rules = self::rules();
        $state = self::arrays($stateTree);
        $request = self::arrays($requestTree);
        $token = $state['room']['token'];
        $target = StateLoader::targetAttendeeId($request);

        TalkDatabase::clear($pdo);
        TalkDatabase::seed($pdo, $state);
        $appConfig = TalkDatabase::appConfigFor($state['config'] ?? []);
        $names = static fn (string $uid): ?string => $state['users'][$uid]['displayName'] ?? null;
        $loader = new StateLoader($pdo);
        $loaded = $loader->load($token, $appConfig, $request, $names);
        self::assertNotNull($loaded, "{$what}: the seeded room loads");
        self::assertEquals(TalkDatabase::owned($state, $target), TalkDatabase::owned($loaded, $target), "{$what}: rows load as the running state");

        // The loaded State as JSON text: json_encode() of it is exact (no empty object in it).
        $text = $rules->evaluateJson(VectorDriver::json($requestTree), (string) json_encode($loaded));
        $outcome = json_decode($text, true);
        self::assertEquals($expected, $outcome, "{$what}: the loaded state gets the same Outcome");

        (new MutationWriter($pdo))->apply($token, $outcome['mutations']);
        $readBack = $loader->load($token, $appConfig, $request, $names);
        self::assertNotNull($readBack);
        $applied = json_decode($rules->applyJson((string) json_encode($loaded), VectorDriver::json(json_decode($text, false)->mutations)), true);
        self::assertEquals(TalkDatabase::owned($applied, $target), TalkDatabase::owned($readBack, $target), "{$what}: the rows written read back as apply()'s state");
    }

    // ---- all or nothing ----

    /** @return array<string, array{0:array, 1:string, 2:int}> mutations, reason, index */
    public static function badLists(): array
    {
        $good = [
            ['op' => 'updateRoom', 'set' => ['callFlag' => 7, 'activeSince' => 1700000000]],
            ['op' => 'updateAttendee', 'attendeeId' => 1, 'set' => ['lastJoinedCall' => 1700000000]],
            ['op' => 'updateSession', 'sessionId' => 'session-alice', 'set' => ['inCall' => 7]],
        ];
        $with = static fn (mixed $bad): array => [...$good, $bad, ['op' => 'updateRoom', 'set' => ['activeGuests' => 1]]];
        return [
            'missing session' => [$with(['op' => 'updateSession', 'sessionId' => 'no-such-session', 'set' => ['inCall' => 3]]), StorageException::MISSING_ROW, 3],
            'missing attendee' => [$with(['op' => 'updateAttendee', 'attendeeId' => 404, 'set' => ['permissions' => 0]]), StorageException::MISSING_ROW, 3],
            'attendee of another conversation' => [$with(['op' => 'updateAttendee', 'attendeeId' => 9, 'set' => ['permissions' => 0]]), StorageException::MISSING_ROW, 3],
            'session of another conversation' => [$with(['op' => 'updateSession', 'sessionId' => 'session-foreign', 'set' => ['inCall' => 1]]), StorageException::MISSING_ROW, 3],
            'unknown op' => [$with(['op' => 'deleteRoom', 'set' => []]), StorageException::UNKNOWN_OP, 3],
            'unknown column' => [$with(['op' => 'updateRoom', 'set' => ['callFlag' => 1, 'password' => 'x']]), StorageException::UNKNOWN_COLUMN, 3],
            'identifier column' => [$with(['op' => 'updateSession', 'sessionId' => 'session-alice', 'set' => ['attendeeId' => 2]]), StorageException::UNKNOWN_COLUMN, 3],
            'column name as SQL' => [$with(['op' => 'updateRoom', 'set' => ['call_flag = 0, token' => 'x']]), StorageException::UNKNOWN_COLUMN, 3],
            'string for an int' => [$with(['op' => 'updateRoom', 'set' => ['callFlag' => '7']]), StorageException::BAD_MUTATION, 3],
            'null for NOT NULL' => [$with(['op' => 'updateSession', 'sessionId' => 'session-alice', 'set' => ['inCall' => null]]), StorageException::BAD_MUTATION, 3],
            'negative datetime' => [$with(['op' => 'updateRoom', 'set' => ['activeSince' => -1]]), StorageException::BAD_MUTATION, 3],
            'no attendee id' => [$with(['op' => 'updateAttendee', 'set' => ['permissions' => 0]]), StorageException::BAD_MUTATION, 3],
            'set is a list' => [$with(['op' => 'updateRoom', 'set' => [1, 2]]), StorageException::BAD_MUTATION, 3],
            'not an object' => [$with('updateRoom'), StorageException::BAD_MUTATION, 3],
            // Longer than object_type's VARCHAR(64): PostgreSQL and MariaDB (strict mode) refuse it.
            'a value the database refuses' => [$with(['op' => 'updateRoom', 'set' => ['objectType' => str_repeat('x', 65)]]), StorageException::DATABASE, 3],
        ];
    }

    /** @return array<string, array{0:string, 1:array, 2:string, 3:int}> engine, mutations, reason, index */
    public static function badListsOnEveryEngine(): array
    {
        return self::onEveryEngine(self::badLists());
    }

    /** @dataProvider badListsOnEveryEngine */
    public function testAFailingMutationWritesNothing(string $engine, array $mutations, string $reason, int $index): void
    {
        $pdo = self::smallDatabase($engine);
        if ($reason === StorageException::DATABASE && $engine === 'sqlite') {
            // SQLite takes text of any length; a trigger stands in for the other databases' check.
            $pdo->exec("CREATE TRIGGER refuse BEFORE UPDATE OF object_type ON oc_talk_rooms BEGIN SELECT RAISE(ABORT, 'refused by the database'); END");
        }
        $before = TalkDatabase::dump($pdo);
        try {
            (new MutationWriter($pdo))->apply('abcd1234', $mutations);
            self::fail('no exception');
        } catch (StorageException $e) {
            self::assertSame($reason, $e->reason, $e->getMessage());
            self::assertSame($index, $e->index, $e->getMessage());
            self::assertStringContainsString("mutations[{$index}]", $e->getMessage());
            self::assertStringContainsString('nothing was written', $e->getMessage());
        }
        self::assertEquals($before, TalkDatabase::dump($pdo), 'the earlier mutations were rolled back');
        self::assertFalse($pdo->inTransaction());
    }

    /** @dataProvider engines */
    public function testTheMissingRowIsNamed(string $engine): void
    {
        $pdo = self::smallDatabase($engine);
        $w = new MutationWriter($pdo);
        $cases = [
            [[['op' => 'updateSession', 'sessionId' => 'gone', 'set' => ['inCall' => 1]]], 'no session "gone" in conversation "abcd1234"'],
            [[['op' => 'updateAttendee', 'attendeeId' => 9, 'set' => ['permissions' => 1]]], 'no attendee 9 in conversation "abcd1234"'],
        ];
        foreach ($cases as [$list, $text]) {
            try {
                $w->apply('abcd1234', $list);
                self::fail('no exception');
            } catch (StorageException $e) {
                self::assertStringContainsString($text, $e->getMessage());
            }
        }
        try {
            $w->apply('nosuchroom', [['op' => 'updateRoom', 'set' => ['callFlag' => 1]]]);
            self::fail('no exception');
        } catch (StorageException $e) {
            self::assertSame(StorageException::MISSING_ROW, $e->reason);
            self::assertStringContainsString('conversation "nosuchroom" does not exist', $e->getMessage());
        }
    }

    /**
     * Unchanged values still count as found (MySQL reports 0 affected rows for them).
     *
     * @dataProvider engines
     */
    public function testWritingUnchangedValuesIsNotAMissingRow(string $engine): void
    {
        $pdo = self::smallDatabase($engine);
        $w = new MutationWriter($pdo);
        $list = [
            ['op' => 'updateSession', 'sessionId' => 'session-alice', 'set' => ['inCall' => 0]],
            ['op' => 'updateAttendee', 'attendeeId' => 1, 'set' => []],
            ['op' => 'updateRoom', 'set' => ['callFlag' => 0]],
        ];
        $before = TalkDatabase::dump($pdo);
        self::assertSame(3, $w->apply('abcd1234', $list));
        self::assertEquals($before, TalkDatabase::dump($pdo));
        self::assertSame(0, $w->apply('abcd1234', []));
    }

    /**
     * Inside the app's own transaction the writer uses a savepoint: a failure undoes only its part.
     *
     * @dataProvider engines
     */
    public function testInsideAnOpenTransaction(string $engine): void
    {
        $pdo = self::smallDatabase($engine);
        $w = new MutationWriter($pdo);
        $pdo->beginTransaction();
        $pdo->exec("UPDATE oc_talk_rooms SET name = 'renamed by the app' WHERE id = 1");
        $w->apply('abcd1234', [['op' => 'updateRoom', 'set' => ['callFlag' => 3]]]);
        try {
            $w->apply('abcd1234', [
                ['op' => 'updateRoom', 'set' => ['callFlag' => 7]],
                ['op' => 'updateSession', 'sessionId' => 'gone', 'set' => ['inCall' => 1]],
            ]);
            self::fail('no exception');
        } catch (StorageException $e) {
            self::assertSame(1, $e->index);
        }
        self::assertTrue($pdo->inTransaction(), "the app's transaction stays open");
        $row = $pdo->query('SELECT name, call_flag FROM oc_talk_rooms WHERE id = 1')->fetch(\PDO::FETCH_ASSOC);
        self::assertSame(['name' => 'renamed by the app', 'call_flag' => 3], $row);
        $pdo->rollBack();
        self::assertSame(0, $pdo->query('SELECT call_flag FROM oc_talk_rooms WHERE id = 1')->fetchColumn());
    }

    /**
     * The writer reports failures the same way when the connection does not throw.
     *
     * @dataProvider engines
     */
    public function testSilentErrorMode(string $engine): void
    {
        $pdo = self::smallDatabase($engine);
        $pdo->setAttribute(\PDO::ATTR_ERRMODE, \PDO::ERRMODE_SILENT);
        $pdo->exec('DROP TABLE oc_talk_sessions');
        $rooms = $pdo->query('SELECT * FROM oc_talk_rooms')->fetchAll(\PDO::FETCH_ASSOC);
        try {
            (new MutationWriter($pdo))->apply('abcd1234', [
                ['op' => 'updateRoom', 'set' => ['callFlag' => 7]],
                ['op' => 'updateSession', 'sessionId' => 'session-alice', 'set' => ['inCall' => 1]],
            ]);
            self::fail('no exception');
        } catch (StorageException $e) {
            self::assertSame(StorageException::DATABASE, $e->reason);
            self::assertStringContainsString('oc_talk_sessions', $e->getMessage());
        }
        self::assertEquals($rooms, $pdo->query('SELECT * FROM oc_talk_rooms')->fetchAll(\PDO::FETCH_ASSOC));
        try {
            (new StateLoader($pdo))->load('abcd1234', []);
            self::fail('no exception');
        } catch (StorageException $e) {
            self::assertSame(StorageException::DATABASE, $e->reason);
        }
    }

    // ---- round trip ----

    /**
     * Every owned field with a non-default value: rows → State → rows → State is the identity.
     *
     * @dataProvider engines
     */
    public function testStateRowsStateIsTheIdentity(string $engine): void
    {
        $state = self::fullState();
        $pdo = TalkDatabase::create('oc_', $engine);
        TalkDatabase::seed($pdo, $state);
        $loader = new StateLoader($pdo);
        $appConfig = TalkDatabase::appConfigFor($state['config']);
        $loaded = $loader->load('abcd1234', $appConfig);
        self::assertEquals(TalkDatabase::owned($state), TalkDatabase::owned($loaded));
        // The loader gives every owned field itself, defaults included, as the rules read them.
        self::assertSame(array_keys(TalkDatabase::owned($state)['room']), array_keys($loaded['room']));
        self::assertSame(array_keys(TalkDatabase::owned($state)['attendees'][1]), array_keys($loaded['attendees'][0]));
        self::assertSame(array_keys(TalkDatabase::owned($state)['sessions']['session-alice']), array_keys($loaded['sessions'][0]));

        // Each field written through the writer and read back: a second State, every value changed.
        $next = self::changedState();
        $mutations = [['op' => 'updateRoom', 'set' => array_diff_key($next['room'], ['token' => 1])]];
        foreach ($next['attendees'] as $a) {
            $mutations[] = ['op' => 'updateAttendee', 'attendeeId' => $a['attendeeId'], 'set' => array_diff_key($a, array_flip(['attendeeId', 'actorType', 'actorId']))];
        }
        foreach ($next['sessions'] as $s) {
            $mutations[] = ['op' => 'updateSession', 'sessionId' => $s['sessionId'], 'set' => array_diff_key($s, array_flip(['sessionId', 'attendeeId']))];
        }
        (new MutationWriter($pdo))->apply('abcd1234', $mutations);
        $readBack = $loader->load('abcd1234', $appConfig);
        self::assertEquals(TalkDatabase::owned($next), TalkDatabase::owned($readBack));
        self::assertEquals(TalkDatabase::owned(self::rules()->apply($loaded, $mutations)), TalkDatabase::owned($readBack));
    }

    /** @dataProvider engines */
    public function testDatetimesAreUtc(string $engine): void
    {
        $zone = date_default_timezone_get();
        date_default_timezone_set('Pacific/Chatham'); // +13:45 in November: any local reading would show
        try {
            $pdo = self::smallDatabase($engine);
            (new MutationWriter($pdo))->apply('abcd1234', [['op' => 'updateRoom', 'set' => ['activeSince' => 1700000000, 'lobbyTimer' => 86399]]]);
            $row = $pdo->query('SELECT active_since, lobby_timer FROM oc_talk_rooms WHERE id = 1')->fetch(\PDO::FETCH_ASSOC);
            self::assertSame(['active_since' => '2023-11-14 22:13:20', 'lobby_timer' => '1970-01-01 23:59:59'], $row);

            $pdo->exec("UPDATE oc_talk_rooms SET active_since = '2024-02-29 12:00:00', lobby_timer = '2038-01-19 03:14:08.000000' WHERE id = 1");
            $room = (new StateLoader($pdo))->load('abcd1234', [])['room'];
            self::assertSame(gmmktime(12, 0, 0, 2, 29, 2024), $room['activeSince']);
            self::assertSame(2147483648, $room['lobbyTimer']);

            (new MutationWriter($pdo))->apply('abcd1234', [['op' => 'updateRoom', 'set' => ['activeSince' => null, 'lobbyTimer' => null]]]);
            $row = $pdo->query('SELECT active_since, lobby_timer FROM oc_talk_rooms WHERE id = 1')->fetch(\PDO::FETCH_ASSOC);
            self::assertSame(['active_since' => null, 'lobby_timer' => null], $row);

            // Text that is no datetime the State can carry: SQLite stores any text, so the loader
            // must refuse it; PostgreSQL and MariaDB refuse an impossible date themselves, MariaDB
            // "yesterday" too (PostgreSQL reads it as a date); 1969 fits all three columns.
            $refusedOnStore = ['sqlite' => [], 'pgsql' => ['2024-02-30 10:00:00'], 'mysql' => ['yesterday', '2024-02-30 10:00:00']][$engine];
            $bads = $engine === 'pgsql' ? ['2024-02-30 10:00:00', '1969-12-31 23:59:59'] : ['yesterday', '2024-02-30 10:00:00', '1969-12-31 23:59:59'];
            foreach ($bads as $bad) {
                try {
                    $pdo->prepare('UPDATE oc_talk_rooms SET active_since = ? WHERE id = 1')->execute([$bad]);
                    self::assertNotContains($bad, $refusedOnStore, "{$engine} stored {$bad}");
                } catch (\PDOException $e) {
                    self::assertContains($bad, $refusedOnStore, "{$engine} refused {$bad}: {$e->getMessage()}");
                    continue;
                }
                try {
                    (new StateLoader($pdo))->load('abcd1234', []);
                    self::fail("{$bad} loaded");
                } catch (StorageException $e) {
                    self::assertSame(StorageException::BAD_ROW, $e->reason);
                    self::assertStringContainsString('active_since', $e->getMessage());
                }
            }
        } finally {
            date_default_timezone_set($zone);
        }
    }

    /** @dataProvider engines */
    public function testLastJoinedCallZeroMeansNever(string $engine): void
    {
        $pdo = self::smallDatabase($engine);
        $w = new MutationWriter($pdo);
        $w->apply('abcd1234', [['op' => 'updateAttendee', 'attendeeId' => 1, 'set' => ['lastJoinedCall' => null]]]);
        self::assertSame(0, $pdo->query('SELECT last_joined_call FROM oc_talk_attendees WHERE id = 1')->fetchColumn());
        self::assertNull((new StateLoader($pdo))->load('abcd1234', [])['attendees'][0]['lastJoinedCall']);
        $w->apply('abcd1234', [['op' => 'updateAttendee', 'attendeeId' => 1, 'set' => ['lastJoinedCall' => 1700000000]]]);
        self::assertSame(1700000000, (new StateLoader($pdo))->load('abcd1234', [])['attendees'][0]['lastJoinedCall']);
    }

    // ---- the schemas ----

    /**
     * Each column of the three tables as spreed's migrations make it (Talk 18): its Doctrine type
     * (`u` for 'unsigned', `(n)` a string's length) and `?` when it is nullable.
     */
    private const MIGRATED = [
        'talk_rooms' => [
            'id' => 'int', 'name' => 'string(255)?', 'token' => 'string(32)?', 'type' => 'int', 'password' => 'string(255)?',
            'active_since' => 'datetime?', 'active_guests' => 'uint', 'lobby_state' => 'int', 'lobby_timer' => 'datetime?',
            'read_only' => 'int', 'object_type' => 'string(64)?', 'object_id' => 'string(64)?', 'call_flag' => 'int',
            'default_permissions' => 'int', 'call_permissions' => 'int', 'listable' => 'usmallint?', 'breakout_room_mode' => 'int',
            'breakout_room_status' => 'int', 'call_recording' => 'int', 'recording_consent' => 'usmallint',
        ],
        'talk_attendees' => [
            'id' => 'bigint', 'room_id' => 'ubigint', 'actor_type' => 'string(32)', 'actor_id' => 'string(255)',
            'display_name' => 'string(255)?', 'pin' => 'string(32)?', 'participant_type' => 'usmallint', 'favorite' => 'boolean?',
            'notification_level' => 'int?', 'notification_calls' => 'int', 'last_joined_call' => 'uint', 'last_read_message' => 'bigint?',
            'last_mention_message' => 'bigint?', 'permissions' => 'int', 'access_token' => 'string(64)?', 'remote_id' => 'string(255)?',
            'phone_number' => 'string(255)?', 'call_id' => 'string(255)?',
        ],
        'talk_sessions' => [
            'id' => 'bigint', 'attendee_id' => 'ubigint', 'session_id' => 'string(512)', 'in_call' => 'int', 'last_ping' => 'uint',
            'state' => 'usmallint',
        ],
    ];

    /** @return array<string, array{0:string}> every engine the suite knows, whether or not it is available */
    public static function allEngines(): array
    {
        return array_combine(TalkDatabase::ENGINES, array_map(static fn (string $e): array => [$e], TalkDatabase::ENGINES));
    }

    /**
     * Each engine's tables have the migrations' columns, types and nullability (PostgreSQL has
     * no unsigned integers; SQLite's autoincrement id is its INTEGER, 64 bits wide), and the
     * unique indexes the storage relies on (one room per token, one row per session id).
     * Skipped only for an engine engines() leaves out: its server is not configured and the
     * run does not require it.
     *
     * @dataProvider allEngines
     */
    public function testTheSchemaFollowsTheMigrations(string $engine): void
    {
        if (!in_array($engine, TalkDatabase::engines(), true)) {
            self::markTestSkipped("{$engine}: no server configured (TCR_" . strtoupper($engine) . '_DSN); ./build.sh test-php starts one');
        }
        $pdo = TalkDatabase::create('oc_', $engine);
        foreach (self::MIGRATED as $table => $want) {
            if ($engine === 'pgsql') {
                $want = array_map(static fn (string $t): string => ltrim($t, 'u'), $want);
            }
            if ($engine === 'sqlite') {
                $want['id'] = 'int';
            }
            self::assertSame($want, self::columnsOf($pdo, $engine, "oc_{$table}"), "{$engine}: oc_{$table}");
        }
        $pdo->exec("INSERT INTO oc_talk_rooms (token, type) VALUES ('abcd1234', 2)");
        $pdo->exec("INSERT INTO oc_talk_sessions (attendee_id, session_id) VALUES (1, 'session-a')");
        foreach (["INSERT INTO oc_talk_rooms (token, type) VALUES ('abcd1234', 3)", "INSERT INTO oc_talk_sessions (attendee_id, session_id) VALUES (2, 'session-a')"] as $twice) {
            try {
                $pdo->exec($twice);
                self::fail("{$engine}: {$twice} was taken");
            } catch (\PDOException $e) {
                self::assertSame('23', substr((string) $e->errorInfo[0], 0, 2), "{$engine}: an integrity constraint violation ({$e->getMessage()})");
            }
        }
    }

    /** @return array<string, string> column => type as in MIGRATED, in the table's order */
    private static function columnsOf(\PDO $pdo, string $engine, string $table): array
    {
        $out = [];
        if ($engine === 'sqlite') {
            foreach ($pdo->query("PRAGMA table_info({$table})")->fetchAll(\PDO::FETCH_ASSOC) as $c) {
                $t = strtolower((string) $c['type']);
                $type = match (true) {
                    preg_match('/^varchar\((\d+)\)$/', $t, $m) === 1 => "string({$m[1]})",
                    default => ['integer' => 'int', 'integer unsigned' => 'uint', 'bigint' => 'bigint', 'bigint unsigned' => 'ubigint',
                        'smallint unsigned' => 'usmallint', 'boolean' => 'boolean', 'datetime' => 'datetime'][$t] ?? $t,
                };
                $out[$c['name']] = $type . ((int) $c['notnull'] === 1 ? '' : '?');
            }
            return $out;
        }
        $st = $pdo->prepare($engine === 'pgsql'
            ? 'SELECT column_name AS name, data_type AS type, character_maximum_length AS length, datetime_precision AS prec, is_nullable AS nullable'
                . ' FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position'
            : 'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, CHARACTER_MAXIMUM_LENGTH AS length, DATETIME_PRECISION AS prec, IS_NULLABLE AS nullable'
                . ' FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION');
        $st->execute([$table]);
        foreach ($st->fetchAll(\PDO::FETCH_ASSOC) as $c) {
            $t = strtolower((string) $c['type']);
            $type = match (true) {
                str_starts_with($t, 'character varying') || str_starts_with($t, 'varchar') => "string({$c['length']})",
                // Doctrine's DATETIME: whole seconds, no time zone.
                $t === 'timestamp without time zone' || $t === 'datetime' => (int) $c['prec'] === 0 ? 'datetime' : "{$t}({$c['prec']})",
                $t === 'tinyint(1)' || $t === 'boolean' => 'boolean',
                default => (str_contains($t, 'unsigned') ? 'u' : '')
                    . (['integer' => 'int', 'int' => 'int', 'bigint' => 'bigint', 'smallint' => 'smallint'][(string) preg_replace('/\(\d+\)| unsigned/', '', $t)] ?? $t),
            };
            $out[$c['name']] = $type . ($c['nullable'] === 'YES' ? '?' : '');
        }
        return $out;
    }

    // ---- loader ----

    /** @dataProvider engines */
    public function testTablePrefix(string $engine): void
    {
        $pdo = TalkDatabase::create('nc28_', $engine);
        TalkDatabase::seed($pdo, self::fullState(), 'nc28_');
        $state = (new StateLoader($pdo, 'nc28_'))->load('abcd1234', []);
        self::assertSame('abcd1234', $state['room']['token']);
        (new MutationWriter($pdo, 'nc28_'))->apply('abcd1234', [['op' => 'updateRoom', 'set' => ['callFlag' => 15]]]);
        self::assertSame(15, $pdo->query('SELECT call_flag FROM nc28_talk_rooms WHERE id = 1')->fetchColumn());

        $this->expectException(StorageException::class);
        (new StateLoader($pdo, 'oc_'))->load('abcd1234', []);
    }

    public function testAPrefixIsNeverSql(): void
    {
        foreach (['oc_; DROP TABLE x; --', 'oc-', 'o c_'] as $bad) {
            try {
                new StateLoader(TalkDatabase::create(), $bad);
                self::fail("{$bad} accepted");
            } catch (\InvalidArgumentException $e) {
                self::assertStringContainsString('letters, digits and underscores', $e->getMessage());
            }
        }
        $this->expectException(\InvalidArgumentException::class);
        new MutationWriter(TalkDatabase::create(), 'x"y');
    }

    /** @dataProvider engines */
    public function testUnknownTokenAndTheStateWithoutRoom(string $engine): void
    {
        $pdo = self::smallDatabase($engine);
        self::assertNull((new StateLoader($pdo))->load('nosuchroom', []));
        $request = ['method' => 'POST', 'path' => '/call/nosuchroom', 'body' => [], 'actor' => ['userId' => 'alice', 'sessionId' => 'x'], 'now' => 1700000000];
        $cases = [
            [[], 404, 'not-found'],
            [['start_calls' => '3'], 403, 'calls-disabled'],
            [['allowed_groups' => '["staff"]'], 403, 'talk-not-allowed'],
        ];
        foreach ($cases as [$config, $status, $reason]) {
            $o = self::rules()->evaluate($request, StateLoader::withoutRoom($config));
            self::assertSame([$status, $reason], [$o['status'], $o['reason']]);
        }
        $state = StateLoader::withoutRoom([]);
        self::assertSame($state, json_decode(json_encode($state), true), 'json_encode keeps the shape');
    }

    /** @dataProvider engines */
    public function testForeignAttendeeOnlyForARingOrDialOutTarget(string $engine): void
    {
        $pdo = self::smallDatabase($engine);
        $loader = new StateLoader($pdo);
        $req = static fn (string $path): array => ['method' => 'POST', 'path' => $path, 'body' => [], 'actor' => ['userId' => 'alice'], 'now' => 1];
        $foreign = [['attendeeId' => 9, 'actorType' => 'users']];
        self::assertSame($foreign, $loader->load('abcd1234', [], $req('/call/abcd1234/ring/9'))['foreignAttendees']);
        self::assertSame($foreign, $loader->load('abcd1234', [], $req('/ocs/v2.php/apps/spreed/api/v4/call/abcd1234/dialout/9?format=json'))['foreignAttendees']);
        self::assertSame([], $loader->load('abcd1234', [], $req('/call/abcd1234/ring/404'))['foreignAttendees']);
        self::assertArrayNotHasKey('foreignAttendees', $loader->load('abcd1234', [], $req('/call/abcd1234/ring/1')));
        self::assertArrayNotHasKey('foreignAttendees', $loader->load('abcd1234', [], $req('/call/abcd1234/ring/abc')));
        self::assertArrayNotHasKey('foreignAttendees', $loader->load('abcd1234', [], $req('/call/abcd1234')));
        self::assertSame(12, StateLoader::targetAttendeeId($req('/call/abcd/ring/12')));
        self::assertSame(0, StateLoader::targetAttendeeId($req('/call/abcd/ring/abc')));
        self::assertSame(-5, StateLoader::targetAttendeeId($req('/call/abcd/dialout/-5')));
        self::assertNull(StateLoader::targetAttendeeId($req('/call/abcd/ring')));
        self::assertNull(StateLoader::targetAttendeeId(['path' => 7]));
    }

    /** @dataProvider engines */
    public function testDisplayNamesAreAskedOnlyWhereTheRulesUseThem(string $engine): void
    {
        $pdo = self::smallDatabase($engine);
        $asked = [];
        $names = static function (string $uid) use (&$asked): ?string {
            $asked[] = $uid;
            return $uid === 'bob' ? 'Bob B.' : null;
        };
        $state = (new StateLoader($pdo))->load('abcd1234', [], null, $names);
        self::assertSame(['bob', 'carol'], $asked, 'alice has a stored display name; guests are not users');
        self::assertSame(['bob' => ['displayName' => 'Bob B.']], $state['users']);
        self::assertArrayNotHasKey('users', (new StateLoader($pdo))->load('abcd1234', []));
    }

    /** @dataProvider engines */
    public function testARowTheStateCannotCarry(string $engine): void
    {
        $pdo = self::smallDatabase($engine);
        if ($engine !== 'sqlite') {
            // PostgreSQL and MariaDB (strict mode) keep such a row out of an integer column.
            try {
                $pdo->exec("UPDATE oc_talk_sessions SET in_call = 'seven' WHERE session_id = 'session-alice'");
                self::fail("{$engine} stored text in an integer column");
            } catch (\PDOException $e) {
                self::assertMatchesRegularExpression('/integer/i', $e->getMessage());
            }
            return;
        }
        $pdo->exec("UPDATE oc_talk_sessions SET in_call = 'seven' WHERE session_id = 'session-alice'");
        try {
            (new StateLoader($pdo))->load('abcd1234', []);
            self::fail('no exception');
        } catch (StorageException $e) {
            self::assertSame(StorageException::BAD_ROW, $e->reason);
            self::assertStringContainsString('session_id session-alice, column in_call: "seven" is not an integer', $e->getMessage());
        }
    }

    // ---- app config ----

    /** @return array<string, array{0:array, 1:array}> app config, expected config */
    public static function appConfigs(): array
    {
        $signaling = '{"servers":[{"server":"wss://hpb.example.test","verify":true}],"secret":"s"}';
        $recording = '{"servers":[{"server":"https://rec.example.test","verify":true}],"secret":"r"}';
        $external = ['signaling_servers' => $signaling, 'recording_servers' => $recording];
        $d = ['startCalls' => 0, 'allowedGroups' => [], 'recordingConsent' => 0, 'defaultPermissions' => null, 'signaling' => 'internal'];
        return [
            'nothing set: the defaults' => [[], $d],
            'values as text' => [
                ['start_calls' => '2', 'allowed_groups' => '["staff","1"]', 'default_permissions' => '62'],
                ['startCalls' => 2, 'allowedGroups' => ['staff', '1'], 'defaultPermissions' => 62] + $d,
            ],
            'typed values' => [['start_calls' => 1, 'allowed_groups' => ['a', 2], 'default_permissions' => 0], ['startCalls' => 1, 'allowedGroups' => ['a', '2'], 'defaultPermissions' => 0] + $d],
            'empty default permissions = unset' => [['default_permissions' => ''], $d],
            'allowed groups not JSON' => [['allowed_groups' => 'staff'], $d],
            'allowed groups an object' => [['allowed_groups' => '{"a":"staff"}'], ['allowedGroups' => ['staff']] + $d],
            'servers without a mode: external' => [['signaling_servers' => $signaling], ['signaling' => 'external'] + $d],
            'mode internal wins over servers' => [['signaling_mode' => 'internal', 'signaling_servers' => $signaling], $d],
            'mode external without servers' => [['signaling_mode' => 'external', 'signaling_servers' => '{"servers":[],"secret":"s"}'], $d],
            'conversation cluster mode' => [['signaling_mode' => 'conversation_cluster', 'signaling_servers' => $signaling], ['signaling' => 'external'] + $d],
            'consent required' => [$external + ['recording_consent' => '1'], ['signaling' => 'external', 'recordingConsent' => 1] + $d],
            'consent optional' => [$external + ['recording_consent' => '2'], ['signaling' => 'external', 'recordingConsent' => 2] + $d],
            'consent out of range' => [$external + ['recording_consent' => '3'], ['signaling' => 'external'] + $d],
            'consent without recording servers' => [['signaling_servers' => $signaling, 'recording_consent' => '1'], ['signaling' => 'external'] + $d],
            'consent without a recording secret' => [['signaling_servers' => $signaling, 'recording_servers' => '{"servers":[{"server":"x"}],"secret":""}', 'recording_consent' => '1'], ['signaling' => 'external'] + $d],
            'consent with recording off' => [$external + ['call_recording' => 'no', 'recording_consent' => '1'], ['signaling' => 'external'] + $d],
            'consent with internal signaling' => [['recording_servers' => $recording, 'recording_consent' => '1'], $d],
        ];
    }

    /** @dataProvider appConfigs */
    public function testAppConfig(array $appConfig, array $want): void
    {
        $got = StateLoader::config($appConfig);
        ksort($want);
        ksort($got);
        self::assertSame($want, $got);
    }

    public function testAppConfigOfAnImpossibleType(): void
    {
        try {
            StateLoader::config(['start_calls' => 1.5]);
            self::fail('no exception');
        } catch (StorageException $e) {
            self::assertSame(StorageException::BAD_CONFIG, $e->reason);
            self::assertStringContainsString('start_calls', $e->getMessage());
        }
        $this->expectExceptionMessage('recording_servers');
        StateLoader::config(['recording_servers' => 5]);
    }

    // ---- fixtures ----

    /**
     * Conversation abcd1234: alice (moderator, named), bob and carol (users without a stored
     * name), a guest, one session each for alice and bob; attendee 9 (with a session) lives
     * in the other conversation.
     */
    private static function smallDatabase(string $engine): \PDO
    {
        $pdo = TalkDatabase::create('oc_', $engine);
        TalkDatabase::seed($pdo, [
            'room' => ['token' => 'abcd1234', 'type' => 2],
            'attendees' => [
                ['attendeeId' => 1, 'actorType' => 'users', 'actorId' => 'alice', 'displayName' => 'Alice', 'participantType' => 1],
                ['attendeeId' => 2, 'actorType' => 'users', 'actorId' => 'bob', 'displayName' => '', 'participantType' => 3],
                ['attendeeId' => 3, 'actorType' => 'users', 'actorId' => 'carol', 'participantType' => 3],
                ['attendeeId' => 4, 'actorType' => 'guests', 'actorId' => 'guest-hash', 'participantType' => 4],
            ],
            'sessions' => [
                ['sessionId' => 'session-alice', 'attendeeId' => 1, 'inCall' => 0, 'lastPing' => 1700000000],
                ['sessionId' => 'session-bob', 'attendeeId' => 2, 'inCall' => 0, 'lastPing' => 1700000000],
            ],
            'foreignAttendees' => [['attendeeId' => 9, 'actorType' => 'users']],
        ]);
        $pdo->exec("INSERT INTO oc_talk_sessions (attendee_id, session_id, in_call, last_ping) VALUES (9, 'session-foreign', 0, 1700000000)");
        return $pdo;
    }

    /** A State in which every owned field differs from its default. */
    private static function fullState(): array
    {
        return [
            'config' => ['startCalls' => 2, 'allowedGroups' => ['staff', 'talk'], 'recordingConsent' => 1, 'defaultPermissions' => 62, 'signaling' => 'external'],
            'room' => [
                'token' => 'abcd1234', 'type' => 3, 'readOnly' => 1, 'listable' => 2, 'lobbyState' => 1, 'lobbyTimer' => 1700003600,
                'objectType' => 'event', 'callFlag' => 7, 'activeSince' => 1699999900, 'activeGuests' => 2, 'defaultPermissions' => 14,
                'callPermissions' => 255, 'recordingConsent' => 1, 'callRecording' => 2, 'breakoutRoomMode' => 3, 'breakoutRoomStatus' => 1,
            ],
            'attendees' => [
                ['attendeeId' => 1, 'actorType' => 'users', 'actorId' => 'alice', 'displayName' => 'Alice', 'participantType' => 1, 'permissions' => 254,
                    'lastJoinedCall' => 1699999900, 'notificationCalls' => 0, 'phoneNumber' => '', 'callId' => ''],
                ['attendeeId' => 7, 'actorType' => 'phones', 'actorId' => 'phone-1', 'displayName' => '+49 30 1234', 'participantType' => 3, 'permissions' => 1,
                    'lastJoinedCall' => 1699999950, 'notificationCalls' => 1, 'phoneNumber' => '+49301234', 'callId' => 'hpb-call-1'],
            ],
            'sessions' => [
                ['sessionId' => 'session-alice', 'attendeeId' => 1, 'inCall' => 7, 'lastPing' => 1700000000],
                ['sessionId' => 'session-alice-2', 'attendeeId' => 1, 'inCall' => 3, 'lastPing' => 1699999990],
                ['sessionId' => 'session-phone', 'attendeeId' => 7, 'inCall' => 1, 'lastPing' => 1699999999],
            ],
        ];
    }

    /** fullState() with every writable field changed (nulls, empties and new numbers). */
    private static function changedState(): array
    {
        $s = self::fullState();
        $s['room'] = [
            'token' => 'abcd1234', 'type' => 2, 'readOnly' => 0, 'listable' => 1, 'lobbyState' => 0, 'lobbyTimer' => null,
            'objectType' => '', 'callFlag' => 15, 'activeSince' => null, 'activeGuests' => 0, 'defaultPermissions' => 0,
            'callPermissions' => 0, 'recordingConsent' => 0, 'callRecording' => 0, 'breakoutRoomMode' => 0, 'breakoutRoomStatus' => 0,
        ];
        $s['attendees'][0] = ['displayName' => 'Alice A.', 'participantType' => 2, 'permissions' => 0, 'lastJoinedCall' => null,
            'notificationCalls' => 1, 'phoneNumber' => null, 'callId' => null] + $s['attendees'][0];
        $s['attendees'][1] = ['displayName' => '', 'participantType' => 3, 'permissions' => 0, 'lastJoinedCall' => 1700000100,
            'notificationCalls' => 0, 'phoneNumber' => '+49301235', 'callId' => null] + $s['attendees'][1];
        $s['sessions'][0] = ['inCall' => 0, 'lastPing' => 1700000100] + $s['sessions'][0];
        $s['sessions'][1] = ['inCall' => 0, 'lastPing' => 0] + $s['sessions'][1];
        $s['sessions'][2] = ['inCall' => 7, 'lastPing' => 1700000200] + $s['sessions'][2];
        return $s;
    }

    /** A decoded (stdClass) JSON tree as arrays. */
    private static function arrays(mixed $tree): mixed
    {
        return json_decode(VectorDriver::json($tree), true);
    }
}
