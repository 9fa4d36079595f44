<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Testing\VectorRunner;
use PHPUnit\Framework\TestCase;

/**
 * Every conformance vector (../shared/vectors and tests/vectors) through the PHP
 * bridge, with the matching rules of the contract (the same as the Rust runner).
 */
final class VectorsTest extends TestCase
{
    private static ?CallRules $rules = null;

    private static function rules(): CallRules
    {
        // Not skipped when unavailable: a green run must have run the vectors.
        return self::$rules ??= new CallRules();
    }

    public static function tearDownAfterClass(): void
    {
        self::$rules = null;
    }

    /** @return array<string, array{0:string}> */
    public static function files(): array
    {
        $out = [];
        foreach (VectorRunner::vectorFiles(VectorRunner::defaultPaths()) as $f) {
            $out[basename(dirname($f)) . '/' . basename($f)] = [$f];
        }
        return $out;
    }

    public function testBothVectorFoldersAreFound(): void
    {
        [$shared, $own] = VectorRunner::defaultPaths();
        self::assertSame(dirname(VectorRunner::repo()) . '/shared/vectors', $shared);
        self::assertDirectoryExists($shared);
        self::assertDirectoryExists($own);
        self::assertNotEmpty(glob("{$shared}/*.json"));
        self::assertNotEmpty(glob("{$own}/*.json"));
    }

    /** @dataProvider files */
    public function testVectorFile(string $file): void
    {
        $runner = new VectorRunner(self::rules(), VectorRunner::skips());
        $results = $runner->runFile($file, (string) file_get_contents($file));
        self::assertNotEmpty($results, "{$file} has no cases");
        [$report, $failed] = VectorRunner::report($results);
        self::assertSame(0, $failed, $report);
        self::assertNotSame('(file)', $results[0]['name'], $report);
    }

    /** The runner reports what differs: tampered expectations of a real case all fail. */
    public function testRunnerCatchesEveryKindOfMismatch(): void
    {
        $file = dirname(VectorRunner::repo()) . '/shared/vectors/join.json';
        $cases = json_decode((string) file_get_contents($file), false);
        $case = $cases[1] ?? $cases[0];
        $tamper = [
            'status' => static function ($e) { $e->status = 599; },
            'data' => static function ($e) { $e->data = (object) ['x' => 1]; },
            'message' => static function ($e) { $e->message = 'nope'; },
            'reason' => static function ($e) { $e->reason = 'nope'; },
            'mutations' => static function ($e) { $e->mutations = 'none'; },
            'state' => static function ($e) { $e->state = (object) ['room' => (object) ['callFlag' => 12345]]; },
            'peers' => static function ($e) { $e->peers = [(object) ['actorType' => 'users', 'actorId' => 'nobody', 'sessionId' => 'x']]; },
            'effects' => static function ($e) { $e->effects = [(object) ['type' => 'no-such-effect']]; },
        ];
        $runner = new VectorRunner(self::rules());
        foreach ($tamper as $what => $edit) {
            $c = unserialize(serialize($case));
            $steps = property_exists($c, 'steps') ? $c->steps : [$c];
            $target = null;
            foreach ($steps as $s) {
                if (property_exists($s, 'expect')) {
                    $target = $s;
                    break;
                }
            }
            if ($target === null) {
                continue;
            }
            $edit($target->expect);
            [$report, $failed] = VectorRunner::report($runner->runFile('tampered.json', json_encode([$c])));
            self::assertSame(1, $failed, "tampered {$what} was not caught:\n{$report}");
            self::assertStringContainsString('0 passed, 1 failed', $report);
        }
        $c = unserialize(serialize($case));
        $steps = property_exists($c, 'steps') ? $c->steps : [$c];
        $types = [];
        foreach ($steps as $s) {
            if (property_exists($s, 'expect')) {
                $o = json_decode(self::rules()->evaluateJson(json_encode($s->request), json_encode($c->state)), false);
                foreach ($o->effects as $e) {
                    $types[] = $e->type;
                }
                if ($types !== []) {
                    $s->expect->noEffects = [$types[0]];
                    break;
                }
            }
        }
        if ($types !== []) {
            [$report, $failed] = VectorRunner::report($runner->runFile('tampered.json', json_encode([$c])));
            self::assertSame(1, $failed, "tampered noEffects was not caught:\n{$report}");
        }
    }


    public function testSkipsAndReportFormat(): void
    {
        $file = dirname(VectorRunner::repo()) . '/shared/vectors/routing.json';
        $cases = json_decode((string) file_get_contents($file), false);
        $runner = new VectorRunner(self::rules(), [[$cases[0]->name, 'testing skips']]);
        [$report, $failed] = VectorRunner::report($runner->runFile($file, (string) file_get_contents($file)));
        self::assertSame(0, $failed);
        self::assertStringContainsString('skipped by name', $report);
        self::assertMatchesRegularExpression('/^\d+ passed, 0 failed$/m', $report);
        self::assertSame([], VectorRunner::skips(), 'tests/vector-skips.json is expected to be empty for now');
    }

    public function testRunVectorsScript(): void
    {
        $script = dirname(__DIR__) . '/run-vectors.php';
        exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($script) . ' 2>&1', $out, $rc);
        self::assertSame(0, $rc, implode("\n", $out));
        self::assertMatchesRegularExpression('/^\d+ passed, 0 failed$/', (string) end($out));

        $bad = tempnam(sys_get_temp_dir(), 'tcr-vec-') . '.json';
        file_put_contents($bad, '[{"name":"deliberately wrong","state":{},"request":{"method":"GET","path":"/call/abcd","now":1},"expect":{"status":200}}]');
        try {
            $out = [];
            exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($script) . ' ' . escapeshellarg($bad) . ' 2>&1', $out, $rc);
            self::assertSame(1, $rc, implode("\n", $out));
            self::assertSame('0 passed, 1 failed', end($out));
            self::assertStringContainsString('FAIL ' . $bad . ' :: deliberately wrong :: step 1 (GET /call/abcd): status: got 400', $out[0]);

            $out = [];
            exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($script) . ' /no/such/vectors 2>&1', $out, $rc);
            self::assertSame(2, $rc);
        } finally {
            @unlink($bad);
        }
    }
}
