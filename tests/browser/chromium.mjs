// The one way the browser tests start Chromium: Debian's /usr/bin/chromium (or $CHROMIUM) driven
// by playwright-core, never a downloaded browser, with the flags this network-less machine needs
// as root (playwright-core adds a fresh temporary profile, --user-data-dir, itself).
import { chromium } from 'playwright-core';

export const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARGS = [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
];
/** How long one browser run may take before it is abandoned. */
export const TIMEOUT_MS = Number(process.env.TCR_BROWSER_TIMEOUT_MS || 180000);

/** Launches headless Chromium. */
export function launchChromium() {
	return chromium.launch({ executablePath: EXECUTABLE, headless: true, chromiumSandbox: false, args: ARGS });
}
