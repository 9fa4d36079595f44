<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Internal;

use FFI;
use OCA\TalkCallRules\CallRulesUnavailable;

/**
 * Loads a runtime library through FFI, once per request and library.
 *
 * PHP frees an FFI object, and `dlclose`s its library, at the end of the request that made it
 * (unless it came from `ffi.preload`). libtcr_php.so is linked so that it stays loaded anyway
 * (its per-process module cache lives in it); a `wasm.h` library is simply loaded again.
 *
 * @internal
 */
final class Library
{
    /** @var array<string, FFI> by header kind and real path */
    private static array $loaded = [];

    /** @var array<string, FFI|false> preloaded scopes looked up in this request */
    private static array $scopes = [];

    /** Why FFI cannot be used here, or null when it can. */
    public static function problem(?string $scope = null): ?CallRulesUnavailable
    {
        if (!extension_loaded('ffi') || !class_exists(FFI::class)) {
            return new CallRulesUnavailable(
                CallRulesUnavailable::FFI_MISSING,
                'the PHP FFI extension is not loaded (install/enable ext-ffi, e.g. the php8.2-cli/php8.2-fpm package builds it in)'
            );
        }
        $mode = self::mode();
        if (in_array($mode, ['0', '', 'off', 'false', 'no'], true)) {
            return new CallRulesUnavailable(
                CallRulesUnavailable::FFI_DISABLED,
                'ffi.enable is off in this SAPI (' . PHP_SAPI . '); set ffi.enable=true (PHP-FPM: php_admin_value[ffi.enable]=true in the pool)'
            );
        }
        if ($mode === 'preload' && !self::isCli() && ($scope === null || self::scope($scope) === null)) {
            return new CallRulesUnavailable(
                CallRulesUnavailable::FFI_DISABLED,
                'ffi.enable=preload restricts FFI to preloaded code in this SAPI (' . PHP_SAPI . ') and no preloaded scope "'
                . ($scope ?? Fast::SCOPE) . '" exists; set php_admin_value[ffi.enable]=true in the pool, or '
                . 'ffi.preload=<target/php-runtime/release/talk-call-rules-ffi.h> in php.ini'
            );
        }
        return null;
    }

    private static function mode(): string
    {
        return strtolower(trim((string) ini_get('ffi.enable')));
    }

    private static function isCli(): bool
    {
        return in_array(PHP_SAPI, ['cli', 'phpdbg', 'embed'], true);
    }

    /** The FFI scope an `ffi.preload` header registered, if any. */
    public static function scope(string $name): ?FFI
    {
        if (!array_key_exists($name, self::$scopes)) {
            try {
                self::$scopes[$name] = FFI::scope($name);
            } catch (\Throwable) {
                self::$scopes[$name] = false;
            }
        }
        return self::$scopes[$name] ?: null;
    }

    /**
     * The FFI object of the library at $path declared by $header (a file of php/), made once per
     * request. The preloaded $scope is used instead when it exists and $preferScope is true, or
     * when ffi.enable=preload leaves no other choice.
     *
     * @param-out array<string, float> $phases milliseconds of 'declare' (+ load) when it was made now
     */
    public static function load(string $path, string $header, string $scope, bool $preferScope, ?array &$phases = null): FFI
    {
        $problem = self::problem($scope);
        if ($problem !== null) {
            throw $problem;
        }
        if ($preferScope || (self::mode() === 'preload' && !self::isCli())) {
            $ffi = self::scope($scope);
            if ($ffi !== null) {
                $phases['declare'] = 0.0;
                return $ffi;
            }
        }
        $real = realpath($path);
        if ($real === false || !is_file($real)) {
            throw new CallRulesUnavailable(
                CallRulesUnavailable::RUNTIME_MISSING,
                "the wasm runtime library {$path} does not exist (build it with php/build-runtime.sh)"
            );
        }
        $key = $header . "\0" . $real;
        if (isset(self::$loaded[$key])) {
            return self::$loaded[$key];
        }
        $text = @file_get_contents(dirname(__DIR__, 2) . '/' . $header);
        if ($text === false) {
            throw new CallRulesUnavailable(CallRulesUnavailable::RUNTIME_MISSING, "php/{$header} (the C declarations) is missing");
        }
        $t = hrtime(true);
        try {
            $ffi = FFI::cdef($text, $real);
        } catch (\FFI\Exception $e) {
            $msg = $e->getMessage();
            $reason = str_contains($msg, 'ffi.enable') ? CallRulesUnavailable::FFI_DISABLED : CallRulesUnavailable::RUNTIME_MISSING;
            throw new CallRulesUnavailable($reason, "cannot load the wasm runtime library {$real}: {$msg}", $e);
        } catch (\Throwable $e) {
            throw new CallRulesUnavailable(CallRulesUnavailable::RUNTIME_MISSING, "cannot load the wasm runtime library {$real}: " . $e->getMessage(), $e);
        }
        $phases['declare'] = (hrtime(true) - $t) / 1e6;
        return self::$loaded[$key] = $ffi;
    }
}
