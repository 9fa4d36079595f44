<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests\Support;

/**
 * Files and folders a test creates, removed after it (last first): add each to `$this->temp`.
 * Folders are made writable before they are emptied, and symbolic links are removed, never
 * followed.
 */
trait TempPaths
{
    /** @var list<string> */
    private array $temp = [];

    protected function tearDown(): void
    {
        foreach (array_reverse($this->temp) as $p) {
            self::remove($p);
        }
    }

    private static function remove(string $p): void
    {
        if (is_dir($p) && !is_link($p)) {
            @chmod($p, 0700);
            foreach (scandir($p) ?: [] as $f) {
                if ($f !== '.' && $f !== '..') {
                    self::remove("{$p}/{$f}");
                }
            }
            @rmdir($p);
        } else {
            @unlink($p);
        }
    }
}
