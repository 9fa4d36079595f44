<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\CallRulesTrapped;
use OCA\TalkCallRules\Tests\Support\Probe;
use OCA\TalkCallRules\Tests\Support\TinyWasm;
use OCA\TalkCallRules\Tests\Support\VectorDriver;
use OCA\TalkCallRules\Tests\Support\Worker;
use OCA\TalkCallRules\Tests\Support\TempPaths;
use PHPUnit\Framework\TestCase;

/**
 * The runtimes behind the bridge: libtcr_php's per-process instance and disk cache (kept,
 * replaced after a trap or when the .wasm changes, used by the next request of a worker and
 * by the next process, refused when damaged or unsafe), and the wasm.h fallback.
 *
 * Each test works on its own copy of the .wasm: libtcr_php keeps modules by path, so a new
 * path is what a new process sees.
 */
final class RuntimeTest extends TestCase
{
    use TempPaths;

    private static function release(): string
    {
        return dirname(__DIR__, 2) . '/target/php-runtime/release';
    }

    private static function fastLib(): string
    {
        $lib = self::release() . '/libtcr_php.so';
        if (!is_file($lib)) {
            self::markTestSkipped("{$lib} is not built (TCR_PHP_FAST=0?)");
        }
        return $lib;
    }

    private static function wasmhLib(): string
    {
        return self::release() . '/libwasmi.so';
    }

    private function tempDir(int $mode = 0700): string
    {
        $d = sys_get_temp_dir() . '/tcr-test-' . bin2hex(random_bytes(6));
        mkdir($d, $mode);
        chmod($d, $mode);
        $this->temp[] = $d;
        return $d;
    }

    /** A copy of the module at a path no bridge of this process has used. */
    private function wasmCopy(?string $bytes = null): string
    {
        $d = $this->tempDir();
        $f = "{$d}/talk_call_rules_bg.wasm";
        file_put_contents($f, $bytes ?? file_get_contents(Probe::wasmPath()));
        return $f;
    }

    private static function evaluate(CallRules $r): array
    {
        return $r->evaluate(...Probe::joinPayload());
    }

    /** @return list<string> */
    private static function cacheFiles(string $dir): array
    {
        return glob("{$dir}/*.cwasm") ?: [];
    }

    public function testTheDefaultRuntimeIsLibtcrPhp(): void
    {
        $lib = self::fastLib();
        if (getenv(CallRules::ENV_RUNTIME) !== false && getenv(CallRules::ENV_RUNTIME) !== '') {
            self::markTestSkipped(CallRules::ENV_RUNTIME . ' chooses the runtime');
        }
        $r = new CallRules();
        self::assertSame($lib, $r->runtimePath());
        self::assertSame('wasmtime', $r->runtime()['kind']);
        self::assertSame([], $r->runtime()['skipped']);
    }

    public function testOneInstanceServesEveryBridgeObjectOfTheProcess(): void
    {
        $lib = self::fastLib();
        $wasm = $this->wasmCopy();
        $cache = $this->tempDir();
        $a = new CallRules($wasm, $lib, $cache);
        $first = $a->runtime();
        self::assertContains($first['source'], ['compiled', 'disk-cache']);
        $outcome = self::evaluate($a);
        self::assertSame(200, $outcome['status']);
        unset($a);

        for ($i = 0; $i < 3; $i++) {
            $b = new CallRules($wasm, $lib, $cache);
            $info = $b->runtime();
            self::assertSame('kept', $info['source']);
            self::assertSame('not-asked', $info['cache']);
            self::assertSame($first['generation'], $info['generation']);
            self::assertSame($first['process']['instantiations'], $info['process']['instantiations'], 'no new instance');
            self::assertSame($first['process']['compiles'], $info['process']['compiles'], 'no new compilation');
            self::assertSame($outcome, self::evaluate($b));
        }
    }

    public function testATrapReplacesTheInstanceForEveryBridgeObject(): void
    {
        $lib = self::fastLib();
        $wasm = $this->wasmCopy();
        $a = new CallRules($wasm, $lib, '');
        $b = new CallRules($wasm, $lib, '');
        $before = self::evaluate($a);
        $stats = $a->runtime()['process'];
        try {
            // `version` is a wasm-bindgen export: it calls the JS glue, which traps here.
            $a->callExport('version');
            self::fail('no trap');
        } catch (CallRulesTrapped $e) {
            self::assertSame('version', $e->export);
            self::assertTrue($e->rebuilt);
            self::assertStringContainsString('JavaScript import', $e->getMessage());
        }
        $after = $a->runtime()['process'];
        self::assertSame($stats['traps'] + 1, $after['traps']);
        self::assertSame($stats['instantiations'] + 1, $after['instantiations'], 'a fresh instance');
        self::assertSame($stats['compiles'], $after['compiles'], 'from the module already compiled');
        self::assertSame($before, self::evaluate($b), 'the other bridge object uses the fresh instance');
        self::assertSame($before, self::evaluate($a));
        $c = new CallRules($wasm, $lib, '');
        self::assertSame('kept', $c->runtime()['source']);
    }

    public function testAChangedWasmIsLoadedAgain(): void
    {
        $lib = self::fastLib();
        $real = (string) file_get_contents(Probe::wasmPath());
        $wasm = $this->wasmCopy($real);
        $cache = $this->tempDir();
        $a = new CallRules($wasm, $lib, $cache);
        $generation = $a->runtime()['generation'];

        // Touched (same bytes): the module stays.
        touch($wasm, time() + 5);
        clearstatcache();
        $b = new CallRules($wasm, $lib, $cache);
        self::assertSame('kept', $b->runtime()['source']);
        self::assertSame($generation, $b->runtime()['generation']);

        // Replaced by another module (renamed over it, as deployments do).
        $json = '{"crate":"impostor","talkApi":"v4","serverParity":"talk-18","abi":1}';
        file_put_contents("{$wasm}.new", TinyWasm::impostor(1, $json));
        rename("{$wasm}.new", $wasm);
        $c = new CallRules($wasm, $lib, $cache);
        self::assertNotSame($generation, $c->runtime()['generation']);
        self::assertSame('compiled', $c->runtime()['source']);
        self::assertSame('impostor', $c->version()['crate']);
        // An object made before the change opens the new module (and checks it) on its next call.
        self::assertSame($json, $a->versionJson());

        // Edited in place back to the real module: loaded from the disk cache, no compilation.
        file_put_contents($wasm, $real);
        touch($wasm, time() + 10);
        clearstatcache();
        $d = new CallRules($wasm, $lib, $cache);
        self::assertSame('disk-cache', $d->runtime()['source']);
        self::assertSame('talk-call-rules', $d->version()['crate']);
        self::assertSame(200, self::evaluate($d)['status']);
        self::assertSame('talk-call-rules', json_decode($b->versionJson(), true)['crate']);
    }

    public function testTheDiskCacheServesTheNextProcess(): void
    {
        $lib = self::fastLib();
        $cache = $this->tempDir();
        $first = new CallRules($this->wasmCopy(), $lib, $cache);
        self::assertSame('compiled', $first->runtime()['source']);
        self::assertSame('written', $first->runtime()['cache']);
        $files = self::cacheFiles($cache);
        self::assertCount(1, $files);
        self::assertSame(0600, fileperms($files[0]) & 0777);

        // Another path, same bytes: what a new process sees.
        $second = new CallRules($this->wasmCopy(), $lib, $cache);
        self::assertSame('disk-cache', $second->runtime()['source']);
        self::assertSame('hit', $second->runtime()['cache']);
        self::assertSame(self::evaluate($first), self::evaluate($second));

        // And a new process indeed.
        $code = 'require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ';'
            . '$r = new \OCA\TalkCallRules\CallRules(' . var_export($this->wasmCopy(), true) . ', ' . var_export($lib, true) . ', ' . var_export($cache, true) . ');'
            . 'echo json_encode($r->runtime());';
        exec(escapeshellarg(PHP_BINARY) . ' -r ' . escapeshellarg($code) . ' 2>&1', $out, $rc);
        self::assertSame(0, $rc, implode("\n", $out));
        $info = json_decode((string) end($out), true);
        self::assertSame('disk-cache', $info['source'], implode("\n", $out));
        self::assertSame(0, $info['process']['compiles']);
    }

    public function testADamagedCacheFileIsRefusedAndReplaced(): void
    {
        $lib = self::fastLib();
        $cache = $this->tempDir();
        new CallRules($this->wasmCopy(), $lib, $cache);
        [$file] = self::cacheFiles($cache);
        $good = (string) file_get_contents($file);

        $damages = [
            ['checksum', substr_replace($good, chr(ord($good[intdiv(strlen($good), 2)]) ^ 0x5a), intdiv(strlen($good), 2), 1)],
            ['truncated', substr($good, 0, intdiv(strlen($good), 3))],
            ['not a cache file', "\x7fELF" . substr($good, 4)],
            ['not a cache file', ''],
            // Header, length and checksum right, body not wasmtime's: wasmtime itself refuses it.
            ['wasmtime refused', self::cacheFile('this is not machine code for this engine')],
        ];
        foreach ($damages as [$why, $bytes]) {
            file_put_contents($file, $bytes);
            $r = new CallRules($this->wasmCopy(), $lib, $cache);
            $info = $r->runtime();
            self::assertSame('compiled', $info['source'], $why);
            self::assertSame('rejected', $info['cache'], $why);
            self::assertStringContainsString($why, $info['cacheNote'], $why);
            self::assertSame(200, self::evaluate($r)['status'], $why);
            // Replaced by a good copy, which the next one loads.
            $next = new CallRules($this->wasmCopy(), $lib, $cache);
            self::assertSame('hit', $next->runtime()['cache'], $why);
        }
    }

    /** A cache file of libtcr_php's format (magic, length, xxh3-64 little-endian) around $body. */
    private static function cacheFile(string $body): string
    {
        return "talk-call-rules\x01" . pack('P', strlen($body)) . strrev(hash('xxh3', $body, true)) . $body;
    }

    public function testAnUnusableCacheFolderMeansCompiling(): void
    {
        $lib = self::fastLib();
        $cases = [];
        $file = $this->tempDir() . '/a-file';
        file_put_contents($file, 'x');
        $cases['cannot use the cache folder'] = ['cache-error', "{$file}/cache"];
        $cases['writable by group or others'] = ['cache-unsafe', $this->tempDir(0777)];
        if (function_exists('posix_geteuid') && posix_geteuid() === 0) {
            $theirs = $this->tempDir();
            chown($theirs, 65534);
            $cases['belongs to uid 65534'] = ['cache-unsafe', $theirs];
        } else {
            $cases['cannot write'] = ['cache-error', $this->tempDir(0500)];
        }
        $link = sys_get_temp_dir() . '/tcr-test-link-' . bin2hex(random_bytes(6));
        symlink($this->tempDir(), $link);
        $this->temp[] = $link;
        $cases['symbolic link'] = ['cache-unsafe', $link];

        foreach ($cases as $why => [$problem, $dir]) {
            $wasm = $this->wasmCopy();
            $r = Probe::collectWarnings(static fn (): CallRules => new CallRules($wasm, $lib, $dir), $warnings);
            $info = $r->runtime();
            self::assertSame('compiled', $info['source'], $why);
            self::assertSame('unusable', $info['cache'], $why);
            self::assertSame($problem, $info['cacheProblem'], $why);
            self::assertStringStartsWith("{$problem}: ", $info['cacheNote'], $why);
            self::assertStringContainsString($why, $info['cacheNote'], $why);
            self::assertSame(200, self::evaluate($r)['status'], $why);
            // Logged once per process: now, and not by the next load with the same problem.
            self::assertCount(1, $warnings, $why);
            self::assertStringContainsString($info['cacheNote'], $warnings[0], $why);
            $wasm = $this->wasmCopy();
            $again = Probe::collectWarnings(static fn (): CallRules => new CallRules($wasm, $lib, $dir), $warnings);
            self::assertSame('unusable', $again->runtime()['cache'], $why);
            self::assertSame([], $warnings, $why);
        }
        $r = new CallRules($this->wasmCopy(), $lib, '');
        self::assertSame('disabled', $r->runtime()['cache']);
        self::assertSame(200, self::evaluate($r)['status']);
    }

    public function testTheWasmHFallbackDecidesLikeTheDefault(): void
    {
        $fast = new CallRules(null, self::fastLib());
        $wasmh = new CallRules(null, self::wasmhLib());
        self::assertSame('wasm.h', $wasmh->runtime()['kind']);
        $lines = [];
        foreach (['fast' => $fast, 'wasmh' => $wasmh] as $kind => $rules) {
            $driver = new VectorDriver($rules);
            foreach (VectorDriver::defaultFiles() as $file) {
                $driver->driveFile($file, static function (\stdClass $line) use (&$lines, $kind): void {
                    $lines[$kind][] = VectorDriver::json($line);
                });
            }
        }
        self::assertGreaterThan(300, count($lines['fast']));
        self::assertSame($lines['fast'], $lines['wasmh']);
    }

    public function testWithoutLibtcrPhpTheWasmHFallbackRuns(): void
    {
        $saved = getenv(CallRules::ENV_RUNTIME);
        putenv(CallRules::ENV_RUNTIME . '=/nonexistent/libtcr_php.so' . PATH_SEPARATOR . self::wasmhLib());
        try {
            $r = new CallRules();
        } finally {
            putenv($saved === false ? CallRules::ENV_RUNTIME : CallRules::ENV_RUNTIME . "={$saved}");
        }
        $info = $r->runtime();
        self::assertSame('wasm.h', $info['kind']);
        self::assertSame(self::wasmhLib(), $r->runtimePath());
        self::assertCount(1, $info['skipped']);
        self::assertStringContainsString('/nonexistent/libtcr_php.so does not exist', $info['skipped'][0]);
        self::assertSame(200, self::evaluate($r)['status']);
    }

    public function testTheWasmHFallbackRecoversFromTraps(): void
    {
        $r = new CallRules(null, self::wasmhLib());
        $before = self::evaluate($r);
        try {
            $r->callExport('version');
            self::fail('no trap');
        } catch (CallRulesTrapped $e) {
            self::assertTrue($e->rebuilt);
            self::assertStringContainsString('JavaScript import', $e->getMessage());
        }
        self::assertSame($before, self::evaluate($r));
    }

    /** @return array<string, array{0: string}> */
    public static function servers(): array
    {
        return ['PHP-FPM, one static worker' => ['fpm'], 'php -S' => ['builtin']];
    }

    /**
     * The proof that the instance outlives the request: one long-lived PHP worker serving
     * requests one after the other (every request frees its objects and its FFI objects, which
     * dlclose their libraries). From the second request on, the bridge reuses the process's
     * instance. With PHP-FPM itself when it is installed (apt-get install php-fpm), and with
     * PHP's built-in server always.
     *
     * @dataProvider servers
     */
    public function testAWorkerKeepsTheInstanceAcrossRequests(string $server): void
    {
        if ($server === 'fpm' && Worker::fpmBinary() === null) {
            self::markTestSkipped('PHP-FPM is not installed (apt-get install php-fpm); php -S covers the same sequence');
        }
        $lib = self::fastLib();
        $wasm = $this->wasmCopy();
        $worker = new Worker([CallRules::ENV_WASM => $wasm, CallRules::ENV_RUNTIME => $lib, CallRules::ENV_CACHE => $this->tempDir()], [], $server);
        try {
            $answers = [];
            for ($i = 0; $i < 4; $i++) {
                $answers[] = $worker->request();
            }
        } finally {
            $worker->stop();
        }
        foreach ($answers as $i => $a) {
            self::assertArrayNotHasKey('error', $a, json_encode($a));
            self::assertSame(200, $a['status']);
            self::assertTrue($a['same']);
            self::assertSame($answers[0]['pid'], $a['pid'], 'one process');
            self::assertSame('wasmtime', $a['runtime']['kind']);
            self::assertSame($i + 1, $a['runtime']['process']['opens'], 'the library kept its counters');
            if ($i > 0) {
                self::assertSame('kept', $a['runtime']['source'], "request {$i}");
                self::assertSame($answers[0]['runtime']['generation'], $a['runtime']['generation']);
                self::assertSame(1, $a['runtime']['process']['instantiations']);
            }
        }
        self::assertContains($answers[0]['runtime']['source'], ['compiled', 'disk-cache']);
    }
}
