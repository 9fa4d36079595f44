<?php

declare(strict_types=1);

// What CallStore costs per request against the unlocked pattern, on each database the suite
// has, measured side by side in one process (./build.sh bench-store starts the servers).
//
//     php php/bench-store.php [--pairs 300] [--attendees 20]
//
// One connection decides a join and a leave of one session in a group conversation of
// ATTENDEES attendees, PAIRS times each way, alternating in blocks of ten: "unlocked" is
// StateLoader::load → CallRules::evaluate → MutationWriter::apply (each its own transaction),
// "CallStore" is CallStore::decide (one transaction: lock, load, evaluate, write, commit).
// Prints the median and mean milliseconds per request and the ratio. Nothing else runs in
// the process; the numbers are for this machine only. No request contends here: the cost
// of waiting for the lock under load is what the stress stage shows, not this.

require __DIR__ . '/autoload.php';
require __DIR__ . '/tests/Support/TalkDatabase.php';

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Storage\CallStore;
use OCA\TalkCallRules\Storage\MutationWriter;
use OCA\TalkCallRules\Storage\StateLoader;
use OCA\TalkCallRules\Tests\Support\TalkDatabase;

const NOW = 1700000000;
const TOKEN = 'bench001';

$opts = getopt('', ['pairs:', 'attendees:']);
$pairs = (int) ($opts['pairs'] ?? 300);
$n = (int) ($opts['attendees'] ?? 20);

$attendees = $sessions = [];
for ($i = 1; $i <= $n; $i++) {
    $attendees[] = ['attendeeId' => $i, 'actorType' => 'users', 'actorId' => "user{$i}", 'displayName' => "User {$i}",
        'participantType' => $i === 1 ? 1 : 3, 'permissions' => 0, 'lastJoinedCall' => null, 'notificationCalls' => 1,
        'phoneNumber' => null, 'callId' => null];
    $sessions[] = ['sessionId' => "session-{$i}", 'attendeeId' => $i, 'inCall' => 0, 'lastPing' => NOW];
}
$state = [
    'config' => ['startCalls' => 0, 'allowedGroups' => [], 'recordingConsent' => 0, 'defaultPermissions' => null, 'signaling' => 'internal'],
    'room' => ['token' => TOKEN, 'type' => 2, 'readOnly' => 0, 'lobbyState' => 0, 'lobbyTimer' => null, 'objectType' => '',
        'callFlag' => 0, 'activeSince' => null, 'activeGuests' => 0, 'defaultPermissions' => 0, 'callPermissions' => 0,
        'recordingConsent' => 0, 'callRecording' => 0, 'breakoutRoomMode' => 0, 'breakoutRoomStatus' => 0, 'listable' => 0],
    'attendees' => $attendees, 'sessions' => $sessions, 'foreignAttendees' => [],
];
$request = static fn (string $method, array $body = []): array => ['method' => $method, 'path' => '/call/' . TOKEN,
    'body' => $body, 'actor' => ['userId' => 'user1', 'sessionId' => 'session-1', 'groups' => []], 'now' => NOW];
$join = $request('POST', ['flags' => 7]);
$leave = $request('DELETE');

$rules = new CallRules();
$median = static function (array $xs): float {
    sort($xs);
    $m = intdiv(count($xs), 2);
    return count($xs) % 2 ? $xs[$m] : ($xs[$m - 1] + $xs[$m]) / 2;
};
printf("CallStore against the unlocked pattern: %d joins and %d leaves each way, %d attendees, one connection\n", $pairs, $pairs, $n);
printf("%-8s %22s %22s %8s\n", 'database', 'unlocked ms (med/mean)', 'CallStore ms (med/mean)', 'ratio');
foreach (TalkDatabase::engines() as $engine) {
    $pdo = TalkDatabase::create('oc_', $engine, true);
    if ($engine === 'sqlite') {
        $pdo->exec('PRAGMA journal_mode = WAL');
    }
    TalkDatabase::seed($pdo, $state);
    $loader = new StateLoader($pdo);
    $writer = new MutationWriter($pdo);
    $store = new CallStore($pdo, $rules, []);
    $unlocked = static function (array $r) use ($loader, $writer, $rules): void {
        $out = $rules->evaluate($r, $loader->load(TOKEN, [], $r));
        if ($out['status'] !== 200) {
            throw new RuntimeException(json_encode($out));
        }
        $writer->apply(TOKEN, $out['mutations']);
    };
    $locked = static function (array $r) use ($store): void {
        $out = $store->decide($r);
        if ($out['status'] !== 200) {
            throw new RuntimeException(json_encode($out));
        }
    };
    $times = ['unlocked' => [], 'store' => []];
    // Warm-up: prepared statements, the module's first calls.
    for ($i = 0; $i < 10; $i++) {
        $unlocked($join);
        $unlocked($leave);
        $locked($join);
        $locked($leave);
    }
    for ($block = 0; $block < intdiv($pairs, 10); $block++) {
        foreach (['unlocked' => $unlocked, 'store' => $locked] as $kind => $run) {
            for ($i = 0; $i < 10; $i++) {
                foreach ([$join, $leave] as $r) {
                    $t = hrtime(true);
                    $run($r);
                    $times[$kind][] = (hrtime(true) - $t) / 1e6;
                }
            }
        }
    }
    $u = $times['unlocked'];
    $s = $times['store'];
    printf("%-8s %10.3f / %8.3f   %10.3f / %8.3f   %7.2fx\n", $engine, $median($u), array_sum($u) / count($u),
        $median($s), array_sum($s) / count($s), $median($s) / $median($u));
}
