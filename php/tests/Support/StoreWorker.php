<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests\Support;

/** A call-store-worker.php process, spoken to one JSON line at a time (reads are bounded). */
final class StoreWorker
{
    /** @var resource */
    private $process;
    /** @var array<int, resource> */
    private array $pipes = [];

    /**
     * @param array{dsn:string,user:?string,password:?string} $db
     * @param list<string> $init statements run on the worker's connection first
     */
    public function __construct(array $db, array $init, int $attempts = 50, string $prefix = 'oc_', string $mode = 'store')
    {
        $config = ['dsn' => $db['dsn'], 'user' => $db['user'] ?? null, 'password' => $db['password'] ?? null,
            'prefix' => $prefix, 'init' => $init, 'attempts' => $attempts, 'mode' => $mode];
        $cmd = [PHP_BINARY, __DIR__ . '/call-store-worker.php', json_encode($config, JSON_THROW_ON_ERROR)];
        $process = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $this->pipes);
        if (!is_resource($process)) {
            throw new \RuntimeException('could not start the worker');
        }
        $this->process = $process;
    }

    public function send(array $request): void
    {
        fwrite($this->pipes[0], json_encode($request, JSON_THROW_ON_ERROR) . "\n");
        fflush($this->pipes[0]);
    }

    /** The next line, within 60 s. */
    public function read(): array
    {
        $deadline = microtime(true) + 60;
        $line = '';
        while (!str_ends_with($line, "\n")) {
            $left = $deadline - microtime(true);
            $r = [$this->pipes[1]];
            $w = $e = null;
            if ($left <= 0 || stream_select($r, $w, $e, (int) $left, 100000) === 0 && microtime(true) >= $deadline) {
                throw new \RuntimeException('the worker said nothing for 60 s; stderr: ' . stream_get_contents($this->pipes[2]));
            }
            $chunk = fgets($this->pipes[1]);
            if ($chunk === false) {
                if (feof($this->pipes[1])) {
                    throw new \RuntimeException('the worker ended; stderr: ' . stream_get_contents($this->pipes[2]));
                }
                continue;
            }
            $line .= $chunk;
        }
        return json_decode($line, true, 512, JSON_THROW_ON_ERROR);
    }

    public function close(): void
    {
        fclose($this->pipes[0]);
        $rest = stream_get_contents($this->pipes[1]);
        fclose($this->pipes[1]);
        fclose($this->pipes[2]);
        $code = proc_close($this->process);
        if ($code !== 0 || trim((string) $rest) !== '') {
            throw new \RuntimeException("the worker ended with {$code}: {$rest}");
        }
    }
}
