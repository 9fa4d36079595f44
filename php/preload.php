<?php

declare(strict_types=1);

// opcache.preload script: declares the bridge's classes once per PHP-FPM master.
//   opcache.preload=/path/to/talk-call-rules/php/preload.php
//   opcache.preload_user=www-data
// The runtime library itself can be loaded once per master too, with ffi.preload (php.ini /
// conf.d); it is required under the default ffi.enable=preload:
//   ffi.preload=/path/to/talk-call-rules/target/php-runtime/release/talk-call-rules-ffi.h
// (written by php/build-runtime.sh: php/runtime/tcr_php.h with FFI_SCOPE "TALK_CALL_RULES" and
// FFI_LIB; talk-call-rules-wasm-h-ffi.h is the same for the wasm.h fallback, scope
// "TALK_CALL_RULES_WASM_H"). Workers then take the library from FFI::scope().

foreach (['CallRulesException', 'CallRulesUnavailable', 'CallRulesTrapped', 'Availability', 'Facts',
          'Internal/Trap', 'Internal/Backend', 'Internal/Library', 'Internal/WasmRuntime', 'Internal/Instance',
          'Internal/Fast', 'CallRules'] as $class) {
    require_once __DIR__ . "/src/{$class}.php";
}
