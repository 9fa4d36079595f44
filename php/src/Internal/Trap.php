<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Internal;

/**
 * A wasm trap (or a module that answered outside its memory): the instance that
 * raised it must not be used again.
 *
 * @internal
 */
final class Trap extends \RuntimeException
{
    public function __construct(public readonly string $trapMessage, public readonly string $export)
    {
        parent::__construct("{$export}: {$trapMessage}");
    }
}
