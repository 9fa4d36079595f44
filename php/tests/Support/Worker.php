<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests\Support;

/**
 * A long-lived PHP process that serves requests one after the other with
 * worker-request.php, the way a PHP-FPM worker does. Two servers:
 *
 * - 'fpm': PHP-FPM itself (Debian's php8.2-fpm, when installed), one pool with a single static
 *   worker (pm = static, pm.max_children = 1), asked over FastCGI (FastCgi.php) as a web
 *   server would: the real thing.
 * - 'builtin': PHP's built-in web server (`php -S`, SAPI cli-server), always there. Each HTTP
 *   request is a full PHP request (startup, script, shutdown: every object and static is
 *   freed, FFI objects too, which `dlclose`s their libraries); the process, its loaded
 *   libraries and opcache stay — as in an FPM worker. What differs from FPM: the SAPI, no
 *   FastCGI, no master process, no `pm.max_requests` recycling.
 */
final class Worker
{
    /** @var resource */
    private $process;
    private int $port;
    private ?string $dir = null;

    /** The PHP-FPM binary of this PHP version, or null when it is not installed. */
    public static function fpmBinary(): ?string
    {
        $version = PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION;
        foreach (["/usr/sbin/php-fpm{$version}", dirname(PHP_BINARY) . "/php-fpm{$version}", '/usr/sbin/php-fpm', dirname(PHP_BINARY) . '/php-fpm'] as $p) {
            if (is_file($p) && is_executable($p)) {
                return $p;
            }
        }
        return null;
    }

    /**
     * @param array<string, string> $env extra environment (TALK_CALL_RULES_*)
     * @param array<string, string> $ini extra settings
     * @param 'builtin'|'fpm' $server
     * @param array<string, string> $startup settings read once at startup (-d on the command line:
     *                                       ffi.preload, opcache.preload, ...)
     */
    public function __construct(array $env = [], array $ini = [], private readonly string $server = 'builtin', array $startup = [])
    {
        $this->port = self::freePort();
        $ini += ['ffi.enable' => '1', 'opcache.enable' => '1', 'display_errors' => 'stderr'];
        $environment = getenv() + [];
        foreach ($env as $k => $v) {
            $environment[$k] = $v;
        }
        unset($environment['PHP_CLI_SERVER_WORKERS']); // one process, as one worker
        if ($server === 'fpm') {
            $binary = self::fpmBinary() ?? throw new \RuntimeException('PHP-FPM is not installed');
            $this->dir = sys_get_temp_dir() . '/tcr-fpm-' . bin2hex(random_bytes(6));
            mkdir($this->dir, 0700);
            $conf = "[global]\nerror_log = {$this->dir}/fpm.log\ndaemonize = no\npid = {$this->dir}/fpm.pid\n\n"
                . "[tcr]\nlisten = 127.0.0.1:{$this->port}\npm = static\npm.max_children = 1\nclear_env = no\n"
                . (function_exists('posix_geteuid') && posix_geteuid() === 0 ? "user = root\ngroup = root\n" : '');
            foreach ($ini as $k => $v) {
                $conf .= "php_admin_value[{$k}] = {$v}\n";
            }
            file_put_contents("{$this->dir}/fpm.conf", $conf);
            $cmd = [$binary, '--nodaemonize', '--allow-to-run-as-root', '--fpm-config', "{$this->dir}/fpm.conf"];
            foreach ($startup as $k => $v) {
                array_push($cmd, '-d', "{$k}={$v}");
            }
        } else {
            $cmd = [PHP_BINARY];
            foreach ($startup + $ini as $k => $v) {
                $cmd[] = '-d';
                $cmd[] = "{$k}={$v}";
            }
            array_push($cmd, '-S', "127.0.0.1:{$this->port}", __DIR__ . '/worker-request.php');
        }
        $process = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes, null, $environment);
        if (!is_resource($process)) {
            throw new \RuntimeException("cannot start {$cmd[0]}");
        }
        $this->process = $process;
        // Wait until it accepts connections (a readiness poll, bounded; nothing is timed).
        for ($i = 0; $i < 200; $i++) {
            $s = @fsockopen('127.0.0.1', $this->port, $errno, $errstr, 1.0);
            if ($s !== false) {
                fclose($s);
                return;
            }
            if (!proc_get_status($this->process)['running']) {
                break;
            }
            usleep(25000);
        }
        $log = $this->dir !== null ? (string) @file_get_contents("{$this->dir}/fpm.log") : '';
        $this->stop();
        throw new \RuntimeException("{$cmd[0]} did not start on port {$this->port} {$log}");
    }

    private static function freePort(): int
    {
        $s = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        if ($s === false) {
            throw new \RuntimeException("no free port: {$errstr}");
        }
        $name = (string) stream_socket_get_name($s, false);
        fclose($s);
        return (int) substr($name, strrpos($name, ':') + 1);
    }

    /**
     * One request; its JSON answer, decoded.
     *
     * @param array<string, string> $params further FastCGI parameters ('fpm' only)
     */
    public function request(string $query = '', array $params = []): array
    {
        if ($this->server === 'fpm') {
            $body = FastCgi::get('127.0.0.1', $this->port, __DIR__ . '/worker-request.php', $query, $params);
        } else {
            if ($params !== []) {
                throw new \LogicException('FastCGI parameters need the fpm server');
            }
            $url = "http://127.0.0.1:{$this->port}/" . ($query === '' ? '' : "?{$query}");
            $body = @file_get_contents($url, false, stream_context_create(['http' => ['ignore_errors' => true, 'timeout' => 60]]));
        }
        $answer = json_decode((string) $body, true);
        if (!is_array($answer)) {
            throw new \RuntimeException("the worker answered: {$body}");
        }
        return $answer;
    }

    public function stop(): void
    {
        if (is_resource($this->process)) {
            proc_terminate($this->process); // SIGTERM: PHP-FPM's master stops its worker first
            proc_close($this->process);
        }
        if ($this->dir !== null) {
            array_map('unlink', glob("{$this->dir}/*") ?: []);
            @rmdir($this->dir);
            $this->dir = null;
        }
    }

    public function __destruct()
    {
        $this->stop();
    }
}
