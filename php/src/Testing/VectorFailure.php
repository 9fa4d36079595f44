<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Testing;

/** A vector case that did not match (the message says where and what). */
final class VectorFailure extends \RuntimeException
{
}
