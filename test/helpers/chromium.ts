/** How the browser tests start Debian's Chromium through playwright-core. */
import { CHROMIUM } from './tools.js';

/**
 * Headless, sandbox off (tests run as root in CI containers), and nothing that talks to the
 * network by itself: a loopback-only test must not fetch updates or sync.
 */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Options for `chromium.launch()` and `chromium.launchPersistentContext()`: spread, then add your own. */
export function chromiumLaunchOptions(): { executablePath: string; args: string[] } {
  return { executablePath: CHROMIUM.path, args: [...CHROMIUM_ARGS] };
}
