<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Storage\Columns;
use OCA\TalkCallRules\Storage\MutationWriter;
use OCA\TalkCallRules\Storage\StateLoader;
use OCA\TalkCallRules\Storage\StorageException;
use OCA\TalkCallRules\Tests\Support\TalkDatabase;
use PHPUnit\Framework\TestCase;

/**
 * Values at the edges of what Talk's tables, PHP and the engine hold: a user id PHP turns into
 * an integer key, column values the engine cannot read back, a table prefix with a newline.
 */
final class StorageHardeningTest extends TestCase
{
    private const TOKEN = 'edge0001';
    private const NOW = 1700000000;

    private static ?CallRules $rules = null;

    private static function rules(): CallRules
    {
        return self::$rules ??= new CallRules();
    }

    private static function state(array $room = [], array $attendee = [], array $session = []): array
    {
        return [
            'config' => ['startCalls' => 0, 'allowedGroups' => [], 'recordingConsent' => 0, 'defaultPermissions' => null, 'signaling' => 'internal'],
            'room' => $room + ['token' => self::TOKEN, 'type' => 2, 'callFlag' => 7, 'activeSince' => self::NOW - 60],
            'attendees' => [$attendee + ['attendeeId' => 1, 'actorType' => 'users', 'actorId' => 'alice', 'displayName' => 'Alice', 'participantType' => 1]],
            'sessions' => [$session + ['sessionId' => 'session-a', 'attendeeId' => 1, 'inCall' => 7, 'lastPing' => self::NOW]],
        ];
    }

    private static function peers(string $userId): array
    {
        return ['method' => 'GET', 'path' => '/call/' . self::TOKEN, 'actor' => ['userId' => $userId, 'sessionId' => 'session-a'], 'now' => self::NOW];
    }

    /**
     * A user whose id is "0" without a stored display name: StateLoader asks the user manager
     * and puts the name under `users["0"]`, which PHP keeps as the integer key 0. The State
     * must still reach the engine as an object keyed by user id.
     */
    public function testAUserIdThatPhpMakesAnIntegerKey(): void
    {
        foreach (['', '0'] as $stored) {
            $pdo = TalkDatabase::create();
            TalkDatabase::seed($pdo, self::state([], ['actorId' => '0', 'displayName' => $stored]));
            $state = (new StateLoader($pdo))->load(self::TOKEN, [], null, static fn (string $uid): ?string => "User {$uid}");
            self::assertSame([0 => ['displayName' => 'User 0']], $state['users'], 'PHP keeps "0" as 0');
            $out = self::rules()->evaluate(self::peers('0'), $state);
            self::assertSame(200, $out['status'], json_encode($out));
            self::assertSame('User 0', $out['data'][0]['displayName'] ?? null);
        }
    }

    /**
     * MutationWriter refuses values the engine (or the column on some database) cannot hold, at
     * both ends of each range, and writes the ends themselves so that StateLoader reads them
     * back and the engine takes the State.
     */
    public function testColumnRangesHoldBothWays(): void
    {
        $tables = [Columns::ROOMS => 'updateRoom', Columns::ATTENDEES => 'updateAttendee', Columns::SESSIONS => 'updateSession'];
        $checked = 0;
        foreach ($tables as $table => $op) {
            foreach (Columns::fields($table) as $field => $spec) {
                if (!isset($spec[3])) {
                    continue;
                }
                [$min, $max] = $spec[3];
                $mutation = static fn (int $v): array => ['op' => $op, 'set' => [$field => $v]]
                    + ($op === 'updateAttendee' ? ['attendeeId' => 1] : [])
                    + ($op === 'updateSession' ? ['sessionId' => 'session-a'] : []);
                foreach ([$min - 1, $max + 1] as $outside) {
                    $pdo = TalkDatabase::create();
                    TalkDatabase::seed($pdo, self::state());
                    try {
                        (new MutationWriter($pdo))->apply(self::TOKEN, [$mutation($outside)]);
                        self::fail("{$table}.{$field} = {$outside} was written");
                    } catch (StorageException $e) {
                        self::assertSame(StorageException::BAD_MUTATION, $e->reason, $e->getMessage());
                        self::assertStringContainsString("{$min}..{$max}", $e->getMessage());
                    }
                }
                foreach ([$min, $max] as $edge) {
                    $pdo = TalkDatabase::create();
                    TalkDatabase::seed($pdo, self::state());
                    (new MutationWriter($pdo))->apply(self::TOKEN, [$mutation($edge)]);
                    $state = (new StateLoader($pdo))->load(self::TOKEN, []);
                    $row = match ($table) {
                        Columns::ROOMS => $state['room'],
                        Columns::ATTENDEES => $state['attendees'][0],
                        default => $state['sessions'][0],
                    };
                    $want = $spec[1] === Columns::UNIX_OR_ZERO && $edge === 0 ? null : $edge;
                    self::assertSame($want, $row[$field], "{$table}.{$field} = {$edge} reads back");
                    $out = self::rules()->evaluate(self::peers('alice'), $state);
                    self::assertNotSame('bad-input', $out['reason'], "{$table}.{$field} = {$edge}: " . json_encode($out));
                    $checked++;
                }
            }
        }
        self::assertGreaterThan(30, $checked);
    }

    /** The enum-like columns hold exactly what the engine takes: one past either end is refused there too. */
    public function testEnumRangesAreTheEnginesRanges(): void
    {
        $enums = [
            Columns::ROOMS => ['type', 'readOnly', 'listable', 'lobbyState', 'recordingConsent', 'callRecording', 'breakoutRoomMode', 'breakoutRoomStatus'],
            Columns::ATTENDEES => ['participantType', 'notificationCalls'],
        ];
        foreach ($enums as $table => $fields) {
            foreach ($fields as $field) {
                [$min, $max] = Columns::field($table, $field)[3];
                foreach ([$min - 1, $max + 1] as $outside) {
                    $state = $table === Columns::ROOMS ? self::state([$field => $outside]) : self::state([], [$field => $outside]);
                    $out = self::rules()->evaluate(self::peers('alice'), $state);
                    self::assertSame('bad-input', $out['reason'], "{$table}.{$field} = {$outside}");
                }
            }
        }
    }

    /** `$` in a pattern also matches before a final newline; the prefix check must not. */
    public function testAPrefixWithAFinalNewlineIsRefused(): void
    {
        foreach (["oc_\n", "\noc_", "oc_\r\n"] as $bad) {
            try {
                Columns::checkPrefix($bad);
                self::fail('accepted ' . json_encode($bad));
            } catch (\InvalidArgumentException $e) {
                self::assertStringContainsString('letters, digits and underscores', $e->getMessage());
            }
        }
        self::assertSame('oc_', Columns::checkPrefix('oc_'));
    }
}
