<?php

declare(strict_types=1);

namespace OCA\TalkCallRules;

/** The answer of CallRules::check(): whether the bridge can run here, and if not, why. */
final class Availability
{
    private function __construct(
        public readonly bool $available,
        /** null when available, else one of the CallRulesUnavailable::* constants */
        public readonly ?string $reason,
        public readonly string $detail,
        /** version() of the module when available */
        public readonly ?array $version,
    ) {
    }

    public static function yes(array $version): self
    {
        return new self(true, null, 'available', $version);
    }

    public static function no(CallRulesUnavailable $e): self
    {
        return new self(false, $e->reason, $e->detail(), null);
    }

    public function __toString(): string
    {
        return $this->available ? 'talk-call-rules: available' : "talk-call-rules unavailable ({$this->reason}): {$this->detail}";
    }
}
