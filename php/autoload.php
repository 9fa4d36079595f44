<?php

declare(strict_types=1);

// PSR-4 autoloader for OCA\TalkCallRules\ => php/src/ (for use without Composer;
// a Nextcloud app maps the same prefix in its composer.json or appinfo autoloader).
spl_autoload_register(static function (string $class): void {
    $prefix = 'OCA\\TalkCallRules\\';
    if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
        return;
    }
    $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    if (is_file($file)) {
        require $file;
    }
});
