<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Tests\Support\Probe;
use PHPUnit\Framework\TestCase;

/**
 * With each runtime, 10,000 evaluate calls and 300 create/destroy rounds in one process keep the
 * growth of memory_get_usage() and of the process RSS (VmRSS) under 1 MB after a warm-up.
 * Runs in a child process so PHPUnit's own bookkeeping does not blur the figures.
 */
final class MemoryTest extends TestCase
{
    private const LIMIT = 1024 * 1024;

    /** @return array<string, array{0: string}> */
    public static function runtimes(): array
    {
        $release = dirname(__DIR__, 2) . '/target/php-runtime/release';
        return ['libtcr_php (wasmtime)' => ["{$release}/libtcr_php.so"], 'wasm.h fallback (wasmi)' => ["{$release}/libwasmi.so"]];
    }

    /** @dataProvider runtimes */
    public function testManyCallsAndRoundsDoNotLeak(string $runtime): void
    {
        if (!is_file($runtime)) {
            self::markTestSkipped("{$runtime} is not built");
        }
        $script = __DIR__ . '/Support/memory-probe.php';
        // glibc moves its mmap threshold up the first time a large mmapped block (a module's
        // linear memory or compiled code) is freed; from then on such blocks come from the heap,
        // which raises RSS once by about 1 MB at an unpredictable round and never gives it back.
        // A fixed threshold (glibc's default, 128 KiB) measures what the bridge keeps, not that
        // hysteresis; memory_get_usage() is checked as well and does not depend on it.
        $env = 'MALLOC_MMAP_THRESHOLD_=131072 ' . CallRules::ENV_RUNTIME . '=' . escapeshellarg($runtime) . ' ';
        exec($env . escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($script) . ' 2>&1', $out, $rc);
        $text = implode("\n", $out);
        self::assertSame(0, $rc, $text);
        $m = json_decode((string) end($out), true);
        self::assertIsArray($m, $text);
        fwrite(STDERR, "\n[memory, " . basename($runtime) . '] ' . json_encode($m) . "\n");
        foreach (['calls', 'rounds'] as $phase) {
            self::assertLessThan(self::LIMIT, $m[$phase]['heap'], "{$phase}: memory_get_usage grew: {$text}");
            self::assertLessThan(self::LIMIT, $m[$phase]['rss'], "{$phase}: VmRSS grew: {$text}");
        }
        self::assertSame(10000, $m['calls']['n']);
        self::assertSame(300, $m['rounds']['n']);
    }
}
