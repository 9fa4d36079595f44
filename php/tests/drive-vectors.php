<?php

declare(strict_types=1);

// The PHP host: php php/tests/drive-vectors.php FILE... > transcript.jsonl
// Runs the vector files (paths as given) through the PHP bridge (FFI + libtcr_php or a wasm.h runtime) and
// writes one transcript line per step to stdout; `cargo xtask check` judges it.
// Exit status 2 when the bridge cannot run (the reason goes to stderr).
// The module: $TALK_CALL_RULES_WASM (default pkg/talk_call_rules_bg.wasm);
// the runtime library: $TALK_CALL_RULES_RUNTIME (default target/php-runtime/release/libtcr_php.so, else libwasmi.so).

require dirname(__DIR__) . '/autoload.php';
require __DIR__ . '/Support/VectorDriver.php';

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\CallRulesUnavailable;
use OCA\TalkCallRules\Tests\Support\VectorDriver;

$files = array_slice($argv, 1);
if ($files === []) {
    fwrite(STDERR, "usage: php php/tests/drive-vectors.php FILE... > transcript.jsonl\n");
    exit(2);
}
try {
    $rules = new CallRules();
} catch (CallRulesUnavailable $e) {
    fwrite(STDERR, "php driver: {$e->getMessage()}\n");
    exit(2);
}
$write = static function (\stdClass $line): void {
    echo VectorDriver::json($line), "\n";
};
$write((object) ['host' => 'php', 'version' => json_decode($rules->versionJson(), false), 'php' => PHP_VERSION]);
$driver = new VectorDriver($rules);
foreach ($files as $file) {
    $driver->driveFile($file, $write);
}
