<?php

declare(strict_types=1);

// php/bench.php [--iterations N] [--fresh N] [--requests N]  — a benchmark, not a test.
// Prints side by side, in one run, for the default runtime (libtcr_php: wasmtime, module kept
// per process and on disk) and the wasm.h fallback (libwasmi):
//  1. per call: evaluate() (arrays) and evaluateJson() (strings) against the JSON floor —
//     json_decode + json_encode of the same request, state and outcome in PHP — as ratios
//     (the goal: <= 3x), for small/medium/large joins and GET peers of 500;
//  2. the fresh-request split, in fresh PHP processes (medians): loading the library, FFI::cdef,
//     reading the .wasm, compiling or loading its machine code, instantiating, the version
//     check, the first and second calls;
//  3. one worker process serving N requests in a row (php/tests/Support/Worker.php), each
//     building a new CallRules and deciding one join: PHP-FPM itself with one static worker when
//     it is installed, and PHP's built-in server (php -S), which runs requests the same way; the
//     added cost per request (new CallRules + first call - a call on a kept object; the goal:
//     <= 0.5 ms), and the whole request as the client sees it against one doing only JSON.
// Figures are medians; the machine may be shared, so run it twice before trusting a figure.

require __DIR__ . '/autoload.php';
require __DIR__ . '/tests/Support/Probe.php';
require __DIR__ . '/tests/Support/FastCgi.php';
require __DIR__ . '/tests/Support/Worker.php';

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Tests\Support\Probe;
use OCA\TalkCallRules\Tests\Support\Worker;

$opts = getopt('', ['iterations:', 'fresh:', 'requests:', 'child:', 'cache:', 'nocache']);
$iterations = (int) ($opts['iterations'] ?? 2000);
$fresh = (int) ($opts['fresh'] ?? 9);
$requests = (int) ($opts['requests'] ?? 40);
$release = dirname(__DIR__) . '/target/php-runtime/release';
$runtimes = array_filter(
    ['wasmtime' => "{$release}/libtcr_php.so", 'wasm.h' => "{$release}/libwasmi.so"],
    static fn (string $p): bool => is_file($p)
);

if (isset($opts['child'])) {
    // One fresh process: everything from scratch.
    $lib = $runtimes[$opts['child']];
    // Loading the library (dlopen, with the flags PHP's FFI uses: RTLD_LAZY | RTLD_GLOBAL |
    // RTLD_DEEPBIND) apart from FFI::cdef's parsing and binding, which then finds it loaded.
    $libc = FFI::cdef('void *dlopen(const char *filename, int flags);');
    $t = hrtime(true);
    $libc->dlopen($lib, 0x1 | 0x100 | 0x8);
    $load = (hrtime(true) - $t) / 1e6;
    $t = hrtime(true);
    foreach ([CallRules::class, \OCA\TalkCallRules\Internal\Fast::class, \OCA\TalkCallRules\Internal\Instance::class,
              \OCA\TalkCallRules\Internal\WasmRuntime::class, \OCA\TalkCallRules\Internal\Library::class] as $class) {
        class_exists($class); // compiling the bridge's PHP (opcache does this once per FPM master)
    }
    $classes = (hrtime(true) - $t) / 1e6;
    [$request, $state] = Probe::joinPayload();
    $t0 = hrtime(true);
    $r = new CallRules(null, $lib, isset($opts['nocache']) ? '' : ($opts['cache'] ?? null));
    $t1 = hrtime(true);
    $o = $r->evaluate($request, $state);
    $t2 = hrtime(true);
    $r->evaluate($request, $state);
    $t3 = hrtime(true);
    $info = $r->runtime();
    echo json_encode([
        'ok' => $o['status'] === 200, 'load' => $load, 'classes' => $classes, 'phases' => $info['phases'], 'source' => $info['source'],
        'create' => ($t1 - $t0) / 1e6, 'first' => ($t2 - $t1) / 1e6, 'second' => ($t3 - $t2) / 1e6,
    ]), "\n";
    exit(0);
}

function median(array $a): float
{
    sort($a);
    $n = count($a);
    return $n === 0 ? NAN : ($n % 2 ? $a[intdiv($n, 2)] : ($a[$n / 2 - 1] + $a[$n / 2]) / 2);
}

/** µs per call: median of 5 batches, each up to $n calls or ~0.2 s, after a warm-up. */
function perCall(callable $fn, int $n): float
{
    $t = hrtime(true);
    $warm = 0;
    while ($warm < min(200, $n) && hrtime(true) - $t < 2e8) {
        $fn();
        $warm++;
    }
    $each = max(1.0, (hrtime(true) - $t) / max(1, $warm));
    $batch = max(5, min(intdiv($n, 5), (int) (2e8 / $each)));
    $means = [];
    for ($b = 0; $b < 5; $b++) {
        $t = hrtime(true);
        for ($i = 0; $i < $batch; $i++) {
            $fn();
        }
        $means[] = (hrtime(true) - $t) / $batch / 1e3;
    }
    return median($means);
}

function payloads(): array
{
    [$request, $state] = Probe::joinPayload();
    $out = ['join, 4 attendees' => [$request, $state]];
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
        $out["join, {$n} attendees"] = [$rq, $st];
    }
    $get = $request;
    $get['method'] = 'GET';
    $out['GET peers, 500 attendees'] = [$get, $out['join, 500 attendees'][1]];
    return $out;
}

if ($runtimes === []) {
    fwrite(STDERR, "php/bench.php: no runtime library in {$release} (php/build-runtime.sh)\n");
    exit(1);
}
$bridges = [];
foreach ($runtimes as $kind => $lib) {
    $bridges[$kind] = new CallRules(null, $lib);
}
$v = reset($bridges)->version();
printf("talk-call-rules %s (abi %d), module %s (%d bytes)\nPHP %s; runtimes: %s\n\n",
    $v['version'] ?? '?', $v['abi'] ?? 0, CallRules::defaultWasmPath(), filesize(CallRules::defaultWasmPath()), PHP_VERSION,
    implode(', ', array_map(static fn ($k, $p) => "{$k} = " . basename($p), array_keys($runtimes), $runtimes)));

// ---- 1. per call ----
echo "1. per call, µs (median of 5 batches; x = times the JSON floor)\n";
printf("%-26s %8s %9s", '', 'bytes', 'floor');
foreach (array_keys($bridges) as $kind) {
    printf(" | %-30s", "{$kind}: arrays, strings");
}
echo "\n";
foreach (payloads() as $name => [$request, $state]) {
    $rj = json_encode($request);
    $sj = json_encode(['users' => new stdClass()] + $state);
    $oj = reset($bridges)->evaluateJson($rj, $sj);
    // The floor: PHP's own JSON work on the same payload: decode + encode of request, state, outcome.
    $floor = perCall(static function () use ($rj, $sj, $oj): void {
        json_encode(json_decode($rj, true));
        json_encode(json_decode($sj, true));
        json_encode(json_decode($oj, true));
    }, $iterations);
    printf("%-26s %8d %9.1f", $name, strlen($rj) + strlen($sj) + strlen($oj), $floor);
    foreach ($bridges as $rules) {
        $arrays = perCall(static fn () => $rules->evaluate($request, $state), $iterations);
        $strings = perCall(static fn () => $rules->evaluateJson($rj, $sj), $iterations);
        printf(" | %7.1f %5.1fx %7.1f %5.1fx", $arrays, $arrays / $floor, $strings, $strings / $floor);
    }
    echo "\n";
}

// ---- 2. fresh request split ----
$child = static function (string $kind, ?string $cache) use ($fresh): array {
    $cmd = escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg(__FILE__) . ' --child ' . escapeshellarg($kind)
        . ($cache === null ? '' : ($cache === '' ? ' --nocache' : ' --cache=' . escapeshellarg($cache)));
    $runs = [];
    for ($i = 0; $i < $fresh; $i++) {
        $m = json_decode((string) shell_exec($cmd), true);
        if (!is_array($m) || !$m['ok']) {
            fwrite(STDERR, "child failed\n");
            exit(1);
        }
        $runs[] = $m;
    }
    $get = static fn (callable $f): float => median(array_map($f, $runs));
    return [
        'source' => $runs[0]['source'],
        'compile the bridge\'s PHP classes' => $get(static fn ($m) => $m['classes']),
        'load the library (dlopen)' => $get(static fn ($m) => $m['load']),
        'FFI::cdef (parse, bind symbols)' => $get(static fn ($m) => $m['phases']['declare'] ?? 0.0),
        'start wasmtime (Engine)' => $get(static fn ($m) => $m['phases']['engine'] ?? 0),
        'read the .wasm (+ hash)' => $get(static fn ($m) => ($m['phases']['read'] ?? 0) + ($m['phases']['stat'] ?? 0)),
        'compile, or load from disk' => $get(static fn ($m) => ($m['phases']['load'] ?? 0) + ($m['phases']['compile'] ?? 0) + ($m['phases']['cacheWrite'] ?? 0)),
        'instantiate' => $get(static fn ($m) => $m['phases']['instantiate'] ?? 0),
        'version check' => $get(static fn ($m) => $m['phases']['check'] ?? 0),
        'new CallRules (from FFI::cdef on)' => $get(static fn ($m) => $m['create']),
        'first evaluate (join, 4)' => $get(static fn ($m) => $m['first']),
        'second evaluate' => $get(static fn ($m) => $m['second']),
        'total: classes + dlopen + new + first' => $get(static fn ($m) => $m['classes'] + $m['load'] + $m['create'] + $m['first']),
    ];
};
$columns = [];
if (isset($runtimes['wasmtime'])) {
    $cache = sys_get_temp_dir() . '/tcr-bench-cache-' . getmypid();
    $columns['wasmtime, disk cache'] = null;
    $child('wasmtime', $cache); // fills the cache
    $columns['wasmtime, disk cache'] = $child('wasmtime', $cache);
    $columns['wasmtime, no cache'] = $child('wasmtime', '');
    array_map('unlink', glob("{$cache}/*") ?: []);
    @rmdir($cache);
}
if (isset($runtimes['wasm.h'])) {
    $columns['wasm.h (wasmi)'] = $child('wasm.h', null);
}
printf("\n2. a fresh PHP process: one request, ms (median of %d processes)\n", $fresh);
printf("%-36s", '');
foreach (array_keys($columns) as $c) {
    printf(" %22s", $c);
}
echo "\n";
foreach (array_keys(reset($columns)) as $row) {
    if ($row === 'source') {
        continue;
    }
    printf("%-36s", $row);
    foreach ($columns as $c) {
        printf(" %22.3f", $c[$row]);
    }
    echo "\n";
}

// ---- 3. a PHP-FPM worker, and its simulation ----
$servers = ['php -S' => ['builtin', []]];
$preload = "{$release}/talk-call-rules-ffi.h";
if (Worker::fpmBinary() !== null) {
    $fpm = ['FPM' => ['fpm', []]];
    if (is_file($preload) && isset($runtimes['wasmtime'])) {
        // The library loaded once by the FPM master (ffi.preload), the classes too
        // (opcache.preload), under Debian's default ffi.enable=preload.
        $user = function_exists('posix_getpwuid') && function_exists('posix_geteuid') ? (posix_getpwuid(posix_geteuid())['name'] ?? 'root') : 'root';
        $fpm['FPM + preload'] = ['fpm', ['ffi.enable' => 'preload', 'ffi.preload' => $preload,
            'opcache.preload' => __DIR__ . '/preload.php', 'opcache.preload_user' => $user]];
    }
    $servers = $fpm + $servers;
}
printf("\n3. one worker process serving %d requests in a row; ms (median of requests 2..%d)\n", $requests, $requests);
printf("   FPM: PHP-FPM, one static worker, asked over FastCGI%s; + preload: with ffi.preload and opcache.preload;\n   php -S: the built-in server (SAPI cli-server).\n",
    isset($servers['FPM']) ? '' : ' (not installed: apt-get install php-fpm)');
printf("   Each request: new CallRules + evaluate (join, 4) + evaluate again; everything PHP made is freed between requests.\n");
$columns = [];
$baseline = [];
foreach ($servers as $label => [$server, $startup]) {
    $worker = new Worker([], [], $server, $startup);
    $wall = [];
    for ($i = 0; $i < $requests; $i++) {
        $t = hrtime(true);
        $worker->request('json=1');
        $wall[] = (hrtime(true) - $t) / 1e6;
    }
    $worker->stop();
    $baseline[$label] = median(array_slice($wall, 1));
    foreach ($runtimes as $kind => $lib) {
        if ($startup !== [] && $kind !== 'wasmtime') {
            continue;
        }
        // The default disk cache: the first request of this worker loads what section 2 or an
        // earlier worker compiled, as on a server that has run before.
        $worker = new Worker([CallRules::ENV_RUNTIME => $lib], $startup === [] ? [] : ['ffi.enable' => 'preload'], $server, $startup);
        $answers = [];
        $wall = [];
        for ($i = 0; $i < $requests; $i++) {
            $t = hrtime(true);
            $answers[] = $worker->request();
            $wall[] = (hrtime(true) - $t) / 1e6;
        }
        $worker->stop();
        $first = $answers[0];
        $rest = array_slice($answers, 1);
        $m = static fn (callable $f): float => median(array_map($f, $rest));
        $columns["{$label}: {$kind}"] = [
            'request 1: new CallRules' => $first['ms']['create'],
            'request 1: module from' => $first['runtime']['source'] ?? '?',
            'requests 2+: new CallRules' => $m(static fn ($a) => $a['ms']['create']),
            'requests 2+: first evaluate' => $m(static fn ($a) => $a['ms']['first']),
            'requests 2+: second evaluate (kept object)' => $m(static fn ($a) => $a['ms']['second']),
            'added per request: new + first - second' => $m(static fn ($a) => $a['ms']['create'] + $a['ms']['first'] - $a['ms']['second']),
            'whole request, client side' => median(array_slice($wall, 1)),
            '  minus the same request doing only JSON' => median(array_slice($wall, 1)) - $baseline[$label],
            'requests 2+ on the kept instance' => count(array_filter($rest, static fn ($a) => ($a['runtime']['source'] ?? '') === 'kept')),
            'worker processes seen' => count(array_unique(array_column($answers, 'pid'))),
        ];
    }
}
printf("%-44s", '');
foreach (array_keys($columns) as $c) {
    printf(" %21s", $c);
}
echo "\n";
foreach (array_keys(reset($columns)) as $row) {
    printf("%-44s", $row);
    foreach ($columns as $c) {
        $x = $c[$row];
        printf(is_string($x) ? ' %21s' : (is_int($x) ? ' %21d' : ' %21.3f'), $x);
    }
    echo "\n";
}
foreach ($baseline as $label => $ms) {
    printf("(%s: the JSON-only request takes %.3f ms client side)\n", $label, $ms);
}
