<?php

declare(strict_types=1);

// One request of a PHP worker, as PHP-FPM would run it: the router script of
// `php -S 127.0.0.1:PORT php/tests/Support/worker-request.php` (the built-in server runs every
// HTTP request as a full PHP request in one long-lived process: objects, statics and FFI
// objects are freed in between, loaded libraries and opcache stay). Used by RuntimeTest (which
// checks what the process kept) and php/bench.php (which reads the timings).
//
// Builds a new CallRules, decides one join, decides it again, and answers JSON: the process
// id, the outcome's status, what the bridge reports about its runtime, and the milliseconds of
// each step. `?json=1` does only the JSON work of the same payload (the request's floor).

require dirname(__DIR__, 2) . '/autoload.php';
require __DIR__ . '/Probe.php';

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\CallRulesException;
use OCA\TalkCallRules\Tests\Support\Probe;

header('Content-Type: application/json');
[$request, $state] = Probe::joinPayload();
if (isset($_GET['json'])) {
    $t = hrtime(true);
    json_decode(json_encode($state), true);
    echo json_encode(['pid' => getmypid(), 'ms' => ['json' => (hrtime(true) - $t) / 1e6]]);
    return;
}
try {
    $t0 = hrtime(true);
    $rules = new CallRules();
    $t1 = hrtime(true);
    $first = $rules->evaluate($request, $state);
    $t2 = hrtime(true);
    $second = $rules->evaluate($request, $state);
    $t3 = hrtime(true);
    echo json_encode([
        'pid' => getmypid(),
        'status' => $first['status'],
        'same' => $first === $second,
        'runtime' => $rules->runtime(),
        'ms' => ['create' => ($t1 - $t0) / 1e6, 'first' => ($t2 - $t1) / 1e6, 'second' => ($t3 - $t2) / 1e6],
    ]);
} catch (CallRulesException $e) {
    http_response_code(500);
    echo json_encode(['pid' => getmypid(), 'error' => $e->getMessage()]);
}
