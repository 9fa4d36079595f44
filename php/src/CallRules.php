<?php

declare(strict_types=1);

namespace OCA\TalkCallRules;

use OCA\TalkCallRules\Internal\Backend;
use OCA\TalkCallRules\Internal\Fast;
use OCA\TalkCallRules\Internal\Instance;
use OCA\TalkCallRules\Internal\Trap;
use OCA\TalkCallRules\Internal\WasmRuntime;

/**
 * The Talk Call API v4 rules (Talk 18 parity) decided by the same .wasm the browser
 * uses, run through PHP's FFI: by default with libtcr_php.so (wasmtime; the compiled module
 * and its instance are kept per process and the machine code on disk), else with any library
 * implementing the standard wasm C API (libwasmi.so is built as that fallback).
 *
 * - `evaluate`, `apply`, `ocs`, `version` take and give PHP arrays (json_decode(..., true)
 *   shapes); their `...Json` twins take and give JSON text and are exact (an empty
 *   object stays `{}`; the array API cannot tell `{}` from `[]`, so it writes an empty
 *   array as `{}` where the contract wants an object: request body/actor, state
 *   config/room/users and rows, mutation `set`).
 * - Bad *data* never throws: it is an Outcome with status 400 and reason `bad-input`.
 * - `CallRulesUnavailable` (constructor) says why the bridge cannot run; `check()`
 *   answers the same without throwing, so a caller can fall back to its own logic.
 * - `CallRulesTrapped` is raised when the module trapped; the instance has then
 *   been dropped and rebuilt, and this object stays usable.
 *
 * Creating one is cheap in a process that has made one before (a PHP-FPM worker after its
 * first request): the library keeps the module. Whatever this object owns is freed when it
 * is destroyed (or on close()).
 */
final class CallRules
{
    /** The C-ABI version (tcr_abi_version) this bridge speaks. */
    public const ABI_VERSION = Facts::ABI_VERSION;
    public const TALK_API = 'v4';
    public const SERVER_PARITY = 'talk-18';

    public const ENV_WASM = 'TALK_CALL_RULES_WASM';
    public const ENV_RUNTIME = 'TALK_CALL_RULES_RUNTIME';
    public const ENV_CACHE = 'TALK_CALL_RULES_CACHE';

    private const ENCODE = JSON_PRESERVE_ZERO_FRACTION | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR;
    private const DEPTH = 100000;

    private ?Backend $backend = null;
    private bool $closed = false;
    private array $version = [];
    private readonly string $wasmPath;
    private string $runtimePath = '';
    private readonly string $cacheDir;
    /** @var list<string> why runtime libraries tried before the one in use were not used */
    private array $skipped = [];
    private float $checkMs = 0.0;

    /**
     * @param string|null $wasmPath    the module (default: $TALK_CALL_RULES_WASM, else pkg/talk_call_rules_bg.wasm of the repository)
     * @param string|null $runtimePath libtcr_php.so or a wasm C-API library (default: $TALK_CALL_RULES_RUNTIME, else
     *                                 libtcr_php.so, then libwasmi.so, as php/build-runtime.sh builds them)
     * @param string|null $cacheDir    libtcr_php's disk cache of compiled code ('' = none; default: $TALK_CALL_RULES_CACHE,
     *                                 else talk-call-rules-<uid> in the system's temporary folder)
     *
     * @throws CallRulesUnavailable
     */
    public function __construct(?string $wasmPath = null, ?string $runtimePath = null, ?string $cacheDir = null)
    {
        $this->wasmPath = $wasmPath ?? self::defaultWasmPath();
        $this->cacheDir = $cacheDir ?? self::defaultCacheDir();
        try {
            $this->backend = $this->connect($runtimePath);
            $t = hrtime(true);
            $this->version = self::checkVersion($this->backend, $this->wasmPath);
            $this->checkMs = (hrtime(true) - $t) / 1e6;
        } catch (CallRulesUnavailable $e) {
            $this->close();
            throw $e;
        } catch (Trap $t) {
            $this->close();
            throw new CallRulesUnavailable(CallRulesUnavailable::WASM_INVALID, "{$this->wasmPath} trapped while being checked: {$t->getMessage()}", $t);
        } catch (\Throwable $e) {
            $this->close();
            throw new CallRulesUnavailable(CallRulesUnavailable::RUNTIME_MISSING, "the runtime failed: {$e->getMessage()}", $e);
        }
    }

    /**
     * The first runtime library that loads, in order: the one given, else the defaults. A
     * library that cannot be loaded passes to the next; a module that cannot run stops here
     * (another runtime would not make it run).
     */
    private function connect(?string $runtimePath): Backend
    {
        $candidates = $runtimePath !== null ? [$runtimePath] : self::defaultRuntimePaths();
        $last = null;
        foreach ($candidates as $lib) {
            try {
                $backend = $this->open($lib, $runtimePath === null);
                $this->runtimePath = $lib;
                return $backend;
            } catch (CallRulesUnavailable $e) {
                if ($e->reason !== CallRulesUnavailable::RUNTIME_MISSING) {
                    throw $e;
                }
                $this->skipped[] = $e->detail();
                $last = $e;
            }
        }
        if (count($this->skipped) === 1 && $last !== null) {
            throw $last;
        }
        throw new CallRulesUnavailable(CallRulesUnavailable::RUNTIME_MISSING, 'no runtime library can be loaded: ' . implode('; ', $this->skipped), $last);
    }

    /**
     * libtcr_php or a wasm.h library, told apart by the functions it exports (the one its name
     * suggests is tried first).
     */
    private function open(string $lib, bool $preferScope): Backend
    {
        $kinds = str_contains(basename($lib), 'tcr_php') ? ['fast', 'wasm.h'] : ['wasm.h', 'fast'];
        $errors = [];
        foreach ($kinds as $kind) {
            $phases = [];
            $t = hrtime(true);
            try {
                if ($kind === 'fast') {
                    $ffi = Fast::library($lib, $preferScope, $phases);
                } else {
                    $ffi = WasmRuntime::ffi($lib, $preferScope, $phases);
                }
            } catch (CallRulesUnavailable $e) {
                if ($e->reason !== CallRulesUnavailable::RUNTIME_MISSING || !is_file($lib)) {
                    throw $e;
                }
                $errors[] = $e;
                continue;
            }
            $phases['library'] = (hrtime(true) - $t) / 1e6;
            if ($kind === 'fast') {
                $wasmPath = $this->wasmPath;
                return new Fast($ffi, $lib, $this->wasmPath, $this->cacheDir, static fn (Backend $b): array => self::checkVersion($b, $wasmPath), $phases);
            }
            $t = hrtime(true);
            $bytes = self::readWasm($this->wasmPath);
            $phases['read'] = (hrtime(true) - $t) / 1e6;
            return new Instance($ffi, $bytes, $this->wasmPath, $lib, $phases);
        }
        throw new CallRulesUnavailable(
            CallRulesUnavailable::RUNTIME_MISSING,
            "{$lib} is neither libtcr_php nor a wasm C-API library that loads: " . implode('; ', array_map(static fn ($e) => $e->detail(), $errors)),
            $errors[0] ?? null
        );
    }

    /** Whether the bridge can run with these files, and precisely why not. Never throws. */
    public static function check(?string $wasmPath = null, ?string $runtimePath = null, ?string $cacheDir = null): Availability
    {
        try {
            $bridge = new self($wasmPath, $runtimePath, $cacheDir);
            $version = $bridge->version;
            $bridge->close();
            return Availability::yes($version);
        } catch (CallRulesUnavailable $e) {
            return Availability::no($e);
        }
    }

    public static function defaultWasmPath(): string
    {
        $env = self::env(self::ENV_WASM);
        return is_string($env) && $env !== '' ? $env : dirname(__DIR__, 2) . '/pkg/talk_call_rules_bg.wasm';
    }

    /**
     * The runtime libraries tried in order when none is given: those of $TALK_CALL_RULES_RUNTIME
     * when set (one path, or several separated by ':'), else libtcr_php.so and then libwasmi.so
     * (the wasm.h fallback).
     *
     * @return list<string>
     */
    public static function defaultRuntimePaths(): array
    {
        $env = self::env(self::ENV_RUNTIME);
        if (is_string($env) && $env !== '') {
            return array_values(array_filter(explode(PATH_SEPARATOR, $env), static fn (string $p): bool => $p !== ''));
        }
        $dir = dirname(__DIR__, 2) . '/target/php-runtime/release';
        return ["{$dir}/libtcr_php.so", "{$dir}/libwasmi.so"];
    }

    /** The first of defaultRuntimePaths() that exists (else the first). */
    public static function defaultRuntimePath(): string
    {
        $paths = self::defaultRuntimePaths();
        foreach ($paths as $p) {
            if (is_file($p)) {
                return $p;
            }
        }
        return $paths[0];
    }

    /**
     * libtcr_php's disk cache of compiled code: $TALK_CALL_RULES_CACHE ('' or 'off': none), else
     * talk-call-rules-<uid> in the system's temporary folder, <uid> being the process's
     * effective user ('' when it cannot be told: no disk cache). The library creates the
     * folder with mode 0700 and uses it only when it, every folder above it and the file pass
     * the checks SECURITY.md lists ("The PHP bridge's disk cache").
     */
    public static function defaultCacheDir(): string
    {
        $env = self::env(self::ENV_CACHE);
        if (is_string($env)) {
            return in_array(strtolower(trim($env)), ['', 'off', '0', 'none', 'false'], true) ? '' : $env;
        }
        $uid = self::effectiveUid();
        return $uid === null ? '' : rtrim(sys_get_temp_dir(), '/') . "/talk-call-rules-{$uid}";
    }

    /**
     * A TALK_CALL_RULES_* setting: from the process's environment only (PHP-FPM: the pool's
     * env[...], or the master's environment with clear_env = no), never from the variables a
     * web server passes with each request (FastCGI parameters, Apache's SetEnv), which plain
     * getenv() would prefer.
     */
    private static function env(string $name): string|false
    {
        return getenv($name, true);
    }

    /**
     * The process's effective uid: posix_geteuid(), else the Uid line of /proc/self/status,
     * else the owner of a file this process creates in the temporary folder; null when none
     * works. Never getmyuid(), which answers the owner of the running script.
     */
    private static function effectiveUid(): ?int
    {
        if (function_exists('posix_geteuid')) {
            return posix_geteuid();
        }
        $status = @file_get_contents('/proc/self/status');
        if (is_string($status) && preg_match('/^Uid:\s+\d+\s+(\d+)/m', $status, $m)) {
            return (int) $m[1]; // real, effective, saved, filesystem
        }
        $probe = @tempnam(sys_get_temp_dir(), 'talk-call-rules-uid-');
        if (is_string($probe)) {
            clearstatcache(true, $probe);
            $owner = @fileowner($probe);
            @unlink($probe);
            if (is_int($owner)) {
                return $owner;
            }
        }
        return null;
    }

    public function wasmPath(): string
    {
        return $this->wasmPath;
    }

    public function runtimePath(): string
    {
        return $this->runtimePath;
    }

    /**
     * How this object runs the module, for logs and diagnostics: `kind` ('wasmtime': libtcr_php,
     * or 'wasm.h'), `library`, `source` (wasmtime: 'kept' — the process's instance was reused —,
     * 'instantiated', 'disk-cache' or 'compiled'), `cache` (what the disk cache did),
     * `cacheNote` and, when `cache` is 'unusable', `cacheProblem` ('cache-unsafe': a trust check
     * failed, 'cache-error': the folder or file cannot be created, opened or written; logged
     * once per process as an E_USER_WARNING), `skipped` (why earlier runtime libraries were not used) and `phases`
     * (milliseconds per step when this object was made); with wasmtime also `process`: the
     * library's counters for this process.
     *
     * @return array<string, mixed>
     */
    public function runtime(): array
    {
        $info = $this->backend?->info() ?? [];
        $info['phases'] = ($info['phases'] ?? []) + ['check' => $this->checkMs];
        $info['skipped'] = $this->skipped;
        if ($this->backend instanceof Fast) {
            $info['process'] = $this->backend->processStats();
        }
        return $info;
    }

    private static function readWasm(string $path): string
    {
        if (!is_file($path)) {
            throw new CallRulesUnavailable(
                CallRulesUnavailable::WASM_MISSING,
                "the module {$path} does not exist (build it: ./build.sh, or set " . self::ENV_WASM . ')'
            );
        }
        $bytes = @file_get_contents($path);
        if ($bytes === false) {
            throw new CallRulesUnavailable(CallRulesUnavailable::WASM_MISSING, "the module {$path} is not readable");
        }
        if (strncmp($bytes, "\0asm", 4) !== 0) {
            throw new CallRulesUnavailable(CallRulesUnavailable::WASM_INVALID, "{$path} is not a WebAssembly binary");
        }
        return $bytes;
    }

    /** The module's C-ABI version, talkApi and serverParity must be this bridge's. */
    private static function checkVersion(Backend $b, string $wasmPath): array
    {
        $abi = $b->call('tcr_abi_version');
        if ($abi !== self::ABI_VERSION) {
            throw new CallRulesUnavailable(
                CallRulesUnavailable::WASM_VERSION,
                "{$wasmPath} speaks C-ABI version {$abi}, this bridge speaks " . self::ABI_VERSION
            );
        }
        $text = (string) $b->answer('tcr_version', []);
        $v = json_decode($text, true);
        if (!is_array($v)) {
            throw new CallRulesUnavailable(CallRulesUnavailable::WASM_VERSION, "{$wasmPath}: version() is not JSON: {$text}");
        }
        if (($v['talkApi'] ?? null) !== self::TALK_API || ($v['serverParity'] ?? null) !== self::SERVER_PARITY) {
            throw new CallRulesUnavailable(
                CallRulesUnavailable::WASM_VERSION,
                sprintf(
                    '%s decides talkApi %s / serverParity %s, this bridge expects %s / %s',
                    $wasmPath,
                    json_encode($v['talkApi'] ?? null),
                    json_encode($v['serverParity'] ?? null),
                    self::TALK_API,
                    self::SERVER_PARITY
                )
            );
        }
        return $v;
    }

    // ---- JSON twins (exact) ----

    /** @throws CallRulesTrapped */
    public function evaluateJson(string $request, string $state): string
    {
        return $this->run('tcr_evaluate', $request, $state);
    }

    /** @throws CallRulesTrapped */
    public function applyJson(string $state, string $mutations): string
    {
        return $this->run('tcr_apply', $state, $mutations);
    }

    /** @throws CallRulesTrapped */
    public function ocsJson(string $outcome): string
    {
        return $this->run('tcr_ocs', $outcome);
    }

    /** @throws CallRulesTrapped */
    public function versionJson(): string
    {
        return $this->run('tcr_version');
    }

    /**
     * The module's reason codes (code, statuses, sentence), input limits and bad-input
     * shapes, as JSON (`Facts` holds the generated copy). @throws CallRulesTrapped
     */
    public function factsJson(): string
    {
        return $this->run('tcr_facts');
    }

    /** {@see factsJson()} as an array. @throws CallRulesTrapped */
    public function facts(): array
    {
        return json_decode($this->factsJson(), true, 512, JSON_THROW_ON_ERROR);
    }

    /**
     * Every call action for the caller (`$actor`: {"userId","sessionId","groups"}) at `$now`,
     * with the status and reason the server would answer; `$options` may give the request
     * bodies to model ({"join": {...}, "updateFlags": {...}}; "" for the defaults).
     *
     * @throws CallRulesTrapped
     */
    public function allowedActionsJson(string $state, string $actor, int $now, string $options = ''): string
    {
        return $this->guard(static function (Backend $b) use ($state, $actor, $now, $options): string {
            return $b->answer('tcr_allowed_actions', [$state, $actor, $options], $now)
                ?? self::badInputJson('tcr_allowed_actions', 'input: the documents exceed the input limit of the module');
        });
    }

    /** `{status, reason, explanation}`: a stable English sentence for an Outcome's reason. @throws CallRulesTrapped */
    public function explainJson(string $outcome): string
    {
        return $this->run('tcr_explain', $outcome);
    }

    // ---- arrays ----

    /** @throws CallRulesTrapped */
    public function evaluate(array $request, array $state): array
    {
        try {
            $r = json_encode(self::requestShape($request), self::ENCODE);
            $s = json_encode(self::stateShape($state), self::ENCODE);
        } catch (\JsonException $e) {
            return self::badInput('input: not encodable as JSON (' . $e->getMessage() . ')');
        }
        return self::decode($this->evaluateJson($r, $s));
    }

    /** @throws CallRulesTrapped */
    public function apply(array $state, array $mutations): array
    {
        try {
            $s = json_encode(self::stateShape($state), self::ENCODE);
            $m = json_encode(array_map(self::mutationShape(...), $mutations), self::ENCODE);
        } catch (\JsonException $e) {
            return self::badInput('input: not encodable as JSON (' . $e->getMessage() . ')');
        }
        return self::decode($this->applyJson($s, $m));
    }

    /** @throws CallRulesTrapped */
    public function ocs(array $outcome): array
    {
        try {
            $o = json_encode($outcome, self::ENCODE);
        } catch (\JsonException $e) {
            $bad = self::badInput('outcome: not encodable as JSON (' . $e->getMessage() . ')');
            return ['ocs' => ['meta' => ['status' => 'failure', 'statuscode' => 400, 'message' => ''], 'data' => $bad['data']]];
        }
        return self::decode($this->ocsJson($o));
    }

    /**
     * allowedActionsJson() over arrays.
     *
     * @param array<string, mixed> $state
     * @param array<string, mixed> $actor
     * @param array<string, mixed>|null $options
     * @throws CallRulesTrapped
     */
    public function allowedActions(array $state, array $actor, int $now, ?array $options = null): array
    {
        try {
            $s = json_encode(self::stateShape($state), self::ENCODE);
            $a = json_encode(self::obj($actor), self::ENCODE);
            $o = $options === null ? '' : json_encode(self::obj(array_map(self::obj(...), $options)), self::ENCODE);
        } catch (\JsonException $e) {
            return self::badInput('input: not encodable as JSON (' . $e->getMessage() . ')');
        }
        return self::decode($this->allowedActionsJson($s, $a, $now, $o));
    }

    /** explainJson() over arrays. @throws CallRulesTrapped */
    public function explain(array $outcome): array
    {
        try {
            $o = json_encode($outcome, self::ENCODE);
        } catch (\JsonException $e) {
            $o = '"not encodable"';
        }
        return self::decode($this->explainJson($o));
    }

    /** `{crate, version, talkApi, serverParity, abi}` of the loaded module. */
    public function version(): array
    {
        return $this->version;
    }

    /** Frees every C object now (the object is unusable afterwards). */
    public function close(): void
    {
        $this->backend?->free();
        $this->backend = null;
        $this->closed = true;
    }

    public function __destruct()
    {
        $this->close();
    }

    /**
     * Calls an export of the module directly (i32 arguments and result). For tests and
     * diagnostics only: traps are handled as for every other call.
     *
     * @internal
     * @throws CallRulesTrapped
     */
    public function callExport(string $export, int ...$args): int
    {
        return $this->guard(static fn (Backend $b): int => $b->call($export, ...$args));
    }

    // ---- internals ----

    private function run(string $export, string ...$docs): string
    {
        return $this->guard(static function (Backend $b) use ($export, $docs): string {
            $total = 0;
            foreach ($docs as $d) {
                $total += strlen($d);
            }
            return $b->answer($export, $docs)
                ?? self::badInputJson($export, "input: {$total} bytes exceed the input limit of the module");
        });
    }

    /**
     * Runs $fn on the backend; on a trap has the instance replaced and raises CallRulesTrapped.
     *
     * @template T
     * @param callable(Backend): T $fn
     * @return T
     */
    private function guard(callable $fn): mixed
    {
        if ($this->closed || $this->backend === null) {
            throw new \LogicException('talk-call-rules: this CallRules object was closed');
        }
        try {
            return $fn($this->backend);
        } catch (Trap $t) {
            throw new CallRulesTrapped($t->export, $t->trapMessage, $this->backend->recover($t), $t);
        }
    }

    private static function decode(string $json): array
    {
        $v = json_decode($json, true, self::DEPTH);
        if (!is_array($v)) {
            return self::badInput('output: the module answered text that is not a JSON object');
        }
        return $v;
    }

    private static function badInput(string $detail): array
    {
        return [
            'status' => 400,
            'data' => ['error' => 'bad-input', 'detail' => $detail],
            'message' => '',
            'reason' => 'bad-input',
            'mutations' => [],
            'effects' => [],
        ];
    }

    private static function badInputJson(string $export, string $detail): string
    {
        $o = self::badInput($detail);
        if ($export === 'tcr_ocs') {
            $o = ['ocs' => ['meta' => ['status' => 'failure', 'statuscode' => 400, 'message' => ''], 'data' => $o['data']]];
        } elseif ($export === 'tcr_explain') {
            $o = ['status' => 400, 'reason' => 'bad-input', 'explanation' => Facts::REASONS['bad-input']['explanation']];
        }
        return json_encode($o, self::ENCODE);
    }

    /** An empty PHP array where the contract wants an object becomes `{}`. */
    private static function obj(mixed $v): mixed
    {
        return $v === [] ? new \stdClass() : $v;
    }

    private static function requestShape(array $r): array
    {
        foreach (['body', 'actor'] as $k) {
            if (array_key_exists($k, $r)) {
                $r[$k] = self::obj($r[$k]);
            }
        }
        return $r;
    }

    private static function stateShape(array $s): array
    {
        foreach (['config', 'room'] as $k) {
            if (array_key_exists($k, $s)) {
                $s[$k] = self::obj($s[$k]);
            }
        }
        // `users` is keyed by user id, and PHP turns a key like "0" into an integer: an array
        // whose keys happen to be 0, 1, ... would be written as a JSON list. Always an object.
        if (isset($s['users']) && is_array($s['users'])) {
            $s['users'] = (object) array_map(self::obj(...), $s['users']);
        }
        foreach (['attendees', 'sessions', 'foreignAttendees'] as $k) {
            if (isset($s[$k]) && is_array($s[$k]) && array_is_list($s[$k])) {
                $s[$k] = array_map(self::obj(...), $s[$k]);
            }
        }
        return $s;
    }

    private static function mutationShape(mixed $m): mixed
    {
        if (is_array($m)) {
            if (array_key_exists('set', $m)) {
                $m['set'] = self::obj($m['set']);
            }
            return self::obj($m);
        }
        return $m;
    }
}
