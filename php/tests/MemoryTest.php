<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Tests\Support\Probe;
use PHPUnit\Framework\TestCase;

/**
 * 10,000 evaluate calls and 300 create/destroy rounds in one process keep the
 * growth of memory_get_usage() and of the process RSS (VmRSS) under 1 MB after a warm-up.
 * Runs in a child process so PHPUnit's own bookkeeping does not blur the figures.
 */
final class MemoryTest extends TestCase
{
    private const LIMIT = 1024 * 1024;

    public function testManyCallsAndRoundsDoNotLeak(): void
    {
        $script = __DIR__ . '/Support/memory-probe.php';
        exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($script) . ' 2>&1', $out, $rc);
        $text = implode("\n", $out);
        self::assertSame(0, $rc, $text);
        $m = json_decode((string) end($out), true);
        self::assertIsArray($m, $text);
        fwrite(STDERR, "\n[memory] " . json_encode($m) . "\n");
        foreach (['calls', 'rounds'] as $phase) {
            self::assertLessThan(self::LIMIT, $m[$phase]['heap'], "{$phase}: memory_get_usage grew: {$text}");
            self::assertLessThan(self::LIMIT, $m[$phase]['rss'], "{$phase}: VmRSS grew: {$text}");
        }
        self::assertSame(10000, $m['calls']['n']);
        self::assertSame(300, $m['rounds']['n']);
    }
}
