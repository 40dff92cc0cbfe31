/**
 * Platform profiles: what a hosting plan, proxy or CDN does to a long-lived HTTP response, as data.
 * The platform simulator applies them; the diagnosis matches measured drops and arrival patterns
 * against their signatures. Each built-in profile cites where its limit comes from.
 *
 * This is the one file of core/ that uses zod (pure JS, no Node API). k6 scenarios never import it.
 */
import { z } from 'zod';
import { MAX_TIMER_MS } from './duration.js';

// Past MAX_TIMER_MS Node's timers fire at once: a bigger limit would cut at 1 ms, not never.
const ms = z.number().int().positive().max(MAX_TIMER_MS, `at most ${MAX_TIMER_MS} ms (~24.8 days), the longest timer Node keeps`);

export const bufferingSchema = z.union([
  z.literal('none').describe('events pass through as they are written'),
  z.literal('until_close').describe('nothing reaches the client before the upstream response ends'),
  z
    .object({ untilBytes: z.number().int().positive() })
    .strict()
    .describe('held back until this many bytes have gathered, then flushed'),
]);

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
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
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

const builtInInputs: readonly PlatformProfileInput[] = [
  {
    name: 'vercel-hobby',
    description: 'Vercel Hobby plan, Node.js runtime: a function runs for at most 10 s, then its stream is cut.',
    source:
      'troubleshooting guide, Issue 1 ("Vercel Hobby Plan: Has 10s max timeout"); vercel.com/docs/functions/limitations, Node.js runtime without Fluid compute: "Hobby: 10s (default)"',
    maxDurationMs: 10_000,
  },
  {
    name: 'vercel-pro',
    description: 'Vercel Pro plan with maxDuration = 300: the stream is cut after 300 s and must reconnect.',
    source:
      'troubleshooting guide, Issue 1 ("supports up to 300s with maxDuration"); vercel.com/docs/functions/limitations: "Pro: 15s (default) - configurable up to 300s"; vercel.com/docs/functions/configuring-functions/duration ("If a function runs for longer than its set maximum duration, Vercel will terminate it")',
    maxDurationMs: 300_000,
  },
  {
    name: 'netlify',
    description: 'Netlify Functions: a synchronous function is cut after 26 s.',
    source: 'troubleshooting guide, Issue 1 ("Netlify: 26s max for serverless functions on Pro plan"); Netlify docs, Functions overview: default deployment options',
    maxDurationMs: 26_000,
  },
  {
    name: 'nginx-default',
    description:
      'nginx as a reverse proxy with stock settings: proxy_buffering on (an upstream that does not send X-Accel-Buffering: no is buffered) and a 60 s proxy_read_timeout.',
    source:
      'nginx docs, ngx_http_proxy_module: proxy_buffering (default on), proxy_buffer_size (one memory page, 4k|8k), proxy_read_timeout (default 60s), X-Accel-Buffering; troubleshooting guide, Issue 2',
    idleTimeoutMs: 60_000,
    // Stock nginx writes a buffered response in proxy_buffer_size blocks (one 4 KiB page on x86-64),
    // the response head included: measured against Debian's nginx 1.22 with 20 ms events, the
    // client got nothing for 0.8 s, then 3,868 bytes with the head, then 4,096-byte blocks. It
    // honours the upstream's X-Accel-Buffering: no, and never passes X-Accel-* headers on to the
    // client (proxy_pass_header).
    buffering: { untilBytes: 4096 },
    honourAccelBuffering: true,
    stripResponseHeaders: ['x-accel-buffering'],
  },
  {
    name: 'cdn-buffering',
    description: 'A CDN or optimiser that caches or transforms responses (Cloudflare Rocket Loader, a cache rule without bypass): events arrive only when the response ends.',
    source: 'troubleshooting guide, Issue 2 ("CloudFlare: Disable Rocket Loader and set cache rules to bypass"; "Other CDNs: Add cache bypass rules")',
    buffering: 'until_close',
  },
  {
    name: 'self-hosted',
    description: 'A Node.js process on a VPS with nothing in front of it: no time limit, no buffering.',
    source: 'troubleshooting guide, Issue 1 ("Self-hosted/VPS: Should work fine with Node.js") and Option B',
  },
];

export const BUILT_IN_PROFILES: ReadonlyMap<string, PlatformProfile> = new Map(
  builtInInputs.map((input) => {
    const profile = platformProfileSchema.parse(input);
    return [profile.name, profile];
  }),
);
