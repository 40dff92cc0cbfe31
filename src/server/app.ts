/**
 * The reference server as a web-standard `fetch(Request) → Response` handler (Hono): the guide's
 * endpoints (DESIGN.md, "The reference server"). Nothing here needs Node: the Node runner
 * (node-server.ts), the cluster workers and the hosting adapters all serve this same app.
 */
import { Hono } from 'hono';
import { parseDurationMs } from '../core/duration.js';
import { formatIssues } from '../core/validate.js';
import { createAuthenticator, type AuthUser } from './auth.js';
import { createBusChannels, type BusChannels } from './bus-channels.js';
import { createLocalBus, createPublisher, POLL_ACTIVE_WINDOW_MS, type EventBus } from './bus.js';
import { createCors } from './cors.js';
import { emitBodySchema } from './emit-body.js';
import { errorResponse, invalidParameter, jsonResponse, unauthorized } from './http-responses.js';
import { unref } from './interval-groups.js';
import { parseReferenceServerOptions, type ReferenceServerOptions, type ResolvedServerOptions } from './options.js';
import { createMetricsRenderer, type MetricsRenderer } from './prometheus.js';
import { readBodyLimited } from './read-body.js';
import { createServerStats, type ServerStats } from './server-stats.js';
import { createStreamHub } from './stream-hub.js';
import { sseHeaders } from './sse-stream.js';
import { MAX_TICK_INTERVAL_MS, MIN_TICK_INTERVAL_MS } from './tick-ids.js';

export interface ReferenceApp {
  /** The Hono app's fetch. `env` is what the runtime passes (on Node: `{ incoming, outgoing }`). */
  fetch(request: Request, env?: unknown): Response | Promise<Response>;
  /** Ends every stream and stops every timer. */
  close(): void;
  /** Open SSE responses: the guide's `getSubscriberCount()`. */
  subscriberCount(): number;
  /** Test hook: ends every open stream cleanly, as a platform cutting them would; the app keeps serving. */
  dropAllStreams(): void;
  readonly stats: ServerStats;
  readonly options: ResolvedServerOptions;
}

/** What a runtime may plug in; everything is optional. */
export interface ReferenceAppHooks {
  /** Another bus (cluster workers publish through the primary); the built-in publisher then runs there. */
  createBus?(channels: BusChannels): EventBus;
  /** Extra fields of /api/health (the Node runner adds memory figures, a worker its id). */
  health?(): Record<string, unknown>;
  /** Default labels of /metrics. */
  metricsLabels?: Record<string, string>;
  /** What /metrics reports (a cluster worker: the whole cluster's totals); default this app's stats. */
  metricsStats?(): ServerStats;
  /** Headers added to every response (a cluster worker names itself in `x-streamsoak-worker`). */
  responseHeaders?: Record<string, string>;
  /** The real clock, epoch ms (tests). */
  now?(): number;
}

/** Longer `Last-Event-ID`s are none this server sent (tick ids are under 60 characters). */
const MAX_LAST_EVENT_ID_CHARS = 256;

function resumeId(lastEventId: string | undefined): string | undefined {
  return lastEventId !== undefined && lastEventId.length > 0 && lastEventId.length <= MAX_LAST_EVENT_ID_CHARS ? lastEventId : undefined;
}

/** `application/json` or any `+json` type, with parameters (`; charset=utf-8`) allowed. */
function isJsonContentType(value: string | undefined): boolean {
  const type = value?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json' || (type !== undefined && /^application\/[\w.+-]+\+json$/.test(type));
}

/** Free the buffered events of idle channels every minute; a channel idle for 10 minutes loses its buffer. */
const SWEEP_EVERY_MS = 60_000;
const SWEEP_IDLE_MS = 600_000;

export function createReferenceApp(input: ReferenceServerOptions, hooks: ReferenceAppHooks = {}): ReferenceApp {
  const options = parseReferenceServerOptions(input);
  const now = hooks.now ?? Date.now;
  const serverNow = (): number => now() + options.clockOffsetMs;
  const startedAt = now();
  const stats = createServerStats();
  const authenticate = createAuthenticator(options.jwtSecret, now);
  const cors = createCors(options.corsOrigins);
  const channels = createBusChannels({ bufferSize: options.replayBufferSize, now });
  const bus = hooks.createBus ? hooks.createBus(channels) : createLocalBus(channels);
  const hub = createStreamHub({ options, stats, channels, now, onUserActive: (userId) => bus.noteActive(userId) });
  // Background timers start with the first request, not at construction: serverless runtimes
  // (Cloudflare Workers) refuse timers in the global scope, where adapters create the app.
  let publisher: { close(): void } | undefined;
  let sweeper: ReturnType<typeof setInterval> | undefined;
  function startBackground(): void {
    if (sweeper !== undefined || closed) return;
    sweeper = setInterval(() => channels.sweep(SWEEP_IDLE_MS), SWEEP_EVERY_MS);
    unref(sweeper);
    if (!hooks.createBus) {
      publisher = createPublisher({
        intervalMs: options.publishIntervalMs,
        clockOffsetMs: options.clockOffsetMs,
        activeUsers: () => channels.activeUsers(POLL_ACTIVE_WINDOW_MS),
        publish: (requests) => {
          for (const request of requests) void bus.publish(request);
        },
      });
    }
  }
  let metrics: Promise<MetricsRenderer> | undefined;
  let closed = false;

  const app = new Hono();

  app.use('*', async (c, next) => {
    const request = c.req.raw;
    startBackground();
    if (request.method === 'OPTIONS' && request.headers.has('access-control-request-method')) {
      return cors.preflight(request);
    }
    await next();
    // Streams got their headers when they were built (see streamResponse).
    if (streamResponses.has(c.res)) return;
    decorate(request, c.res.headers);
  });

  async function requireUser(request: Request): Promise<AuthUser | Response> {
    const result = await authenticate(request);
    if (result.ok) return result.user;
    stats.authFailures++;
    return unauthorized(result.error, result.detail);
  }

  function nodeAbort(env: unknown): (() => void) | undefined {
    // @hono/node-server passes { outgoing }: destroying it frees a slow consumer's socket at once.
    const outgoing = (env as { outgoing?: { destroy?: () => void } } | undefined)?.outgoing;
    return typeof outgoing?.destroy === 'function' ? () => outgoing.destroy?.() : undefined;
  }

  function decorate(request: Request, headers: Headers): void {
    cors.apply(request, headers);
    if (hooks.responseHeaders) for (const [name, value] of Object.entries(hooks.responseHeaders)) headers.set(name, value);
  }

  // Stream responses get their CORS and extra headers when they are built (a plain record: cheaper
  // per held connection than a Headers object), so the middleware leaves them alone.
  const streamResponses = new WeakSet<Response>();
  function streamResponse(request: Request, body: ReadableStream<Uint8Array> | null): Response {
    const headers = sseHeaders();
    const origin = cors.allowedOrigin(request);
    if (origin !== undefined) Object.assign(headers, cors.grantHeaders(origin));
    if (hooks.responseHeaders) Object.assign(headers, hooks.responseHeaders);
    const response = new Response(body, { status: 200, headers });
    streamResponses.add(response);
    return response;
  }

  /** 503 while shutting down or at `maxConnections` open streams; undefined when a stream may open. */
  function refuseStream(): Response | undefined {
    const retryAfter = { 'Retry-After': String(Math.max(1, Math.ceil(options.retryMs / 1000))) };
    if (closed) return errorResponse(503, 'shutting_down', 'the server is shutting down', undefined, retryAfter);
    if (options.maxConnections > 0 && stats.connections >= options.maxConnections) {
      stats.connectionsRefused++;
      return errorResponse(503, 'too_many_connections', `the server holds its maximum of ${options.maxConnections} streams (maxConnections); retry later`, undefined, retryAfter);
    }
    return undefined;
  }

  app.get('/api/calls/events', async (c) => {
    const user = await requireUser(c.req.raw);
    if (user instanceof Response) return user;
    const refused = refuseStream();
    if (refused) return refused;

    const mode = c.req.query('mode') ?? options.mode;
    if (mode !== 'tick' && mode !== 'bus') return invalidParameter('mode', 'must be tick or bus');
    let tickIntervalMs = options.tickIntervalMs;
    const interval = c.req.query('interval');
    if (interval !== undefined) {
      const parsed = parseDurationMs(interval);
      if (parsed === undefined) return invalidParameter('interval', 'must be a duration in ms (or 500ms, 1s)');
      tickIntervalMs = Math.min(MAX_TICK_INTERVAL_MS, Math.max(MIN_TICK_INTERVAL_MS, Math.round(parsed)));
    }
    let heartbeatMs = options.heartbeatMs;
    const heartbeat = c.req.query('heartbeat');
    if (heartbeat !== undefined) {
      const parsed = parseDurationMs(heartbeat);
      if (parsed === undefined) return invalidParameter('heartbeat', 'must be a duration in ms (0 turns heartbeats off)');
      heartbeatMs = parsed === 0 ? 0 : Math.min(3_600_000, Math.max(10, Math.round(parsed)));
    }
    // Hono answers HEAD with the GET route and drops the body: open no stream nobody will read.
    if (c.req.method === 'HEAD') return streamResponse(c.req.raw, null);
    // EventSource sends Last-Event-ID as a header; polyfills that cannot set headers use the query.
    // An id this server could not have sent (garbage, negative, another kind of stream's, too long)
    // is treated as absent: the stream starts afresh, as for a first connect (stream-hub.ts).
    const lastEventId = resumeId(c.req.header('last-event-id') ?? c.req.query('lastEventId'));
    const abortTransport = nodeAbort(c.env);
    const request = { tickIntervalMs, heartbeatMs, lastEventId, ...(abortTransport ? { abortTransport } : {}) };
    return streamResponse(c.req.raw, mode === 'tick' ? hub.openTick(request) : hub.openBus(user.id, request));
  });

  app.get('/api/calls/events/test', (c) => {
    const refused = refuseStream();
    if (refused) return refused;
    if (c.req.method === 'HEAD') return streamResponse(c.req.raw, null);
    const abortTransport = nodeAbort(c.env);
    return streamResponse(c.req.raw, hub.openTest(abortTransport ? { abortTransport } : {}));
  });

  app.get('/api/calls/poll', async (c) => {
    const user = await requireUser(c.req.raw);
    if (user instanceof Response) return user;
    const since = c.req.query('since');
    if (since !== undefined && since !== '' && !/^\d{1,15}$/.test(since)) {
      return invalidParameter('since', 'must be the id of an event (a non-negative integer)');
    }
    channels.touch(user.id);
    bus.noteActive(user.id);
    stats.pollRequests++;
    const stream = `user:${user.id}`;
    const events = channels.eventsAfter(user.id, since ? Number(since) : 0).map((event) => ({
      id: String(event.seq),
      type: event.type,
      seq: event.seq,
      sentAt: event.sentAt,
      stream,
      ...(event.data === undefined ? {} : { data: event.data }),
    }));
    return jsonResponse(events, 200, { 'x-poll-cursor': String(channels.head(user.id)) });
  });

  app.post('/api/calls/emit', async (c) => {
    const user = await requireUser(c.req.raw);
    if (user instanceof Response) return user;
    // JSON only: besides naming what is wrong, it makes a browser preflight a cross-site POST, so a
    // page elsewhere cannot publish with a signed-in user's cookie through a plain form.
    if (!isJsonContentType(c.req.header('content-type'))) {
      return errorResponse(415, 'unsupported_media_type', 'content-type: must be application/json', { field: 'content-type' });
    }
    const body = await readBodyLimited(c.req.raw, options.maxBodyBytes);
    if (!body.ok) {
      // No Connection: close: closing at once would reset the socket under a client still sending, and
      // it would never read this answer. The Node runner reads and drops the rest for up to 500 ms
      // (@hono/node-server's drain), holding none of it, then closes.
      if (body.status === 413) return errorResponse(413, 'body_too_large', `the body must be at most ${options.maxBodyBytes} bytes`);
      return errorResponse(400, 'body_incomplete', 'the body ended before it was complete');
    }
    let json: unknown;
    try {
      json = JSON.parse(body.text);
    } catch {
      return errorResponse(400, 'invalid_json', 'the body must be JSON', { fields: ['(root)'] });
    }
    const parsed = emitBodySchema.safeParse(json);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.map(String).join('.') || '(root)'))];
      return errorResponse(400, 'invalid_body', formatIssues(parsed.error).join('; '), { fields });
    }
    const { userId, broadcast, type, data } = parsed.data;
    if ((broadcast === true || (userId !== undefined && userId !== user.id)) && !user.admin) {
      return errorResponse(403, 'forbidden', 'broadcast and publishing to another user need a token with the admin claim');
    }
    stats.emitRequests++;
    const result = await bus.publish({
      ...(broadcast === true ? { broadcast: true } : { userId: userId as string }),
      type: type ?? 'message',
      ...(data === undefined ? {} : { data }),
      sentAt: serverNow(),
    });
    return jsonResponse(result, 200);
  });

  app.get('/api/health', (c) =>
    c.json({
      status: 'ok',
      connections: stats.connections,
      uptimeSeconds: Math.round((now() - startedAt) / 1000),
      profile: options.profile,
      mode: options.mode,
      ...hooks.health?.(),
    }),
  );

  app.get('/api/time', () => jsonResponse({ now: serverNow() }));

  app.get('/metrics', async () => {
    metrics ??= createMetricsRenderer(hooks.metricsStats ?? (() => stats), hooks.metricsLabels ?? {});
    let renderer: MetricsRenderer;
    try {
      renderer = await metrics;
    } catch {
      metrics = undefined;
      return errorResponse(501, 'metrics_unavailable', 'prom-client cannot load in this runtime');
    }
    return new Response(await renderer.render(), { status: 200, headers: { 'Content-Type': renderer.contentType } });
  });

  app.notFound((c) => errorResponse(404, 'not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError(() => errorResponse(500, 'internal_error', 'the server failed to answer this request'));

  return {
    fetch: (request, env) => app.fetch(request, env),
    close() {
      if (closed) return;
      closed = true;
      hub.close();
      publisher?.close();
      bus.close();
      if (sweeper !== undefined) clearInterval(sweeper);
    },
    subscriberCount: () => stats.connections,
    dropAllStreams: () => hub.dropAll(),
    stats,
    options,
  };
}
