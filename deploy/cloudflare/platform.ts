/**
 * Cloudflare Workers. An isolate may serve many requests, but nothing routes two requests to the same
 * one, and a request's timers and streams are its own: each request gets its own app, in tick mode.
 * Workers put no limit on wall-clock time while the client stays connected; what they limit is CPU
 * time per request (`cloudflare-workers-2026` in the platform facts: 30 s by default on the paid
 * plan, up to 300 s with `[limits] cpu_ms`), which wrangler.toml sets. A held SSE stream spends
 * little CPU, so it is the idle client or an intermediary that ends it, not a timer.
 */
import { findLimit } from '../../src/core/platform-facts.js';
import { maxDurationSecondsOf, type HostingAdapter } from '../../src/server/hosting.js';

/** The CPU-time limit per request that wrangler.toml sets, in ms: the paid plan's default. */
export const CLOUDFLARE_CPU_MS = findLimit('cloudflare-workers-2026', 'cpu_time').valueMs;

export const CLOUDFLARE: HostingAdapter = {
  name: 'cloudflare',
  sharedMemory: false,
  maxDurationSeconds: maxDurationSecondsOf('cloudflare-workers-2026'),
  maxDurationSetBy: `the platform (no wall-clock limit; CPU time limited by wrangler.toml [limits] cpu_ms = ${CLOUDFLARE_CPU_MS})`,
  // Measured in workerd (test/integration/deploy-cloudflare-workerd.test.ts): with one app for all
  // requests, a stream fed by a tick timer that another request had armed stopped, and workerd
  // reported "A promise was resolved or rejected from a different request context".
  appPerRequest: true,
};
