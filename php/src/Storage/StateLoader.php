<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Storage;

/**
 * Builds the engine's State (README.md, "API": State) for one conversation from Talk's own
 * rows: `talk_rooms`, `talk_attendees` and `talk_sessions`, with the column names and
 * types of spreed's migrations, plus the app config values the rules read.
 *
 * It needs a PDO connection and nothing of Nextcloud: the app passes its app config
 * values in (it reads them from IConfig/IAppConfig) and, for GET peers, a way to ask
 * the user manager for display names, which is not in the database.
 *
 *     $loader = new StateLoader($pdo, 'oc_');
 *     $state = $loader->load($token, $appConfig, $request, $displayNameOf)
 *         ?? StateLoader::withoutRoom($appConfig);
 *
 * Conversions: DATETIME columns (`active_since`, `lobby_timer`) become unix seconds read
 * as UTC, NULL stays null; `last_joined_call` (unix seconds, 0 = never) becomes null for
 * 0; NULL `display_name`/`object_type` become ''; every integer column becomes an int.
 */
final class StateLoader
{
    /** A room token no request can name (tokens match [a-z0-9]{4,30}). */
    public const NO_ROOM_TOKEN = '-';

    private readonly Sql $sql;
    private readonly string $prefix;

    /** @param string $tablePrefix Nextcloud's `dbtableprefix` (letters, digits, underscores) */
    public function __construct(\PDO $pdo, string $tablePrefix = 'oc_')
    {
        $this->sql = new Sql($pdo);
        $this->prefix = Columns::checkPrefix($tablePrefix);
    }

    /**
     * The State of conversation `$token`, or null when no room has that token.
     *
     * @param array<string, mixed> $appConfig spreed's app config values by key, as the app
     *        config gives them (text; decoded arrays and ints are taken too), see config()
     * @param array<string, mixed>|null $request the Request about to be evaluated: when it is
     *        a ring or dial-out whose target id is an attendee of another conversation, that
     *        row goes into `foreignAttendees` (the rules answer 404 for it, as the server does)
     * @param (callable(string): ?string)|null $userDisplayName the user manager's display name
     *        of a user id (null when unknown); asked only for user attendees whose stored
     *        display name is empty, the one case where the rules fall back to it
     * @return array<string, mixed>|null
     * @throws StorageException
     */
    public function load(string $token, array $appConfig, ?array $request = null, ?callable $userDisplayName = null): ?array
    {
        $config = self::config($appConfig);
        if ($this->sql->pdo->inTransaction()) {
            // The caller's transaction (CallStore's, after it took the conversation's lock).
            return $this->read($token, $config, $request, $userDisplayName);
        }
        // Alone: one read-only transaction whose reads share one snapshot, so the rows are
        // consistent with each other (PostgreSQL and MySQL at REPEATABLE READ; an SQLite
        // read transaction sees one snapshot anyway).
        $this->sql->begin(false, 'talk_call_rules_load', 'REPEATABLE READ');
        try {
            $state = $this->read($token, $config, $request, $userDisplayName);
        } catch (\Throwable $e) {
            $this->sql->rollBack(false, 'talk_call_rules_load');
            throw $e instanceof StorageException ? $e : new StorageException(StorageException::DATABASE, $e->getMessage(), null, $e);
        }
        $this->sql->commit(false, 'talk_call_rules_load');
        return $state;
    }

    /** @return array<string, mixed>|null */
    private function read(string $token, array $config, ?array $request, ?callable $userDisplayName): ?array
    {
        $rooms = Columns::fields(Columns::ROOMS);
        $found = $this->sql->select(
            'SELECT id, token, ' . self::columnList($rooms) . ' FROM ' . $this->table(Columns::ROOMS) . ' WHERE token = ?',
            [$token]
        );
        if ($found === []) {
            return null;
        }
        $row = $found[0];
        $roomId = Columns::int($row['id'], Columns::ROOMS . '.id');
        $room = ['token' => (string) $row['token']] + self::fieldsOf(Columns::ROOMS, $row, Columns::ROOMS . " (token {$token})");

        $attendees = [];
        $needNames = [];
        $fields = Columns::fields(Columns::ATTENDEES);
        $rows = $this->sql->select(
            'SELECT id, actor_type, actor_id, ' . self::columnList($fields) . ' FROM ' . $this->table(Columns::ATTENDEES)
            . ' WHERE room_id = ? ORDER BY id',
            [$roomId]
        );
        foreach ($rows as $r) {
            $id = Columns::int($r['id'], Columns::ATTENDEES . '.id');
            $a = [
                'attendeeId' => $id,
                'actorType' => (string) $r['actor_type'],
                'actorId' => (string) $r['actor_id'],
            ] + self::fieldsOf(Columns::ATTENDEES, $r, Columns::ATTENDEES . " id {$id}");
            // GET peers falls back to the user manager's name where PHP finds the stored one
            // falsy: '' and '0'.
            if ($a['actorType'] === 'users' && ($a['displayName'] === '' || $a['displayName'] === '0')) {
                $needNames[$a['actorId']] = true;
            }
            $attendees[] = $a;
        }

        $sessions = [];
        $fields = Columns::fields(Columns::SESSIONS);
        $cols = implode(', ', array_map(static fn (array $c): string => 's.' . $c[0], $fields));
        $rows = $this->sql->select(
            "SELECT s.session_id, s.attendee_id, {$cols} FROM " . $this->table(Columns::SESSIONS) . ' s'
            . ' INNER JOIN ' . $this->table(Columns::ATTENDEES) . ' a ON a.id = s.attendee_id'
            . ' WHERE a.room_id = ? ORDER BY s.id',
            [$roomId]
        );
        foreach ($rows as $r) {
            $sid = (string) $r['session_id'];
            $sessions[] = [
                'sessionId' => $sid,
                'attendeeId' => Columns::int($r['attendee_id'], Columns::SESSIONS . '.attendee_id'),
            ] + self::fieldsOf(Columns::SESSIONS, $r, Columns::SESSIONS . " session_id {$sid}");
        }

        $state = ['config' => $config, 'room' => $room, 'attendees' => $attendees, 'sessions' => $sessions];

        $target = $request === null ? null : self::targetAttendeeId($request);
        if ($target !== null && $target > 0 && !in_array($target, array_column($attendees, 'attendeeId'), true)) {
            $rows = $this->sql->select(
                'SELECT id, actor_type FROM ' . $this->table(Columns::ATTENDEES) . ' WHERE id = ? AND room_id <> ?',
                [$target, $roomId]
            );
            $state['foreignAttendees'] = array_map(static fn (array $r): array => [
                'attendeeId' => Columns::int($r['id'], Columns::ATTENDEES . '.id'),
                'actorType' => (string) $r['actor_type'],
            ], $rows);
        }

        // `users` is left out when empty, so json_encode() of the State stays exact too
        // (an empty PHP array would be written as a list where the State wants an object).
        if ($userDisplayName !== null) {
            foreach (array_keys($needNames) as $uid) {
                $name = $userDisplayName((string) $uid);
                if ($name !== null) {
                    $state['users'][(string) $uid] = ['displayName' => (string) $name];
                }
            }
        }
        return $state;
    }

    /**
     * The State for a request whose token names no conversation: the configuration and a
     * room no request token can match. The rules then answer as the server does for an
     * unknown token — 403 first when the user may not use Talk or calls are disabled
     * (start_calls = 3), else 404 — so the app needs no branch of its own.
     *
     * @param array<string, mixed> $appConfig as for load()
     * @return array<string, mixed>
     */
    public static function withoutRoom(array $appConfig): array
    {
        return [
            'config' => self::config($appConfig),
            'room' => ['token' => self::NO_ROOM_TOKEN, 'type' => 2],
            'attendees' => [],
            'sessions' => [],
        ];
    }

    /**
     * The State's `config` from spreed's app config values, read the way Talk 18's
     * `Config` reads them (a missing key is the server's default):
     *
     * - `start_calls`: int, default 0 (everyone);
     * - `allowed_groups`: JSON list of group ids, default `[]` (not JSON or not a list: `[]`);
     * - `default_permissions`: '' or missing → null (the rules use 246), else int;
     * - `signaling`: "internal" when `signaling_mode` is "internal" or `signaling_servers`
     *   (JSON `{"servers": [...], "secret": ...}`) lists no server, else "external";
     * - `recordingConsent`, the *effective* requirement: `recording_consent` (1 or 2, else 0)
     *   only while recording is usable — external signaling, `call_recording` "yes" (its
     *   default), `recording_servers` JSON listing servers and a non-empty secret — else 0.
     *
     * @param array<string, mixed> $appConfig
     * @return array{startCalls:int, allowedGroups:list<string>, recordingConsent:int, defaultPermissions:?int, signaling:string}
     * @throws StorageException (bad-config) for a value no app config value can be (an object, a float, ...)
     */
    public static function config(array $appConfig): array
    {
        $startCalls = self::intValue($appConfig, 'start_calls', 0);
        $groups = self::jsonValue($appConfig, 'allowed_groups');
        $allowed = [];
        if (is_array($groups)) {
            foreach ($groups as $g) {
                if (is_string($g) || is_int($g)) {
                    $allowed[] = (string) $g;
                }
            }
        }
        $dp = $appConfig['default_permissions'] ?? null;
        $defaultPermissions = ($dp === null || $dp === '') ? null : self::intValue($appConfig, 'default_permissions', 0);

        $mode = self::textValue($appConfig, 'signaling_mode', '');
        $internal = $mode === 'internal' || self::servers($appConfig, 'signaling_servers') === [];

        $consent = 0;
        $recording = self::jsonValue($appConfig, 'recording_servers');
        $secret = is_array($recording) && is_string($recording['secret'] ?? null) ? $recording['secret'] : '';
        $recordingUsable = !$internal
            && self::textValue($appConfig, 'call_recording', 'yes') === 'yes'
            && self::servers($appConfig, 'recording_servers') !== []
            && $secret !== '';
        if ($recordingUsable) {
            $c = self::intValue($appConfig, 'recording_consent', 0);
            $consent = in_array($c, [1, 2], true) ? $c : 0;
        }

        return [
            'startCalls' => $startCalls,
            'allowedGroups' => $allowed,
            'recordingConsent' => $consent,
            'defaultPermissions' => $defaultPermissions,
            'signaling' => $internal ? 'internal' : 'external',
        ];
    }

    /**
     * The `{attendeeId}` of a ring or dial-out request, cast the way the server casts an int
     * route parameter ("12" → 12, "abc" → 0); null for any other request.
     *
     * @param array<string, mixed> $request
     */
    public static function targetAttendeeId(array $request): ?int
    {
        $path = $request['path'] ?? null;
        if (!is_string($path)) {
            return null;
        }
        if (preg_match('~/call/[^/]+/(?:ring|dialout)/([^/]+)$~', self::routingPath($path), $m) !== 1) {
            return null;
        }
        return (int) $m[1];
    }

    /**
     * A request path as Nextcloud's router reads it (the engine's src/reading.rs): runs of `/`
     * collapsed, the query cut, then percent-decoded once.
     *
     * @internal
     */
    public static function routingPath(string $path): string
    {
        return rawurldecode(explode('?', (string) preg_replace('~/{2,}~', '/', $path), 2)[0]);
    }

    // ---- helpers ----

    private function table(string $table): string
    {
        return $this->prefix . $table;
    }

    /** @param array<string, array{0:string,1:string,2:mixed}> $fields */
    private static function columnList(array $fields): string
    {
        return implode(', ', array_map(static fn (array $c): string => $c[0], $fields));
    }

    /** @return array<string, mixed> the writable fields of a row, converted */
    private static function fieldsOf(string $table, array $row, string $where): array
    {
        $out = [];
        foreach (Columns::fields($table) as $field => [$column, $kind, $default]) {
            $out[$field] = Columns::read($kind, $row[$column] ?? null, $default, "{$where}, column {$column}");
        }
        return $out;
    }

    private static function intValue(array $config, string $key, int $default): int
    {
        $v = $config[$key] ?? null;
        return match (true) {
            $v === null => $default,
            is_int($v) => $v,
            is_bool($v) => (int) $v,
            // PHP's (int) cast of the stored text, as the server's `(int) getAppValue()`.
            is_string($v) => (int) $v,
            default => throw new StorageException(StorageException::BAD_CONFIG, "app config {$key}: " . Columns::show($v) . ' is not an integer'),
        };
    }

    private static function textValue(array $config, string $key, string $default): string
    {
        $v = $config[$key] ?? null;
        return match (true) {
            $v === null => $default,
            is_string($v) => $v,
            is_int($v) => (string) $v,
            is_bool($v) => $v ? 'yes' : 'no',
            default => throw new StorageException(StorageException::BAD_CONFIG, "app config {$key}: " . Columns::show($v) . ' is not text'),
        };
    }

    /** A JSON app value: stored text is decoded (null when it is not JSON), arrays are taken as decoded. */
    private static function jsonValue(array $config, string $key): mixed
    {
        $v = $config[$key] ?? null;
        if ($v === null || is_array($v)) {
            return $v;
        }
        if (!is_string($v)) {
            throw new StorageException(StorageException::BAD_CONFIG, "app config {$key}: " . Columns::show($v) . ' is neither JSON text nor an array');
        }
        return json_decode($v, true);
    }

    /** The `servers` list of a signaling/recording servers value ([] when there is none). */
    private static function servers(array $config, string $key): array
    {
        $v = self::jsonValue($config, $key);
        return is_array($v) && is_array($v['servers'] ?? null) ? $v['servers'] : [];
    }
}
