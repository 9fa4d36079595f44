<?php

declare(strict_types=1);

namespace OCA\TalkCallRules;

use FFI;
use OCA\TalkCallRules\Internal\Instance;
use OCA\TalkCallRules\Internal\Trap;
use OCA\TalkCallRules\Internal\WasmRuntime;

/**
 * The Talk Call API v4 rules (Talk 18 parity) decided by the same .wasm the browser
 * uses, run through PHP's FFI and a wasm C-API runtime (libwasmi.so by default).
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
 * Every C object is freed when the object is destroyed (or on close()).
 */
final class CallRules
{
    /** The C-ABI version (tcr_abi_version) this bridge speaks. */
    public const ABI_VERSION = 1;
    public const TALK_API = 'v4';
    public const SERVER_PARITY = 'talk-18';

    public const ENV_WASM = 'TALK_CALL_RULES_WASM';
    public const ENV_RUNTIME = 'TALK_CALL_RULES_RUNTIME';

    private const ENCODE = JSON_PRESERVE_ZERO_FRACTION | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR;
    private const DEPTH = 100000;

    private FFI $ffi;
    private string $bytes;
    private ?Instance $instance = null;
    private array $version;
    private readonly string $wasmPath;
    private readonly string $runtimePath;

    /**
     * @param string|null $wasmPath    the module (default: $TALK_CALL_RULES_WASM, else pkg/talk_call_rules_bg.wasm of the repository)
     * @param string|null $runtimePath a wasm C-API library (default: $TALK_CALL_RULES_RUNTIME, else the one php/build-runtime.sh builds)
     *
     * @throws CallRulesUnavailable
     */
    public function __construct(?string $wasmPath = null, ?string $runtimePath = null)
    {
        $this->wasmPath = $wasmPath ?? self::defaultWasmPath();
        $this->runtimePath = $runtimePath ?? self::defaultRuntimePath();
        try {
            $this->ffi = WasmRuntime::ffi($this->runtimePath);
            $this->bytes = self::readWasm($this->wasmPath);
            $this->instance = new Instance($this->ffi, $this->bytes, $this->wasmPath);
            $this->version = $this->checkVersion($this->instance);
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

    /** Whether the bridge can run with these files, and precisely why not. Never throws. */
    public static function check(?string $wasmPath = null, ?string $runtimePath = null): Availability
    {
        try {
            $bridge = new self($wasmPath, $runtimePath);
            $version = $bridge->version;
            $bridge->close();
            return Availability::yes($version);
        } catch (CallRulesUnavailable $e) {
            return Availability::no($e);
        }
    }

    public static function defaultWasmPath(): string
    {
        $env = getenv(self::ENV_WASM);
        return is_string($env) && $env !== '' ? $env : dirname(__DIR__, 2) . '/pkg/talk_call_rules_bg.wasm';
    }

    public static function defaultRuntimePath(): string
    {
        $env = getenv(self::ENV_RUNTIME);
        return is_string($env) && $env !== '' ? $env : dirname(__DIR__, 2) . '/target/php-runtime/release/libwasmi.so';
    }

    public function wasmPath(): string
    {
        return $this->wasmPath;
    }

    public function runtimePath(): string
    {
        return $this->runtimePath;
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

    private function checkVersion(Instance $i): array
    {
        $abi = $i->call('tcr_abi_version');
        if ($abi !== self::ABI_VERSION) {
            throw new CallRulesUnavailable(
                CallRulesUnavailable::WASM_VERSION,
                "{$this->wasmPath} speaks C-ABI version {$abi}, this bridge speaks " . self::ABI_VERSION
            );
        }
        $i->writeInput();
        $text = $i->answer('tcr_version');
        $v = json_decode($text, true);
        if (!is_array($v)) {
            throw new CallRulesUnavailable(CallRulesUnavailable::WASM_VERSION, "{$this->wasmPath}: version() is not JSON: {$text}");
        }
        if (($v['talkApi'] ?? null) !== self::TALK_API || ($v['serverParity'] ?? null) !== self::SERVER_PARITY) {
            throw new CallRulesUnavailable(
                CallRulesUnavailable::WASM_VERSION,
                sprintf(
                    '%s decides talkApi %s / serverParity %s, this bridge expects %s / %s',
                    $this->wasmPath,
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
        return $this->guard('tcr_allowed_actions', static function (Instance $i) use ($state, $actor, $now, $options): string {
            if (!$i->writeInput($state, $actor, $options)) {
                return self::badInputJson('tcr_allowed_actions', 'input: the documents exceed the input limit of the module');
            }
            return $i->answerTyped('tcr_allowed_actions', [strlen($state), strlen($actor), strlen($options)], $now);
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
        $this->instance?->free();
        $this->instance = null;
        $this->bytes = '';
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
        return $this->guard($export, static fn (Instance $i): int => $i->call($export, ...$args));
    }

    // ---- internals ----

    private function run(string $export, string ...$docs): string
    {
        return $this->guard($export, static function (Instance $i) use ($export, $docs): string {
            if (!$i->writeInput(...$docs)) {
                $total = array_sum(array_map('strlen', $docs));
                return self::badInputJson($export, "input: {$total} bytes exceed the input limit of the module");
            }
            return $i->answer($export, ...array_map('strlen', $docs));
        });
    }

    /**
     * Runs $fn on the instance; on a trap drops the instance, builds a fresh one and
     * raises CallRulesTrapped.
     *
     * @template T
     * @param callable(Instance): T $fn
     * @return T
     */
    private function guard(string $export, callable $fn): mixed
    {
        if ($this->bytes === '') {
            throw new \LogicException('talk-call-rules: this CallRules object was closed');
        }
        if ($this->instance === null) {
            // A previous rebuild failed: try again, or say why not.
            $this->instance = new Instance($this->ffi, $this->bytes, $this->wasmPath);
        }
        try {
            return $fn($this->instance);
        } catch (Trap $t) {
            $this->instance->free();
            $this->instance = null;
            $rebuilt = false;
            try {
                $this->instance = new Instance($this->ffi, $this->bytes, $this->wasmPath);
                $rebuilt = true;
            } catch (\Throwable) {
                $this->instance = null;
            }
            throw new CallRulesTrapped($t->export, $t->trapMessage, $rebuilt, $t);
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
        foreach (['config', 'room', 'users'] as $k) {
            if (array_key_exists($k, $s)) {
                $s[$k] = self::obj($s[$k]);
            }
        }
        if (isset($s['users']) && is_array($s['users'])) {
            $s['users'] = array_map(self::obj(...), $s['users']);
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
