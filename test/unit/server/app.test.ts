import { describe, expect, it, vi } from 'vitest';
import { signToken } from '../../../src/core/jwt.js';
import type { ReferenceApp } from '../../../src/server/index.js';
import { createTickStreamRef, formatTickId } from '../../../src/server/tick-ids.js';
import { payloadOf, readSse } from '../../helpers/sse-body.js';
import { appFactory, BASE } from './app-fixture.js';

const SECRET = 'unit-test-secret';
const makeApp = appFactory(SECRET);

const token = (userId = 'u1', extra: { admin?: boolean; ttlSeconds?: number; now?: number } = {}): Promise<string> =>
  signToken({ userId, secret: SECRET, ...extra });

async function get(app: ReferenceApp, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return app.fetch(new Request(`${BASE}${path}`, { headers }));
}

async function emit(app: ReferenceApp, body: unknown, bearer: string): Promise<Response> {
  return app.fetch(
    new Request(`${BASE}/api/calls/emit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

describe('authentication', () => {
  it('answers 401 JSON, never a stream, when the token is missing', async () => {
    const app = makeApp();
    const response = await get(app, '/api/calls/events');
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ error: 'missing_token' });
    expect(app.subscriberCount()).toBe(0);
  });

  it('answers 401 for a token signed with another secret', async () => {
    const app = makeApp();
    const forged = await signToken({ userId: 'u1', secret: 'not-the-secret' });
    const response = await get(app, `/api/calls/events?token=${forged}`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('answers 401 for an expired token', async () => {
    const app = makeApp();
    const expired = await token('u1', { now: Date.now() - 7_200_000, ttlSeconds: 60 });
    const response = await get(app, '/api/calls/poll', { authorization: `Bearer ${expired}` });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'expired_token' });
  });

  it('refuses a token that expired after it was first accepted (verified tokens are cached)', async () => {
    let now = Date.now();
    const app = makeApp({}, { now: () => now });
    const shortLived = await token('u1', { ttlSeconds: 60 });
    expect((await get(app, `/api/calls/poll?token=${shortLived}`)).status).toBe(200);
    now += 61_000;
    const late = await get(app, `/api/calls/poll?token=${shortLived}`);
    expect(late.status).toBe(401);
    expect(await late.json()).toMatchObject({ error: 'expired_token' });
  });

  it.each([
    ['a bearer header', async (t: string) => ({ path: '/api/calls/poll', headers: { authorization: `Bearer ${t}` } })],
    ['an access_token cookie', async (t: string) => ({ path: '/api/calls/poll', headers: { cookie: `theme=dark; access_token=${t}` } })],
    ['a token query parameter', async (t: string) => ({ path: `/api/calls/poll?token=${t}`, headers: {} })],
  ])('accepts the token from %s', async (_name, build) => {
    const app = makeApp();
    const { path, headers } = await build(await token());
    const response = await get(app, path, headers);
    expect(response.status).toBe(200);
  });
});

describe('the event stream', () => {
  it("sends the guide's headers, retry: first, and tick events with id stream:seq", async () => {
    const app = makeApp({ retryMs: 1234, tickIntervalMs: 20 });
    const response = await get(app, `/api/calls/events?token=${await token()}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(response.headers.get('connection')).toBe('keep-alive');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(response.headers.get('content-encoding')).toBe('none');
    const read = await readSse(response, { events: 3, timeoutMs: 3_000 });
    expect(read.retry).toEqual([1234]);
    expect(read.events.map((event) => payloadOf(event).seq)).toEqual([1, 2, 3]);
    for (const event of read.events) {
      const payload = payloadOf(event);
      expect(event.lastEventId).toBe(`${payload.stream}:${payload.seq}`);
      expect(Math.abs(payload.sentAt - Date.now())).toBeLessThan(2_000);
    }
  });

  it('stamps sentAt with the server clock shifted by clockOffsetMs', async () => {
    const app = makeApp({ tickIntervalMs: 20, clockOffsetMs: 3_600_000 });
    const read = await readSse(await get(app, `/api/calls/events?token=${await token()}`), { events: 1, timeoutMs: 3_000 });
    const skew = payloadOf(read.events[0]!).sentAt - Date.now();
    expect(skew).toBeGreaterThan(3_600_000 - 2_000);
    expect(skew).toBeLessThan(3_600_000 + 2_000);
    const time = (await (await get(app, '/api/time')).json()) as { now: number };
    expect(time.now - Date.now()).toBeGreaterThan(3_600_000 - 2_000);
  });

  it('sends comment heartbeats at the interval asked in the query, and none with heartbeat=0', async () => {
    const app = makeApp({ tickIntervalMs: 60_000 });
    const withBeats = await readSse(await get(app, `/api/calls/events?heartbeat=30&token=${await token()}`), { comments: 3, timeoutMs: 3_000 });
    expect(withBeats.comments.length).toBeGreaterThanOrEqual(3);
    const silent = await readSse(await get(app, `/api/calls/events?heartbeat=0&interval=30&token=${await token()}`), { events: 4, timeoutMs: 3_000 });
    expect(silent.events.length).toBe(4);
    expect(silent.comments).toEqual([]);
  });

  it.each([
    ['mode=loud', 'mode'],
    ['interval=soon', 'interval'],
    ['heartbeat=-5', 'heartbeat'],
  ])('answers 400 naming the parameter for %s', async (query, parameter) => {
    const app = makeApp();
    const response = await get(app, `/api/calls/events?${query}&token=${await token()}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_parameter', parameter });
  });

  it('resumes a tick stream after Last-Event-ID with the ticks that fell due, without duplicates', async () => {
    const app = makeApp({ tickIntervalMs: 100 });
    // A stream that started 1 s ago at 100 ms: ticks 1..10 are due; the client had 1..3.
    const ref = createTickStreamRef(Date.now() - 1_000, 100);
    const response = await get(app, `/api/calls/events?token=${await token()}`, { 'last-event-id': formatTickId(ref.stream, 3) });
    const read = await readSse(response, { events: 9, timeoutMs: 3_000 });
    const seqs = read.events.map((event) => payloadOf(event).seq);
    expect(seqs.slice(0, 7)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => 4 + i));
    for (const event of read.events.slice(0, 7)) {
      const payload = payloadOf(event);
      expect(payload.stream).toBe(ref.stream);
      expect(payload.sentAt).toBe(ref.startMs + payload.seq * 100);
    }
    expect(app.stats.eventsReplayed).toBeGreaterThanOrEqual(7);
  });

  it('replays at most replayBufferSize ticks, so the gap stays visible as lost events', async () => {
    const app = makeApp({ tickIntervalMs: 100, replayBufferSize: 3 });
    const ref = createTickStreamRef(Date.now() - 1_050, 100);
    const response = await get(app, `/api/calls/events?token=${await token()}`, { 'last-event-id': formatTickId(ref.stream, 2) });
    const read = await readSse(response, { events: 3, timeoutMs: 3_000 });
    const seqs = read.events.map((event) => payloadOf(event).seq);
    // Ticks 3..10 (or 11, on a slow machine) fell due: only the newest three come back.
    expect(seqs[0]).toBeGreaterThanOrEqual(8);
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
    expect(payloadOf(read.events[0]!).sentAt).toBe(ref.startMs + seqs[0]! * 100);
    expect(app.stats.eventsReplayed).toBe(3);
  });

  it('starts a fresh stream when Last-Event-ID is not one of ours', async () => {
    const app = makeApp({ tickIntervalMs: 20 });
    const response = await get(app, `/api/calls/events?token=${await token()}`, { 'last-event-id': 'garbage:12' });
    const read = await readSse(response, { events: 1, timeoutMs: 3_000 });
    expect(payloadOf(read.events[0]!).seq).toBe(1);
  });

  it('answers HEAD with the stream headers but opens no stream', async () => {
    const app = makeApp();
    for (const path of [`/api/calls/events?token=${await token()}`, '/api/calls/events/test']) {
      const response = await app.fetch(new Request(`${BASE}${path}`, { method: 'HEAD' }));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    }
    expect(app.subscriberCount()).toBe(0);
  });

  it('ends every stream when the app closes', async () => {
    const app = makeApp({ tickIntervalMs: 60_000 });
    const response = await get(app, `/api/calls/events?token=${await token()}`);
    expect(app.subscriberCount()).toBe(1);
    setTimeout(() => app.close(), 50);
    const read = await readSse(response, { timeoutMs: 3_000 });
    expect(read.ended).toBe(true);
    expect(app.subscriberCount()).toBe(0);
    expect((await get(app, `/api/calls/events?token=${await token()}`)).status).toBe(503);
  });
});

describe('bus mode, emit and polling', () => {
  it('delivers an emitted event to the user stream with id = seq, and replays after Last-Event-ID', async () => {
    const app = makeApp({ mode: 'bus' });
    const u1 = await token('u1');
    const streamResponse = await get(app, `/api/calls/events?token=${u1}`);
    const reading = readSse(streamResponse, { events: 2, timeoutMs: 3_000 });
    expect((await emit(app, { userId: 'u1', data: { hello: 1 } }, u1)).status).toBe(200);
    expect((await emit(app, { userId: 'u1', type: 'call', data: 'ring' }, u1)).status).toBe(200);
    const read = await reading;
    expect(read.events.map((event) => event.lastEventId)).toEqual(['1', '2']);
    expect(read.events.map((event) => event.type)).toEqual(['message', 'call']);
    expect(payloadOf(read.events[0]!)).toMatchObject({ seq: 1, stream: 'user:u1', data: { hello: 1 } });

    await emit(app, { userId: 'u1' }, u1);
    const resumed = await readSse(await get(app, `/api/calls/events?token=${u1}`, { 'last-event-id': '1' }), { events: 2, timeoutMs: 3_000 });
    expect(resumed.events.map((event) => payloadOf(event).seq)).toEqual([2, 3]);
  });

  it('answers polls with the events after since, oldest first, and the channel head in x-poll-cursor', async () => {
    const app = makeApp();
    const u2 = await token('u2');
    for (let i = 0; i < 3; i++) await emit(app, { userId: 'u2', data: i }, u2);
    const all = await get(app, '/api/calls/poll', { authorization: `Bearer ${u2}` });
    expect(all.headers.get('x-poll-cursor')).toBe('3');
    const events = (await all.json()) as Array<Record<string, unknown>>;
    expect(events.map((event) => event.id)).toEqual(['1', '2', '3']);
    expect(events[0]).toMatchObject({ id: '1', type: 'message', seq: 1, stream: 'user:u2', data: 0 });
    expect(typeof events[0]!.sentAt).toBe('number');

    const after = await get(app, '/api/calls/poll?since=2', { authorization: `Bearer ${u2}` });
    expect(((await after.json()) as unknown[]).length).toBe(1);
    const head = await get(app, '/api/calls/poll?since=3', { authorization: `Bearer ${u2}` });
    expect(await head.json()).toEqual([]);
    expect(head.headers.get('x-poll-cursor')).toBe('3');

    const bad = await get(app, '/api/calls/poll?since=abc', { authorization: `Bearer ${u2}` });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ parameter: 'since' });
  });

  it("keeps polling users' channels fed by the built-in publisher", async () => {
    const app = makeApp({ publishIntervalMs: 30 });
    const u3 = await token('u3');
    const first = await get(app, '/api/calls/poll', { authorization: `Bearer ${u3}` });
    expect(first.headers.get('x-poll-cursor')).toBe('0');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const later = await get(app, '/api/calls/poll?since=0', { authorization: `Bearer ${u3}` });
    const events = (await later.json()) as Array<{ seq: number }>;
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it('refuses broadcast and other users for a non-admin token with 403, and allows them for an admin', async () => {
    const app = makeApp();
    const user = await token('u1');
    expect((await emit(app, { broadcast: true }, user)).status).toBe(403);
    expect((await emit(app, { userId: 'u9' }, user)).status).toBe(403);
    await get(app, `/api/calls/poll?token=${await token('u9')}`);
    const admin = await token('root', { admin: true });
    const broadcast = await emit(app, { broadcast: true, data: 'all' }, admin);
    expect(broadcast.status).toBe(200);
    expect(await broadcast.json()).toMatchObject({ published: 1 });
  });

  it.each([
    [{ userId: 'u1', broadcast: true }, 'broadcast'],
    [{}, 'userId'],
    [{ userId: 7 }, 'userId'],
    [{ userId: 'u1', type: 'a\nb' }, 'type'],
    [{ userId: 'u1', extra: 1 }, '(root)'],
  ])('answers 400 naming the field for the body %j', async (body, field) => {
    const app = makeApp();
    const response = await emit(app, body, await token('u1', { admin: true }));
    expect(response.status).toBe(400);
    const json = (await response.json()) as { error: string; fields: string[] };
    expect(json.error).toBe('invalid_body');
    expect(json.fields).toContain(field);
  });

  it('answers 400 for a body that is not JSON and 413 past maxBodyBytes', async () => {
    const app = makeApp({ maxBodyBytes: 100 });
    const admin = await token('u1', { admin: true });
    expect((await emit(app, '{nope', admin)).status).toBe(400);
    const big = await emit(app, { userId: 'u1', data: 'x'.repeat(200) }, admin);
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'body_too_large' });
  });
});

describe('CORS', () => {
  it('grants an allowed origin with credentials, and nothing to another origin', async () => {
    const app = makeApp({ corsOrigins: ['https://app.example'] });
    const allowed = await get(app, '/api/health', { origin: 'https://app.example' });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const stream = await get(app, `/api/calls/events?token=${await token()}`, { origin: 'https://app.example' });
    expect(stream.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(stream.headers.get('access-control-allow-credentials')).toBe('true');
    await stream.body?.cancel();
    const deniedStream = await get(app, `/api/calls/events?token=${await token()}`, { origin: 'https://evil.example' });
    expect(deniedStream.status).toBe(200);
    expect(deniedStream.headers.get('access-control-allow-origin')).toBeNull();
    await deniedStream.body?.cancel();
    const denied = await get(app, '/api/health', { origin: 'https://evil.example' });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    expect(denied.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers preflights for allowed origins only', async () => {
    const app = makeApp({ corsOrigins: ['https://app.example'] });
    const preflight = (origin: string): Promise<Response> =>
      Promise.resolve(
        app.fetch(
          new Request(`${BASE}/api/calls/emit`, {
            method: 'OPTIONS',
            headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
          }),
        ),
      );
    const ok = await preflight('https://app.example');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const no = await preflight('https://evil.example');
    expect(no.headers.get('access-control-allow-origin')).toBeNull();
    expect(no.headers.get('access-control-allow-methods')).toBeNull();
  });
});

describe('other routes', () => {
  it('answers unknown routes with 404 JSON', async () => {
    const response = await get(makeApp(), '/api/nothing-here');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'not_found' });
  });

  it('reports health with connections, uptime, profile and mode', async () => {
    const app = makeApp({ profile: 'vercel-hobby', mode: 'bus' });
    const body = await (await get(app, '/api/health')).json();
    expect(body).toMatchObject({ status: 'ok', connections: 0, profile: 'vercel-hobby', mode: 'bus' });
    expect(typeof (body as { uptimeSeconds: unknown }).uptimeSeconds).toBe('number');
  });

  it('exposes the streamsoak_server_ metrics', async () => {
    const app = makeApp({ tickIntervalMs: 20 });
    await readSse(await get(app, `/api/calls/events?token=${await token()}`), { events: 2, timeoutMs: 3_000 });
    await get(app, '/api/calls/events');
    const text = await (await get(app, '/metrics')).text();
    expect(text).toMatch(/^streamsoak_server_sse_connections 0$/m);
    expect(text).toMatch(/^streamsoak_server_events_sent_total\{stream="tick"\} [2-9]/m);
    expect(text).toMatch(/^streamsoak_server_sse_sent_bytes_total \d{3,}/m);
    expect(text).toMatch(/^streamsoak_server_auth_failures_total 1$/m);
    expect(text).toMatch(/^streamsoak_server_slow_consumer_disconnects_total 0$/m);
    expect(text).toMatch(/^streamsoak_server_heartbeats_sent_total 0$/m);
  });

  it('serves the diagnostic test stream without auth: N messages at the interval, then it ends', async () => {
    const app = makeApp({ testStreamMessages: 4, testStreamIntervalMs: 25 });
    const started = Date.now();
    const read = await readSse(await get(app, '/api/calls/events/test'), { timeoutMs: 3_000 });
    expect(read.ended).toBe(true);
    expect(read.events.map((event) => payloadOf(event).seq)).toEqual([1, 2, 3, 4]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(payloadOf(read.events[3]!).message).toBe('test event 4 of 4');
  });

  it('arms no further test stream timer once a client that stops reading is cut as a slow consumer', async () => {
    vi.useFakeTimers();
    try {
      const app = makeApp({ testStreamMessages: 1_000, testStreamIntervalMs: 10, maxBufferedBytes: 1_024 });
      const response = await get(app, '/api/calls/events/test');
      expect(response.status).toBe(200);
      // Nobody reads the body: a few messages of ~130 bytes pass the 1 KiB cap.
      await vi.advanceTimersByTimeAsync(200);
      expect(app.stats.slowConsumerDisconnects).toBe(1);
      expect(app.subscriberCount()).toBe(0);
      // Only the app's idle-channel sweeper is left.
      expect(vi.getTimerCount()).toBe(1);
      const sent = app.stats.eventsSent.test;
      await vi.advanceTimersByTimeAsync(1_000);
      expect(app.stats.eventsSent.test).toBe(sent);
      app.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
