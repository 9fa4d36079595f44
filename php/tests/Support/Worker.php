<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests\Support;

/**
 * A long-lived PHP process that serves requests one after the other, the way a PHP-FPM worker
 * does: PHP's built-in web server (`php -S`, SAPI cli-server) with worker-request.php as the
 * router. Each HTTP request is a full PHP request (startup, script, shutdown: every object and
 * static is freed, FFI objects too, which `dlclose`s their libraries); the process, its loaded
 * libraries and opcache stay — as in an FPM worker. What differs from FPM: the SAPI
 * (cli-server rather than fpm-fcgi: no FastCGI), one process instead of a pool, no
 * `pm.max_requests` recycling.
 */
final class Worker
{
    /** @var resource */
    private $process;
    private int $port;

    /**
     * @param array<string, string> $env extra environment (TALK_CALL_RULES_*)
     * @param array<string, string> $ini extra -d settings
     */
    public function __construct(array $env = [], array $ini = [])
    {
        $this->port = self::freePort();
        $ini += ['ffi.enable' => '1', 'opcache.enable' => '1', 'display_errors' => 'stderr'];
        $cmd = [PHP_BINARY];
        foreach ($ini as $k => $v) {
            $cmd[] = '-d';
            $cmd[] = "{$k}={$v}";
        }
        array_push($cmd, '-S', "127.0.0.1:{$this->port}", __DIR__ . '/worker-request.php');
        $environment = getenv() + [];
        foreach ($env as $k => $v) {
            $environment[$k] = $v;
        }
        unset($environment['PHP_CLI_SERVER_WORKERS']); // one process, as one worker
        $process = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes, null, $environment);
        if (!is_resource($process)) {
            throw new \RuntimeException('cannot start php -S');
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
        $this->stop();
        throw new \RuntimeException("php -S did not start on port {$this->port}");
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

    /** One request; its JSON answer, decoded. */
    public function request(string $query = ''): array
    {
        $url = "http://127.0.0.1:{$this->port}/" . ($query === '' ? '' : "?{$query}");
        $body = @file_get_contents($url, false, stream_context_create(['http' => ['ignore_errors' => true, 'timeout' => 60]]));
        $answer = json_decode((string) $body, true);
        if (!is_array($answer)) {
            throw new \RuntimeException("the worker answered: {$body}");
        }
        return $answer;
    }

    public function stop(): void
    {
        if (is_resource($this->process)) {
            proc_terminate($this->process);
            proc_close($this->process);
        }
    }

    public function __destruct()
    {
        $this->stop();
    }
}
