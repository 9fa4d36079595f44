<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests\Support;

use OCA\TalkCallRules\Facts;

/**
 * Assembles tiny WebAssembly modules for the tests: one memory, functions that
 * return an i32 constant, and one data segment. Enough to impersonate the C ABI
 * of another (wrong) version of the module.
 */
final class TinyWasm
{
    /**
     * @param array<string, array{0:int|list<string>,1:int}> $funcs export name => [parameter count (all
     *        i32) or types ('i32', 'i64'), constant i32 result]
     */
    public static function module(array $funcs, string $data = '', int $dataAt = 1024, bool $memory = true): string
    {
        $types = [];
        $typeOf = [];
        foreach ($funcs as $name => [$params]) {
            $params = is_int($params) ? array_fill(0, $params, 'i32') : $params;
            $encoded = "\x60" . self::vec(array_map(static fn (string $t): string => ['i32' => "\x7f", 'i64' => "\x7e"][$t], $params)) . self::vec(["\x7f"]);
            $types[$encoded] ??= count($types);
            $typeOf[$name] = $types[$encoded];
        }
        $typeSec = self::vec(array_keys($types));
        $funcSec = self::vec(array_map(static fn (int $t): string => self::u($t), array_values($typeOf)));
        $exports = [];
        if ($memory) {
            $exports[] = self::name('memory') . "\x02" . self::u(0);
        }
        $i = 0;
        foreach (array_keys($funcs) as $name) {
            $exports[] = self::name($name) . "\x00" . self::u($i++);
        }
        $code = self::vec(array_map(static function (array $f): string {
            $body = self::vec([]) . "\x41" . self::s($f[1]) . "\x0b";
            return self::u(strlen($body)) . $body;
        }, array_values($funcs)));
        $out = "\0asm\x01\0\0\0"
            . self::section(1, $typeSec)
            . self::section(3, $funcSec);
        if ($memory) {
            $out .= self::section(5, self::vec(["\x00" . self::u(1)]));
        }
        $out .= self::section(7, self::vec($exports))
            . self::section(10, $code);
        if ($data !== '' && $memory) {
            $out .= self::section(11, self::vec(["\x00\x41" . self::s($dataAt) . "\x0b" . self::u(strlen($data)) . $data]));
        }
        return $out;
    }

    /**
     * A module with the C ABI of talk-call-rules (every export of Facts::ABI, of its types) that
     * answers $version to tcr_version (and every other call). $types replaces the parameter types
     * of some exports.
     *
     * @param array<string, list<string>> $types
     */
    public static function impostor(int $abi, string $version, array $types = []): string
    {
        $funcs = [];
        foreach (Facts::ABI as $name => $e) {
            $result = match ($name) {
                'tcr_abi_version' => $abi,
                'tcr_input_reserve' => 4096,
                'tcr_output_ptr' => 1024,
                default => strlen($version),
            };
            $funcs[$name] = [$types[$name] ?? array_values($e['params']), $result];
        }
        return self::module($funcs, $version);
    }

    private static function section(int $id, string $body): string
    {
        return chr($id) . self::u(strlen($body)) . $body;
    }

    private static function vec(array $items): string
    {
        return self::u(count($items)) . implode('', $items);
    }

    private static function name(string $n): string
    {
        return self::u(strlen($n)) . $n;
    }

    private static function u(int $v): string
    {
        $out = '';
        do {
            $b = $v & 0x7f;
            $v >>= 7;
            $out .= chr($v !== 0 ? $b | 0x80 : $b);
        } while ($v !== 0);
        return $out;
    }

    private static function s(int $v): string
    {
        $out = '';
        while (true) {
            $b = $v & 0x7f;
            $v >>= 7;
            $done = ($v === 0 && ($b & 0x40) === 0) || ($v === -1 && ($b & 0x40) !== 0);
            $out .= chr($done ? $b : $b | 0x80);
            if ($done) {
                return $out;
            }
        }
    }
}
