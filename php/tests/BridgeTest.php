<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\CallRulesTrapped;
use OCA\TalkCallRules\Internal\Library;
use OCA\TalkCallRules\Tests\Support\Probe;
use PHPUnit\Framework\TestCase;

final class BridgeTest extends TestCase
{
    public function testVersion(): void
    {
        $r = new CallRules();
        $v = $r->version();
        self::assertSame('talk-call-rules', $v['crate']);
        self::assertSame('v4', $v['talkApi']);
        self::assertSame('talk-18', $v['serverParity']);
        self::assertSame(CallRules::ABI_VERSION, $v['abi']);
        self::assertSame($v, json_decode($r->versionJson(), true));
        self::assertSame(1, $r->callExport('tcr_abi_version'));
    }

    public function testCheckSaysAvailable(): void
    {
        $a = CallRules::check();
        self::assertTrue($a->available, (string) $a);
        self::assertNull($a->reason);
        self::assertSame('v4', $a->version['talkApi']);
    }

    public function testEvaluateArraysAndJsonTwinAgree(): void
    {
        $r = new CallRules();
        [$request, $state] = Probe::joinPayload();
        $o = $r->evaluate($request, $state);
        self::assertSame(200, $o['status']);
        self::assertSame('ok', $o['reason']);
        self::assertSame('OK', $o['message']);
        self::assertSame([], $o['data']);
        self::assertNotEmpty($o['mutations']);
        self::assertContains('notifyCallStarted', array_column($o['effects'], 'type'));
        // Plain json_encode writes the empty users map as [] (bad-input); the array API writes {}.
        $bad = json_decode($r->evaluateJson(json_encode($request), json_encode($state)), true);
        self::assertSame('bad-input', $bad['reason']);
        $viaJson = json_decode($r->evaluateJson(json_encode($request), json_encode(['users' => new \stdClass()] + $state)), true);
        self::assertSame($o, $viaJson);

        $after = $r->apply($state, $o['mutations']);
        self::assertSame(7, $after['room']['callFlag']);
        self::assertSame(1700000000, $after['room']['activeSince']);
        self::assertSame(7, $after['sessions'][0]['inCall']);
        self::assertSame(0, $state['room']['callFlag'], 'apply leaves its input untouched');

        $env = $r->ocs($o);
        self::assertSame(['ocs' => ['meta' => ['status' => 'ok', 'statuscode' => 200, 'message' => 'OK'], 'data' => []]], $env);
        self::assertSame($env, json_decode($r->ocsJson(json_encode($o)), true));
    }

    public function testEmptyPhpArraysBecomeObjectsWhereTheContractWantsThem(): void
    {
        $r = new CallRules();
        [$request, $state] = Probe::joinPayload();
        $request['body'] = [];
        $state['users'] = [];
        $state['config'] = [];
        $o = $r->evaluate($request, $state);
        self::assertSame(200, $o['status'], json_encode($o));
        // Unknown fields survive apply.
        $state['room']['somethingElse'] = ['nested' => [1, 2.5, 'x']];
        $after = $r->apply($state, [['op' => 'updateRoom', 'set' => ['callFlag' => 3]]]);
        self::assertSame(['nested' => [1, 2.5, 'x']], $after['room']['somethingElse']);
        self::assertSame(3, $after['room']['callFlag']);
        $same = $r->apply($state, [['op' => 'updateRoom', 'set' => []]]);
        self::assertSame($state['room']['callFlag'], $same['room']['callFlag']);
    }

    public function testBadDataIsAnOutcomeNeverAnException(): void
    {
        $r = new CallRules();
        foreach ([['not json', '{}'], ['{}', '[1,2'], ['', ''], ["\xff\xfe", '{}']] as [$req, $st]) {
            $o = json_decode($r->evaluateJson($req, $st), true);
            self::assertSame(400, $o['status']);
            self::assertSame('bad-input', $o['reason']);
            self::assertSame('bad-input', $o['data']['error']);
            self::assertSame([], $o['mutations']);
        }
        // Not encodable by PHP (invalid UTF-8 in an array) → bad-input, not an exception.
        [$request, $state] = Probe::joinPayload();
        $request['actor']['userId'] = "\xff";
        $o = $r->evaluate($request, $state);
        self::assertSame('bad-input', $o['reason']);
        self::assertStringContainsString('not encodable', $o['data']['detail']);
        // Beyond the module's input limit.
        $huge = str_repeat(' ', 17 * 1024 * 1024);
        $o = json_decode($r->evaluateJson('{}', $huge), true);
        self::assertSame('bad-input', $o['reason']);
        $e = json_decode($r->ocsJson($huge), true);
        self::assertSame(400, $e['ocs']['meta']['statuscode']);
        // apply with bad mutations answers a bad-input Outcome.
        $o = $r->apply($state, [['op' => 'explode']]);
        self::assertSame('bad-input', $o['reason'] ?? null, json_encode($o));
        // Still working afterwards.
        self::assertSame(200, $r->evaluate(...Probe::joinPayload())['status']);
    }

    public function testLargeInputGrowsMemoryAndViewsAreReRead(): void
    {
        $r = new CallRules();
        [$request, $state] = Probe::joinPayload();
        $small = $r->evaluate($request, $state);
        // Thousands of rows: the module's memory grows (and may move) during the call.
        for ($i = 100; $i < 20100; $i++) {
            $state['attendees'][] = ['attendeeId' => $i, 'actorType' => 'users', 'actorId' => "u{$i}", 'displayName' => "User {$i}",
                'participantType' => 3, 'permissions' => 0, 'lastJoinedCall' => null, 'notificationCalls' => 1,
                'phoneNumber' => null, 'callId' => null];
            $state['sessions'][] = ['sessionId' => "s{$i}", 'attendeeId' => $i, 'inCall' => 0, 'lastPing' => 1700000000];
        }
        $big = $r->evaluate($request, $state);
        self::assertSame(200, $big['status'], json_encode($big['data']));
        $ids = array_merge(...array_column(array_filter($big['effects'], static fn ($e) => $e['type'] === 'notifyCallStarted'), 'attendeeIds'));
        self::assertGreaterThan(20000, count($ids));
        self::assertSame($small, $r->evaluate(...Probe::joinPayload()));
    }

    public function testTrapRaisesTypedExceptionAndTheBridgeRecovers(): void
    {
        $r = new CallRules();
        [$request, $state] = Probe::joinPayload();
        $before = $r->evaluate($request, $state);
        // `version` is a wasm-bindgen export: it calls the JS glue, which traps here.
        try {
            $r->callExport('version');
            self::fail('no trap');
        } catch (CallRulesTrapped $e) {
            self::assertSame('version', $e->export);
            self::assertTrue($e->rebuilt);
            self::assertStringContainsString('JavaScript import', $e->getMessage());
        }
        self::assertSame($before, $r->evaluate($request, $state));
        for ($i = 0; $i < 3; $i++) {
            try {
                $r->callExport('evaluate', 0, 0);
            } catch (CallRulesTrapped) {
            }
        }
        self::assertSame($before, $r->evaluate($request, $state));
    }

    public function testOneFfiObjectPerLibrary(): void
    {
        $first = new CallRules();
        $loaded = new \ReflectionProperty(Library::class, 'loaded');
        $before = $loaded->getValue();
        $bridges = [];
        for ($i = 0; $i < 5; $i++) {
            $bridges[] = new CallRules();
        }
        self::assertSame($before, $loaded->getValue());
        self::assertSame($first->version(), $bridges[4]->version());
    }

    public function testClosedBridgeRefusesCalls(): void
    {
        $r = new CallRules();
        $r->close();
        $r->close();
        $this->expectException(\LogicException::class);
        $r->versionJson();
    }

    public function testDefaultPathsAndOverride(): void
    {
        $repo = dirname(__DIR__, 2);
        if (getenv(CallRules::ENV_WASM) === false || getenv(CallRules::ENV_WASM) === '') {
            self::assertSame($repo . '/pkg/talk_call_rules_bg.wasm', CallRules::defaultWasmPath());
        }
        $copy = tempnam(sys_get_temp_dir(), 'tcr-') . '.wasm';
        copy(CallRules::defaultWasmPath(), $copy);
        try {
            $r = new CallRules($copy);
            self::assertSame($copy, $r->wasmPath());
            self::assertSame('v4', $r->version()['talkApi']);
        } finally {
            unset($r);
            unlink($copy);
        }
    }

    public function testAllowedActionsAgreeWithEvaluateAndExplain(): void
    {
        $r = new CallRules();
        $dir = dirname(__DIR__, 2) . '/tests/conformance';
        $checked = 0;
        foreach (['ring.json', 'lobby.json', 'sip-dialout.json', 'recording-consent.json'] as $file) {
            $cases = json_decode((string) file_get_contents("{$dir}/{$file}"), true);
            foreach ($cases as $case) {
                foreach ($case['steps'] ?? [$case] as $step) {
                    if (!isset($step['request'])) {
                        continue;
                    }
                    $actor = $step['request']['actor'];
                    $now = $step['request']['now'];
                    $map = $r->allowedActions($case['state'], $actor, $now);
                    self::assertArrayHasKey('join', $map, json_encode($map));
                    $entries = [$map['join'], $map['updateFlags'], $map['leave'], $map['endForEveryone'], $map['peers'], ...$map['ring'], ...$map['dialOut']];
                    foreach ($entries as $e) {
                        $o = $r->evaluate($e['request'] + ['actor' => $actor, 'now' => $now], $case['state']);
                        self::assertSame([$o['status'], $o['reason']], [$e['status'], $e['reason']], "{$file}: " . json_encode($e['request']));
                        self::assertSame($e['explanation'], $r->explain($o)['explanation']);
                        $checked++;
                    }
                }
            }
        }
        self::assertGreaterThan(100, $checked);
    }

    public function testAllowedActionsModelTheGivenBodies(): void
    {
        $r = new CallRules();
        $state = [
            'config' => ['recordingConsent' => 1],
            'room' => ['token' => 'opts1234', 'type' => 2],
            'attendees' => [['attendeeId' => 1, 'actorType' => 'users', 'actorId' => 'alice', 'participantType' => 1]],
            'sessions' => [['sessionId' => 's1', 'attendeeId' => 1, 'inCall' => 0, 'lastPing' => 1700000000]],
        ];
        $actor = ['userId' => 'alice', 'sessionId' => 's1'];
        self::assertSame('consent', $r->allowedActions($state, $actor, 1700000000)['join']['reason']);
        $map = $r->allowedActions($state, $actor, 1700000000, ['join' => ['recordingConsent' => true]]);
        self::assertTrue($map['join']['allowed']);
        self::assertTrue($map['join']['startsCall']);
        self::assertSame(254, $map['caller']['permissions']);
        self::assertSame('bad-input', $r->allowedActions($state, $actor, -1)['reason']);
        self::assertSame('The lobby is active and you are not a moderator.', $r->explain(['status' => 412, 'reason' => 'lobby'])['explanation']);
    }
}

