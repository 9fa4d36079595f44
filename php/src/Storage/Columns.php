<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Storage;

use OCA\TalkCallRules\Facts;

/**
 * The one map between the State's camelCase fields and the columns of Talk's tables
 * (spreed's migrations: `talk_rooms`, `talk_attendees`, `talk_sessions`), with the
 * conversion each column needs. StateLoader reads with it and MutationWriter writes
 * with it, so a field read is always written back to the same column the same way.
 * Column names in SQL only ever come from here, never from a caller. The writable fields
 * are the engine's (Facts::COLUMNS, generated from src/apply.rs; MutationColumnsTest checks
 * that they are the same, in the same order), and so are the ranges of their values.
 *
 * @internal
 */
final class Columns
{
    /** An integer column; NULL (only nullable ones hold it) reads as the column's default. */
    public const INT = 'int';
    /** DATETIME, NULL allowed: unix seconds (UTC) or null in the State. */
    public const DATETIME = 'datetime';
    /** Unix seconds in an INTEGER NOT NULL DEFAULT 0 column: 0 means "never" (null in the State). */
    public const UNIX_OR_ZERO = 'unix-or-zero';
    /** A nullable string whose NULL the rules read as '' (display name, object type). */
    public const TEXT_OR_EMPTY = 'text-or-empty';
    /** A nullable string kept as it is: NULL stays null, '' stays ''. */
    public const TEXT = 'text';

    public const ROOMS = 'talk_rooms';
    public const ATTENDEES = 'talk_attendees';
    public const SESSIONS = 'talk_sessions';

    /** Talk's table => the State's (the keys of Facts::COLUMNS). */
    public const STATE_TABLES = [self::ROOMS => 'room', self::ATTENDEES => 'attendees', self::SESSIONS => 'sessions'];

    /** Largest signed 32-bit integer: INTEGER columns on every database (PostgreSQL has no unsigned). */
    private const INT32_MAX = 2147483647;
    private const INT32 = [-2147483648, self::INT32_MAX];
    /** 9999-12-31 23:59:59 UTC: the last second a DATETIME column's 4-digit year holds. */
    public const DATETIME_MAX = 253402300799;

    /**
     * What a column of each integer kind holds on every database: INTEGER is signed 32-bit
     * (PostgreSQL has no unsigned), so unix seconds in one stop at 2^31 - 1; datetimes stop
     * at the year 9999.
     */
    private const STORABLE = [
        self::INT => self::INT32,
        self::DATETIME => [0, self::DATETIME_MAX],
        self::UNIX_OR_ZERO => [0, self::INT32_MAX],
    ];

    /**
     * Writable fields of each table, in the engine's order: field => [column, kind, default].
     * Identifiers (token, attendee id and actor, session id and attendee) are read
     * separately and are never written: a mutation cannot move a row.
     */
    private const FIELDS = [
        self::ROOMS => [
            'type' => ['type', self::INT, 0],
            'readOnly' => ['read_only', self::INT, 0],
            'listable' => ['listable', self::INT, 0],
            'lobbyState' => ['lobby_state', self::INT, 0],
            'lobbyTimer' => ['lobby_timer', self::DATETIME, null],
            'objectType' => ['object_type', self::TEXT_OR_EMPTY, ''],
            'callFlag' => ['call_flag', self::INT, 0],
            'activeSince' => ['active_since', self::DATETIME, null],
            'activeGuests' => ['active_guests', self::INT, 0],
            'defaultPermissions' => ['default_permissions', self::INT, 0],
            'callPermissions' => ['call_permissions', self::INT, 0],
            'recordingConsent' => ['recording_consent', self::INT, 0],
            'callRecording' => ['call_recording', self::INT, 0],
            'breakoutRoomMode' => ['breakout_room_mode', self::INT, 0],
            'breakoutRoomStatus' => ['breakout_room_status', self::INT, 0],
        ],
        self::ATTENDEES => [
            'displayName' => ['display_name', self::TEXT_OR_EMPTY, ''],
            'participantType' => ['participant_type', self::INT, 0],
            'permissions' => ['permissions', self::INT, 0],
            'lastJoinedCall' => ['last_joined_call', self::UNIX_OR_ZERO, null],
            'notificationCalls' => ['notification_calls', self::INT, 1],
            'phoneNumber' => ['phone_number', self::TEXT, null],
            'callId' => ['call_id', self::TEXT, null],
        ],
        self::SESSIONS => [
            'inCall' => ['in_call', self::INT, 0],
            'lastPing' => ['last_ping', self::INT, 0],
        ],
    ];

    /** The datetime text every database Nextcloud supports gives back (fractions tolerated). */
    private const DATETIME_TEXT = '/^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?$/';

    /** @return array<string, array{0:string,1:string,2:mixed,3?:array{int,int}}> field => [column, kind, default, range] (see field()) */
    public static function fields(string $table): array
    {
        $out = [];
        foreach (self::FIELDS[$table] as $field => $_) {
            $out[$field] = self::field($table, $field);
        }
        return $out;
    }

    /**
     * [column, kind, default, range] of a writable field. The range of an integer field is the
     * values the engine's State takes (Facts::COLUMNS: enum-like columns hold only the values the
     * server stores, bit masks are signed 32-bit) that the column can hold on every database
     * (STORABLE), so what MutationWriter writes, StateLoader and the rules read back.
     *
     * @return array{0:string,1:string,2:mixed,3?:array{int,int}}|null
     */
    public static function field(string $table, string $field): ?array
    {
        $spec = self::FIELDS[$table][$field] ?? null;
        if ($spec === null || !isset(self::STORABLE[$spec[1]])) {
            return $spec;
        }
        $engine = Facts::COLUMNS[self::STATE_TABLES[$table]]['columns'][$field] ?? null;
        if (!isset($engine['min'], $engine['max'])) {
            throw new \LogicException("talk-call-rules storage: {$table}.{$field} is not an integer column the engine writes (Facts::COLUMNS)");
        }
        [$min, $max] = self::STORABLE[$spec[1]];
        $spec[] = [max($min, $engine['min']), min($max, $engine['max'])];
        return $spec;
    }

    /** Table prefixes are identifiers in SQL: only letters, digits and underscores pass. */
    public static function checkPrefix(string $prefix): string
    {
        // \z, not $: "$" also matches before a final newline.
        if (preg_match('/^[A-Za-z0-9_]*\z/', $prefix) !== 1) {
            throw new \InvalidArgumentException("talk-call-rules storage: the table prefix \"{$prefix}\" may only hold letters, digits and underscores");
        }
        return $prefix;
    }

    // ---- column → State ----

    /** A stored value as the State carries it. */
    public static function read(string $kind, mixed $value, mixed $default, string $where): mixed
    {
        return match ($kind) {
            self::INT => $value === null ? $default : self::int($value, $where),
            self::DATETIME => $value === null ? null : self::unixFromDatetime($value, $where),
            self::UNIX_OR_ZERO => self::unixOrNull($value === null ? 0 : self::int($value, $where), $where),
            self::TEXT_OR_EMPTY => $value === null ? '' : self::text($value, $where),
            self::TEXT => $value === null ? null : self::text($value, $where),
        };
    }

    private static function unixOrNull(int $unix, string $where): ?int
    {
        if ($unix < 0) {
            throw new StorageException(StorageException::BAD_ROW, "{$where}: {$unix} is not unix seconds");
        }
        return $unix === 0 ? null : $unix;
    }

    /** An integer from a driver that may hand back integers as text. */
    public static function int(mixed $value, string $where): int
    {
        if (is_int($value)) {
            return $value;
        }
        if (is_string($value) && preg_match('/^-?\d{1,19}$/', $value) === 1) {
            $i = (int) $value;
            if ((string) $i === $value) {
                return $i;
            }
        }
        if (is_bool($value)) {
            return (int) $value;
        }
        throw new StorageException(StorageException::BAD_ROW, "{$where}: " . self::show($value) . ' is not an integer');
    }

    private static function text(mixed $value, string $where): string
    {
        if (is_string($value)) {
            return $value;
        }
        if (is_int($value)) {
            return (string) $value;
        }
        throw new StorageException(StorageException::BAD_ROW, "{$where}: " . self::show($value) . ' is not text');
    }

    /**
     * Nextcloud keeps datetimes in UTC ('Y-m-d H:i:s', the server runs with the UTC
     * default time zone), so the text is read as UTC whatever PHP's zone is here.
     */
    public static function unixFromDatetime(mixed $value, string $where): int
    {
        if ($value instanceof \DateTimeInterface) {
            return $value->getTimestamp();
        }
        if (!is_string($value) || preg_match(self::DATETIME_TEXT, $value, $m) !== 1) {
            throw new StorageException(StorageException::BAD_ROW, "{$where}: " . self::show($value) . ' is not a datetime (Y-m-d H:i:s)');
        }
        $dt = \DateTimeImmutable::createFromFormat('!Y-m-d H:i:s', "{$m[1]} {$m[2]}", new \DateTimeZone('UTC'));
        $errors = \DateTimeImmutable::getLastErrors();
        if ($dt === false || (is_array($errors) && ($errors['warning_count'] > 0 || $errors['error_count'] > 0))) {
            throw new StorageException(StorageException::BAD_ROW, "{$where}: " . self::show($value) . ' is not a valid date and time');
        }
        $t = $dt->getTimestamp();
        if ($t < 0) {
            throw new StorageException(StorageException::BAD_ROW, "{$where}: " . self::show($value) . ' lies before 1970');
        }
        return $t;
    }

    // ---- State → column ----

    /**
     * The value to bind for a State value, or an error text when the value does not fit.
     *
     * @return array{0:bool,1:mixed} [ok, value or error]
     */
    public static function write(string $kind, mixed $value, ?array $range = null): array
    {
        [$min, $max] = $range ?? [PHP_INT_MIN, PHP_INT_MAX];
        $inRange = static fn (mixed $v): bool => is_int($v) && $v >= $min && $v <= $max;
        switch ($kind) {
            case self::INT:
                return $inRange($value) ? [true, $value] : [false, $range === null ? 'an integer' : "an integer in {$min}..{$max}"];
            case self::DATETIME:
                if ($value === null) {
                    return [true, null];
                }
                return $inRange($value) ? [true, self::datetimeFromUnix($value)] : [false, "unix seconds ({$min}..{$max}) or null"];
            case self::UNIX_OR_ZERO:
                if ($value === null) {
                    return [true, 0];
                }
                return $inRange($value) ? [true, $value] : [false, "unix seconds ({$min}..{$max}) or null"];
            default:
                return $value === null || is_string($value) ? [true, $value] : [false, 'a string or null'];
        }
    }

    /** Unix seconds as the UTC datetime text Nextcloud stores. */
    public static function datetimeFromUnix(int $unix): string
    {
        return gmdate('Y-m-d H:i:s', $unix);
    }

    /** A short rendering of a value for error messages. */
    public static function show(mixed $value): string
    {
        $s = json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR);
        $s = is_string($s) ? $s : get_debug_type($value);
        return strlen($s) > 80 ? substr($s, 0, 77) . '...' : $s;
    }
}
