<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests\Support;

use OCA\TalkCallRules\CallRules;

/** Shared helpers of the tests. */
final class Probe
{
    /** Resident set size of this process in bytes (VmRSS of /proc/self/status). */
    public static function rss(): int
    {
        $status = @file_get_contents('/proc/self/status');
        if ($status !== false && preg_match('/^VmRSS:\s+(\d+)\s+kB/m', $status, $m)) {
            return (int) $m[1] * 1024;
        }
        return -1;
    }

    /** A request and state that exercise a full join (mutations and effects). */
    public static function joinPayload(): array
    {
        $request = [
            'method' => 'POST',
            'path' => '/call/abc123',
            'body' => ['flags' => 7, 'silent' => false],
            'actor' => ['userId' => 'alice', 'sessionId' => 'session-alice'],
            'now' => 1700000000,
        ];
        $state = [
            'config' => ['startCalls' => 0, 'allowedGroups' => [], 'recordingConsent' => 0, 'defaultPermissions' => null, 'signaling' => 'external'],
            'room' => [
                'token' => 'abc123', 'type' => 2, 'readOnly' => 0, 'lobbyState' => 0, 'lobbyTimer' => null,
                'objectType' => '', 'callFlag' => 0, 'activeSince' => null, 'activeGuests' => 0,
                'defaultPermissions' => 0, 'callPermissions' => 0, 'recordingConsent' => 0,
                'callRecording' => 0, 'breakoutRoomMode' => 0, 'breakoutRoomStatus' => 0,
            ],
            'attendees' => [],
            'sessions' => [],
            'foreignAttendees' => [],
            'users' => [],
        ];
        foreach (['alice', 'bob', 'carol', 'dave'] as $i => $u) {
            $state['attendees'][] = [
                'attendeeId' => $i + 1, 'actorType' => 'users', 'actorId' => $u, 'displayName' => ucfirst($u),
                'participantType' => $i === 0 ? 1 : 3, 'permissions' => 0, 'lastJoinedCall' => null,
                'notificationCalls' => 1, 'phoneNumber' => null, 'callId' => null,
            ];
            $state['sessions'][] = ['sessionId' => "session-{$u}", 'attendeeId' => $i + 1, 'inCall' => 0, 'lastPing' => 1700000000];
        }
        return [$request, $state];
    }

    /**
     * Runs $fn and collects the E_USER_WARNINGs it raises (PHPUnit would turn the first one
     * into an error).
     *
     * @template T
     * @param callable(): T $fn
     * @param-out list<string> $warnings
     * @return T
     */
    public static function collectWarnings(callable $fn, ?array &$warnings): mixed
    {
        $warnings = [];
        set_error_handler(static function (int $no, string $message) use (&$warnings): bool {
            $warnings[] = $message;
            return true;
        }, E_USER_WARNING);
        try {
            return $fn();
        } finally {
            restore_error_handler();
        }
    }

    public static function wasmPath(): string
    {
        return CallRules::defaultWasmPath();
    }
}
