/**
 * Cloudflare Workers. An isolate may serve many requests, but nothing routes two requests to the same
 * one, and a request's timers and streams are its own: each request gets its own app, in tick mode.
 * Workers put no limit on wall-clock time while the client stays connected; what they limit is CPU
 * time per request: 30 s by default on the paid plan, up to 300 s with `[limits] cpu_ms` (10 ms on
 * the free plan), which wrangler.toml sets. A held SSE stream spends little CPU, so it is the idle
 * client or an intermediary that ends it, not a timer.
 */
import type { HostingPlatform } from '../shared/platform-app.js';

/** The CPU-time limit per request that wrangler.toml sets, in ms. */
export const CLOUDFLARE_CPU_MS = 30_000;

export const CLOUDFLARE: HostingPlatform = {
  name: 'cloudflare',
  sharedMemory: false,
  maxDurationSeconds: null,
  maxDurationSetBy: `the platform (no wall-clock limit; CPU time limited by wrangler.toml [limits] cpu_ms = ${CLOUDFLARE_CPU_MS})`,
  // Measured in workerd (test/integration/deploy-cloudflare-workerd.test.ts): with one app for all
  // requests, a stream fed by a tick timer that another request had armed stopped, and workerd
  // reported "A promise was resolved or rejected from a different request context".
  appPerRequest: true,
};
