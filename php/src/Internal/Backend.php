<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Internal;

/**
 * One way of running the module: `Fast` (libtcr_php.so, the default) or `Instance` (any
 * library implementing the standard wasm C API, `wasm.h`).
 *
 * @internal
 */
interface Backend
{
    /**
     * Copies the documents into the module's input area back to back, calls a `tcr_*` entry
     * point with their lengths (and `$i64` as a last i64 argument when given) and answers its
     * output; null when the documents exceed the module's input limit.
     *
     * @param list<string> $docs
     * @throws Trap
     */
    public function answer(string $export, array $docs, ?int $i64 = null): ?string;

    /**
     * Calls an export with integer arguments; answers its result (0 when it has none).
     *
     * @throws Trap
     */
    public function call(string $export, int ...$args): int;

    /**
     * After a Trap: makes the backend usable again. Answers whether a fresh instance is ready
     * (if not, the next call tries again and throws CallRulesUnavailable when it cannot).
     */
    public function recover(Trap $trap): bool;

    /** Frees what this object owns (idempotent). */
    public function free(): void;

    /**
     * What was loaded and how: `kind` ('wasmtime' or 'wasm.h'), `library`, and per step the
     * milliseconds it took when this object was made (`phases`), plus backend details.
     *
     * @return array<string, mixed>
     */
    public function info(): array;
}
