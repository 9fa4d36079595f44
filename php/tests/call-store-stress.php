<?php

declare(strict_types=1);

// Many requests on one conversation at once, through CallStore, on every database the suite
// has (a bounded stress run; its own test stage: ./build.sh test-stress).
//
//     php php/tests/call-store-stress.php [--workers 20] [--rounds 50] [--engine sqlite|pgsql|mysql]
//
// WORKERS PHP processes (php/tests/Support/call-store-worker.php, one database connection
// each, like PHP-FPM workers of one Nextcloud) each hold one user attendee with one session
// in a group conversation. Every round all of them join at once (POST, with IN_CALL and a
// random choice of audio and video), then all of them leave at once (DELETE). At each quiet
// point, when every request of the phase has answered, the stored rows are checked:
//   - everyone joined: `active_since` is set, each session holds the flags it joined with,
//     `call_flag` is the OR of them, exactly one request posted `call_started` and sent
//     `notifyCallStarted`, every other one posted `call_joined`;
//   - everyone left: no session in the call, `call_flag` 0, `active_since` NULL, exactly
//     one request posted `call_ended`;
//   - no request failed.
// Prints per database: requests, attempts beyond the first (retries), violations; then
// "N passed, M failed" (one per database). Exits non-zero on any violation. It times nothing
// and asserts no time: the figures it prints are counts.

require dirname(__DIR__) . '/autoload.php';
require __DIR__ . '/Support/TalkDatabase.php';
require __DIR__ . '/Support/StoreWorker.php';

use OCA\TalkCallRules\Storage\StateLoader;
use OCA\TalkCallRules\Tests\Support\StoreWorker;
use OCA\TalkCallRules\Tests\Support\TalkDatabase;

const NOW = 1700000000;
const TOKEN = 'stress01';

$opts = getopt('', ['workers:', 'rounds:', 'engine:', 'seed:', 'unlocked']);
// --unlocked: the same run without CallStore (StateLoader → evaluate → MutationWriter in each
// worker), to count what the lock prevents; php/bench-store.php uses it. Not a test.
$mode = isset($opts['unlocked']) ? 'unlocked' : 'store';
$workers = (int) ($opts['workers'] ?? 20);
$rounds = (int) ($opts['rounds'] ?? 50);
$engines = isset($opts['engine']) ? [(string) $opts['engine']] : TalkDatabase::engines();
mt_srand((int) ($opts['seed'] ?? 18));

function state(int $n): array
{
    $attendees = $sessions = [];
    for ($i = 1; $i <= $n; $i++) {
        $attendees[] = [
            'attendeeId' => $i, 'actorType' => 'users', 'actorId' => "user{$i}", 'displayName' => "User {$i}",
            'participantType' => $i === 1 ? 1 : 3, 'permissions' => 0, 'lastJoinedCall' => null,
            'notificationCalls' => 1, 'phoneNumber' => null, 'callId' => null,
        ];
        $sessions[] = ['sessionId' => "session-{$i}", 'attendeeId' => $i, 'inCall' => 0, 'lastPing' => NOW];
    }
    return [
        'config' => ['startCalls' => 0, 'allowedGroups' => [], 'recordingConsent' => 0, 'defaultPermissions' => null, 'signaling' => 'internal'],
        'room' => [
            'token' => TOKEN, 'type' => 2, 'readOnly' => 0, 'lobbyState' => 0, 'lobbyTimer' => null, 'objectType' => '',
            'callFlag' => 0, 'activeSince' => null, 'activeGuests' => 0, 'defaultPermissions' => 0, 'callPermissions' => 0,
            'recordingConsent' => 0, 'callRecording' => 0, 'breakoutRoomMode' => 0, 'breakoutRoomStatus' => 0, 'listable' => 0,
        ],
        'attendees' => $attendees, 'sessions' => $sessions, 'foreignAttendees' => [],
    ];
}

function request(int $i, string $method, array $body = []): array
{
    return ['method' => $method, 'path' => '/call/' . TOKEN, 'body' => $body,
        'actor' => ['userId' => "user{$i}", 'sessionId' => "session-{$i}", 'groups' => []], 'now' => NOW];
}

/** @return list<string> */
function messages(array $outcome): array
{
    $out = [];
    foreach ($outcome['effects'] as $e) {
        if ($e['type'] === 'systemMessage') {
            $out[] = $e['message'];
        } elseif ($e['type'] === 'notifyCallStarted') {
            $out[] = 'notify';
        }
    }
    return $out;
}

/** Normal lock waits: the busy timeout Nextcloud's SQLite connections use, the servers' defaults. */
function init(string $engine): array
{
    return $engine === 'sqlite' ? ['PRAGMA busy_timeout = 5000'] : [];
}

$passed = $failed = 0;
foreach ($engines as $engine) {
    $pdo = TalkDatabase::create('oc_', $engine, true);
    if ($engine === 'sqlite') {
        // Many writer processes on one SQLite file: write-ahead logging, so readers never block
        // the writer (the deterministic tests in CallStoreTest use the default rollback journal).
        $pdo->exec('PRAGMA journal_mode = WAL');
    }
    TalkDatabase::seed($pdo, state($workers));
    $loader = new StateLoader($pdo);
    $pool = [];
    for ($i = 1; $i <= $workers; $i++) {
        $pool[$i] = new StoreWorker(TalkDatabase::dsn($pdo), init($engine), mode: $mode);
    }
    $requests = $retries = $violations = 0;
    $report = static function (string $what) use (&$violations, $engine): void {
        $violations++;
        if ($violations <= 10) {
            fwrite(STDERR, "[{$engine}] violation: {$what}\n");
        }
    };
    for ($round = 1; $round <= $rounds; $round++) {
        foreach (['join', 'leave'] as $phase) {
            $flags = [];
            foreach ($pool as $i => $w) {
                $flags[$i] = 1 | (mt_rand(0, 1) * 2) | (mt_rand(0, 1) * 4);
                $w->send($phase === 'join' ? request($i, 'POST', ['flags' => $flags[$i]]) : request($i, 'DELETE'));
            }
            $said = [];
            foreach ($pool as $i => $w) {
                do {
                    $line = $w->read();
                } while (isset($line['started']) || isset($line['conflict']));
                $requests++;
                $retries += max(0, ($line['attempts'] ?? 1) - 1);
                if (!isset($line['outcome']) || $line['outcome']['status'] !== 200) {
                    $report("round {$round} {$phase} user{$i}: " . json_encode($line));
                    continue;
                }
                $said[] = messages($line['outcome']);
            }
            // The quiet point: every request of the phase has answered.
            $st = $loader->load(TOKEN, []);
            $inCall = array_column($st['sessions'], 'inCall', 'sessionId');
            $count = static fn (string $m): int => count(array_filter($said, static fn (array $ms): bool => in_array($m, $ms, true)));
            if ($phase === 'join') {
                $or = 0;
                foreach ($flags as $i => $f) {
                    $or |= $f;
                    if ($inCall["session-{$i}"] !== $f) {
                        $report("round {$round} join: session-{$i} holds {$inCall["session-{$i}"]}, joined with {$f}");
                    }
                }
                if ($st['room']['activeSince'] === null) {
                    $report("round {$round} join: everyone is in the call, active_since is NULL");
                }
                if ($st['room']['callFlag'] !== $or) {
                    $report("round {$round} join: call_flag {$st['room']['callFlag']}, the sessions' flags OR to {$or}");
                }
                foreach (['call_started' => 1, 'notify' => 1, 'call_joined' => $workers - 1] as $m => $want) {
                    if ($count($m) !== $want) {
                        $report("round {$round} join: {$count($m)} requests posted {$m}, expected {$want}");
                    }
                }
            } else {
                if (array_filter($inCall) !== []) {
                    $report("round {$round} leave: sessions still in the call: " . json_encode(array_filter($inCall)));
                }
                if ($st['room']['callFlag'] !== 0 || $st['room']['activeSince'] !== null) {
                    $report("round {$round} leave: everyone left, the room says call_flag {$st['room']['callFlag']}, active_since " . json_encode($st['room']['activeSince']));
                }
                if ($count('call_ended') !== 1) {
                    $report("round {$round} leave: {$count('call_ended')} requests posted call_ended, expected 1");
                }
            }
        }
    }
    foreach ($pool as $w) {
        $w->close();
    }
    printf("stress [%s%s]: %d workers x %d rounds: %d requests, %d retries, %d violations\n", $engine, $mode === 'store' ? '' : ", {$mode}", $workers, $rounds, $requests, $retries, $violations);
    $violations === 0 ? $passed++ : $failed++;
}
printf("%d passed, %d failed\n", $passed, $failed);
exit($failed === 0 ? 0 : 1);
