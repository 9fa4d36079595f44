<?php

declare(strict_types=1);

namespace OCA\TalkCallRules\Tests;

use OCA\TalkCallRules\CallRules;
use OCA\TalkCallRules\CallRulesUnavailable;
use OCA\TalkCallRules\Tests\Support\TinyWasm;
use PHPUnit\Framework\TestCase;

/** Every way the bridge cannot run is reported precisely, and never as a fatal error. */
final class UnavailableTest extends TestCase
{
    /** @var list<string> */
    private array $temp = [];

    protected function tearDown(): void
    {
        foreach ($this->temp as $f) {
            @unlink($f);
        }
    }

    private function tempFile(string $bytes, string $suffix): string
    {
        $f = tempnam(sys_get_temp_dir(), 'tcr-') . $suffix;
        file_put_contents($f, $bytes);
        $this->temp[] = $f;
        return $f;
    }

    private function assertUnavailable(string $reason, string $contains, ?string $wasm, ?string $lib = null): void
    {
        $a = CallRules::check($wasm, $lib);
        self::assertFalse($a->available);
        self::assertSame($reason, $a->reason, (string) $a);
        self::assertStringContainsString($contains, $a->detail);
        try {
            new CallRules($wasm, $lib);
            self::fail('constructed');
        } catch (CallRulesUnavailable $e) {
            self::assertSame($reason, $e->reason);
        }
    }

    public function testMissingRuntimeLibrary(): void
    {
        $this->assertUnavailable(CallRulesUnavailable::RUNTIME_MISSING, 'does not exist', null, '/nonexistent/libwasmi.so');
    }

    public function testRuntimeLibraryThatIsNotALibrary(): void
    {
        $lib = $this->tempFile("not an ELF file\n", '.so');
        $this->assertUnavailable(CallRulesUnavailable::RUNTIME_MISSING, 'cannot load', null, $lib);
    }

    public function testMissingWasm(): void
    {
        $this->assertUnavailable(CallRulesUnavailable::WASM_MISSING, 'does not exist', sys_get_temp_dir() . '/no-such-module.wasm');
    }

    public function testWasmThatIsNotWasm(): void
    {
        $this->assertUnavailable(CallRulesUnavailable::WASM_INVALID, 'not a WebAssembly binary', $this->tempFile('<html>', '.wasm'));
        $this->assertUnavailable(CallRulesUnavailable::WASM_INVALID, 'compile', $this->tempFile("\0asm\x01\0\0\0\x01\xff", '.wasm'));
    }

    public function testWasmWithoutTheCAbi(): void
    {
        $wasm = $this->tempFile(TinyWasm::module(['something_else' => [0, 1]]), '.wasm');
        $this->assertUnavailable(CallRulesUnavailable::WASM_VERSION, 'lacks the C-ABI exports', $wasm);
    }

    /** The wasm.h fallback checks each export's types against Facts::ABI when it loads the module. */
    public function testWasmWithExportsOfOtherTypes(): void
    {
        $lib = dirname(__DIR__, 2) . '/target/php-runtime/release/libwasmi.so';
        if (!is_file($lib)) {
            self::markTestSkipped("{$lib} is not built");
        }
        $json = '{"crate":"talk-call-rules","talkApi":"v4","serverParity":"talk-18","abi":1}';
        $ok = $this->tempFile(TinyWasm::impostor(1, $json), '.wasm');
        $a = CallRules::check($ok, $lib);
        self::assertTrue($a->available, (string) $a);
        $i32 = $this->tempFile(TinyWasm::impostor(1, $json, ['tcr_allowed_actions' => ['i32', 'i32', 'i32', 'i32']]), '.wasm');
        $this->assertUnavailable(
            CallRulesUnavailable::WASM_VERSION,
            'C-ABI exports of other types: tcr_allowed_actions(i32, i32, i32, i32) -> i32 instead of tcr_allowed_actions(i32, i32, i32, i64) -> i32',
            $i32,
            $lib
        );
    }

    public function testWrongAbiVersion(): void
    {
        $json = '{"crate":"talk-call-rules","talkApi":"v4","serverParity":"talk-18","abi":2}';
        $wasm = $this->tempFile(TinyWasm::impostor(2, $json), '.wasm');
        $this->assertUnavailable(CallRulesUnavailable::WASM_VERSION, 'C-ABI version 2', $wasm);
    }

    public function testWrongTalkApiOrServerParity(): void
    {
        $ok = TinyWasm::impostor(1, '{"crate":"talk-call-rules","talkApi":"v4","serverParity":"talk-18","abi":1}');
        $a = CallRules::check($this->tempFile($ok, '.wasm'));
        self::assertTrue($a->available, (string) $a);

        $v5 = TinyWasm::impostor(1, '{"crate":"talk-call-rules","talkApi":"v5","serverParity":"talk-18","abi":1}');
        $this->assertUnavailable(CallRulesUnavailable::WASM_VERSION, 'talkApi "v5"', $this->tempFile($v5, '.wasm'));
        $t19 = TinyWasm::impostor(1, '{"crate":"talk-call-rules","talkApi":"v4","serverParity":"talk-19","abi":1}');
        $this->assertUnavailable(CallRulesUnavailable::WASM_VERSION, 'serverParity "talk-19"', $this->tempFile($t19, '.wasm'));
    }

    /** @return array{0:int,1:?array,2:string} */
    private function checkInSubprocess(string $phpArgs): array
    {
        $code = 'require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ';'
            . '$a = \OCA\TalkCallRules\CallRules::check();'
            . 'echo json_encode(["available" => $a->available, "reason" => $a->reason, "detail" => $a->detail]);';
        $cmd = escapeshellarg(PHP_BINARY) . ' ' . $phpArgs . ' -r ' . escapeshellarg($code) . ' 2>&1';
        exec($cmd, $out, $rc);
        $text = implode("\n", $out);
        return [$rc, json_decode($text, true), $text];
    }

    public function testFfiDisabledByIni(): void
    {
        [$rc, $a, $text] = $this->checkInSubprocess('-d ffi.enable=0');
        self::assertSame(0, $rc, $text);
        self::assertFalse($a['available'], $text);
        self::assertSame(CallRulesUnavailable::FFI_DISABLED, $a['reason'], $text);
        self::assertStringContainsString('ffi.enable', $a['detail']);
    }

    public function testFfiExtensionMissing(): void
    {
        // -n: no php.ini, so no shared extensions (Debian builds FFI as a shared one).
        exec(escapeshellarg(PHP_BINARY) . ' -n -r ' . escapeshellarg('echo extension_loaded("ffi") ? "yes" : "no";'), $out);
        if (($out[0] ?? '') !== 'no') {
            self::markTestSkipped('FFI is compiled into this PHP binary; cannot unload it');
        }
        [$rc, $a, $text] = $this->checkInSubprocess('-n');
        self::assertSame(0, $rc, $text);
        self::assertSame(CallRulesUnavailable::FFI_MISSING, $a['reason'], $text);
    }

    public function testEnabledInSubprocess(): void
    {
        [$rc, $a, $text] = $this->checkInSubprocess('-d ffi.enable=preload');
        self::assertSame(0, $rc, $text);
        self::assertTrue($a['available'], $text);
    }
}
