<?php

declare(strict_types=1);

namespace OCA\TalkCallRules;

/**
 * The module trapped during a call. The bridge has already dropped that instance
 * and built a fresh one, so the same CallRules object can be used again; the call
 * that trapped has no answer (treat it like an internal error, or fall back).
 */
final class CallRulesTrapped extends CallRulesException
{
    public function __construct(
        public readonly string $export,
        public readonly string $trapMessage,
        public readonly bool $rebuilt,
        ?\Throwable $previous = null,
    ) {
        parent::__construct(
            "talk-call-rules: the wasm module trapped in {$export}: {$trapMessage}"
            . ($rebuilt ? ' (instance rebuilt)' : ' (the instance could not be rebuilt)'),
            0,
            $previous
        );
    }
}
