<?php

declare(strict_types=1);

// php/bench.php [--iterations N] [--fresh N]  — a benchmark, not a test.
// Prints side by side, in one run:
//  - per-call time of evaluate() through the bridge (arrays, and the JSON twin) against
//    json_decode + json_encode of the same payload (the floor; the goal is <= 3x the floor);
//  - per-request cost: load the runtime (FFI::cdef) + read, compile and instantiate the
//    module + the first call, measured in fresh PHP processes (as a PHP-FPM request without
//    preloading pays it) and in-process (runtime library already loaded).

require __DIR__ . '/autoload.php';
require __DIR__ . '/tests/Support/Probe.php';

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Tests\Support\Probe;

$opts = getopt('', ['iterations:', 'fresh:', 'child']);
$iterations = (int) ($opts['iterations'] ?? 3000);
$fresh = (int) ($opts['fresh'] ?? 15);

if (isset($opts['child'])) {
    // One "request": everything from scratch.
    $t0 = hrtime(true);
    [$request, $state] = Probe::joinPayload();
    $r = new CallRules();
    $t1 = hrtime(true);
    $o = $r->evaluate($request, $state);
    $t2 = hrtime(true);
    echo json_encode(['create' => ($t1 - $t0) / 1e3, 'first' => ($t2 - $t1) / 1e3, 'ok' => $o['status'] === 200]), "\n";
    exit(0);
}

function payloads(): array
{
    [$request, $state] = Probe::joinPayload();
    $out = ['small (4 attendees)' => [$request, $state]];
    foreach ([50, 500] as $n) {
        [$rq, $st] = Probe::joinPayload();
        for ($i = 10; $i < 10 + $n; $i++) {
            $st['attendees'][] = ['attendeeId' => $i, 'actorType' => 'users', 'actorId' => "user{$i}", 'displayName' => "User {$i}",
                'participantType' => 3, 'permissions' => 0, 'lastJoinedCall' => null, 'notificationCalls' => 1,
                'phoneNumber' => null, 'callId' => null];
            $st['sessions'][] = ['sessionId' => "session-of-user-{$i}", 'attendeeId' => $i, 'inCall' => $i % 2 ? 7 : 0, 'lastPing' => 1700000000];
        }
        $st['room']['callFlag'] = 7;
        $st['room']['activeSince'] = 1699999000;
        $out["{$n} attendees in call"] = [$rq, $st];
    }
    $get = $request;
    $get['method'] = 'GET';
    $out['GET peers, 500 attendees'] = [$get, $out['500 attendees in call'][1]];
    return $out;
}

function perCall(callable $fn, int $n): float
{
    for ($i = 0; $i < min(200, $n); $i++) {
        $fn();
    }
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $fn();
    }
    return (hrtime(true) - $t) / $n / 1e3; // µs
}

$rules = new CallRules();
$v = $rules->version();
printf("talk-call-rules %s (abi %d), module %s (%d bytes), runtime %s\nPHP %s, %d iterations per figure\n\n",
    $v['version'] ?? '?', $v['abi'] ?? 0, $rules->wasmPath(), filesize($rules->wasmPath()), $rules->runtimePath(), PHP_VERSION, $iterations);

printf("%-26s %8s %11s %11s %12s %8s %8s\n", 'per call (µs)', 'bytes', 'floor', 'evaluate', 'evaluateJson', 'x floor', 'x floor');
printf("%-26s %8s %11s %11s %12s %8s %8s\n", '', 'in+out', 'dec+enc', '(arrays)', '(strings)', 'arrays', 'strings');
foreach (payloads() as $name => [$request, $state]) {
    $rj = json_encode($request);
    $sj = json_encode(['users' => new stdClass()] + $state);
    $oj = $rules->evaluateJson($rj, $sj);
    $status = json_decode($oj, true)['status'];
    // The floor: PHP's own JSON work on the same payload, decode of the inputs and encode
    // of the answer's size class — json_decode + json_encode of request, state and outcome.
    $floor = perCall(static function () use ($rj, $sj, $oj): void {
        json_encode(json_decode($rj, true));
        json_encode(json_decode($sj, true));
        json_encode(json_decode($oj, true));
    }, $iterations);
    $arrays = perCall(static fn () => $rules->evaluate($request, $state), $iterations);
    $strings = perCall(static fn () => $rules->evaluateJson($rj, $sj), $iterations);
    printf("%-26s %8d %11.1f %11.1f %12.1f %7.1fx %7.1fx   (status %d)\n",
        $name, strlen($rj) + strlen($sj) + strlen($oj), $floor, $arrays, $strings, $arrays / $floor, $strings / $floor, $status);
}

// Per-request cost.
echo "\nper request (µs): create = FFI::cdef + read + compile + instantiate + version check\n";
$creates = [];
$firsts = [];
$cmd = escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg(__FILE__) . ' --child';
for ($i = 0; $i < $fresh; $i++) {
    $line = shell_exec($cmd);
    $m = json_decode((string) $line, true);
    if (!is_array($m) || !$m['ok']) {
        fwrite(STDERR, "child failed: {$line}\n");
        exit(1);
    }
    $creates[] = $m['create'];
    $firsts[] = $m['first'];
}
$median = static function (array $a): float {
    sort($a);
    return $a[intdiv(count($a), 2)];
};
printf("  fresh process (median of %d): create %.0f + first evaluate %.0f = %.0f\n",
    $fresh, $median($creates), $median($firsts), $median($creates) + $median($firsts));
[$request, $state] = Probe::joinPayload();
$c = [];
$f = [];
for ($i = 0; $i < 50; $i++) {
    $t0 = hrtime(true);
    $r = new CallRules();
    $t1 = hrtime(true);
    $r->evaluate($request, $state);
    $t2 = hrtime(true);
    unset($r);
    $c[] = ($t1 - $t0) / 1e3;
    $f[] = ($t2 - $t1) / 1e3;
}
printf("  same process, library loaded (median of 50): create %.0f + first evaluate %.0f = %.0f\n", $median($c), $median($f), $median($c) + $median($f));
$steady = perCall(static fn () => $rules->evaluate($request, $state), $iterations);
printf("  later evaluate calls on a kept instance: %.1f\n", $steady);
