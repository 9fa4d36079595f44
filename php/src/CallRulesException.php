<?php

declare(strict_types=1);

namespace OCA\TalkCallRules;

/** Base of every exception the bridge raises (never for bad *data*: that is a 400 Outcome). */
class CallRulesException extends \RuntimeException
{
}
