<?php

declare(strict_types=1);

// Child process of MemoryTest (also runnable by hand): prints one JSON line with the
// growth of memory_get_usage() and VmRSS over 10,000 evaluate calls and over 300
// create/destroy rounds, each measured after a warm-up.

require dirname(__DIR__, 2) . '/autoload.php';
require __DIR__ . '/Probe.php';

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Tests\Support\Probe;

[$request, $state] = Probe::joinPayload();
$rounds = static function (int $n) use ($request, $state): void {
    for ($i = 0; $i < $n; $i++) {
        $r = new CallRules();
        $o = $r->evaluate($request, $state);
        if ($o['status'] !== 200) {
            throw new RuntimeException('unexpected outcome ' . json_encode($o));
        }
        unset($r);
    }
};

$r = new CallRules();
$calls = static function (int $n) use ($r, $request, $state): void {
    for ($i = 0; $i < $n; $i++) {
        $o = $r->evaluate($request, $state);
        if ($o['status'] !== 200) {
            throw new RuntimeException('unexpected outcome ' . json_encode($o));
        }
    }
};

// Warm-up: first calls, first rounds (allocator arenas, opcache, wasm memory growth).
$calls(1000);
$rounds(30);
gc_collect_cycles();

$h0 = memory_get_usage();
$s0 = Probe::rss();
$calls(10000);
gc_collect_cycles();
$h1 = memory_get_usage();
$s1 = Probe::rss();
// The rounds' own warm-up: the first rounds after a long-lived instance may move the
// allocator's high-water mark; what must not grow is the steady state.
$rounds(30);
gc_collect_cycles();
$h1r = memory_get_usage();
$s1r = Probe::rss();
$rounds(300);
gc_collect_cycles();
$h2 = memory_get_usage();
$s2 = Probe::rss();

echo json_encode([
    'calls' => ['n' => 10000, 'heap' => $h1 - $h0, 'rss' => $s1 - $s0],
    'rounds' => ['n' => 300, 'heap' => $h2 - $h1r, 'rss' => $s2 - $s1r],
    'rssTotal' => $s2,
    'heapTotal' => $h2,
]), "\n";
