<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Facts;
use OCA\TalkCallRules\Storage\Columns;
use PHPUnit\Framework\TestCase;

/**
 * The engine's `apply` and MutationWriter take the same mutations: the module's table of writable
 * columns (facts()['columns'], src/apply.rs, generated into Facts::COLUMNS) lists exactly the fields
 * Columns writes, in the same order, with the same types and nullability, and every value the
 * module takes the writer binds within what the column holds.
 */
final class MutationColumnsTest extends TestCase
{
    /** The State's table => [the op that writes it, Talk's table]. */
    private const TABLES = [
        'room' => ['updateRoom', Columns::ROOMS],
        'attendees' => ['updateAttendee', Columns::ATTENDEES],
        'sessions' => ['updateSession', Columns::SESSIONS],
    ];

    public function testTheModulesWritableColumnsAreTheWritersColumns(): void
    {
        $columns = (new CallRules())->facts()['columns'];
        self::assertSame(array_keys(self::TABLES), array_keys($columns));
        foreach (self::TABLES as $table => [$op, $talkTable]) {
            self::assertSame($op, $columns[$table]['op']);
            $writer = Columns::fields($talkTable);
            $module = $columns[$table]['columns'];
            $names = array_keys($module);
            sort($names);
            $expected = array_keys($writer);
            sort($expected);
            self::assertSame($expected, $names, "the writable fields of {$table}");
            foreach ($writer as $field => [, $kind]) {
                $c = $module[$field];
                [$type, $nullable] = match ($kind) {
                    Columns::INT => ['int', false],
                    Columns::DATETIME, Columns::UNIX_OR_ZERO => ['int', true],
                    default => ['string', true],
                };
                self::assertSame([$type, $nullable], [$c['type'], $c['nullable']], "{$table}.{$field}");
                $samples = $type === 'int' ? [$c['min'], $c['max']] : ['', 'x'];
                if ($nullable) {
                    $samples[] = null;
                }
                foreach ($samples as $value) {
                    [$ok] = Columns::write($kind, $value);
                    self::assertTrue($ok, "{$table}.{$field}: the writer binds " . var_export($value, true));
                }
                if ($kind === Columns::DATETIME || $kind === Columns::UNIX_OR_ZERO) {
                    self::assertSame(0, $c['min'], "{$table}.{$field}: unix seconds");
                }
            }
        }
    }

    public function testColumnsWritesTheGeneratedFieldsInTheirOrder(): void
    {
        self::assertSame(array_keys(Facts::COLUMNS), array_values(Columns::STATE_TABLES));
        foreach (Columns::STATE_TABLES as $talkTable => $table) {
            self::assertSame(array_keys(Facts::COLUMNS[$table]['columns']), array_keys(Columns::fields($talkTable)), $table);
            self::assertSame(self::TABLES[$table], [Facts::COLUMNS[$table]['op'], $talkTable]);
        }
    }

    /** Integer ranges: the engine's, within what the column holds on every database. */
    public function testRangesAreTheEnginesWithinTheColumns(): void
    {
        $int32 = [-2147483648, 2147483647];
        $expected = [
            [Columns::ROOMS, 'type', [1, 6]],
            [Columns::ROOMS, 'breakoutRoomMode', [0, 3]],
            [Columns::ROOMS, 'callFlag', $int32],
            [Columns::ROOMS, 'lobbyTimer', [0, Columns::DATETIME_MAX]],
            [Columns::ROOMS, 'activeGuests', [0, 2147483647]],
            [Columns::ATTENDEES, 'lastJoinedCall', [0, 2147483647]],
            [Columns::ATTENDEES, 'notificationCalls', [0, 1]],
            [Columns::SESSIONS, 'lastPing', [0, 2147483647]],
        ];
        foreach ($expected as [$talkTable, $field, $range]) {
            self::assertSame($range, Columns::field($talkTable, $field)[3] ?? null, "{$talkTable}.{$field}");
        }
        foreach (Columns::STATE_TABLES as $talkTable => $table) {
            foreach (Facts::COLUMNS[$table]['columns'] as $field => $c) {
                $spec = Columns::field($talkTable, $field);
                self::assertNotNull($spec, "{$table}.{$field}");
                if ($c['type'] === 'int') {
                    [$min, $max] = $spec[3];
                    self::assertGreaterThanOrEqual($c['min'], $min, "{$table}.{$field}");
                    self::assertLessThanOrEqual($c['max'], $max, "{$table}.{$field}");
                    self::assertGreaterThanOrEqual($int32[0], $min, "{$table}.{$field}");
                } else {
                    self::assertArrayNotHasKey(3, $spec, "{$table}.{$field}");
                }
            }
        }
    }

    public function testApplyRefusesKeysUnknownColumnsAndWrongTypes(): void
    {
        $rules = new CallRules();
        $state = [
            'room' => ['token' => 'abcd1234', 'type' => 2, 'callFlag' => 0],
            'attendees' => [['attendeeId' => 1, 'actorType' => 'users', 'actorId' => 'alice', 'participantType' => 1]],
            'sessions' => [['sessionId' => 's1', 'attendeeId' => 1, 'inCall' => 0, 'lastPing' => 1]],
        ];
        $cases = [
            [['op' => 'updateRoom', 'set' => ['token' => 'other']], 'mutations[0].set.token: not a writable column of room'],
            [['op' => 'updateSession', 'sessionId' => 's1', 'set' => ['sessionId' => 's2']], 'mutations[0].set.sessionId: not a writable column'],
            [['op' => 'updateAttendee', 'attendeeId' => 1, 'set' => ['actorId' => 'mallory']], 'mutations[0].set.actorId: not a writable column'],
            [['op' => 'updateRoom', 'set' => ['callFlag' => '7']], 'mutations[0].set.callFlag: expected an integer, got a string'],
            [['op' => 'updateRoom', 'set' => ['lobbyTimer' => -5]], 'mutations[0].set.lobbyTimer: -5 is out of range'],
            [['op' => 'dropRoom', 'set' => []], 'mutations[0].op: unknown operation "dropRoom"'],
        ];
        foreach ($cases as [$mutation, $detail]) {
            $out = $rules->apply($state, [$mutation]);
            self::assertSame('bad-input', $out['reason'] ?? null, json_encode($mutation) . ' was applied');
            self::assertStringStartsWith($detail, $out['data']['detail']);
        }
        $next = $rules->apply($state, [['op' => 'updateRoom', 'set' => ['callFlag' => 7, 'activeSince' => 5]]]);
        self::assertSame(7, $next['room']['callFlag']);
    }
}
