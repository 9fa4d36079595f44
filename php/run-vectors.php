<?php

declare(strict_types=1);

// php/run-vectors.php PATH...  — runs conformance vector files or folders through the
// PHP bridge (FFI + wasm C-API runtime) with the contract's matching rules. Prints one
// line per failing case and ends with exactly "N passed, M failed".
// Exit status: 0 when M is 0, 1 when cases failed, 2 when the bridge cannot run or a path is wrong.
// Without PATH: ../shared/vectors and tests/vectors of the repository.
// The module: $TALK_CALL_RULES_WASM (default pkg/talk_call_rules_bg.wasm);
// the runtime library: $TALK_CALL_RULES_RUNTIME (default target/php-runtime/release/libwasmi.so).

require __DIR__ . '/autoload.php';

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\CallRulesUnavailable;
use OCA\TalkCallRules\Testing\VectorRunner;

$paths = array_slice($argv, 1);
if ($paths === []) {
    $paths = VectorRunner::defaultPaths();
}
try {
    $files = VectorRunner::vectorFiles($paths);
    $skips = VectorRunner::skips();
} catch (\RuntimeException $e) {
    fwrite(STDERR, $e->getMessage() . "\n");
    exit(2);
}
try {
    $rules = new CallRules();
} catch (CallRulesUnavailable $e) {
    fwrite(STDERR, $e->getMessage() . "\n");
    exit(2);
}
$runner = new VectorRunner($rules, $skips);
$results = [];
foreach ($files as $f) {
    $text = @file_get_contents($f);
    if ($text === false) {
        fwrite(STDERR, "{$f}: cannot read\n");
        exit(2);
    }
    array_push($results, ...$runner->runFile($f, $text));
}
[$report, $failed] = VectorRunner::report($results);
echo $report;
exit($failed === 0 ? 0 : 1);
