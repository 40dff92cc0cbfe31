/**
 * A load plan: one zod schema, validated once at the boundary (STYLE.md). Types are inferred from it.
 * Durations accept k6's `30s`/`5m` strings or milliseconds. An invalid plan throws
 * `InvalidConfigError` naming every bad field (exit 2 in the CLI).
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDocument } from 'yaml';
import { parseDurationMs } from '../core/duration.js';
import { isJsonPointer, mappingCrossProblems, mappingFieldProblem, TIME_UNITS } from '../core/event-mapping.js';
import { InvalidConfigError } from '../core/errors.js';
import { METRIC_NAMES } from '../core/metric-names.js';
import { parseThresholdExpression, parseThresholdMetricKey } from '../core/thresholds.js';
import { parseOrThrow } from '../core/validate.js';

/** A run must stop by itself: DESIGN.md, "Safety". */
export const MAX_RUN_DURATION_MS = 24 * 3_600_000;

// Messages leave the field out: the error's path names it.
function durationMs(options: { min?: number; max?: number } = {}) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const parsed = parseDurationMs(value);
    if (parsed === undefined) {
      const shown = String(value).length > 40 ? `${String(value).slice(0, 40)}…` : String(value);
      ctx.addIssue({ code: 'custom', message: `"${shown}" is not a duration (e.g. 500ms, 30s, 5m, 1h30m)` });
      return z.NEVER;
    }
    // A timeout or a wait longer than the longest run means nothing (and past 2^31 ms Node's timers
    // fire at once): "1e300" or 400 digits is garbage, not "never".
    if (options.max === undefined && !(parsed <= MAX_RUN_DURATION_MS)) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_RUN_DURATION_MS} ms (24h), longer than any run` });
      return z.NEVER;
    }
    if (options.min !== undefined && parsed < options.min) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${options.min} ms` });
      return z.NEVER;
    }
    if (options.max !== undefined && parsed > options.max) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${options.max} ms (24h): every run is bounded` });
      return z.NEVER;
    }
    return parsed;
  });
}

/** The reference server's paths: what a bare origin means (DESIGN.md, "The reference server"). */
export const REFERENCE_SSE_PATH = '/api/calls/events';
export const REFERENCE_POLL_PATH = '/api/calls/poll';

/**
 * Why `text` cannot be a target URL, or the parsed URL. The WHATWG parser is forgiving where a
 * load target must not be: it drops tabs and newlines, keeps `user:pass@` (which undici would send
 * nowhere useful) and a `#fragment` (never sent), so those are refused here with what is allowed.
 */
function parseTargetUrl(text: string): URL | string {
  const shown = text.length > 60 ? `"${text.slice(0, 60)}…"` : `"${text}"`;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return `${shown} has spaces or control characters: give an http:// or https:// URL`;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const port = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:(\d+)(?:[/?#]|$)/i.exec(text)?.[1];
    if (port !== undefined && Number(port) > 65_535) return `${shown}: the port must be from 1 to 65535`;
    return `${shown} is not a URL: give an http:// or https:// URL with a host, e.g. http://127.0.0.1:8080/sub/room1`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${shown}: the scheme must be http or https, not ${url.protocol.slice(0, -1).slice(0, 20)}`;
  if (url.hostname === '') return `${shown} has no host: give an http:// or https:// URL with a host`;
  if (url.username !== '' || url.password !== '') {
    return 'credentials in the URL are not sent: remove user:password@ and give a token (--token, auth.token) or a header (target.headers)';
  }
  if (text.includes('#')) return `${shown} has a #fragment, which is never sent to a server: remove it`;
  return url;
}

/** The events URL itself (`target.url`, `--url`): any path and query; a bare origin means the reference server's paths. */
const targetUrl = z.string().transform((text, ctx) => {
  const url = parseTargetUrl(text);
  if (typeof url === 'string') {
    ctx.addIssue({ code: 'custom', message: url });
    return z.NEVER;
  }
  return url;
});

/** `target.baseUrl`: an origin only (scheme, host, port); the paths are `ssePath` and `pollPath`. */
const originUrl = z.string().transform((text, ctx) => {
  const url = parseTargetUrl(text);
  if (typeof url === 'string') {
    ctx.addIssue({ code: 'custom', message: url });
    return z.NEVER;
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '') {
    ctx.addIssue({ code: 'custom', message: 'an origin without a path or query (http://host:port); give the events URL itself as target.url (--url)' });
    return z.NEVER;
  }
  return url.origin;
});

const path = z.string().startsWith('/', 'a path starting with "/"');
// What goes into a request header must be one: undici refuses the rest only when it sends.
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "an HTTP header name (letters, digits, !#$%&'*+-.^_`|~)");
const headerValue = z.string().refine((value) => !/[\r\n\0]/.test(value), 'one line: no CR, LF or NUL in a header value');

const targetSchema = z
  .object({
    /**
     * The events URL, path and query included (`http://127.0.0.1:8080/sub/room1?x=1`), as a user
     * has it: its origin is the target, its path and query the SSE request. A bare origin means the
     * reference server's paths. Give this or `baseUrl`.
     */
    url: targetUrl.optional(),
    /** The target's origin (`http://host:port`), with `ssePath` and `pollPath` beside it. */
    baseUrl: originUrl.optional(),
    /** The SSE request's path (and query); default: the events URL's, else the reference server's. */
    ssePath: path.optional(),
    pollPath: path.default(REFERENCE_POLL_PATH),
    /** The target's clock (`{ now }`, epoch ms), for clock-offset estimation across machines. */
    timePath: path.default('/api/time'),
    /** Extra query parameters on both endpoints, e.g. `{ mode: 'tick', interval: '1000' }`. */
    query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
    /** Sent as the `Origin` header: the response's `access-control-allow-origin` is recorded. */
    origin: headerValue.pipe(z.string().min(1)).optional(),
    headers: z.record(headerName, headerValue).default({}),
    /**
     * How often the target sends an event on each stream, when known (the diagnosis tells a silent
     * stream from a sparse one by it). Defaults to the reference server's `?interval=` query.
     */
    expectedIntervalMs: durationMs({ min: 1 }).optional(),
    /**
     * The target runs behind a time-scaled platform simulator (`streamsoak proxy --time-scale`):
     * the diagnosis matches limits at this scale (0.1: Vercel Hobby's 10 s is a cut at 1 s).
     */
    timeScale: z.number().positive().max(1_000).optional(),
  })
  .strict()
  .transform((target, ctx) => {
    const { url, baseUrl, ssePath, ...rest } = target;
    if (url === undefined && baseUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'required: the events URL (http://host:port/path?query), or target.baseUrl with target.ssePath' });
      return z.NEVER;
    }
    if (url !== undefined && baseUrl !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'give target.url or target.baseUrl, not both (target.url is the events URL, its origin the base)' });
      return z.NEVER;
    }
    const urlPath = url === undefined || (url.pathname === '/' && url.search === '') ? undefined : `${url.pathname}${url.search}`;
    if (urlPath !== undefined && ssePath !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['ssePath'], message: `target.url already names the events path (${urlPath.slice(0, 80)}): give one of the two` });
      return z.NEVER;
    }
    return { ...rest, baseUrl: url?.origin ?? (baseUrl as string), ssePath: ssePath ?? urlPath ?? REFERENCE_SSE_PATH };
  });

/**
 * Where the target's own events keep their send time, sequence and stream (core/event-mapping.ts).
 * Without it, events are read as the reference server's `{ seq, sentAt, stream }`.
 */
/** A JSON pointer (RFC 6901) into a parsed response: `/data/items`, `/createdAt`. */
const jsonPointer = z
  .string()
  .max(500, 'at most 500 characters')
  .refine((pointer) => pointer !== '' && isJsonPointer(pointer), 'a JSON pointer such as /data/items or /createdAt');

// Each field is checked on its own (so two bad fields are both named), then the fields together.
const mappingField = (field: 'time' | 'seq' | 'seqPattern' | 'stream' | 'streamPattern' | 'dataPattern') =>
  z
    .string()
    .max(500, 'at most 500 characters')
    .superRefine((value, ctx) => {
      const message = mappingFieldProblem(field, value);
      if (message !== undefined) ctx.addIssue({ code: 'custom', message });
    });
const eventsSchema = z
  .object({
    time: mappingField('time').optional(),
    timeUnit: z.enum(TIME_UNITS).optional(),
    seq: mappingField('seq').optional(),
    seqPattern: mappingField('seqPattern').optional(),
    stream: mappingField('stream').optional(),
    streamPattern: mappingField('streamPattern').optional(),
    dataPattern: mappingField('dataPattern').optional(),
  })
  .strict()
  .superRefine((mapping, ctx) => {
    for (const problem of mappingCrossProblems(mapping)) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  });

/** Messages a run may publish at most: every subscriber keeps one bit per message it could receive. */
export const MAX_PUBLISHED_MESSAGES = 100_000;
export const DEFAULT_PUBLISH_BODY = '{"id":"{{id}}","seq":{{seq}},"sentAt":{{sentAt}}}';

/**
 * The harness as the publisher (issue 15): messages sent to `url` at `rate` a second on an open-model
 * schedule, each stamped with its intended send time; subscribers recognise a message by its
 * `{{id}}` in the event data, so publish-to-deliver latency is read on the harness's one clock.
 */
const publishSchema = z
  .object({
    url: targetUrl.transform((url) => url.toString()),
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
    headers: z.record(headerName, headerValue).default({}),
    /** `{{id}}` (unique per message; required), `{{seq}}` (1, 2, ...), `{{sentAt}}` (intended epoch ms), `{{user}}`. */
    body: z
      .string()
      .max(64 * 1024, 'at most 64 KB')
      .refine((body) => body.includes('{{id}}'), 'must hold {{id}}: subscribers recognise each message by it')
      .default(DEFAULT_PUBLISH_BODY),
    /** Messages a second (open model: a slow publish never delays the next one). */
    rate: z.number().positive().max(1_000, 'at most 1,000 messages a second'),
    /**
     * `subscribers`: the same auth as the subscribers (with a secret, a token minted for
     * `<userPrefix>publisher` with the admin claim, which the reference server's broadcast needs);
     * `none`: only `headers`.
     */
    auth: z.enum(['subscribers', 'none']).default('subscribers'),
    /** `{{user}}` in the body: the subscriber user a message is for (default: every message is a broadcast). */
    user: z.string().min(1).max(256).optional(),
    timeoutMs: durationMs({ min: 1 }).default(10_000),
  })
  .strict();

const sendAs = z.enum(['header', 'cookie', 'query']).default('header');

const authSchema = z.union([
  z.object({ token: headerValue.pipe(z.string().min(1)), sendAs }).strict(),
  z
    .object({
      /** `JWT_ACCESS_SECRET` of the target: one token is minted per virtual user. */
      secret: z.string().min(1),
      userPrefix: z.string().default('user-'),
      sendAs,
    })
    .strict(),
]);

const stageSchema = z.object({ duration: durationMs(), target: z.number().int().nonnegative().max(1_000_000) }).strict();

const reconnectSchema = z.discriminatedUnion('policy', [
  z
    .object({
      /** EventSource's rules: the server's `retry`, 3 s by default, `Last-Event-ID`, stop on 204 / non-200 / wrong type. */
      policy: z.literal('browser'),
      defaultRetryMs: durationMs().default(3_000),
      /** Up to this much random delay added to each wait, so a dropped crowd does not return at once. */
      jitterMs: durationMs().default(1_000),
    })
    .strict(),
  z.object({ policy: z.literal('none') }).strict(),
  z
    .object({
      policy: z.literal('backoff'),
      initialMs: durationMs({ min: 1 }).default(1_000),
      maxMs: durationMs({ min: 1 }).default(30_000),
      factor: z.number().min(1).default(2),
      jitterMs: durationMs().default(1_000),
    })
    .strict(),
]);

const sseSchema = z
  .object({
    clients: z.number().int().nonnegative().max(1_000_000).default(0),
    /** k6 ramping-vus style: the number of open clients moves linearly to each stage's target. */
    stages: z.array(stageSchema).min(1).optional(),
    reconnect: reconnectSchema.default({ policy: 'browser', defaultRetryMs: 3_000, jitterMs: 1_000 }),
    /** Spread the first connections of `clients` (no stages) over this long instead of opening all at once. */
    rampUpMs: durationMs().default(0),
  })
  .strict();

const pollSchema = z
  .object({
    clients: z.number().int().nonnegative().max(1_000_000).default(0),
    /** 3 s by default: the troubleshooting guide's polling fallback. */
    intervalMs: durationMs({ min: 10 }).default(3_000),
    /** Each poll's intended start moves by up to ± this much; first polls are spread over one interval. */
    jitterMs: durationMs().default(0),
    /**
     * Someone else's poll endpoint (issue 15): where the array of events is in the response (a JSON
     * pointer; default the body itself), where each event keeps its send time (`time`, `timeUnit`,
     * as in `events:`), and how the cursor travels back. Without it, the reference server's
     * `[{ id, sentAt, ... }]` with `?since=` and `X-Poll-Cursor`.
     */
    mapping: z
      .object({
        events: jsonPointer.optional(),
        time: jsonPointer.optional(),
        timeUnit: z.enum(TIME_UNITS).optional(),
        /** The query parameter the cursor goes back in (default `since`). */
        cursorParam: z.string().regex(/^[A-Za-z0-9_.~-]{1,64}$/, 'a query parameter name: letters, digits, _ . ~ -').default('since'),
        /**
         * Where the next cursor comes from: `header:<name>`, a JSON pointer into the response
         * (`/next_cursor`), or `last:<pointer>`, a field of the last event (default `last:/id`).
         */
        cursorFrom: z
          .string()
          .max(200)
          .refine((from) => /^header:[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(from) || /^(last:)?\//.test(from), 'header:<name>, a JSON pointer such as /next_cursor, or last:<pointer> such as last:/id')
          .default('last:/id'),
      })
      .strict()
      .optional(),
  })
  .strict();

const thresholdItemSchema = z.union([
  z.string(),
  z.object({ threshold: z.string(), abortOnFail: z.boolean().default(false), delayAbortEval: durationMs().optional() }).strict(),
]);

const thresholdsSchema = z.record(z.string(), z.array(thresholdItemSchema).min(1)).superRefine((thresholds, ctx) => {
  for (const [key, items] of Object.entries(thresholds)) {
    const metric = parseThresholdMetricKey(key);
    if (typeof metric === 'string') {
      ctx.addIssue({ code: 'custom', path: [key], message: metric });
    } else if (!(METRIC_NAMES as readonly string[]).includes(metric.name)) {
      ctx.addIssue({ code: 'custom', path: [key], message: `unknown metric "${metric.name}" (known: ${METRIC_NAMES.join(', ')})` });
    }
    items.forEach((item, index) => {
      const parsed = parseThresholdExpression(typeof item === 'string' ? item : item.threshold);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', path: [key, index], message: parsed });
    });
  }
});

const loopbackAddress = z.string().refine((value) => (isIP(value) === 4 && value.startsWith('127.')) || value === '::1', {
  message: 'a loopback address (127.0.0.0/8 or ::1): source-address rotation is for loopback targets',
});

export const planSchema = z
  .object({
    name: z.string().min(1).optional(),
    target: targetSchema,
    auth: authSchema.optional(),
    events: eventsSchema.optional(),
    publish: publishSchema.optional(),
    sse: sseSchema.default({ clients: 0, reconnect: { policy: 'browser', defaultRetryMs: 3_000, jitterMs: 1_000 }, rampUpMs: 0 }),
    poll: pollSchema.default({ clients: 0, intervalMs: 3_000, jitterMs: 0 }),
    duration: durationMs({ min: 1, max: MAX_RUN_DURATION_MS }),
    thresholds: thresholdsSchema.default({}),
    /** Stop the run early once the target is clearly failing. */
    bailout: z
      .object({
        connectFailures: z.number().int().positive().optional(),
        drops: z.number().int().positive().optional(),
      })
      .strict()
      .default({}),
    /** Worker processes; `auto` uses one per ~9,000 connections (the per-process file limit here is 20,000). */
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
    /**
     * How event latency is read across clocks (the server stamps `sentAt` on its own clock):
     * `same-host` assumes one clock; `api-time` estimates the offset from `target.timePath`;
     * `date-header` estimates it from the HTTP `Date` header (whole seconds: ± 0.5 s and half the
     * round trip, stated beside every figure), for a target without `/api/time`;
     * `none` records no latency; `auto` is `same-host` for a loopback target, otherwise `api-time`
     * when the target answers it (latency unknown when it does not: never the coarse clock unasked).
     */
    clock: z.enum(['auto', 'same-host', 'api-time', 'date-header', 'none']).default('auto'),
    /** Source addresses to rotate connections over (a list, or `{ count }` for 127.0.0.1...127.0.0.N). */
    localAddresses: z
      .union([z.array(loopbackAddress).min(1), z.object({ count: z.number().int().min(1).max(254) }).strict()])
      .optional(),
    timeouts: z
      .object({
        connectMs: durationMs({ min: 1 }).default(10_000),
        headersMs: durationMs({ min: 1 }).default(10_000),
        /**
         * Our own end of a silent stream (`idle_timeout`): nothing, not even a heartbeat, for this
         * long. 90 s by default: longer than common proxy idle limits (nginx's proxy_read_timeout is
         * 60 s), so the target's own limit is seen first, yet short enough that a half-open stream
         * (bytes stopped, no FIN) ends and is counted instead of hanging until the run ends. 0: never.
         * undici checks it on a coarse timer: expect up to ~1 s more.
         */
        idleMs: durationMs().default(90_000),
        pollRequestMs: durationMs({ min: 1 }).default(10_000),
      })
      .strict()
      .default({ connectMs: 10_000, headersMs: 10_000, idleMs: 90_000, pollRequestMs: 10_000 }),
  })
  .strict()
  .superRefine((plan, ctx) => {
    if (plan.sse.clients === 0 && plan.sse.stages === undefined && plan.poll.clients === 0) {
      ctx.addIssue({ code: 'custom', path: ['sse', 'clients'], message: 'the plan has no clients: set sse.clients, sse.stages or poll.clients' });
    }
    if (plan.publish !== undefined && plan.publish.rate * (plan.duration / 1000) > MAX_PUBLISHED_MESSAGES) {
      ctx.addIssue({
        code: 'custom',
        path: ['publish', 'rate'],
        message: `${plan.publish.rate}/s for ${plan.duration / 1000} s is more than ${MAX_PUBLISHED_MESSAGES} messages: lower the rate or the duration`,
      });
    }
  });

export type Plan = z.infer<typeof planSchema>;
export type PlanInput = z.input<typeof planSchema>;
export type ReconnectPolicy = Plan['sse']['reconnect'];
export type Stage = z.infer<typeof stageSchema>;

export function parsePlan(input: unknown): Plan {
  return parseOrThrow(planSchema, input, 'plan');
}

/** The most SSE clients open at once over the run. */
export function maxSseClients(plan: Plan): number {
  return plan.sse.stages ? Math.max(0, ...plan.sse.stages.map((stage) => stage.target)) : plan.sse.clients;
}

/** Reads a plan from a YAML or JSON file (JSON is YAML, so one parser reads both). */
export async function loadPlanFile(file: string): Promise<Plan> {
  return parsePlan(await readPlanFile(file));
}

/** The file's content, not validated yet (the CLI merges flags into it first). */
export async function readPlanFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidConfigError('plan', [`${file}: cannot read it (${(error as Error).message})`], { cause: error });
  }
  let raw: unknown;
  try {
    raw = parseYamlStrictly(text);
  } catch (error) {
    throw new InvalidConfigError('plan', [`${file}: not valid YAML or JSON (${(error as Error).message})`], { cause: error });
  }
  return raw;
}

/**
 * YAML (and so JSON), where a warning is an error too: an unknown tag (`!custom`) would otherwise
 * be read as a plain string, and printed by the yaml package as a process warning.
 */
function parseYamlStrictly(text: string): unknown {
  const document = parseDocument(text);
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem) throw problem;
  return document.toJS();
}
