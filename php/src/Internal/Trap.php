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
    /**
     * @param bool|null $rebuilt whether the runtime already made a fresh instance (libtcr_php
     *                           does); null when that is left to the bridge
     */
    public function __construct(public readonly string $trapMessage, public readonly string $export, public readonly ?bool $rebuilt = null)
    {
        parent::__construct("{$export}: {$trapMessage}");
    }
}
