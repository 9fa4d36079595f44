<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use PHPUnit\Framework\TestCase;

/**
 * The tables the engine's request reading is tested against (tests/fixtures/php-int-cast.json,
 * tests/fixtures/php-query.json; src/reading.rs) were printed by PHP. These tests print them
 * again with the PHP that runs them, so a table cannot drift from PHP's own behaviour.
 */
final class RequestReadingTest extends TestCase
{
    private static function table(string $name): array
    {
        $path = dirname(__DIR__, 2) . '/tests/fixtures/' . $name;
        $table = json_decode((string) file_get_contents($path), true, 512, JSON_THROW_ON_ERROR);
        self::assertIsArray($table);
        return $table;
    }

    /** Nextcloud 28's Dispatcher::executeController casts a declared int parameter with settype(). */
    public function testIntegerCastsAreWhatPhpPrints(): void
    {
        $table = self::table('php-int-cast.json');
        self::assertGreaterThan(40, count($table['strings']));
        foreach ($table['strings'] as [$string, $want]) {
            $value = $string;
            settype($value, 'int');
            self::assertSame($want, $value, 'settype(' . json_encode($string) . ', "int")');
            self::assertSame($want, (int) $string, '(int) ' . json_encode($string));
        }
        self::assertNotEmpty($table['jsonNumbers']);
        foreach ($table['jsonNumbers'] as [$text, $want]) {
            $value = json_decode($text);
            self::assertIsFloat($value, "json_decode($text) is a double");
            settype($value, 'int');
            self::assertSame($want, $value, "settype(json_decode($text), 'int')");
        }
    }

    /** PHP registers query parameters with php_default_treat_data, which parse_str() shares. */
    public function testQueryStringsAreWhatPhpRegisters(): void
    {
        $table = self::table('php-query.json');
        self::assertGreaterThanOrEqual(10, count($table['queries']));
        foreach ($table['queries'] as [$query, $want]) {
            parse_str($query, $got);
            self::assertSame($want, $got, $query);
        }
    }
}
