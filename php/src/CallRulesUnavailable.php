<?php

declare(strict_types=1);

namespace OCA\TalkCallRules;

/**
 * The bridge cannot run here. `reason` is one of the constants below; the message
 * says precisely what is missing and how to fix it. Callers fall back to their own logic.
 */
final class CallRulesUnavailable extends CallRulesException
{
    /** The FFI extension is not loaded. */
    public const FFI_MISSING = 'ffi-missing';
    /** `ffi.enable` blocks FFI in this SAPI (off, or `preload` outside the CLI without a preloaded scope). */
    public const FFI_DISABLED = 'ffi-disabled';
    /** The wasm C-API runtime library (libwasmi.so) is missing or cannot be loaded. */
    public const RUNTIME_MISSING = 'runtime-missing';
    /** The .wasm file is missing or unreadable. */
    public const WASM_MISSING = 'wasm-missing';
    /** The file is not a module this runtime can compile or instantiate. */
    public const WASM_INVALID = 'wasm-invalid';
    /** The module is of another version: C-ABI version, talkApi or serverParity differ. */
    public const WASM_VERSION = 'wasm-version';

    public function __construct(public readonly string $reason, string $detail, ?\Throwable $previous = null)
    {
        parent::__construct("talk-call-rules unavailable ({$reason}): {$detail}", 0, $previous);
    }

    /** The message without the "unavailable (reason):" prefix. */
    public function detail(): string
    {
        return preg_replace('/^talk-call-rules unavailable \([a-z-]+\): /', '', $this->getMessage()) ?? $this->getMessage();
    }
}
