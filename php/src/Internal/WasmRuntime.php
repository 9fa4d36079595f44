<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Internal;

use FFI;
use OCA\TalkCallRules\CallRulesUnavailable;

/**
 * The wasm C-API runtime library, loaded once per process and path.
 *
 * PHP's FFI keeps every library it loads and every C callback it creates until the
 * end of the request (the whole process for the CLI), so this class holds exactly
 * one FFI object per library and one trapping host callback per FFI object.
 *
 * @internal
 */
final class WasmRuntime
{
    /** The FFI scope an `opcache.preload` script may register (see php/preload.php). */
    public const SCOPE = 'TALK_CALL_RULES';

    /** @var array<string, FFI> one FFI object per library (by real path) */
    private static array $ffi = [];

    /** @var array<string, FFI\CData> per library: the struct holding the trapping callback */
    private static array $callbacks = [];

    /**
     * The store the running call belongs to: the trapping callback (which gets no
     * environment pointer) creates its trap there. PHP runs one call at a time.
     */
    private static ?FFI\CData $currentStore = null;

    public static function header(): string
    {
        $h = @file_get_contents(__DIR__ . '/../../wasm.h');
        if ($h === false) {
            throw new CallRulesUnavailable(CallRulesUnavailable::RUNTIME_MISSING, 'php/wasm.h (the C declarations) is missing');
        }
        return $h;
    }

    /** Why FFI cannot be used here, or null when it can. */
    public static function ffiProblem(): ?CallRulesUnavailable
    {
        if (!extension_loaded('ffi') || !class_exists(FFI::class)) {
            return new CallRulesUnavailable(
                CallRulesUnavailable::FFI_MISSING,
                'the PHP FFI extension is not loaded (install/enable ext-ffi, e.g. the php8.2-cli/php8.2-fpm package builds it in)'
            );
        }
        $mode = strtolower(trim((string) ini_get('ffi.enable')));
        if (in_array($mode, ['0', '', 'off', 'false', 'no'], true)) {
            return new CallRulesUnavailable(
                CallRulesUnavailable::FFI_DISABLED,
                'ffi.enable is off in this SAPI (' . PHP_SAPI . '); set ffi.enable=true (PHP-FPM: php_admin_value[ffi.enable]=true in the pool)'
            );
        }
        if ($mode === 'preload' && !in_array(PHP_SAPI, ['cli', 'phpdbg', 'embed'], true) && self::preloadedScope() === null) {
            return new CallRulesUnavailable(
                CallRulesUnavailable::FFI_DISABLED,
                'ffi.enable=preload restricts FFI to preloaded code in this SAPI (' . PHP_SAPI . ') and no preloaded scope "'
                . self::SCOPE . '" exists; set php_admin_value[ffi.enable]=true in the pool, or ffi.preload=<target/php-runtime/release/talk-call-rules-ffi.h> in php.ini'
            );
        }
        return null;
    }

    /** The FFI scope registered by php/preload.php, if any. */
    private static function preloadedScope(): ?FFI
    {
        try {
            return FFI::scope(self::SCOPE);
        } catch (\Throwable) {
            return null;
        }
    }

    /** The FFI object of the library at $path (loaded on first use). */
    public static function ffi(string $path): FFI
    {
        $problem = self::ffiProblem();
        if ($problem !== null) {
            throw $problem;
        }
        $real = realpath($path);
        if ($real === false || !is_file($real)) {
            throw new CallRulesUnavailable(
                CallRulesUnavailable::RUNTIME_MISSING,
                "the wasm runtime library {$path} does not exist (build it with php/build-runtime.sh)"
            );
        }
        if (isset(self::$ffi[$real])) {
            return self::$ffi[$real];
        }
        $ffi = null;
        // Under ffi.enable=preload outside the CLI only the preloaded scope may be used
        // (php/preload.php chose its library).
        if (strtolower(trim((string) ini_get('ffi.enable'))) === 'preload' && !in_array(PHP_SAPI, ['cli', 'phpdbg', 'embed'], true)) {
            $ffi = self::preloadedScope();
        }
        if ($ffi === null) {
            try {
                $ffi = FFI::cdef(self::header(), $real);
            } catch (\FFI\Exception $e) {
                $msg = $e->getMessage();
                $reason = str_contains($msg, 'ffi.enable') ? CallRulesUnavailable::FFI_DISABLED : CallRulesUnavailable::RUNTIME_MISSING;
                throw new CallRulesUnavailable($reason, "cannot load the wasm runtime library {$real}: {$msg}", $e);
            } catch (\Throwable $e) {
                throw new CallRulesUnavailable(CallRulesUnavailable::RUNTIME_MISSING, "cannot load the wasm runtime library {$real}: " . $e->getMessage(), $e);
            }
        }
        self::$ffi[$real] = $ffi;
        return $ffi;
    }

    /** Registers an FFI object made elsewhere (the preload script) for the library at $path. */
    public static function adopt(string $path, FFI $ffi): void
    {
        $real = realpath($path);
        if ($real !== false) {
            self::$ffi[$real] = $ffi;
        }
    }

    /**
     * The one trapping host callback for this library: every function import of the
     * module (wasm-bindgen's JS glue) is bound to it, and it answers with a trap.
     */
    public static function trapCallback(FFI $ffi): FFI\CData
    {
        $key = spl_object_id($ffi);
        if (!isset(self::$callbacks[$key])) {
            $holder = $ffi->new('tcr_callback_holder_t', false);
            $holder->callback = static function ($args, $results) use ($ffi) {
                // Never throw from here: PHP turns an exception in an FFI callback into a fatal error.
                try {
                    $store = self::$currentStore;
                    if ($store === null) {
                        return null;
                    }
                    $text = "talk-call-rules: the module called one of its JavaScript imports, which this host does not provide\0";
                    $msg = $ffi->new('wasm_byte_vec_t');
                    $ffi->wasm_byte_vec_new(FFI::addr($msg), strlen($text), $text);
                    $trap = $ffi->wasm_trap_new($store, FFI::addr($msg));
                    $ffi->wasm_byte_vec_delete(FFI::addr($msg));
                    return $trap;
                } catch (\Throwable) {
                    return null;
                }
            };
            self::$callbacks[$key] = $holder;
        }
        return self::$callbacks[$key]->callback;
    }

    public static function enter(FFI\CData $store): void
    {
        self::$currentStore = $store;
    }

    public static function leave(): void
    {
        self::$currentStore = null;
    }
}
