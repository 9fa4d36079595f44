<?php

declare(strict_types=1);

// opcache.preload script: declares the bridge's classes once per PHP-FPM master.
//   opcache.preload=/path/to/talk-call-rules/php/preload.php
//   opcache.preload_user=www-data
// FFI itself under the default ffi.enable=preload comes from ffi.preload (php.ini / conf.d):
//   ffi.preload=/path/to/talk-call-rules/target/php-runtime/release/talk-call-rules-ffi.h
// (written by php/build-runtime.sh: wasm.h with FFI_SCOPE "TALK_CALL_RULES" and FFI_LIB).
// In workers, CallRules then takes the library from FFI::scope("TALK_CALL_RULES").

foreach (['CallRulesException', 'CallRulesUnavailable', 'CallRulesTrapped', 'Availability',
          'Internal/Trap', 'Internal/WasmRuntime', 'Internal/Instance', 'CallRules'] as $class) {
    require_once __DIR__ . "/src/{$class}.php";
}
