<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\Tests\Support\Probe;
use OCA\TalkCallRules\Tests\Support\TinyWasm;
use OCA\TalkCallRules\Tests\Support\Worker;
use OCA\TalkCallRules\Tests\Support\TempPaths;
use PHPUnit\Framework\TestCase;

/**
 * libtcr_php's disk cache of compiled code against the attacks its checks exist for (SECURITY.md,
 * "The PHP bridge's disk cache"): loading a cache file runs its machine code as the web
 * server's user, so no other user may choose which file is loaded, and no file may hang a
 * worker. Also how the bridge reads its settings and names its default folder.
 *
 * As root (CI), "another user" is the system user tcrattacker, created when missing; the
 * tests that need one are skipped otherwise. The library's own unit tests
 * (php/runtime/src/cache/tests.rs, run by php/run-tests.sh) swap the folder at the exact moment
 * between its check and its use.
 */
final class CacheSecurityTest extends TestCase
{
    private const ATTACKER = 'tcrattacker';

    use TempPaths;

    private static function fastLib(): string
    {
        $lib = dirname(__DIR__, 2) . '/target/php-runtime/release/libtcr_php.so';
        if (!is_file($lib)) {
            self::markTestSkipped("{$lib} is not built (TCR_PHP_FAST=0?)");
        }
        return $lib;
    }

    private function tempDir(int $mode = 0700): string
    {
        $d = sys_get_temp_dir() . '/tcr-sec-' . bin2hex(random_bytes(6));
        mkdir($d, 0700);
        chmod($d, $mode);
        $this->temp[] = $d;
        return $d;
    }

    /** A copy of the module (or of $bytes) at a path no bridge of this process has used: a fresh load. */
    private function wasmCopy(?string $bytes = null): string
    {
        $f = $this->tempDir() . '/talk_call_rules_bg.wasm';
        file_put_contents($f, $bytes ?? file_get_contents(Probe::wasmPath()));
        return $f;
    }

    /** The one cache file in $dir. */
    private static function cacheFile(string $dir): string
    {
        $files = glob("{$dir}/*.cwasm") ?: [];
        self::assertCount(1, $files, "cache files in {$dir}");
        return $files[0];
    }

    /** The cache file of the real module, written through a folder that is safe. */
    private function realCacheFile(string $lib): string
    {
        $dir = $this->tempDir();
        new CallRules($this->wasmCopy(), $lib, $dir);
        return self::cacheFile($dir);
    }

    private static function isRoot(): bool
    {
        return function_exists('posix_geteuid') && posix_geteuid() === 0;
    }

    /** The uid and gid of another user (the system user tcrattacker, created when missing); null unless root. */
    private static function attacker(): ?array
    {
        if (!self::isRoot()) {
            return null;
        }
        $pw = posix_getpwnam(self::ATTACKER);
        if ($pw === false) {
            exec('useradd --system --no-create-home --shell /usr/sbin/nologin ' . self::ATTACKER . ' 2>&1', $out, $rc);
            $pw = posix_getpwnam(self::ATTACKER); // another run may have created it meanwhile
            self::assertNotFalse($pw, 'useradd ' . self::ATTACKER . ": {$rc} " . implode("\n", $out));
        }
        return [$pw['uid'], $pw['gid']];
    }

    /** The bridge with this cache folder, and the warnings it raised. @return array{0: CallRules, 1: list<string>} */
    private function bridge(string $lib, string $cache, ?string $wasm = null): array
    {
        $r = Probe::collectWarnings(fn (): CallRules => new CallRules($wasm ?? $this->wasmCopy(), $lib, $cache), $warnings);
        return [$r, $warnings];
    }

    /** The cache was refused for this reason: compiled, reported, warned about exactly once. */
    private static function assertRefused(CallRules $r, array $warnings, string $problem, string $why): void
    {
        $info = $r->runtime();
        self::assertSame('compiled', $info['source'], json_encode($info));
        self::assertSame('unusable', $info['cache'], $info['cacheNote']);
        self::assertSame($problem, $info['cacheProblem'] ?? null, $info['cacheNote']);
        self::assertStringStartsWith("{$problem}: ", $info['cacheNote']);
        self::assertStringContainsString($why, $info['cacheNote']);
        self::assertCount(1, $warnings, 'one warning: ' . implode("\n", $warnings));
        self::assertStringContainsString($info['cacheNote'], $warnings[0]);
        self::assertSame(200, $r->evaluate(...Probe::joinPayload())['status']);
    }

    /**
     * Runs PHP code in a new process (the bridge's autoloader loaded first), without the
     * TALK_CALL_RULES_* variables of this one. Kills it after $timeout seconds.
     *
     * @param list<string> $ini -d settings
     * @return array{0: ?int, 1: string, 2: string} exit code (null: killed), stdout, stderr
     */
    private static function php(string $code, array $ini = [], float $timeout = 60.0, ?string $script = null): array
    {
        $cmd = [PHP_BINARY, '-d', 'display_errors=0', '-d', 'log_errors=1', '-d', 'error_log='];
        foreach ($ini as $setting) {
            array_push($cmd, '-d', $setting);
        }
        if ($script !== null) {
            $cmd[] = $script;
        } else {
            array_push($cmd, '-r', 'require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ';' . $code);
        }
        $env = getenv();
        foreach ([CallRules::ENV_WASM, CallRules::ENV_RUNTIME, CallRules::ENV_CACHE] as $k) {
            unset($env[$k]);
        }
        $p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        self::assertIsResource($p);
        stream_set_blocking($pipes[1], false);
        stream_set_blocking($pipes[2], false);
        $out = $err = '';
        $deadline = microtime(true) + $timeout;
        $rc = null;
        while (true) {
            $out .= (string) stream_get_contents($pipes[1]);
            $err .= (string) stream_get_contents($pipes[2]);
            $status = proc_get_status($p);
            if (!$status['running']) {
                $rc = $status['exitcode'];
                break;
            }
            if (microtime(true) > $deadline) {
                proc_terminate($p, 9);
                break;
            }
            usleep(20000);
        }
        $out .= (string) stream_get_contents($pipes[1]);
        $err .= (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        proc_close($p);
        return [$rc, $out, $err];
    }

    // ---- 1. the folder swapped for a symbolic link between the check and the open ----

    /**
     * The attack as measured: the cache folder lies in a folder another user can write (no
     * sticky bit); that user swaps it, as fast as the kernel allows (renameat2
     * RENAME_EXCHANGE), with a symbolic link to a folder holding a valid cache file of other
     * code under the right name, owned by the web server's user (stored through an upload
     * feature, say). Path-based checks loaded it in 7 to 62 of these 300 loads (four runs). The
     * folders above the cache folder are now checked: this one is refused outright, and no
     * step uses the path after the check (the unit tests prove that part).
     */
    public function testAFolderSwappedForALinkNeverServesAnotherFile(): void
    {
        $lib = self::fastLib();
        // Two tiny modules (compiled in a millisecond, so that many loads fit in a few seconds):
        // the one the worker loads, and the attacker's.
        $module = static fn (string $crate): string => TinyWasm::impostor(1, json_encode(
            ['crate' => $crate, 'talkApi' => CallRules::TALK_API, 'serverParity' => CallRules::SERVER_PARITY, 'abi' => 1]
        ));
        $victim = $module('victim');
        $shared = $this->tempDir(0777);
        $cache = "{$shared}/cache";
        mkdir($cache, 0700);
        $made = $this->tempDir();
        new CallRules($this->wasmCopy($victim), $lib, $made);
        $name = basename(self::cacheFile($made));
        rename(self::cacheFile($made), "{$cache}/{$name}");

        // The attacker's file: the other module's machine code under the victim's file name.
        $forge = $this->tempDir();
        new CallRules($this->wasmCopy($module('attacker')), $lib, $forge);
        $uploads = $this->tempDir();
        rename(self::cacheFile($forge), "{$uploads}/{$name}");
        symlink($uploads, "{$shared}/swap");
        $copies = $this->tempDir();

        $stop = "{$shared}/stop";
        $flipper = <<<'PHP'
            [, $a, $b, $stop] = $argv;
            $libc = FFI::cdef('int renameat2(int, const char *, int, const char *, unsigned int);', 'libc.so.6');
            $until = microtime(true) + 120;
            for ($n = 1; ; $n++) {
                $libc->renameat2(-100, $a, -100, $b, 2); // AT_FDCWD, RENAME_EXCHANGE
                if ($n % 512 === 0) {
                    clearstatcache();
                    if (file_exists($stop) || microtime(true) > $until) {
                        break;
                    }
                }
            }
            PHP;
        $cmd = [PHP_BINARY, '-d', 'ffi.enable=1', '-r', $flipper, '--', $cache, "{$shared}/swap", $stop];
        $who = self::attacker();
        $setpriv = trim((string) shell_exec('command -v setpriv'));
        if ($who !== null && $setpriv !== '') { // else the same user plays the attacker: the checks are the same
            $cmd = array_merge([$setpriv, "--reuid={$who[0]}", "--regid={$who[1]}", '--clear-groups', '--'], $cmd);
        }
        $attacker = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['pipe', 'w']], $pipes);
        self::assertIsResource($attacker);
        $outcomes = [];
        $warnings = [];
        $ran = 0;
        try {
            // Wait until the attacker swaps.
            for ($i = 0; $i < 500 && !is_link($cache); $i++) {
                usleep(10000);
                clearstatcache();
            }
            $swapping = is_link($cache);
            $deadline = microtime(true) + 15;
            for ($tries = 0; $tries < 300 && microtime(true) < $deadline; $tries++) {
                // A path this process has not loaded: the library asks the disk cache.
                $wasm = "{$copies}/{$tries}.wasm";
                file_put_contents($wasm, $victim);
                [$r, $w] = $this->bridge($lib, $cache, $wasm);
                $warnings = array_merge($warnings, $w);
                $info = $r->runtime();
                $outcomes[] = $info['cache'] . ': ' . $info['cacheNote'];
                if ($r->version()['crate'] !== 'victim') {
                    $ran++;
                }
            }
        } finally {
            touch($stop);
            $status = proc_get_status($attacker);
            for ($i = 0; $i < 500 && $status['running']; $i++) {
                usleep(10000);
                $status = proc_get_status($attacker);
            }
            $attackerErrors = (string) stream_get_contents($pipes[2]);
            proc_terminate($attacker, 9);
            proc_close($attacker);
        }
        self::assertSame('', trim($attackerErrors), 'the attacker ran');
        self::assertTrue($swapping, 'the attacker swapped the folder');
        $seen = [];
        foreach (array_count_values($outcomes) as $o => $n) {
            $seen[] = "{$n} x {$o}";
        }
        self::assertSame(0, $ran, "the attacker's code ran in {$ran} of {$tries} loads; the cache said:\n" . implode("\n", $seen));
        self::assertGreaterThan(50, $tries);
        foreach ($outcomes as $o) {
            self::assertStringStartsWith('unusable: cache-unsafe: ', $o);
            self::assertStringContainsString("{$shared}, above the cache folder, is writable by group or others without the sticky bit", $o);
        }
        self::assertCount(1, $warnings, 'logged once per process: ' . implode("\n", $warnings));
    }

    // ---- 2. a named pipe in place of the file ----

    public function testANamedPipeInPlaceOfTheFileDoesNotHangTheWorker(): void
    {
        $lib = self::fastLib();
        $cache = $this->tempDir();
        $file = "{$cache}/" . basename($this->realCacheFile($lib));
        self::assertTrue(posix_mkfifo($file, 0600));
        $code = '$r = new \OCA\TalkCallRules\CallRules(' . var_export($this->wasmCopy(), true) . ', ' . var_export($lib, true) . ', ' . var_export($cache, true) . ');'
            . 'echo json_encode($r->runtime());';
        [$rc, $out, $err] = self::php($code, [], 30.0);
        self::assertNotNull($rc, "the process hung on the named pipe {$file} (killed after 30 s)");
        self::assertSame(0, $rc, $out . $err);
        $info = json_decode($out, true);
        self::assertSame('unusable', $info['cache'], $out);
        self::assertSame('cache-unsafe', $info['cacheProblem']);
        self::assertStringContainsString("{$file} is a named pipe, not a regular file", $info['cacheNote']);
        self::assertSame(1, substr_count($err, 'talk-call-rules: the disk cache of compiled code is not used'), $err);
    }

    // ---- 3. a trailing slash ----

    public function testATrailingSlashDoesNotHideASymbolicLink(): void
    {
        $lib = self::fastLib();
        $target = $this->tempDir();
        $link = sys_get_temp_dir() . '/tcr-sec-link-' . bin2hex(random_bytes(6));
        symlink($target, $link);
        $this->temp[] = $link;

        [$r, $warnings] = $this->bridge($lib, "{$link}/");
        self::assertRefused($r, $warnings, 'cache-unsafe', "the cache folder {$link} is a symbolic link");
        self::assertSame([], glob("{$target}/*") ?: [], 'nothing written through the link');

        // A real folder given with a trailing slash is that folder.
        [$r, $warnings] = $this->bridge($lib, "{$target}/");
        self::assertSame('written', $r->runtime()['cache'], $r->runtime()['cacheNote']);
        [$r, $warnings] = $this->bridge($lib, "{$target}//");
        self::assertSame('hit', $r->runtime()['cache'], $r->runtime()['cacheNote']);
        self::assertSame([], $warnings);
    }

    // ---- 4. hard links ----

    public function testAHardLinkedCacheFileIsRefused(): void
    {
        $lib = self::fastLib();
        $cache = $this->tempDir();
        new CallRules($this->wasmCopy(), $lib, $cache);
        $file = self::cacheFile($cache);
        link($file, $this->tempDir() . '/elsewhere');
        [$r, $warnings] = $this->bridge($lib, $cache);
        self::assertRefused($r, $warnings, 'cache-unsafe', "{$file} has 2 links");
    }

    // ---- 5. the default folder taken by another user ----

    /**
     * Another user creates talk-call-rules-<uid> in the temporary folder first (Debian's
     * php-fpm unit has no PrivateTmp): the cache is refused, and the worker says so once — not
     * on every load, not never.
     */
    public function testASquattedDefaultFolderIsReportedOncePerProcess(): void
    {
        $lib = self::fastLib();
        $tmp = $this->tempDir(01777);
        $uid = posix_geteuid();
        $squatted = "{$tmp}/talk-call-rules-{$uid}";
        mkdir($squatted, 0700);
        $who = self::attacker();
        if ($who !== null) {
            chown($squatted, $who[0]);
            $why = "the cache folder {$squatted} belongs to uid {$who[0]}, not to this process's uid {$uid}";
        } else {
            chmod($squatted, 0777); // as another user's folder would be for this one
            $why = "the cache folder {$squatted} is writable by group or others";
        }
        $wasm = [$this->wasmCopy(), $this->wasmCopy(), $this->wasmCopy()];
        $code = '$out = [];'
            . 'foreach (' . var_export($wasm, true) . ' as $w) { $out[] = (new \OCA\TalkCallRules\CallRules($w, ' . var_export($lib, true) . '))->runtime(); }'
            . 'echo json_encode($out);';
        [$rc, $out, $err] = self::php($code, ["sys_temp_dir={$tmp}"]);
        self::assertSame(0, $rc, $out . $err);
        $runs = json_decode($out, true);
        self::assertCount(3, $runs, $out);
        foreach ($runs as $info) {
            self::assertSame($squatted, $info['cacheDir']);
            self::assertSame('compiled', $info['source']);
            self::assertSame('unusable', $info['cache']);
            self::assertSame('cache-unsafe', $info['cacheProblem'] ?? null, $info['cacheNote']);
            self::assertStringContainsString($why, $info['cacheNote']);
        }
        self::assertSame(1, substr_count($err, 'talk-call-rules: the disk cache of compiled code is not used'), "stderr: {$err}");
        self::assertStringContainsString($why, $err);
    }

    // ---- 6. the default folder's uid without the posix extension ----

    /**
     * Without posix_geteuid() (the posix extension is optional), the default folder is still
     * named after the process's effective user — from /proc/self/status, else from the owner
     * of a file the process creates — never after the owner of the running script (getmyuid()).
     */
    public function testWithoutPosixTheDefaultFolderIsNamedAfterTheProcessUser(): void
    {
        $dir = $this->tempDir(0755);
        $script = "{$dir}/default-cache-dir.php";
        file_put_contents($script, '<?php require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ';'
            . 'echo function_exists("posix_geteuid") ? "posix!" : \OCA\TalkCallRules\CallRules::defaultCacheDir();');
        $who = self::attacker();
        if ($who !== null) {
            chown($script, $who[0]); // a script owned by someone else, as a deployed app's files often are
        }
        $want = rtrim(sys_get_temp_dir(), '/') . '/talk-call-rules-' . posix_geteuid();
        [$rc, $out, $err] = self::php('', ['disable_functions=posix_geteuid'], 60.0, $script);
        self::assertSame(0, $rc, $out . $err);
        self::assertSame($want, $out, 'from /proc/self/status');
        // /proc out of reach: the owner of a file it creates.
        $basedir = implode(PATH_SEPARATOR, [dirname(__DIR__), $dir, sys_get_temp_dir()]);
        [$rc, $out, $err] = self::php('', ['disable_functions=posix_geteuid', "open_basedir={$basedir}"], 60.0, $script);
        self::assertSame(0, $rc, $out . $err);
        self::assertSame($want, $out, 'from a file it created');
        if ($who === null) {
            self::markTestIncomplete('not root: the script belongs to this user, so getmyuid() would answer the same');
        }
    }

    // ---- 7. settings come from the pool, not from the web server's parameters ----

    /**
     * A FastCGI parameter (fastcgi_param / SetEnv in the web server's configuration) named like
     * a setting must not override the pool's environment: plain getenv() prefers it.
     */
    public function testAFastCgiParameterCannotChooseTheRuntime(): void
    {
        if (Worker::fpmBinary() === null) {
            self::markTestSkipped('PHP-FPM is not installed (apt-get install php-fpm)');
        }
        $lib = self::fastLib();
        $wasm = $this->wasmCopy();
        $cache = $this->tempDir();
        $elsewhere = $this->tempDir();
        $worker = new Worker([CallRules::ENV_WASM => $wasm, CallRules::ENV_RUNTIME => $lib, CallRules::ENV_CACHE => $cache], [], 'fpm');
        try {
            $answer = $worker->request('', [
                CallRules::ENV_RUNTIME => "{$elsewhere}/libevil.so",
                CallRules::ENV_WASM => "{$elsewhere}/evil.wasm",
                CallRules::ENV_CACHE => $elsewhere,
            ]);
        } finally {
            $worker->stop();
        }
        self::assertArrayNotHasKey('error', $answer, json_encode($answer));
        self::assertSame(200, $answer['status']);
        self::assertSame($lib, $answer['runtime']['library']);
        self::assertSame($cache, $answer['runtime']['cacheDir']);
        self::assertSame([], glob("{$elsewhere}/*") ?: []);
    }
}
