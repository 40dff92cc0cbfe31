/**
 * Vercel Functions on the Node.js runtime. Each invocation may land on another instance (Fluid
 * compute reuses instances, but nothing guarantees two requests share one), so only tick mode is
 * served. The time limit of one stream is the function's `maxDuration`, set in vercel.json; this
 * descriptor states the same value, reported by /api/health so `doctor` can compare it with the cut
 * it measures. To change it, edit `VERCEL_MAX_DURATION_SECONDS` here and run
 * `npx tsx deploy/vercel/write-config.ts`, which rewrites vercel.json from `formatVercelConfig`.
 */
import { findLimit } from '../../src/core/platform-facts.js';
import type { HostingAdapter } from '../../src/server/hosting.js';

/** The function file, relative to this folder (the Vercel project's root directory). */
export const VERCEL_FUNCTION = 'api/streamsoak.ts';

/**
 * Hobby's default and maximum with Fluid compute (300 s; Pro and Enterprise up to 800 s). The
 * guide's "Hobby cuts at 10 s" is the older limit (the `vercel-hobby` profile): set 10 here to
 * reproduce it.
 */
export const VERCEL_MAX_DURATION_SECONDS = findLimit('vercel-hobby-fluid-2026', 'max_duration').valueMs / 1_000;

export const VERCEL: HostingAdapter = {
  name: 'vercel',
  sharedMemory: false,
  maxDurationSeconds: VERCEL_MAX_DURATION_SECONDS,
  maxDurationSetBy: `vercel.json functions["${VERCEL_FUNCTION}"].maxDuration`,
};

/** vercel.json for a given maxDuration: every path the guide's endpoints use goes to the one function. */
export function formatVercelConfig(maxDurationSeconds: number): string {
  if (!Number.isInteger(maxDurationSeconds) || maxDurationSeconds < 1 || maxDurationSeconds > 800) {
    throw new RangeError(`maxDuration must be a whole number of seconds from 1 to 800, got ${maxDurationSeconds}`);
  }
  const config = {
    $schema: 'https://openapi.vercel.sh/vercel.json',
    // The project's root directory is deploy/vercel; the function imports the reference server from
    // the repository's src/, whose dependencies (hono, jose, zod) are installed at the repository root.
    installCommand: 'npm ci --prefix ../..',
    functions: { [VERCEL_FUNCTION]: { maxDuration: maxDurationSeconds } },
    // A rewrite keeps the URL the client asked for, so the app routes on /api/calls/events etc.
    rewrites: [
      { source: '/api/:path*', destination: '/api/streamsoak' },
      { source: '/metrics', destination: '/api/streamsoak' },
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
