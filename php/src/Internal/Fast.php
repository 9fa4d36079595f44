<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Internal;

use FFI;
use OCA\TalkCallRules\CallRulesUnavailable;
use OCA\TalkCallRules\Facts;

/**
 * The module run by libtcr_php.so (php/runtime: wasmtime behind a few C functions).
 *
 * The library keeps the compiled module and one instance per process, keyed by the .wasm's
 * path and checked against its size, mtime, ctime and inode on every open: a PHP-FPM worker
 * compiles or loads nothing after its first request, and each request pays only this
 * object's open (a stat and a table look-up). Compiled code is kept on disk as well
 * (`$cacheDir`), so a new worker loads it instead of compiling. A call is one FFI crossing.
 *
 * @internal
 */
final class Fast implements Backend
{
    /** The FFI scope `ffi.preload` registers for this library (talk-call-rules-ffi.h). */
    public const SCOPE = 'TALK_CALL_RULES';
    public const HEADER = 'runtime/tcr_php.h';
    /** tcr_php_abi() of the library this class speaks to. */
    public const ABI = 1;

    public const SOURCES = ['kept', 'instantiated', 'disk-cache', 'compiled'];
    public const CACHE = ['not-asked', 'hit', 'written', 'miss', 'rejected', 'unusable', 'disabled'];

    private const OPEN_STATUS = [
        1 => CallRulesUnavailable::WASM_MISSING,
        2 => CallRulesUnavailable::WASM_INVALID,
        3 => CallRulesUnavailable::WASM_VERSION,
        4 => CallRulesUnavailable::RUNTIME_MISSING,
    ];
    private const OK = 0;
    private const TRAP = 1;
    private const STALE = 2;
    private const TOO_LARGE = 3;
    private const SIGNATURE = 4;
    private const UNUSABLE = 5;

    private int $handle = 0;
    private int $generation = 0;
    /** @var array<string, mixed> */
    private array $info = [];

    /**
     * @param \Closure(Backend): mixed $check the version check, run again when the module was
     *                                        replaced under this object (the .wasm changed)
     * @param array<string, float> $phases milliseconds already spent (loading the library)
     * @throws CallRulesUnavailable
     */
    public function __construct(
        private readonly FFI $ffi,
        private readonly string $library,
        private readonly string $wasmPath,
        private readonly string $cacheDir,
        private readonly \Closure $check,
        array $phases = [],
    ) {
        $abi = (int) $ffi->tcr_php_abi();
        if ($abi !== self::ABI) {
            throw new CallRulesUnavailable(
                CallRulesUnavailable::RUNTIME_MISSING,
                "{$library} speaks version {$abi} of libtcr_php's C functions, this bridge speaks " . self::ABI . ' (rebuild it: php/build-runtime.sh)'
            );
        }
        $this->open($phases);
    }

    /** The library at $path with its declarations, once per request. @param-out array<string, float> $phases */
    public static function library(string $path, bool $preferScope, ?array &$phases = null): FFI
    {
        return Library::load($path, self::HEADER, self::SCOPE, $preferScope, $phases);
    }

    /** @param array<string, float> $phases */
    private function open(array $phases = []): void
    {
        $path = $this->wasmPath;
        // Every export of the C ABI (libtcr_php checks the names here, the types at each call).
        $required = implode(',', array_keys(Facts::ABI));
        $r = $this->ffi->tcr_php_open($path, strlen($path), $this->cacheDir, strlen($this->cacheDir), $required, strlen($required));
        $message = $r->message_len > 0 ? FFI::string($r->message, $r->message_len) : '';
        if ($r->status !== self::OK) {
            $reason = self::OPEN_STATUS[$r->status] ?? CallRulesUnavailable::RUNTIME_MISSING;
            $detail = match ($reason) {
                CallRulesUnavailable::WASM_MISSING => $message . ' (build it: ./build.sh, or set TALK_CALL_RULES_WASM)',
                CallRulesUnavailable::WASM_INVALID => "{$path}: {$message}",
                CallRulesUnavailable::WASM_VERSION => "{$path} {$message} (built from another version of talk-call-rules?)",
                default => "{$this->library}: {$message}",
            };
            throw new CallRulesUnavailable($reason, $detail);
        }
        $this->handle = $r->handle;
        $this->generation = $r->generation;
        $cache = self::CACHE[$r->cache] ?? (string) $r->cache;
        $problem = '';
        if ($cache === 'unusable') {
            $problem = preg_match('/^(cache-[a-z]+):/', $message, $m) ? $m[1] : 'cache-error';
            if (self::firstReport($r)) {
                self::warn(
                    "talk-call-rules: the disk cache of compiled code is not used, so every new PHP process compiles the module (~0.2 s): {$message}. "
                    . 'Use a folder of this user that nobody else can write, below folders only root or this user can write '
                    . '(TALK_CALL_RULES_CACHE; see SECURITY.md, "The PHP bridge\'s disk cache"). Logged once per process.'
                );
            }
        }
        $this->info = [
            'kind' => 'wasmtime',
            'library' => $this->library,
            'source' => self::SOURCES[$r->source] ?? (string) $r->source,
            'cache' => $cache,
            'cacheDir' => $this->cacheDir,
            'cacheNote' => $message,
            'cacheProblem' => $problem,
            'generation' => $r->generation,
            'phases' => $phases + [
                'engine' => $r->engine_ns / 1e6,
                'stat' => $r->stat_ns / 1e6,
                'read' => $r->read_ns / 1e6,
                'load' => $r->load_ns / 1e6,
                'instantiate' => $r->instantiate_ns / 1e6,
                'cacheWrite' => $r->store_ns / 1e6,
            ],
        ];
    }

    /**
     * Whether the library reports this cache problem for the first time in this process (it
     * remembers what it reported: a PHP-FPM worker logs a problem once, not on every request).
     * False with a declaration older than the `warn` field (an ffi.preload scope of a
     * previous build).
     */
    private static function firstReport(FFI\CData $r): bool
    {
        try {
            return $r->warn !== 0;
        } catch (\Throwable) {
            return false;
        }
    }

    /** An E_USER_WARNING (error handlers such as Nextcloud's log it); error_log() when a handler throws. */
    private static function warn(string $text): void
    {
        try {
            trigger_error($text, E_USER_WARNING);
        } catch (\Throwable) {
            error_log($text);
        }
    }

    public function answer(string $export, array $docs, ?int $i64 = null): ?string
    {
        [$a, $b, $c] = $docs + ['', '', ''];
        for ($attempt = 0; ; $attempt++) {
            $r = $this->ffi->tcr_php_answer(
                $this->handle, $this->generation, $export, strlen($export), count($docs),
                $a, strlen($a), $b, strlen($b), $c, strlen($c), $i64 ?? 0, $i64 === null ? 0 : 1
            );
            $status = $r->status;
            if ($status === self::OK) {
                return $r->len > 0 ? FFI::string($r->ptr, $r->len) : '';
            }
            if ($status === self::TOO_LARGE) {
                return null;
            }
            if ($status !== self::STALE || $attempt > 0) {
                $this->fail($export, $r);
            }
            $this->reopen();
        }
    }

    public function call(string $export, int ...$args): int
    {
        if (count($args) > 4) {
            throw new \LogicException('at most four arguments');
        }
        [$a0, $a1, $a2, $a3] = $args + [0, 0, 0, 0];
        for ($attempt = 0; ; $attempt++) {
            $r = $this->ffi->tcr_php_invoke($this->handle, $this->generation, $export, strlen($export), count($args), $a0, $a1, $a2, $a3);
            if ($r->status === self::OK) {
                return (int) $r->value;
            }
            if ($r->status !== self::STALE || $attempt > 0) {
                $this->fail($export, $r);
            }
            $this->reopen();
        }
    }

    /** @return never */
    private function fail(string $export, FFI\CData $r): void
    {
        $message = $r->len > 0 ? FFI::string($r->ptr, $r->len) : 'failed';
        switch ($r->status) {
            case self::SIGNATURE:
                throw new \LogicException("{$export}: {$message}");
            case self::UNUSABLE:
                throw new CallRulesUnavailable(CallRulesUnavailable::WASM_INVALID, "{$this->wasmPath}: {$message}");
            case self::STALE:
                throw new CallRulesUnavailable(CallRulesUnavailable::WASM_INVALID, "{$this->wasmPath}: {$message}");
            default: // TRAP, or a caught bug of the library (its instance is then in doubt)
                throw new Trap($message, $export, $r->status === self::TRAP ? (bool) $r->rebuilt : null);
        }
    }

    /** The .wasm changed under this object (or the module was forgotten): open it again and check its version. */
    private function reopen(): void
    {
        $this->open();
        ($this->check)($this);
    }

    public function recover(Trap $trap): bool
    {
        if ($trap->rebuilt !== null) {
            return $trap->rebuilt; // the library dropped the instance and made a fresh one
        }
        try {
            $this->reopen();
            return true;
        } catch (\Throwable) {
            return false;
        }
    }

    public function free(): void
    {
        // The instance belongs to the process, not to this object: nothing to free.
    }

    public function info(): array
    {
        return $this->info;
    }

    /** @return array<string, int> the library's counters for this process (see stats()) */
    public function processStats(): array
    {
        return self::stats($this->ffi);
    }

    /**
     * The library's counters for this process (opens, kept, instantiations, compiles,
     * disk_hits, disk_writes, disk_rejects, traps, memory_resets, modules, process_id).
     *
     * @return array<string, int>
     */
    public static function stats(FFI $ffi): array
    {
        $s = $ffi->tcr_php_stats();
        $out = [];
        foreach (['opens', 'kept', 'instantiations', 'compiles', 'disk_hits', 'disk_writes', 'disk_rejects', 'traps', 'memory_resets', 'modules', 'process_id'] as $k) {
            $out[$k] = (int) $s->{$k};
        }
        return $out;
    }
}
