/**
 * Netlify Functions (v2: a default export taking a web `Request` and returning a `Response`, whose
 * body Netlify streams). Instances share no memory between invocations: tick mode only. The time
 * limit is Netlify's own, `netlify-functions-2026` in the platform facts (60 s, not configurable),
 * and a streamed response is cut at 20 MB. The guide's 26 s (the simulator's `netlify` profile) is
 * an older figure; netlify.toml has no setting for it, so this descriptor names the platform.
 */
import { maxDurationSecondsOf, type HostingAdapter } from '../../src/server/hosting.js';

export const NETLIFY: HostingAdapter = {
  name: 'netlify',
  sharedMemory: false,
  maxDurationSeconds: maxDurationSecondsOf('netlify-functions-2026'),
  maxDurationSetBy: 'the platform (synchronous function limit, not configurable in netlify.toml)',
};

/** The routes the function serves (its `config.path`): every endpoint of the guide, and /metrics. */
export const NETLIFY_PATHS = ['/api/*', '/metrics'];
