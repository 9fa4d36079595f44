<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests\Support;

/**
 * A Talk database in SQLite (in memory) for the storage tests: the tables of
 * talk-tables.sqlite.sql, rows seeded from a State, the app config values that give a
 * State's `config`, and the projection of a State onto what the tables hold.
 *
 * The conversions here are written out on their own (gmdate, 0 for "never", the
 * rules' defaults), not taken from the classes under test, so a mistake there cannot
 * hide behind the same mistake here.
 */
final class TalkDatabase
{
    /** The token of the second conversation, which holds the State's foreign attendees. */
    public const OTHER_TOKEN = 'zz-other-room';

    /** A PDO on a fresh in-memory database with Talk's tables under `$prefix`. */
    public static function create(string $prefix = 'oc_'): \PDO
    {
        $pdo = new \PDO('sqlite::memory:');
        $pdo->setAttribute(\PDO::ATTR_ERRMODE, \PDO::ERRMODE_EXCEPTION);
        $ddl = (string) file_get_contents(__DIR__ . '/talk-tables.sqlite.sql');
        $pdo->exec(str_replace('*PREFIX*', $prefix, $ddl));
        return $pdo;
    }

    /**
     * Inserts a State's rows: its room (id 1) with its attendees and sessions, and a second
     * room (id 2) holding `foreignAttendees` (actor id "foreign-<id>", participant type 3).
     *
     * @param array<string, mixed> $state a State as arrays (json_decode(..., true))
     */
    public static function seed(\PDO $pdo, array $state, string $prefix = 'oc_'): void
    {
        $room = $state['room'];
        $ins = static function (string $table, array $row) use ($pdo, $prefix): void {
            $cols = array_keys($row);
            $st = $pdo->prepare("INSERT INTO {$prefix}{$table} (" . implode(', ', $cols) . ') VALUES ('
                . implode(', ', array_fill(0, count($cols), '?')) . ')');
            $st->execute(array_values($row));
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
}
