<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests\Support;

/**
 * The smallest FastCGI client that can ask PHP-FPM for one GET request (what a web server
 * does): one connection per request, role RESPONDER, the CGI parameters of a GET, no body.
 * Answers the response body (the headers are dropped).
 */
final class FastCgi
{
    private const VERSION = 1;
    private const BEGIN_REQUEST = 1;
    private const END_REQUEST = 3;
    private const PARAMS = 4;
    private const STDIN = 5;
    private const STDOUT = 6;
    private const STDERR = 7;
    private const RESPONDER = 1;

    /** @param array<string, string> $extra further FastCGI parameters (what a web server's fastcgi_param adds) */
    public static function get(string $host, int $port, string $script, string $query = '', array $extra = []): string
    {
        $s = @fsockopen($host, $port, $errno, $errstr, 5.0);
        if ($s === false) {
            throw new \RuntimeException("cannot connect to PHP-FPM at {$host}:{$port}: {$errstr}");
        }
        stream_set_timeout($s, 60);
        $params = [
            'GATEWAY_INTERFACE' => 'CGI/1.1',
            'SERVER_PROTOCOL' => 'HTTP/1.1',
            'SERVER_SOFTWARE' => 'talk-call-rules-tests',
            'SERVER_NAME' => 'localhost',
            'SERVER_ADDR' => '127.0.0.1',
            'SERVER_PORT' => '80',
            'REMOTE_ADDR' => '127.0.0.1',
            'REQUEST_METHOD' => 'GET',
            'SCRIPT_FILENAME' => $script,
            'SCRIPT_NAME' => '/' . basename($script),
            'REQUEST_URI' => '/' . basename($script) . ($query === '' ? '' : "?{$query}"),
            'QUERY_STRING' => $query,
            'CONTENT_LENGTH' => '0',
        ];
        $params = array_merge($params, $extra);
        $body = '';
        foreach ($params as $k => $v) {
            $body .= self::length(strlen($k)) . self::length(strlen($v)) . $k . $v;
        }
        fwrite($s, self::record(self::BEGIN_REQUEST, pack('nCx5', self::RESPONDER, 0))
            . self::record(self::PARAMS, $body) . self::record(self::PARAMS, '') . self::record(self::STDIN, ''));
        $out = '';
        $err = '';
        while (true) {
            $header = self::read($s, 8);
            $h = unpack('Cversion/Ctype/nid/nlength/Cpadding', $header);
            $content = $h['length'] > 0 ? self::read($s, $h['length']) : '';
            if ($h['padding'] > 0) {
                self::read($s, $h['padding']);
            }
            if ($h['type'] === self::STDOUT) {
                $out .= $content;
            } elseif ($h['type'] === self::STDERR) {
                $err .= $content;
            } elseif ($h['type'] === self::END_REQUEST) {
                break;
            }
        }
        fclose($s);
        $split = strpos($out, "\r\n\r\n");
        $answer = $split === false ? $out : substr($out, $split + 4);
        if ($answer === '' && $err !== '') {
            throw new \RuntimeException("PHP-FPM: {$err}");
        }
        return $answer;
    }

    private static function record(int $type, string $content): string
    {
        return pack('CCnnCx', self::VERSION, $type, 1, strlen($content), 0) . $content;
    }

    private static function length(int $n): string
    {
        return $n < 128 ? chr($n) : pack('N', $n | 0x80000000);
    }

    /** @param resource $s */
    private static function read($s, int $n): string
    {
        $data = '';
        while (strlen($data) < $n) {
            $chunk = fread($s, $n - strlen($data));
            if ($chunk === false || $chunk === '') {
                throw new \RuntimeException('PHP-FPM closed the connection');
            }
            $data .= $chunk;
        }
        return $data;
    }
}
