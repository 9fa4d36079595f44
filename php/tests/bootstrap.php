<?php

declare(strict_types=1);

// PHPUnit bootstrap: the bridge's PSR-4 autoloader, plus the tests' helpers.
// The module is pkg/talk_call_rules_bg.wasm of the repository (the optimised file the
// build produces) unless TALK_CALL_RULES_WASM names another; the runtime library is
// target/php-runtime/release/libtcr_php.so (else libwasmi.so) unless TALK_CALL_RULES_RUNTIME names another.

require dirname(__DIR__) . '/autoload.php';
require __DIR__ . '/Support/TinyWasm.php';
require __DIR__ . '/Support/Probe.php';
require __DIR__ . '/Support/TalkDatabase.php';
require __DIR__ . '/Support/StoreWorker.php';
require __DIR__ . '/Support/TempPaths.php';
require __DIR__ . '/Support/VectorDriver.php';
require __DIR__ . '/Support/FastCgi.php';
require __DIR__ . '/Support/Worker.php';
