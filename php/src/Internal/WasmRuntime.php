<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Internal;

use FFI;

/**
 * A wasm C-API (wasm.h) runtime library: loaded once per request (Library), with one trapping
 * host callback per FFI object (PHP keeps every C callback it creates until the end of the
 * request, so they are not made per instance).
 *
 * @internal
 */
final class WasmRuntime
{
    /** The FFI scope `ffi.preload` registers for a wasm.h library (talk-call-rules-wasm-h-ffi.h). */
    public const SCOPE = 'TALK_CALL_RULES_WASM_H';
    public const HEADER = 'wasm.h';

    /** @var array<string, FFI\CData> per FFI object: the struct holding the trapping callback */
    private static array $callbacks = [];

    /**
     * The store the running call belongs to: the trapping callback (which gets no
     * environment pointer) creates its trap there. PHP runs one call at a time.
     */
    private static ?FFI\CData $currentStore = null;

    /** The FFI object of the wasm.h library at $path, once per request. @param-out array<string, float> $phases */
    public static function ffi(string $path, bool $preferScope = false, ?array &$phases = null): FFI
    {
        return Library::load($path, self::HEADER, self::SCOPE, $preferScope, $phases);
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
