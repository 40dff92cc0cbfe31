/**
 * Platform profiles: what a hosting plan, proxy or CDN does to a long-lived HTTP response, as data.
 * The platform simulator applies them; a user's profile file has this shape. The built-in profiles
 * are the simulated entries of `platform-facts.ts`, where each limit cites where it comes from.
 *
 * Uses zod (pure JS, no Node API), as platform-facts.ts does. k6 scenarios never import it.
 */
import { z } from 'zod';
import { bufferingSchema, limitMsSchema as ms, limitOf, PLATFORM_FACTS, platformNameSchema, type PlatformFacts } from './platform-facts.js';

// A shape a profile shares with the platform facts, where it is defined.
export { bufferingSchema } from './platform-facts.js';

export const refusalSchema = z
  .object({
    status: z.number().int().min(400).max(599),
    body: z.string().default(''),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const corsSchema = z.union([
  z.literal('pass').describe("the upstream's CORS headers reach the client unchanged"),
  z.literal('strip').describe('Access-Control-* headers are removed, as a misconfigured proxy does'),
  z
    .object({ allowOrigin: z.string().min(1), allowCredentials: z.boolean().default(false) })
    .strict()
    .describe('Access-Control-* headers are replaced by these'),
]);

export const platformProfileSchema = z
  .object({
    name: platformNameSchema,
    description: z.string().min(1),
    /** Where the limits come from: documentation, or the troubleshooting guide. */
    source: z.string().min(1),
    /** The host ends the response this long after it started (a function's time limit). */
    maxDurationMs: ms.optional(),
    /** The host ends the response after this long without a byte from upstream. */
    idleTimeoutMs: ms.optional(),
    buffering: bufferingSchema.default('none'),
    /**
     * Whether an upstream's `X-Accel-Buffering: no` turns the buffering off for that response, as
     * stock nginx does ("Buffering can also be enabled or disabled by passing “yes” or “no” in the
     * X-Accel-Buffering response header field", ngx_http_proxy_module). A CDN does not honour it.
     */
    honourAccelBuffering: z.boolean().default(false),
    /** Concurrent responses past this count are refused with `refusal`. */
    maxConnections: z.number().int().positive().optional(),
    refusal: refusalSchema.default({ status: 503, body: '', headers: {} }),
    cors: corsSchema.default('pass'),
    /** Headers the platform removes from the upstream response (e.g. `x-accel-buffering`). */
    stripResponseHeaders: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type PlatformProfile = z.infer<typeof platformProfileSchema>;
export type PlatformProfileInput = z.input<typeof platformProfileSchema>;

/**
 * A simulated entry of the platform facts as the simulator plays it: its time limits as profile
 * fields, its sources as one citation.
 */
export function createProfileFromFacts(entry: PlatformFacts): PlatformProfile {
  const maxDuration = limitOf(entry, 'max_duration');
  const idleTimeout = limitOf(entry, 'idle_timeout');
  const cites = [...entry.limits.map((limit) => limit.source.cite), ...(entry.source ? [entry.source.cite] : [])];
  return platformProfileSchema.parse({
    name: entry.name,
    description: entry.description,
    source: [...new Set(cites)].join('; '),
    ...(maxDuration ? { maxDurationMs: maxDuration.valueMs } : {}),
    ...(idleTimeout ? { idleTimeoutMs: idleTimeout.valueMs } : {}),
    buffering: entry.buffering,
    honourAccelBuffering: entry.honourAccelBuffering,
    stripResponseHeaders: entry.stripResponseHeaders,
  });
}

/** The simulator's built-in profiles (`--profile <name>`): the simulated platform facts, in their order. */
export const BUILT_IN_PROFILES: ReadonlyMap<string, PlatformProfile> = new Map(
  PLATFORM_FACTS.filter((entry) => entry.simulated).map((entry) => [entry.name, createProfileFromFacts(entry)]),
);
