<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Storage\CallStore;
use OCA\TalkCallRules\Storage\MutationWriter;
use OCA\TalkCallRules\Storage\StateLoader;
use OCA\TalkCallRules\Storage\StorageException;
use OCA\TalkCallRules\Tests\Support\StoreWorker;
use OCA\TalkCallRules\Tests\Support\TalkDatabase;
use PHPUnit\Framework\TestCase;

/**
 * Two requests on one conversation at the same time, on every database the suite has.
 *
 * The three shortest interleavings that break the call state when each request loads,
 * decides and writes without a lock (S1 join/join, S2 leave/leave, S3 leave/join) are
 * replayed step by step on two connections: first the unlocked pattern (StateLoader →
 * evaluate → MutationWriter), which ends in the broken state, then CallStore. With CallStore,
 * request A pauses after it decided (inside its locked transaction) while request B runs in a
 * second PHP process with a short lock timeout: B reports a lock conflict — it was held by
 * A's lock, which is what makes the order deterministic — then A commits and B, retrying from
 * a fresh load, decides on A's result. The end state must be the one of the two requests run
 * one after the other.
 */
final class CallStoreTest extends TestCase
{
    private const NOW = 1700000000;
    private const TOKEN = 'race0001';

    private static ?CallRules $rules = null;

    private static function rules(): CallRules
    {
        return self::$rules ??= new CallRules();
    }

    /** @return iterable<string, array{string}> */
    public static function engines(): iterable
    {
        foreach (TalkDatabase::engines() as $engine) {
            yield $engine => [$engine];
        }
    }

    /** A group conversation; participant1 (moderator) and participant2, one fresh session each. */
    private static function state(int $inCallA, int $inCallB): array
    {
        $callFlag = $inCallA | $inCallB;
        $attendee = static fn (int $id, string $uid, int $type): array => [
            'attendeeId' => $id, 'actorType' => 'users', 'actorId' => $uid, 'displayName' => "{$uid}-displayname",
            'participantType' => $type, 'permissions' => 0, 'lastJoinedCall' => $callFlag !== 0 ? self::NOW - 100 : null,
            'notificationCalls' => 1, 'phoneNumber' => null, 'callId' => null,
        ];
        return [
            'config' => ['startCalls' => 0, 'allowedGroups' => [], 'recordingConsent' => 0, 'defaultPermissions' => null, 'signaling' => 'internal'],
            'room' => [
                'token' => self::TOKEN, 'type' => 2, 'readOnly' => 0, 'lobbyState' => 0, 'lobbyTimer' => null, 'objectType' => '',
                'callFlag' => $callFlag, 'activeSince' => $callFlag !== 0 ? self::NOW - 100 : null, 'activeGuests' => 0,
                'defaultPermissions' => 0, 'callPermissions' => 0, 'recordingConsent' => 0, 'callRecording' => 0,
                'breakoutRoomMode' => 0, 'breakoutRoomStatus' => 0, 'listable' => 0,
            ],
            'attendees' => [$attendee(1, 'participant1', 1), $attendee(2, 'participant2', 3)],
            'sessions' => [
                ['sessionId' => 'session-a', 'attendeeId' => 1, 'inCall' => $inCallA, 'lastPing' => self::NOW - 2],
                ['sessionId' => 'session-b', 'attendeeId' => 2, 'inCall' => $inCallB, 'lastPing' => self::NOW - 2],
            ],
            'foreignAttendees' => [],
        ];
    }

    private static function request(string $method, string $who, array $body = []): array
    {
        [$uid, $sid] = $who === 'a' ? ['participant1', 'session-a'] : ['participant2', 'session-b'];
        return [
            'method' => $method, 'path' => '/call/' . self::TOKEN, 'body' => $body,
            'actor' => ['userId' => $uid, 'sessionId' => $sid, 'groups' => []], 'now' => self::NOW,
        ];
    }

    /** @return array{room: array<string, mixed>, a: int, b: int} the call columns as stored */
    private static function stored(\PDO $pdo): array
    {
        $state = (new StateLoader($pdo))->load(self::TOKEN, TalkDatabase::appConfigFor(self::state(0, 0)['config']));
        self::assertIsArray($state);
        $in = array_column($state['sessions'], 'inCall', 'sessionId');
        return [
            'room' => ['callFlag' => $state['room']['callFlag'], 'activeSince' => $state['room']['activeSince']],
            'a' => $in['session-a'], 'b' => $in['session-b'],
        ];
    }

    /**
     * Statements that make a second connection give up waiting for a lock quickly, so a
     * held lock shows as a conflict (which CallStore retries) instead of a long wait.
     *
     * @return list<string>
     */
    private static function shortLockTimeout(\PDO $pdo): array
    {
        return match ($pdo->getAttribute(\PDO::ATTR_DRIVER_NAME)) {
            'sqlite' => ['PRAGMA busy_timeout = 100'],
            'pgsql' => ["SET lock_timeout = '100ms'"],
            'mysql' => ['SET SESSION innodb_lock_wait_timeout = 1'],
        };
    }

    /** The system messages of an outcome. @return list<string> */
    private static function messages(array $outcome): array
    {
        return array_values(array_map(
            static fn (array $e): string => $e['message'],
            array_filter($outcome['effects'], static fn (array $e): bool => $e['type'] === 'systemMessage')
        ));
    }

    private static function notifications(array $outcome): int
    {
        return count(array_filter($outcome['effects'], static fn (array $e): bool => $e['type'] === 'notifyCallStarted'));
    }

    /**
     * The unlocked pattern, interleaved: both load, A writes, B writes.
     *
     * @return array{0: array, 1: array} the two outcomes
     */
    private static function unlocked(\PDO $a, \PDO $b, array $requestA, array $requestB): array
    {
        $config = TalkDatabase::appConfigFor(self::state(0, 0)['config']);
        $stateA = (new StateLoader($a))->load(self::TOKEN, $config, $requestA);
        $stateB = (new StateLoader($b))->load(self::TOKEN, $config, $requestB);
        $outA = self::rules()->evaluate($requestA, $stateA);
        $outB = self::rules()->evaluate($requestB, $stateB);
        (new MutationWriter($a))->apply(self::TOKEN, $outA['mutations']);
        (new MutationWriter($b))->apply(self::TOKEN, $outB['mutations']);
        return [$outA, $outB];
    }

    /**
     * CallStore, interleaved: A decides and pauses inside its locked transaction; B runs in a
     * worker process with a short lock timeout until it reports a conflict; then A commits and
     * B finishes.
     *
     * @return array{0: array, 1: array, 2: int} A's outcome, B's outcome, B's attempts
     */
    private static function locked(\PDO $a, array $requestA, array $requestB): array
    {
        $worker = null;
        $store = new CallStore($a, self::rules(), TalkDatabase::appConfigFor(self::state(0, 0)['config']));
        $store->observe(static function (string $event, int $attempt) use (&$worker, $a, $requestB): void {
            if ($event !== 'decided' || $worker !== null) {
                return;
            }
            $worker = new StoreWorker(TalkDatabase::dsn($a), self::shortLockTimeout($a));
            $worker->send($requestB);
            self::assertSame(['started' => true], $worker->read());
            self::assertSame(['conflict' => 1], $worker->read(), 'B is held by A\'s lock');
        });
        $outA = $store->decide($requestA);
        self::assertSame(1, $store->lastAttempts());
        self::assertNotNull($worker, 'B ran while A held the lock');
        do {
            $line = $worker->read();
        } while (isset($line['conflict']));
        $worker->close();
        self::assertArrayHasKey('outcome', $line, json_encode($line));
        self::assertGreaterThan(1, $line['attempts']);
        return [$outA, $line['outcome'], $line['attempts']];
    }

    /**
     * S1: two joins of an idle conversation.
     *
     * @dataProvider engines
     */
    public function testJoinJoin(string $engine): void
    {
        $joinA = self::request('POST', 'a', ['flags' => 3]);
        $joinB = self::request('POST', 'b', ['flags' => 5]);

        $a = TalkDatabase::create('oc_', $engine, true);
        TalkDatabase::seed($a, self::state(0, 0));
        [$outA, $outB] = self::unlocked($a, TalkDatabase::connectAgain($a), $joinA, $joinB);
        self::assertSame(['room' => ['callFlag' => 5, 'activeSince' => self::NOW], 'a' => 3, 'b' => 5], self::stored($a), 'unlocked: A\'s bits are lost');
        self::assertSame(['call_started'], self::messages($outA));
        self::assertSame(['call_started'], self::messages($outB), 'unlocked: the call is started twice');

        $a = TalkDatabase::create('oc_', $engine, true);
        TalkDatabase::seed($a, self::state(0, 0));
        [$outA, $outB] = self::locked($a, $joinA, $joinB);
        self::assertSame(['room' => ['callFlag' => 7, 'activeSince' => self::NOW], 'a' => 3, 'b' => 5], self::stored($a));
        self::assertSame(['call_started'], self::messages($outA));
        self::assertSame(['call_joined'], self::messages($outB));
        self::assertSame([1, 0], [self::notifications($outA), self::notifications($outB)], 'one notification round');
    }

    /**
     * S2: both leave a call only they are in.
     *
     * @dataProvider engines
     */
    public function testLeaveLeave(string $engine): void
    {
        $leaveA = self::request('DELETE', 'a');
        $leaveB = self::request('DELETE', 'b');

        $a = TalkDatabase::create('oc_', $engine, true);
        TalkDatabase::seed($a, self::state(7, 7));
        self::unlocked($a, TalkDatabase::connectAgain($a), $leaveA, $leaveB);
        self::assertSame(['room' => ['callFlag' => 7, 'activeSince' => self::NOW - 100], 'a' => 0, 'b' => 0], self::stored($a), 'unlocked: nobody in a call that is still active');

        $a = TalkDatabase::create('oc_', $engine, true);
        TalkDatabase::seed($a, self::state(7, 7));
        [$outA, $outB] = self::locked($a, $leaveA, $leaveB);
        self::assertSame(['room' => ['callFlag' => 0, 'activeSince' => null], 'a' => 0, 'b' => 0], self::stored($a));
        self::assertSame(['call_left'], self::messages($outA));
        self::assertSame(['call_left', 'call_ended'], self::messages($outB), 'the last one out ends the call');
    }

    /**
     * S3: A, alone in the call, leaves while B joins.
     *
     * @dataProvider engines
     */
    public function testLeaveJoin(string $engine): void
    {
        $leaveA = self::request('DELETE', 'a');
        $joinB = self::request('POST', 'b', ['flags' => 3]);

        $a = TalkDatabase::create('oc_', $engine, true);
        TalkDatabase::seed($a, self::state(7, 0));
        self::unlocked($a, TalkDatabase::connectAgain($a), $leaveA, $joinB);
        $broken = self::stored($a);
        self::assertSame(3, $broken['b'], 'unlocked: B is in the call');
        self::assertNull($broken['room']['activeSince'], 'unlocked: … of a conversation whose call was reset');

        $a = TalkDatabase::create('oc_', $engine, true);
        TalkDatabase::seed($a, self::state(7, 0));
        [$outA, $outB] = self::locked($a, $leaveA, $joinB);
        self::assertSame(['room' => ['callFlag' => 3, 'activeSince' => self::NOW], 'a' => 0, 'b' => 3], self::stored($a));
        self::assertSame(['call_left', 'call_ended'], self::messages($outA));
        self::assertSame(['call_started'], self::messages($outB), 'B starts a new call');
        self::assertSame(1, self::notifications($outB));
    }

    /**
     * No conflict: one attempt; an unknown token locks nothing and answers 404.
     *
     * @dataProvider engines
     */
    public function testOneRequestAndAnUnknownToken(string $engine): void
    {
        $pdo = TalkDatabase::create('oc_', $engine, true);
        TalkDatabase::seed($pdo, self::state(0, 0));
        $store = new CallStore($pdo, self::rules(), TalkDatabase::appConfigFor(self::state(0, 0)['config']));
        $events = [];
        $store->observe(static function (string $event, int $attempt) use (&$events): void {
            $events[] = "{$event}#{$attempt}";
        });
        $out = $store->decide(self::request('POST', 'a', ['flags' => 7]));
        self::assertSame(200, $out['status']);
        self::assertSame(['decided#1', 'committed#1'], $events);
        self::assertFalse($pdo->inTransaction());
        self::assertSame(7, self::stored($pdo)['a']);

        $unknown = self::request('POST', 'a');
        $unknown['path'] = '/call/nosuchroom';
        $out = $store->decide($unknown);
        self::assertSame([404, 'not-found'], [$out['status'], $out['reason']]);
        self::assertFalse($pdo->inTransaction());
    }

    /**
     * Inside the app's transaction: a savepoint; the app commits.
     *
     * @dataProvider engines
     */
    public function testInsideTheAppsTransaction(string $engine): void
    {
        $pdo = TalkDatabase::create('oc_', $engine, true);
        TalkDatabase::seed($pdo, self::state(0, 0));
        $store = new CallStore($pdo, self::rules(), TalkDatabase::appConfigFor(self::state(0, 0)['config']));
        $pdo->beginTransaction();
        $out = $store->decide(self::request('POST', 'a', ['flags' => 3]));
        self::assertSame(200, $out['status']);
        self::assertTrue($pdo->inTransaction(), 'the app\'s transaction stays open');
        $pdo->rollBack();
        self::assertSame(0, self::stored($pdo)['a'], 'the app rolled it back');
    }

    /**
     * Every attempt meets the lock: a conflict after the last one, nothing written, no transaction left.
     *
     * @dataProvider engines
     */
    public function testConflictAfterTheLastAttempt(string $engine): void
    {
        $a = TalkDatabase::create('oc_', $engine, true);
        TalkDatabase::seed($a, self::state(0, 0));
        $held = false;
        $store = new CallStore($a, self::rules(), TalkDatabase::appConfigFor(self::state(0, 0)['config']));
        $store->observe(static function (string $event) use (&$held, $a): void {
            if ($event !== 'decided' || $held) {
                return;
            }
            $held = true;
            $worker = new StoreWorker(TalkDatabase::dsn($a), self::shortLockTimeout($a), attempts: 2);
            $worker->send(self::request('POST', 'b', ['flags' => 5]));
            self::assertSame(['started' => true], $worker->read());
            self::assertSame(['conflict' => 1], $worker->read());
            self::assertSame(['conflict' => 2], $worker->read());
            $line = $worker->read();
            $worker->close();
            self::assertSame(StorageException::CONFLICT, $line['reason'] ?? null, json_encode($line));
            self::assertSame(2, $line['attempts']);
            self::assertFalse($line['inTransaction'], 'no transaction is left open');
        });
        $store->decide(self::request('POST', 'a', ['flags' => 3]));
        self::assertTrue($held);
        self::assertSame(['room' => ['callFlag' => 3, 'activeSince' => self::NOW], 'a' => 3, 'b' => 0], self::stored($a), 'B wrote nothing');
    }
}
