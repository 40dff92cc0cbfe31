/**
 * The reference app's answers to abuse (issue 9), in-process: the stream cap, CORS for `*`, JSON-only
 * emit, token refusals that say why, ignored Last-Event-IDs, and the Node runner's request limits.
 * test/reliability/server-*.test.ts drives the same cases over real sockets against a child process.
 */
import { describe, expect, it } from 'vitest';
import { signToken } from '../../../src/core/jwt.js';
import { parseReferenceServerOptions, type ReferenceApp } from '../../../src/server/index.js';
import { timeoutOptions } from '../../../src/server/node-server.js';
import { readBodyLimited } from '../../../src/server/read-body.js';
import { runCli } from '../../helpers/cli.js';
import { readSse } from '../../helpers/sse-body.js';
import { appFactory, BASE } from './app-fixture.js';

const SECRET = 'unit-abuse-secret';
const makeApp = appFactory(SECRET);

const get = async (app: ReferenceApp, path: string, headers: Record<string, string> = {}): Promise<Response> => app.fetch(new Request(`${BASE}${path}`, { headers }));

describe('the stream cap (maxConnections)', () => {
  it('refuses streams past the cap with 503, Retry-After and a JSON reason, counts them, and still answers health', async () => {
    const app = makeApp({ maxConnections: 2, retryMs: 2_500 });
    const token = await signToken({ userId: 'u1', secret: SECRET });
    const held = [await get(app, `/api/calls/events?token=${token}`), await get(app, '/api/calls/events/test')];
    expect(held.map((response) => response.status)).toEqual([200, 200]);

    for (const path of [`/api/calls/events?token=${token}`, '/api/calls/events/test']) {
      const refused = await get(app, path);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('3');
      expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await refused.json()).toMatchObject({ error: 'too_many_connections' });
    }
    expect(app.stats.connectionsRefused).toBe(2);
    expect(app.subscriberCount()).toBe(2);
    expect((await get(app, '/api/health')).status).toBe(200);
    // An unauthenticated client learns it needs a token, not that the server is full.
    expect((await get(app, '/api/calls/events')).status).toBe(401);

    await held[0]?.body?.cancel();
    const again = await get(app, `/api/calls/events?token=${token}`);
    expect(again.status).toBe(200);
    await again.body?.cancel();
    await held[1]?.body?.cancel();
  });

  it('has no cap at 0, and 10,000 streams a process by default', () => {
    expect(parseReferenceServerOptions({ jwtSecret: 's' }).maxConnections).toBe(10_000);
    expect(parseReferenceServerOptions({ jwtSecret: 's', maxConnections: 0 }).maxConnections).toBe(0);
  });

  it('exports the refusals on /metrics', async () => {
    const app = makeApp({ maxConnections: 1 });
    const held = await get(app, '/api/calls/events/test');
    expect((await get(app, '/api/calls/events/test')).status).toBe(503);
    const text = await (await get(app, '/metrics')).text();
    expect(text).toMatch(/^streamsoak_server_sse_connections_refused_total 1$/m);
    await held.body?.cancel();
  });
});

describe('request limits of the Node runner', () => {
  it('defaults to a 10 s head and a 30 s request, checked often enough to hold them', () => {
    const options = parseReferenceServerOptions({ jwtSecret: 's' });
    expect(timeoutOptions(options)).toEqual({ headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 });
    expect(timeoutOptions({ headersTimeoutMs: 500, requestTimeoutMs: 0 }).connectionsCheckingInterval).toBe(250);
  });

  it('refuses a request timeout shorter than the headers timeout, naming it', () => {
    expect(() => parseReferenceServerOptions({ jwtSecret: 's', headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).toThrow(/requestTimeoutMs/);
    expect(parseReferenceServerOptions({ jwtSecret: 's', headersTimeoutMs: 5_000, requestTimeoutMs: 0 }).requestTimeoutMs).toBe(0);
  });

  it.each([
    [['serve', '--headers-timeout', '5s', '--request-timeout', '1s'], '--request-timeout'],
    [['serve', '--headers-timeout', 'soon'], '--headers-timeout'],
    [['serve', '--headers-timeout', '10ms'], '--headers-timeout'],
    [['serve', '--max-connections', '-1'], '--max-connections'],
  ])('streamsoak %j exits 2 naming the flag', async (args, flag) => {
    const result = await runCli(args, { env: { JWT_ACCESS_SECRET: 's' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(flag);
  });
});

describe('CORS with *', () => {
  it('grants any other origin a literal * without credentials, and listed origins their own grant with credentials', async () => {
    const app = makeApp({ corsOrigins: ['*', 'https://app.example'] });
    const token = await signToken({ userId: 'u1', secret: SECRET });
    const foreign = await get(app, `/api/calls/poll?token=${token}`, { origin: 'https://evil.example', cookie: `access_token=${token}` });
    expect(foreign.headers.get('access-control-allow-origin')).toBe('*');
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
    const stream = await get(app, `/api/calls/events?token=${token}`, { origin: 'https://evil.example' });
    expect(stream.headers.get('access-control-allow-origin')).toBe('*');
    expect(stream.headers.get('access-control-allow-credentials')).toBeNull();
    await stream.body?.cancel();
    const listed = await get(app, '/api/health', { origin: 'https://app.example' });
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(listed.headers.get('access-control-allow-credentials')).toBe('true');
    const preflight = await app.fetch(
      new Request(`${BASE}/api/calls/emit`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } }),
    );
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('emit content types', () => {
  const post = async (app: ReferenceApp, contentType: string | undefined): Promise<Response> =>
    app.fetch(
      new Request(`${BASE}/api/calls/emit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await signToken({ userId: 'u1', secret: SECRET })}`, ...(contentType ? { 'content-type': contentType } : {}) },
        body: new TextEncoder().encode('{"userId":"u1"}'),
      }),
    );

  it.each([['application/json'], ['application/json; charset=utf-8'], ['Application/JSON'], ['application/vnd.streamsoak+json']])('accepts %s', async (type) => {
    expect((await post(makeApp(), type)).status).toBe(200);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['multipart/form-data; boundary=b'], ['application/jsonp'], [undefined]])(
    'answers 415 naming content-type for %s',
    async (type) => {
      const response = await post(makeApp(), type);
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ error: 'unsupported_media_type', field: 'content-type' });
    },
  );

  it('reports a body whose stream fails mid-way as incomplete, without throwing', async () => {
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(new TextEncoder().encode('{"userId":'));
        } else controller.error(new Error('the client went away'));
      },
    });
    expect(await readBodyLimited(new Request(`${BASE}/x`, { method: 'POST', body, duplex: 'half' } as RequestInit), 1_000)).toEqual({ ok: false, status: 400 });
  });
});

describe('token refusals', () => {
  it.each([
    ['a token longer than 8 KB', `${'a'.repeat(9_000)}.b.c`, /longer than 8192/],
    ['alg none', `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u1"}').toString('base64url')}.`, /HS256/],
    ['garbage', 'not-a-jwt', /malformed/],
  ])('answers 401 invalid_token saying why for %s', async (_name, token, why) => {
    const response = await get(makeApp(), '/api/calls/poll', { authorization: `Bearer ${token}` });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('invalid_token');
    expect(body.message).toMatch(why);
  });
});

describe('Last-Event-ID', () => {
  it('ignores an id longer than any this server sends, even one that parses', async () => {
    const app = makeApp({ tickIntervalMs: 10 });
    const token = await signToken({ userId: 'u1', secret: SECRET });
    // Epoch 0, 10 ms ticks: honoured, it would replay a full buffer at once.
    const long = `t-0-a-abcdefgh:${'0'.repeat(300)}`;
    const response = await get(app, `/api/calls/events?token=${token}`, { 'last-event-id': long });
    const read = await readSse(response, { events: 1, timeoutMs: 2_000 });
    expect(read.events[0]?.lastEventId).toMatch(/:1$/);
    expect(app.stats.eventsReplayed).toBe(0);
    // The same id, short: a replay (the control).
    const short = await get(app, `/api/calls/events?token=${token}`, { 'last-event-id': 't-0-a-abcdefgh:0' });
    await readSse(short, { events: 1, timeoutMs: 2_000 });
    expect(app.stats.eventsReplayed).toBeGreaterThan(0);
  });
});
