/**
 * What streamsoak knows about hosting platforms, proxies and CDNs: every limit the code uses, once,
 * with its label, value, source and remedy. Everything else derives from this list: the simulator's
 * built-in profiles (`platform-profile.ts`), the platform names and remedies of the diagnosis and
 * `doctor` (`diagnosis/signatures.ts`), the report's lifetime marks (`report/html/data.ts`) and the
 * time limits the hosting adapters report (`deploy/<platform>/`).
 *
 * Two kinds of entry: the platforms the simulator plays (`simulated: true`: `--profile <name>`,
 * and the limits the diagnosis matches measured cuts against), and the platforms the adapters in
 * `deploy/` run on, whose 2026 limits differ from the guide's older figures (Netlify's 60 s, not
 * 26 s) but are not simulator profiles, so that adding them changes neither `--profile` nor a
 * diagnosis.
 *
 * Uses zod (pure JS, no Node API); k6 scenarios never import it.
 */
import { z } from 'zod';
import { MAX_TIMER_MS } from './duration.js';

// Past MAX_TIMER_MS Node's timers fire at once: a bigger limit would cut at 1 ms, not never.
export const limitMsSchema = z
  .number()
  .int()
  .positive()
  .max(MAX_TIMER_MS, `at most ${MAX_TIMER_MS} ms (~24.8 days), the longest timer Node keeps`);

export const bufferingSchema = z.union([
  z.literal('none').describe('events pass through as they are written'),
  z.literal('until_close').describe('nothing reaches the client before the upstream response ends'),
  z
    .object({ untilBytes: z.number().int().positive() })
    .strict()
    .describe('held back until this many bytes have gathered, then flushed'),
]);

export const platformNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');

export const factSourceSchema = z
  .object({
    /** What was read, quoting the words the figure comes from. */
    cite: z.string().min(1),
    /**
     * The day it was read: platforms change their limits (Vercel Hobby went from 10 s to 300 s), so
     * a figure is only as good as its date. For the figures here before issue 16: the day they were
     * committed (2026-11-27), the latest they can have been read.
     */
    readOn: z.iso.date(),
  })
  .strict();

export const LIMIT_KINDS = ['max_duration', 'idle_timeout', 'cpu_time'] as const;

export const limitKindSchema = z.enum(LIMIT_KINDS).describe(
  'max_duration: the response is ended this long after the request reached the platform (a function time limit); ' +
    'idle_timeout: ended after this long without a byte from upstream; ' +
    'cpu_time: the CPU time one request may spend (a held stream spends little, so it is rarely what ends one)',
);

export const platformLimitSchema = z
  .object({
    kind: limitKindSchema,
    // Every kind so far is a time; a kind measured otherwise (a response's bytes, a count of
    // connections) gets its own field with its unit in its name.
    valueMs: limitMsSchema,
    /** How findings name it: `a 10.0 s function limit, as on Vercel Hobby`. */
    label: z.string().min(1),
    source: factSourceSchema,
    /** What to do when a stream meets it, in our words (the guide's facts); absent: the general remedy for its kind. */
    remedy: z.string().min(1).optional(),
    /**
     * A dashed line at this limit on the report's lifetime histogram, under this short name
     * (`Vercel Hobby` → "Vercel Hobby 10 s"); absent: no line. A flag rather than every limit, so
     * the chart keeps a few readable lines however many platforms this list holds.
     */
    mark: z.string().min(1).optional(),
  })
  .strict();

export const platformFactsSchema = z
  .object({
    name: platformNameSchema,
    description: z.string().min(1),
    /** Where the rest of what the entry says (its buffering, that it has no limit) comes from, beyond its limits' own sources. */
    source: factSourceSchema.optional(),
    limits: z.array(platformLimitSchema).default([]),
    /** A built-in simulator profile (`--profile <name>`) whose limits the diagnosis matches measurements against. */
    simulated: z.boolean(),
    buffering: bufferingSchema.default('none'),
    // How the simulator treats a response beyond the limits: the profile fields of these names
    // (platform-profile.ts says what each means).
    honourAccelBuffering: z.boolean().default(false),
    stripResponseHeaders: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .refine((entry) => entry.source !== undefined || entry.limits.length > 0, {
    message: 'cite a source: on a limit, or on the entry for what it says without one',
  })
  .refine((entry) => new Set(entry.limits.map((limit) => limit.kind)).size === entry.limits.length, {
    message: 'at most one limit of each kind: two plans of one host (Vercel Hobby and Pro) are two entries',
    path: ['limits'],
  });

export const platformFactsListSchema = z.array(platformFactsSchema).superRefine((entries, context) => {
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    if (seen.has(entry.name)) context.addIssue({ code: 'custom', message: `"${entry.name}" is listed twice`, path: [index, 'name'] });
    seen.add(entry.name);
  }
});

export type LimitKind = z.infer<typeof limitKindSchema>;
export type FactSource = z.infer<typeof factSourceSchema>;
export type PlatformLimit = z.infer<typeof platformLimitSchema>;
export type PlatformFacts = z.infer<typeof platformFactsSchema>;
export type PlatformFactsInput = z.input<typeof platformFactsSchema>;

const COMMITTED = '2026-11-27';
/** The guide's alternative to holding streams yourself, as the remedies name it. */
export const WEBSOCKET_SERVICES = 'a managed WebSocket service (Pusher, Ably, Supabase Realtime)';

const inputs: readonly PlatformFactsInput[] = [
  {
    name: 'vercel-hobby',
    description: 'Vercel Hobby plan, Node.js runtime: a function runs for at most 10 s, then its stream is cut.',
    simulated: true,
    limits: [
      {
        kind: 'max_duration',
        valueMs: 10_000,
        label: 'Vercel Hobby',
        mark: 'Vercel Hobby',
        source: {
          cite: 'troubleshooting guide, Issue 1 ("Vercel Hobby Plan: Has 10s max timeout"); vercel.com/docs/functions/limitations, Node.js runtime without Fluid compute: "Hobby: 10s (default)"',
          readOn: COMMITTED,
        },
        remedy: `Vercel Hobby will not hold an SSE stream: upgrade to Vercel Pro and export \`maxDuration\` (up to 300 s) from the route, self-host the stream on a VPS, or move to ${WEBSOCKET_SERVICES}`,
      },
    ],
  },
  {
    name: 'vercel-pro',
    description: 'Vercel Pro plan with maxDuration = 300: the stream is cut after 300 s and must reconnect.',
    simulated: true,
    limits: [
      {
        kind: 'max_duration',
        valueMs: 300_000,
        label: 'Vercel Pro with maxDuration = 300',
        mark: 'Vercel Pro maxDuration',
        source: {
          cite: 'troubleshooting guide, Issue 1 ("supports up to 300s with maxDuration"); vercel.com/docs/functions/limitations: "Pro: 15s (default) - configurable up to 300s"; vercel.com/docs/functions/configuring-functions/duration ("If a function runs for longer than its set maximum duration, Vercel will terminate it")',
          readOn: COMMITTED,
        },
        remedy: `this is Vercel Pro's \`maxDuration\` ceiling (300 s): clients must reconnect, so keep EventSource's automatic reconnect and replay missed events from \`Last-Event-ID\`; for streams that must stay open, self-host or use ${WEBSOCKET_SERVICES}`,
      },
    ],
  },
  {
    name: 'netlify',
    description: 'Netlify Functions: a synchronous function is cut after 26 s.',
    simulated: true,
    limits: [
      {
        kind: 'max_duration',
        valueMs: 26_000,
        label: 'Netlify',
        mark: 'Netlify',
        source: {
          cite: 'troubleshooting guide, Issue 1 ("Netlify: 26s max for serverless functions on Pro plan"); Netlify docs, Functions overview: default deployment options',
          readOn: COMMITTED,
        },
        remedy: `Netlify functions stop after 26 s: the guide recommends ${WEBSOCKET_SERVICES}, or self-hosting the stream`,
      },
    ],
  },
  {
    name: 'nginx-default',
    description:
      'nginx as a reverse proxy with stock settings: proxy_buffering on (an upstream that does not send X-Accel-Buffering: no is buffered) and a 60 s proxy_read_timeout.',
    simulated: true,
    source: {
      cite: 'nginx docs, ngx_http_proxy_module: proxy_buffering (default on), proxy_buffer_size (one memory page, 4k|8k), X-Accel-Buffering; troubleshooting guide, Issue 2',
      readOn: COMMITTED,
    },
    limits: [
      {
        kind: 'idle_timeout',
        valueMs: 60_000,
        label: "nginx's default proxy_read_timeout",
        mark: 'nginx proxy_read_timeout',
        source: { cite: 'nginx docs, ngx_http_proxy_module: proxy_read_timeout (default 60s)', readOn: COMMITTED },
      },
    ],
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
    simulated: true,
    source: {
      cite: 'troubleshooting guide, Issue 2 ("CloudFlare: Disable Rocket Loader and set cache rules to bypass"; "Other CDNs: Add cache bypass rules")',
      readOn: COMMITTED,
    },
    buffering: 'until_close',
  },
  {
    name: 'self-hosted',
    description: 'A Node.js process on a VPS with nothing in front of it: no time limit, no buffering.',
    simulated: true,
    source: { cite: 'troubleshooting guide, Issue 1 ("Self-hosted/VPS: Should work fine with Node.js") and Option B', readOn: COMMITTED },
  },
  // The platforms of the hosting adapters in deploy/, as they run in 2026.
  {
    name: 'netlify-functions-2026',
    description: 'Netlify Functions v2 (a streamed Response): a synchronous function is cut after 60 s, and no setting changes that.',
    simulated: false,
    limits: [
      {
        kind: 'max_duration',
        valueMs: 60_000,
        label: 'Netlify Functions',
        source: { cite: 'Netlify docs, functions configuration: "Synchronous execution limit: 60 seconds, Configurable: No"', readOn: COMMITTED },
      },
    ],
  },
  {
    name: 'vercel-hobby-fluid-2026',
    description: 'Vercel Functions on the Node.js runtime with Fluid compute, Hobby plan: maxDuration 300 s by default and at most.',
    simulated: false,
    limits: [
      {
        kind: 'max_duration',
        valueMs: 300_000,
        label: 'Vercel Hobby with Fluid compute',
        source: {
          cite: 'vercel.com/docs/functions/limitations, Fluid compute: Hobby 300 s default and maximum, Pro and Enterprise up to 800 s',
          readOn: COMMITTED,
        },
      },
    ],
  },
  {
    name: 'cloudflare-workers-2026',
    description:
      'Cloudflare Workers, paid plan: no wall-clock limit while the client stays connected; 30 s of CPU time per request by default, up to 300 s with [limits] cpu_ms (10 ms on the free plan).',
    simulated: false,
    limits: [
      {
        kind: 'cpu_time',
        valueMs: 30_000,
        label: 'Cloudflare Workers (paid plan)',
        source: {
          cite: 'Cloudflare Workers docs, limits: CPU time 30 s per request by default on the paid plan, configurable up to 300 s (cpu_ms), 10 ms on the free plan; no limit on wall-clock duration while the client is connected',
          readOn: COMMITTED,
        },
      },
    ],
  },
];

/** Every platform streamsoak knows, in the order the simulator lists its profiles and the diagnosis matches them. */
export const PLATFORM_FACTS: readonly PlatformFacts[] = platformFactsListSchema.parse(inputs);

/** The entry named `name`; throws when there is none (a typo in code, not in user input). */
export function findPlatformFacts(name: string, facts: readonly PlatformFacts[] = PLATFORM_FACTS): PlatformFacts {
  const entry = facts.find((candidate) => candidate.name === name);
  if (entry === undefined) throw new RangeError(`no platform "${name}" in the platform facts; known: ${facts.map((f) => f.name).join(', ')}`);
  return entry;
}

/** The entry's limit of `kind`, if it has one. */
export function limitOf(entry: PlatformFacts, kind: LimitKind): PlatformLimit | undefined {
  return entry.limits.find((limit) => limit.kind === kind);
}

/** The limit of `kind` of the entry named `name`; throws when there is none. */
export function findLimit(name: string, kind: LimitKind, facts: readonly PlatformFacts[] = PLATFORM_FACTS): PlatformLimit {
  const limit = limitOf(findPlatformFacts(name, facts), kind);
  if (limit === undefined) throw new RangeError(`the platform facts give "${name}" no ${kind} limit`);
  return limit;
}

/** A limit's value as findings and the report quote it: `60 s`, `26 s`. */
export function formatLimitValue(limit: PlatformLimit): string {
  return `${limit.valueMs / 1_000} s`;
}
