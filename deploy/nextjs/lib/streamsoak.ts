/**
 * The reference app behind the Next.js route handlers (App Router). Every route file hands its
 * request to this one handler, so all routes share one app per server instance. On Vercel (and any
 * serverless host) instances share no memory, so tick mode only; the limit of one stream is each
 * streaming route's `export const maxDuration`, which this descriptor states for /api/health.
 */
import { createPlatformHandler, maxDurationSecondsOf, type HostingAdapter } from '../../../src/server/hosting.js';

/**
 * Vercel Hobby's maximum with Fluid compute, which Pro allows too. Must equal the literal
 * `maxDuration` of the streaming routes (Next.js reads those statically; a unit test compares them).
 */
export const NEXTJS_MAX_DURATION_SECONDS = maxDurationSecondsOf('vercel-hobby-fluid-2026');

export const NEXTJS: HostingAdapter = {
  name: 'nextjs',
  sharedMemory: false,
  maxDurationSeconds: NEXTJS_MAX_DURATION_SECONDS,
  maxDurationSetBy: 'export const maxDuration in app/api/calls/events/route.ts (and events/test/route.ts)',
};

export const nextHandler = createPlatformHandler(NEXTJS, () => process.env);
