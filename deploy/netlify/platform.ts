/**
 * Netlify Functions (v2: a default export taking a web `Request` and returning a `Response`, whose
 * body Netlify streams). Instances share no memory between invocations: tick mode only. The time
 * limit is Netlify's own: "Synchronous execution limit: 60 seconds, Configurable: No" (Netlify's
 * functions configuration page), and a streamed response is cut at 20 MB. The guide's 26 s is an
 * older figure; netlify.toml has no setting for it, so this descriptor names the platform.
 */
import type { HostingPlatform } from '../shared/platform-app.js';

export const NETLIFY: HostingPlatform = {
  name: 'netlify',
  sharedMemory: false,
  maxDurationSeconds: 60,
  maxDurationSetBy: 'the platform (synchronous function limit, not configurable in netlify.toml)',
};

/** The routes the function serves (its `config.path`): every endpoint of the guide, and /metrics. */
export const NETLIFY_PATHS = ['/api/*', '/metrics'];
