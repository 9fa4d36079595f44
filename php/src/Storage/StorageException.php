<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Storage;

/**
 * Reading or writing Talk's rows failed. Raised by StateLoader (a row that the State
 * cannot carry, a database error) and by MutationWriter, which raises it only after it
 * has rolled back: when a MutationWriter call throws, none of its mutations is stored.
 *
 * `reason` is a stable code to branch on; `index` names the mutation (its position in
 * the list) when one mutation is to blame.
 */
final class StorageException extends \RuntimeException
{
    /** A mutation names a room, session or attendee that is not stored (in this conversation). */
    public const MISSING_ROW = 'missing-row';
    /** A mutation's `op` is not updateRoom, updateSession or updateAttendee. */
    public const UNKNOWN_OP = 'unknown-op';
    /** A mutation's `set` names a field that is not a writable column of its table. */
    public const UNKNOWN_COLUMN = 'unknown-column';
    /** A mutation or its `set` holds a value of the wrong type for its column, or lacks a key. */
    public const BAD_MUTATION = 'bad-mutation';
    /** A stored value the State cannot carry (e.g. a datetime that does not parse). */
    public const BAD_ROW = 'bad-row';
    /** The app config holds a value of a type no config value can have. */
    public const BAD_CONFIG = 'bad-config';
    /** The database refused a statement. */
    public const DATABASE = 'database';
    /**
     * CallStore could not get the conversation's lock: every attempt met a busy database, a
     * deadlock, a serialization failure or a lock wait timeout (or the one attempt made inside
     * the app's own transaction did). Nothing was written; running the request again may work.
     */
    public const CONFLICT = 'conflict';

    public function __construct(
        public readonly string $reason,
        string $message,
        public readonly ?int $index = null,
        ?\Throwable $previous = null,
    ) {
        parent::__construct('talk-call-rules storage: ' . $message, 0, $previous);
    }
}
