<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use PHPUnit\Framework\TestCase;

/**
 * composer.json (for apps that install the bridge with Composer) and php/autoload.php
 * (for the ones that do not) must describe the same package: every class under php/src
 * is found through the PSR-4 prefix composer.json declares, and loads without Composer.
 */
final class PackageTest extends TestCase
{
    private static function composer(): array
    {
        $file = dirname(__DIR__, 2) . '/composer.json';
        return json_decode((string) file_get_contents($file), true, 512, JSON_THROW_ON_ERROR);
    }

    public function testComposerJson(): void
    {
        $c = self::composer();
        self::assertSame('library', $c['type']);
        self::assertSame('AGPL-3.0-or-later', $c['license']);
        self::assertMatchesRegularExpression('~^[a-z0-9]([_.-]?[a-z0-9]+)*/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*$~', $c['name']);
        self::assertSame(['php' => '>=8.1', 'ext-ffi' => '*'], $c['require'], 'no runtime dependencies');
        self::assertArrayHasKey('ext-pdo', $c['suggest']);
        self::assertSame(['OCA\\TalkCallRules\\' => 'php/src/'], $c['autoload']['psr-4']);
    }

    public function testEveryClassLoadsThroughThePrefix(): void
    {
        $src = dirname(__DIR__) . '/src';
        $prefix = array_key_first(self::composer()['autoload']['psr-4']);
        $files = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($src, \FilesystemIterator::SKIP_DOTS));
        $classes = [];
        foreach ($files as $f) {
            if ($f->getExtension() !== 'php') {
                continue;
            }
            $relative = substr($f->getPathname(), strlen($src) + 1, -4);
            $class = $prefix . str_replace('/', '\\', $relative);
            $classes[] = $class;
            self::assertTrue(class_exists($class) || interface_exists($class), "{$class} ({$relative}.php) loads through {$prefix}");
        }
        self::assertContains('OCA\\TalkCallRules\\Storage\\StateLoader', $classes);
        self::assertContains('OCA\\TalkCallRules\\Storage\\MutationWriter', $classes);
        self::assertContains('OCA\\TalkCallRules\\Storage\\StorageException', $classes);

        // Without Composer: a fresh PHP that requires only php/autoload.php.
        $code = 'require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ';'
            . ' foreach (' . var_export($classes, true) . ' as $c) { if (!class_exists($c) && !interface_exists($c)) { echo $c; exit(1); } } echo "ok";';
        exec(escapeshellarg(PHP_BINARY) . ' -r ' . escapeshellarg($code) . ' 2>&1', $out, $rc);
        self::assertSame([0, 'ok'], [$rc, implode("\n", $out)]);
    }
}
