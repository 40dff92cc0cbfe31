/**
 * Each hosting adapter's entry point, served in Node through the signature its platform calls
 * (Vercel `default.fetch(request)`, Netlify `default(request, context)`, a Worker's
 * `default.fetch(request, env, ctx)`, a Next.js route module's `GET`/`POST` export), behind a real
 * HTTP server on loopback, read over a real socket:
 * - the test stream's first event arrives while the stream is still open (nothing buffers it);
 * - no token, or a bad one: 401 and no stream; a good one: a live stream;
 * - /api/health states the platform, tick mode and the time limit the adapter claims;
 * - where invocations share no memory, `?mode=bus` is refused with the reason;
 * - emit and poll answer (sharing events only within one instance's memory).
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/core/jwt.js';
import type { HostingAdapter, PlatformHandler } from '../../src/server/hosting.js';
import vercelEntry from '../../deploy/vercel/api/streamsoak.js';
import { vercelHandler } from '../../deploy/vercel/handler.js';
import { VERCEL } from '../../deploy/vercel/platform.js';
import netlifyEntry from '../../deploy/netlify/netlify/functions/streamsoak.js';
import { netlifyHandler } from '../../deploy/netlify/handler.js';
import { NETLIFY } from '../../deploy/netlify/platform.js';
import workerEntry, { cloudflareHandler } from '../../deploy/cloudflare/worker.js';
import { CLOUDFLARE } from '../../deploy/cloudflare/platform.js';
import { NEXTJS, nextHandler } from '../../deploy/nextjs/lib/streamsoak.js';
import * as nextEvents from '../../deploy/nextjs/app/api/calls/events/route.js';
import * as nextEventsTest from '../../deploy/nextjs/app/api/calls/events/test/route.js';
import * as nextPoll from '../../deploy/nextjs/app/api/calls/poll/route.js';
import * as nextEmit from '../../deploy/nextjs/app/api/calls/emit/route.js';
import * as nextHealth from '../../deploy/nextjs/app/api/health/route.js';
import * as nextTime from '../../deploy/nextjs/app/api/time/route.js';
import * as nextMetrics from '../../deploy/nextjs/app/metrics/route.js';
import { readSse, type SseRead } from '../helpers/sse-body.js';

const SECRET = 'deploy-adapters-test-secret';
// 20 messages 150 ms apart: the whole test stream lasts ~3 s, so a buffering adapter would deliver
// its first event only after ~3 s, when the stream ends.
const TEST_STREAM = { messages: 20, intervalMs: 150 };
const SERVER_OPTIONS = {
  testStreamMessages: TEST_STREAM.messages,
  testStreamIntervalMs: TEST_STREAM.intervalMs,
  tickIntervalMs: 100,
  heartbeatMs: 0,
};

type Route = Partial<Record<'GET' | 'POST' | 'OPTIONS', (request: Request) => Promise<Response>>>;

/** Next.js dispatches by file: the route module for the path, then the export named like the method. */
const NEXT_ROUTES: Record<string, Route> = {
  '/api/calls/events': nextEvents,
  '/api/calls/events/test': nextEventsTest,
  '/api/calls/poll': nextPoll,
  '/api/calls/emit': nextEmit,
  '/api/health': nextHealth,
  '/api/time': nextTime,
  '/metrics': nextMetrics,
};

interface AdapterCase {
  platform: HostingAdapter;
  handler: PlatformHandler;
  /** Calls the entry point the way the platform does. */
  call(request: Request): Response | Promise<Response>;
}

const workerEnv = { JWT_ACCESS_SECRET: SECRET, STREAMSOAK_SERVER_OPTIONS: JSON.stringify(SERVER_OPTIONS) };

const adapters: AdapterCase[] = [
  { platform: VERCEL, handler: vercelHandler, call: (request) => vercelEntry.fetch(request) },
  { platform: NETLIFY, handler: netlifyHandler, call: (request) => netlifyEntry(request, { requestId: 'test' }) },
  {
    platform: CLOUDFLARE,
    handler: cloudflareHandler,
    call: (request) => workerEntry.fetch(request, workerEnv, { waitUntil: () => {}, passThroughOnException: () => {} }),
  },
  {
    platform: NEXTJS,
    handler: nextHandler,
    call: (request) => {
      const route = NEXT_ROUTES[new URL(request.url).pathname];
      const method = route?.[request.method as keyof Route];
      if (!route || !method) return new Response('not a route of this Next.js app', { status: 404 });
      return method(request);
    },
  },
];

interface Served {
  server: ServerType;
  origin: string;
}

function listen(call: AdapterCase['call']): Promise<Served> {
  return new Promise((resolve) => {
    const server = serve({ fetch: (request) => call(request), port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({ server, origin: `http://127.0.0.1:${info.port}` });
    });
  });
}

/** Every request is bounded: a buffering adapter must fail the test, not hang it. */
const bounded = (init: RequestInit = {}): RequestInit => ({ ...init, signal: AbortSignal.timeout(15_000) });

/** Reads a Response body with streamsoak's SSE parser until `count` events arrived, with their arrival times. */
const readEvents = (response: Response, count: number, timeoutMs: number): Promise<SseRead> => readSse(response, { events: count, timeoutMs });

beforeAll(() => {
  // Vercel, Netlify and Next.js read process.env; the Worker gets `workerEnv` with each request.
  process.env.JWT_ACCESS_SECRET = SECRET;
  process.env.STREAMSOAK_SERVER_OPTIONS = JSON.stringify(SERVER_OPTIONS);
});

afterAll(() => {
  delete process.env.JWT_ACCESS_SECRET;
  delete process.env.STREAMSOAK_SERVER_OPTIONS;
});

describe.each(adapters)('the $platform.name adapter', ({ platform, handler, call }) => {
  let served: Served;
  let token: string;

  beforeAll(async () => {
    served = await listen(call);
    token = await signToken({ userId: 'u1', secret: SECRET, ttlSeconds: 300 });
  });

  afterAll(async () => {
    handler.close();
    await new Promise<void>((resolve) => served.server.close(() => resolve()));
  });

  it('delivers the test stream’s first event while the stream is still open', async () => {
    const response = await fetch(`${served.origin}/api/calls/events/test`, bounded());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-streamsoak-platform')).toBe(platform.name);
    const { events, ended, cancel } = await readEvents(response, 2, 10_000);
    await cancel();
    expect(ended).toBe(false);
    expect(events).toHaveLength(2);
    const totalMs = TEST_STREAM.messages * TEST_STREAM.intervalMs;
    // Arrived about one interval after the request: far before the stream's end (~3 s).
    expect(events[0]!.atMs).toBeLessThan(totalMs / 2);
    expect(JSON.parse(events[0]!.data)).toEqual(expect.any(Object));
  });

  it('answers 401 and no stream without a token or with a bad one', async () => {
    const missing = await fetch(`${served.origin}/api/calls/events`, bounded());
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).not.toMatch(/event-stream/);
    expect(await missing.json()).toMatchObject({ error: expect.any(String) });

    const forged = await signToken({ userId: 'u1', secret: 'not-the-secret' });
    const bad = await fetch(`${served.origin}/api/calls/events`, bounded({ headers: { authorization: `Bearer ${forged}` } }));
    expect(bad.status).toBe(401);
    await bad.body?.cancel();
  });

  it('streams tick events with ids to a client with a valid token', async () => {
    const response = await fetch(`${served.origin}/api/calls/events`, bounded({ headers: { authorization: `Bearer ${token}` } }));
    expect(response.status).toBe(200);
    const { events, cancel } = await readEvents(response, 2, 10_000);
    await cancel();
    expect(events).toHaveLength(2);
    expect(events[0]!.lastEventId).not.toBe('');
    expect(JSON.parse(events[1]!.data)).toMatchObject({ seq: expect.any(Number), sentAt: expect.any(Number) });
  });

  it('states the platform, tick mode and its time limit in /api/health', async () => {
    const response = await fetch(`${served.origin}/api/health`, bounded());
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      mode: 'tick',
      profile: platform.name,
      platform: {
        name: platform.name,
        sharedMemory: false,
        modes: ['tick'],
        maxDurationSeconds: platform.maxDurationSeconds,
      },
    });
  });

  it('refuses bus mode, since its invocations share no memory', async () => {
    const response = await fetch(`${served.origin}/api/calls/events?mode=bus`, bounded({ headers: { authorization: `Bearer ${token}` } }));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'bus_unavailable' });
  });

  it('serves emit and poll, which share events only within one instance’s memory', async () => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const emitted = await fetch(
      `${served.origin}/api/calls/emit`,
      bounded({ method: 'POST', headers, body: JSON.stringify({ userId: 'u1', type: 'call', data: { n: 1 } }) }),
    );
    expect(emitted.status).toBe(200);
    expect(await emitted.json()).toEqual({ published: 1 });
    const invalid = await fetch(`${served.origin}/api/calls/emit`, bounded({ method: 'POST', headers, body: '{"type":"x"}' }));
    expect(invalid.status).toBe(400);
    await invalid.body?.cancel();

    const polled = await fetch(`${served.origin}/api/calls/poll?since=0`, bounded({ headers }));
    expect(polled.status).toBe(200);
    const events = (await polled.json()) as { type: string }[];
    // One process serves every request here; on the platform, only if both requests land on the
    // same instance. A Worker gives each request its own app, so the poll never sees the emit.
    expect(events.filter((event) => event.type === 'call')).toHaveLength(platform.appPerRequest ? 0 : 1);
  });

  it('serves the server clock for remote clock-offset estimation', async () => {
    const before = Date.now();
    const response = await fetch(`${served.origin}/api/time`, bounded());
    const body = (await response.json()) as { now: number };
    expect(body.now).toBeGreaterThanOrEqual(before - 5);
    expect(body.now).toBeLessThanOrEqual(Date.now() + 5);
  });
});
