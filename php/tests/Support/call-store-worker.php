<?php

declare(strict_types=1);

// A process that decides call requests through CallStore on its own database connection, as
// one PHP-FPM worker of a Nextcloud server would. Used by CallStoreTest (two requests racing)
// and the stress run (php/tests/call-store-stress.php).
//
//     php call-store-worker.php '{"dsn":…,"user":…,"password":…,"prefix":"oc_","appConfig":{…},
//                                 "init":["PRAGMA busy_timeout = 5000"]}'
//
// Then one JSON Request per line on standard input; for each it writes a line
// {"started":true} just before deciding, {"conflict":N} for each attempt a lock conflict ended,
// then {"outcome":{…},"attempts":N} or
// {"error":"…","reason":"…","attempts":N}. It ends at the end of its input.

require dirname(__DIR__, 2) . '/autoload.php';

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Storage\CallStore;
use OCA\TalkCallRules\Storage\MutationWriter;
use OCA\TalkCallRules\Storage\StateLoader;
use OCA\TalkCallRules\Storage\StorageException;

$config = json_decode($argv[1] ?? '', true, 512, JSON_THROW_ON_ERROR);
$pdo = new \PDO($config['dsn'], $config['user'] ?? null, $config['password'] ?? null);
$pdo->setAttribute(\PDO::ATTR_ERRMODE, \PDO::ERRMODE_EXCEPTION);
foreach ($config['init'] ?? [] as $statement) {
    $pdo->exec($statement);
}
$rules = new CallRules();
$store = new CallStore($pdo, $rules, $config['appConfig'] ?? [], $config['prefix'] ?? 'oc_', null, $config['attempts'] ?? CallStore::DEFAULT_ATTEMPTS);
// "unlocked": the three pieces without a lock (StateLoader → evaluate → MutationWriter), for
// comparison in php/bench-store.php; never used by the tests' assertions of correctness.
$unlocked = ($config['mode'] ?? 'store') === 'unlocked';
$loader = new StateLoader($pdo, $config['prefix'] ?? 'oc_');
$writer = new MutationWriter($pdo, $config['prefix'] ?? 'oc_');

$say = static function (array $line): void {
    fwrite(STDOUT, json_encode($line, JSON_THROW_ON_ERROR) . "\n");
    fflush(STDOUT);
};
// Each lock conflict is reported as it happens, so a test can see that this worker was held.
$store->observe(static function (string $event, int $attempt) use (&$say): void {
    if ($event === 'conflict') {
        $say(['conflict' => $attempt]);
    }
});
while (($line = fgets(STDIN)) !== false) {
    if (trim($line) === '') {
        continue;
    }
    $request = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
    $say(['started' => true]);
    try {
        if ($unlocked) {
            $token = CallStore::tokenOf($request);
            $state = $loader->load($token, $config['appConfig'] ?? [], $request) ?? StateLoader::withoutRoom($config['appConfig'] ?? []);
            $outcome = $rules->evaluate($request, $state);
            if (($outcome['mutations'] ?? []) !== []) {
                $writer->apply($token, $outcome['mutations']);
            }
            $say(['outcome' => $outcome, 'attempts' => 1]);
            continue;
        }
        $outcome = $store->decide($request);
        $say(['outcome' => $outcome, 'attempts' => $store->lastAttempts()]);
    } catch (StorageException $e) {
        $say(['error' => $e->getMessage(), 'reason' => $e->reason, 'attempts' => $store->lastAttempts(), 'inTransaction' => $pdo->inTransaction()]);
    }
}
