<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Internal;

use FFI;
use FFI\CData;
use OCA\TalkCallRules\CallRulesUnavailable;
use OCA\TalkCallRules\Facts;

/**
 * One instantiated module and every C object it needs, all owned here and all
 * deleted by free(): engine, store, module, the trapping import functions and the
 * exports vector. Only the standard wasm.h functions are used.
 *
 * @internal
 */
final class Instance implements Backend
{
    private const WASM_I32 = 0;
    private const WASM_I64 = 1;
    private const WASM_EXTERN_FUNC = 0;
    /** wasm.h's value kinds of the C ABI's types (Facts::ABI). */
    private const KINDS = ['i32' => self::WASM_I32, 'i64' => self::WASM_I64];

    private ?CData $engine = null;
    private ?CData $store = null;
    private ?CData $module = null;
    private ?CData $instance = null;
    /** @var list<CData> wasm_func_t* of the imports (owned) */
    private array $importFuncs = [];
    /** wasm_extern_vec_t of the exports (owned by the runtime until wasm_extern_vec_delete) */
    private ?CData $exports = null;
    /** @var array<string, CData> wasm_func_t* by export name (borrowed from $exports) */
    private array $funcs = [];
    /** @var array<string, int> result arity by export name */
    private array $arity = [];
    private ?CData $memory = null;

    private CData $argv;
    private CData $args;
    private CData $resv;
    private CData $results;

    /** @var array<string, float> milliseconds per step of the last build */
    private array $phases = [];

    /**
     * @param array<string, float> $phases milliseconds already spent (loading the library, reading the file)
     * @throws CallRulesUnavailable
     */
    public function __construct(private readonly FFI $ffi, private readonly string $bytes, private readonly string $origin, private readonly string $library = '', array $phases = [])
    {
        $this->phases = $phases;
        $this->rebuild();
    }

    /** Builds everything afresh. @throws CallRulesUnavailable */
    private function rebuild(): void
    {
        $this->free();
        try {
            $this->build($this->bytes, $this->origin);
        } catch (\Throwable $e) {
            $this->free();
            throw $e;
        }
    }

    public function recover(Trap $trap): bool
    {
        try {
            $this->rebuild();
            return true;
        } catch (\Throwable) {
            return false;
        }
    }

    public function info(): array
    {
        return ['kind' => 'wasm.h', 'library' => $this->library, 'source' => 'compiled', 'phases' => $this->phases];
    }

    public function answer(string $export, array $docs, ?int $i64 = null): ?string
    {
        if (!$this->writeInput(...$docs)) {
            return null;
        }
        return $this->answerTyped($export, array_map('strlen', $docs), $i64);
    }

    private static function isNull(mixed $p): bool
    {
        return $p === null || ($p instanceof CData && FFI::isNull($p));
    }

    private function build(string $bytes, string $origin): void
    {
        $ffi = $this->ffi;
        $this->engine = $ffi->wasm_engine_new();
        if (self::isNull($this->engine)) {
            throw new CallRulesUnavailable(CallRulesUnavailable::RUNTIME_MISSING, 'wasm_engine_new failed');
        }
        $this->store = $ffi->wasm_store_new($this->engine);
        if (self::isNull($this->store)) {
            throw new CallRulesUnavailable(CallRulesUnavailable::RUNTIME_MISSING, 'wasm_store_new failed');
        }

        $t = hrtime(true);
        $binary = $ffi->new('wasm_byte_vec_t');
        $ffi->wasm_byte_vec_new(FFI::addr($binary), strlen($bytes), $bytes);
        $this->module = $ffi->wasm_module_new($this->store, FFI::addr($binary));
        $ffi->wasm_byte_vec_delete(FFI::addr($binary));
        if (self::isNull($this->module)) {
            $this->module = null;
            throw new CallRulesUnavailable(CallRulesUnavailable::WASM_INVALID, "{$origin} is not a WebAssembly module this runtime can compile");
        }

        $this->phases['compile'] = (hrtime(true) - $t) / 1e6;
        $t = hrtime(true);

        // Every import is wasm-bindgen's JS glue: bind each to the trapping host function.
        $callback = WasmRuntime::trapCallback($ffi);
        $imports = $ffi->new('wasm_importtype_vec_t');
        $ffi->wasm_module_imports($this->module, FFI::addr($imports));
        try {
            $n = (int) $imports->size;
            $externs = $n > 0 ? $ffi->new("wasm_extern_t*[$n]") : null;
            for ($i = 0; $i < $n; $i++) {
                $it = $imports->data[$i];
                $type = $ffi->wasm_importtype_type($it);
                if ($ffi->wasm_externtype_kind($type) !== self::WASM_EXTERN_FUNC) {
                    throw new CallRulesUnavailable(
                        CallRulesUnavailable::WASM_INVALID,
                        "{$origin} imports " . self::name($ffi->wasm_importtype_name($it)) . ', which is not a function'
                    );
                }
                $func = $ffi->wasm_func_new($this->store, $ffi->wasm_externtype_as_functype_const($type), $callback);
                if (self::isNull($func)) {
                    throw new CallRulesUnavailable(CallRulesUnavailable::RUNTIME_MISSING, 'wasm_func_new failed');
                }
                $this->importFuncs[] = $func;
                $externs[$i] = $ffi->wasm_func_as_extern($func);
            }
        } finally {
            $ffi->wasm_importtype_vec_delete(FFI::addr($imports));
        }
        $importVec = $ffi->new('wasm_extern_vec_t');
        $importVec->size = $n;
        // (cast, not FFI::addr($externs[0]): the latter leaks ~130 bytes per use in PHP 8.2)
        $importVec->data = $externs === null ? null : $ffi->cast('wasm_extern_t**', $externs);

        $trap = $ffi->new('wasm_trap_t*');
        WasmRuntime::enter($this->store);
        try {
            $this->instance = $ffi->wasm_instance_new($this->store, $this->module, FFI::addr($importVec), FFI::addr($trap));
        } finally {
            WasmRuntime::leave();
        }
        if (self::isNull($this->instance)) {
            $this->instance = null;
            $why = self::isNull($trap) ? 'unknown error' : $this->takeTrap($trap);
            throw new CallRulesUnavailable(CallRulesUnavailable::WASM_INVALID, "{$origin} cannot be instantiated: {$why}");
        }

        // Exports: names come from the module, in the same order as the instance's.
        $types = $ffi->new('wasm_exporttype_vec_t');
        $ffi->wasm_module_exports($this->module, FFI::addr($types));
        $this->exports = $ffi->new('wasm_extern_vec_t');
        $ffi->wasm_instance_exports($this->instance, FFI::addr($this->exports));
        /** @var array<string, string> $wrong C-ABI export => the signature the module gives it */
        $wrong = [];
        try {
            $count = min((int) $types->size, (int) $this->exports->size);
            for ($i = 0; $i < $count; $i++) {
                $name = self::name($ffi->wasm_exporttype_name($types->data[$i]));
                $ext = $this->exports->data[$i];
                if ($name === 'memory') {
                    $this->memory = $ffi->wasm_extern_as_memory($ext);
                } else {
                    $f = $ffi->wasm_extern_as_func($ext);
                    if (!self::isNull($f)) {
                        $this->funcs[$name] = $f;
                        $signature = isset(Facts::ABI[$name]) ? $this->signature($types->data[$i]) : null;
                        if ($signature !== null && $signature !== self::expected($name)) {
                            $wrong[$name] = $signature;
                        }
                    }
                }
            }
        } finally {
            $ffi->wasm_exporttype_vec_delete(FFI::addr($types));
        }
        if (self::isNull($this->memory)) {
            throw new CallRulesUnavailable(CallRulesUnavailable::WASM_INVALID, "{$origin} exports no memory");
        }
        $missing = array_values(array_diff(array_keys(Facts::ABI), array_keys($this->funcs)));
        if ($missing !== []) {
            throw new CallRulesUnavailable(
                CallRulesUnavailable::WASM_VERSION,
                "{$origin} lacks the C-ABI exports " . implode(', ', $missing) . ' (built from another version of talk-call-rules?)'
            );
        }
        if ($wrong !== []) {
            $list = [];
            foreach ($wrong as $name => $signature) {
                $list[] = "{$name}{$signature} instead of {$name}" . self::expected($name);
            }
            throw new CallRulesUnavailable(
                CallRulesUnavailable::WASM_VERSION,
                "{$origin} has C-ABI exports of other types: " . implode(', ', $list) . ' (built from another version of talk-call-rules?)'
            );
        }
        foreach ($this->funcs as $name => $f) {
            $this->arity[$name] = (int) $ffi->wasm_func_result_arity($f);
        }

        $this->phases['instantiate'] = (hrtime(true) - $t) / 1e6;

        $this->args = $ffi->new('wasm_val_t[4]');
        $this->results = $ffi->new('wasm_val_t[1]');
        $this->argv = $ffi->new('wasm_val_vec_t');
        $this->argv->data = $ffi->cast('wasm_val_t*', $this->args);
        $this->resv = $ffi->new('wasm_val_vec_t');
        $this->resv->data = $ffi->cast('wasm_val_t*', $this->results);
    }

    /** `(i32, i64) -> i32` of a C-ABI export as Facts::ABI gives it. */
    private static function expected(string $export): string
    {
        $e = Facts::ABI[$export];
        return '(' . implode(', ', array_values($e['params'])) . ') -> ' . $e['result'];
    }

    /**
     * The signature of an exported function in the form of expected(); null when this runtime's
     * declarations cannot tell (an ffi.preload scope from before they listed the functype calls).
     */
    private function signature(CData $exportType): ?string
    {
        $ffi = $this->ffi;
        try {
            $type = $ffi->wasm_externtype_as_functype_const($ffi->wasm_exporttype_type($exportType));
            if (self::isNull($type)) {
                return null;
            }
            $list = static function (CData $vec) use ($ffi): array {
                $names = array_flip(self::KINDS);
                $out = [];
                for ($i = 0; $i < (int) $vec->size; $i++) {
                    $kind = (int) $ffi->wasm_valtype_kind($vec->data[$i]);
                    $out[] = $names[$kind] ?? "kind {$kind}";
                }
                return $out;
            };
            $params = $list($ffi->wasm_functype_params($type));
            $results = $list($ffi->wasm_functype_results($type));
        } catch (\FFI\Exception) {
            return null;
        }
        return '(' . implode(', ', $params) . ') -> ' . (count($results) === 1 ? $results[0] : '(' . implode(', ', $results) . ')');
    }

    private static function name(CData $name): string
    {
        return FFI::string($name->data, (int) $name->size);
    }

    /** The message of an owned trap, which is deleted. */
    private function takeTrap(CData $trap): string
    {
        $msg = $this->ffi->new('wasm_message_t');
        $this->ffi->wasm_trap_message($trap, FFI::addr($msg));
        $text = $msg->size > 0 ? FFI::string($msg->data, (int) $msg->size) : 'trap';
        $this->ffi->wasm_byte_vec_delete(FFI::addr($msg));
        $this->ffi->wasm_trap_delete($trap);
        return rtrim($text, "\0");
    }

    public function has(string $export): bool
    {
        return isset($this->funcs[$export]);
    }

    /**
     * Calls an export with i32 arguments; answers its i32 result (0 when it has none).
     *
     * @throws Trap when the call traps (the instance must then be dropped)
     */
    public function call(string $export, int ...$args): int
    {
        return $this->callTyped($export, $args, null);
    }

    /**
     * Calls an export with `$args` and, when `$i64` is given, `$i64` as the last argument
     * (`tcr_allowed_actions`' `now`); answers its i32 result. The arguments of a C-ABI export
     * have the types Facts::ABI gives them; any other export (diagnostics) gets i32 arguments
     * and an i64 `$i64`.
     *
     * @param list<int> $args
     * @throws Trap when the call traps (the instance must then be dropped)
     */
    public function callTyped(string $export, array $args, ?int $i64): int
    {
        if ($this->instance === null) {
            $this->rebuild(); // an earlier rebuild failed: try again, or say why not
        }
        $f = $this->funcs[$export] ?? throw new \LogicException("no export {$export}");
        $params = isset(Facts::ABI[$export]) ? array_values(Facts::ABI[$export]['params']) : null;
        $params ??= array_merge(array_fill(0, count($args), 'i32'), $i64 === null ? [] : ['i64']);
        if ($i64 !== null) {
            $args[] = $i64;
        }
        $n = count($args);
        if ($n !== count($params) || $n > 4) {
            throw new \LogicException("{$export} takes " . count($params) . " arguments, {$n} given");
        }
        foreach ($args as $i => $v) {
            if ($params[$i] === 'i64') {
                $this->args[$i]->kind = self::WASM_I64;
                $this->args[$i]->of->i64 = $v;
            } else {
                $this->args[$i]->kind = self::WASM_I32;
                $this->args[$i]->of->i32 = $v;
            }
        }
        $this->argv->size = $n;
        $arity = $this->arity[$export];
        if ($arity > 1) {
            throw new \LogicException("{$export} returns {$arity} values");
        }
        $this->resv->size = $arity;
        $this->results[0]->kind = self::WASM_I32;
        $this->results[0]->of->i32 = 0;
        WasmRuntime::enter($this->store);
        try {
            $trap = $this->ffi->wasm_func_call($f, FFI::addr($this->argv), FFI::addr($this->resv));
        } finally {
            WasmRuntime::leave();
        }
        if (!self::isNull($trap)) {
            throw new Trap($this->takeTrap($trap), $export);
        }
        return $arity === 1 && $this->results[0]->kind === self::WASM_I32 ? (int) $this->results[0]->of->i32 : 0;
    }

    /** Copies the documents into the module's input area. False when they exceed its limit. */
    public function writeInput(string ...$docs): bool
    {
        $total = 0;
        foreach ($docs as $d) {
            $total += strlen($d);
        }
        if ($total > 0x7fffffff) {
            return false;
        }
        $ptr = $this->call('tcr_input_reserve', $total) & 0xffffffff;
        if ($ptr === 0) {
            return false;
        }
        // Memory may have grown (and moved): read its base and size after the call.
        $base = $this->ffi->wasm_memory_data($this->memory);
        $size = (int) $this->ffi->wasm_memory_data_size($this->memory);
        if ($ptr + $total > $size) {
            throw new Trap("input area {$ptr}+{$total} outside the {$size}-byte memory", 'tcr_input_reserve');
        }
        $at = $ptr;
        foreach ($docs as $d) {
            $len = strlen($d);
            if ($len > 0) {
                FFI::memcpy($base + $at, $d, $len);
                $at += $len;
            }
        }
        return true;
    }

    /**
     * Calls a `tcr_*` entry point with the documents' lengths (and a last i64 argument when
     * `$i64` is given) and reads its answer.
     *
     * @param list<int> $lens
     */
    public function answerTyped(string $export, array $lens, ?int $i64): string
    {
        $len = $this->callTyped($export, $lens, $i64) & 0xffffffff;
        $ptr = $this->call('tcr_output_ptr') & 0xffffffff;
        $base = $this->ffi->wasm_memory_data($this->memory);
        $size = (int) $this->ffi->wasm_memory_data_size($this->memory);
        if ($ptr + $len > $size) {
            throw new Trap("answer {$ptr}+{$len} outside the {$size}-byte memory", $export);
        }
        return $len === 0 ? '' : FFI::string($base + $ptr, $len);
    }

    /** Deletes every C object this instance owns (idempotent). */
    public function free(): void
    {
        $ffi = $this->ffi;
        $this->funcs = [];
        $this->memory = null;
        if ($this->exports !== null) {
            $ffi->wasm_extern_vec_delete(FFI::addr($this->exports));
            $this->exports = null;
        }
        if ($this->instance !== null) {
            $ffi->wasm_instance_delete($this->instance);
            $this->instance = null;
        }
        foreach ($this->importFuncs as $f) {
            $ffi->wasm_func_delete($f);
        }
        $this->importFuncs = [];
        if ($this->module !== null) {
            $ffi->wasm_module_delete($this->module);
            $this->module = null;
        }
        if ($this->store !== null) {
            $ffi->wasm_store_delete($this->store);
            $this->store = null;
        }
        if ($this->engine !== null) {
            $ffi->wasm_engine_delete($this->engine);
            $this->engine = null;
        }
    }

    public function __destruct()
    {
        $this->free();
    }
}
