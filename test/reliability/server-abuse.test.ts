/**
 * Issue 9, "the server under abuse": what a hostile client sends to the reference server in a child
 * process — forged, expired and oversized tokens, credentialed requests from foreign origins,
 * garbage Last-Event-IDs, oversized and malformed emit bodies. Each gets a clear status, none a
 * stream it should not have, none a 500; the server stays up and its memory stays bounded.
 */
import { createHmac } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/core/jwt.js';
import { openSseSocket, type SseSocket } from '../helpers/sse-socket.js';
import { MB, parseHead, rawGet, rawRequest, SECRET, sampleMax, startServerProcess, type ServerProcess } from './server-process.js';

const ORIGIN = 'https://app.example';
const FOREIGN = 'https://evil.example';

let server: ServerProcess;
const sockets: SseSocket[] = [];

beforeAll(async () => {
  server = await startServerProcess([
    '--interval', '100ms', '--heartbeat', '0', '--publish-interval', '0', '--cors-origin', ORIGIN, '--replay-buffer', '50',
  ]);
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await server?.stop();
});

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A JWT signed by hand, so the header and claims can be anything a forger would try. */
function forge(header: Record<string, unknown>, claims: Record<string, unknown> | string, options: { secret?: string; hash?: 'sha256' | 'sha512' } = {}): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = createHmac(options.hash ?? 'sha256', options.secret ?? SECRET).update(input).digest('base64url');
  return `${input}.${signature}`;
}

const nowS = (): number => Math.floor(Date.now() / 1000);

function open(path: string, headers: Record<string, string> = {}): SseSocket {
  const socket = openSseSocket(`${server.url}${path}`, headers);
  sockets.push(socket);
  return socket;
}

async function expectServerHealthy(): Promise<void> {
  expect(server.exited()).toBeUndefined();
  expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
}

describe('tokens', () => {
  const HS256 = { alg: 'HS256', typ: 'JWT' };
  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    ['alg none, no signature', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'u1', exp: nowS() + 600 })}.`, /HS256/],
    ['alg none with a signature', async () => forge({ alg: 'none' }, { sub: 'u1', exp: nowS() + 600 }), /HS256/],
    // Decided: HMAC-SHA-512 with the same secret is still refused; only HS256 is accepted (RFC 8725 §3.1).
    ['HS512 with the right secret', async () => forge({ alg: 'HS512', typ: 'JWT' }, { sub: 'u1', exp: nowS() + 600 }, { hash: 'sha512' }), /HS256/],
    ['RS256 header over an HMAC signature', async () => forge({ alg: 'RS256', typ: 'JWT' }, { sub: 'u1', exp: nowS() + 600 }), /HS256/],
    ['a wrong key', () => signToken({ userId: 'u1', secret: 'not-the-secret' }), /signature/],
    ['not valid yet (nbf in an hour)', async () => forge(HS256, { sub: 'u1', nbf: nowS() + 3_600, exp: nowS() + 7_200 }), /nbf/],
    ['no sub claim', async () => forge(HS256, { exp: nowS() + 600 }), /sub/],
    ['exp that is not a number', async () => forge(HS256, { sub: 'u1', exp: 'tomorrow' }), /exp/],
    ['one part', async () => 'abc', /malformed/],
    ['two parts', async () => 'abc.def', /malformed/],
    ['four parts', async () => 'a.b.c.d', /malformed/],
    ['bad base64', async () => '!!!.###.$$$', /malformed/],
    ['a header that is not JSON', async () => `${b64('not json')}.${b64({ sub: 'u1' })}.sig`, /malformed/],
    // Signed right, so the claims are the only thing wrong (the signature is checked before them).
    ['claims that are not JSON', async () => forge(HS256, '{"sub":'), /malformed/],
    ['claims that are a JSON array', async () => forge(HS256, '["u1"]'), /malformed/],
    ['a 12 KB token (under the header limit)', async () => `${b64(HS256)}.${'A'.repeat(12_000)}.sig`, /longer than 8192/],
  ];

  it.each(cases)('answers 401 JSON, never a stream, for %s, from the header, the cookie and the query', async (_name, make, detail) => {
    const token = await make();
    const before = await server.metric('streamsoak_server_sse_connections_opened_total');
    const ways: Array<Record<string, string>> = [{ authorization: `Bearer ${token}` }, { cookie: `access_token=${encodeURIComponent(token)}` }];
    for (const headers of ways) {
      const response = await fetch(`${server.url}/api/calls/events`, { headers, signal: AbortSignal.timeout(10_000) });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      const body = (await response.json()) as { error: string; message: string };
      expect(body.error).toBe('invalid_token');
      expect(body.message).toMatch(detail);
    }
    const query = await fetch(`${server.url}/api/calls/events?token=${encodeURIComponent(token)}`, { signal: AbortSignal.timeout(10_000) });
    expect(query.status).toBe(401);
    await query.body?.cancel();
    expect(await server.metric('streamsoak_server_sse_connections_opened_total')).toBe(before);
  });

  it('answers 401 expired_token for an expired token', async () => {
    const expired = await signToken({ userId: 'u1', secret: SECRET, now: Date.now() - 7_200_000, ttlSeconds: 60 });
    const response = await fetch(`${server.url}/api/calls/events?token=${expired}`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'expired_token' });
  });

  it.each([
    ['the query', (big: string) => rawGet(`/api/calls/events?token=${big}`)],
    ['the Authorization header', (big: string) => rawGet('/api/calls/events', { Authorization: `Bearer ${big}` })],
    ['the cookie', (big: string) => rawGet('/api/calls/events', { Cookie: `access_token=${big}` })],
  ])('answers 431 and closes, parsing nothing, for a 100 KB token in %s', async (_where, request) => {
    const failuresBefore = await server.metric('streamsoak_server_auth_failures_total');
    const answer = await rawRequest(server.port, request('A'.repeat(100_000)), { holdMs: 10_000 });
    expect(answer.status).toBe(431);
    expect(answer.closedByServerAfterMs).toBeLessThan(5_000);
    // Node refused the head before the app saw it: no auth failure was even counted.
    expect(await server.metric('streamsoak_server_auth_failures_total')).toBe(failuresBefore);
  });

  it('still streams to a good token after all that, and opened no stream for a bad one', async () => {
    const good = await signToken({ userId: 'u1', secret: SECRET });
    const stream = open(`/api/calls/events?token=${good}`);
    expect(await stream.status).toBe(200);
    expect(await stream.waitFor(() => stream.events.length >= 1, 5_000)).toBe(true);
    stream.destroy();
    await expectServerHealthy();
  });
});

describe('CORS', () => {
  it('never reflects a foreign origin nor grants it credentials, on a cookie-authenticated stream, poll or preflight', async () => {
    const token = await signToken({ userId: 'cors', secret: SECRET });
    const cookie = `access_token=${token}`;
    const stream = open('/api/calls/events', { Origin: FOREIGN, Cookie: cookie });
    // The stream itself opens (the token is good): it is the browser that refuses it to the page.
    expect(await stream.status).toBe(200);
    const headers = await stream.headers;
    expect(headers['access-control-allow-origin']).toBeUndefined();
    expect(headers['access-control-allow-credentials']).toBeUndefined();
    stream.destroy();

    const poll = await fetch(`${server.url}/api/calls/poll`, { headers: { origin: FOREIGN, cookie } });
    expect(poll.status).toBe(200);
    expect(poll.headers.get('access-control-allow-origin')).toBeNull();
    expect(poll.headers.get('access-control-allow-credentials')).toBeNull();
    expect(poll.headers.get('vary')).toMatch(/origin/i);

    for (const origin of [FOREIGN, 'null', `${ORIGIN}.evil.example`, `${ORIGIN}:8443`, 'http://app.example']) {
      const preflight = await fetch(`${server.url}/api/calls/emit`, {
        method: 'OPTIONS',
        headers: { origin, cookie, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(preflight.headers.get('access-control-allow-credentials'), origin).toBeNull();
      expect(preflight.headers.get('access-control-allow-methods'), origin).toBeNull();
    }
    // The allowed origin, for contrast: granted, with credentials.
    const allowed = await fetch(`${server.url}/api/calls/poll`, { headers: { origin: ORIGIN, cookie } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
  });
});

describe('Last-Event-ID', () => {
  async function firstTick(lastEventId: string | Buffer): Promise<{ status: number; id: string; seq: number }> {
    const token = await signToken({ userId: 'resume', secret: SECRET });
    const head = Buffer.concat([
      Buffer.from(`GET /api/calls/events?token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: `),
      Buffer.isBuffer(lastEventId) ? lastEventId : Buffer.from(lastEventId, 'latin1'),
      Buffer.from('\r\n\r\n'),
    ]);
    const answer = await rawRequest(server.port, head, { holdMs: 600 });
    const id = /^id: (.*)$/m.exec(answer.body)?.[1] ?? '';
    const seq = Number(/"seq":(\d+)/.exec(answer.body)?.[1]);
    return { status: answer.status ?? 0, id, seq };
  }

  it('resumes a stream after an id it sent (the control)', async () => {
    const token = await signToken({ userId: 'resume', secret: SECRET });
    const first = open(`/api/calls/events?token=${token}`);
    expect(await first.waitFor(() => first.events.length >= 2, 5_000)).toBe(true);
    first.destroy();
    const sent = first.events[1]?.lastEventId as string;
    const resumed = await firstTick(sent);
    expect(resumed.status).toBe(200);
    expect(resumed.id.slice(0, resumed.id.lastIndexOf(':'))).toBe(sent.slice(0, sent.lastIndexOf(':')));
    expect(resumed.seq).toBe(3);
  });

  const garbage: Array<[string, string | Buffer]> = [
    ['garbage', 'hello world'],
    ['negative', '-5'],
    ['non-numeric with a colon', 'abc:def'],
    ['a tick id with a negative seq', 't-abc-2s-xyz:-1'],
    ['a tick id with an interval below the minimum', `t-${Date.now().toString(36)}-1-abcdefgh:1`],
    ['a bus id (another kind of stream)', '42'],
    ['unicode (UTF-8 bytes)', Buffer.from('t-é-ü-😀:1', 'utf8')],
    ['8 KB', 'x'.repeat(8_192)],
    ['8 KB of a valid-looking id', `t-${Date.now().toString(36)}-2s-abcdefgh:${'9'.repeat(8_000)}`],
  ];

  it.each(garbage)('treats a Last-Event-ID that is %s as absent: 200, a fresh stream from seq 1', async (_name, lastEventId) => {
    const replayedBefore = await server.metric('streamsoak_server_events_replayed_total');
    const answer = await firstTick(lastEventId);
    expect(answer.status).toBe(200);
    expect(answer.seq).toBe(1);
    expect(answer.id).toMatch(/^t-[0-9a-z]+-[0-9a-z]+-[0-9a-z]+:1$/);
    expect(await server.metric('streamsoak_server_events_replayed_total')).toBe(replayedBefore);
  });

  it('replays at most the replay buffer for a forged id of a stream started in 1970, then streams on', async () => {
    const replayedBefore = (await server.metric('streamsoak_server_events_replayed_total')) ?? 0;
    // Started at epoch 0 with a 10 ms interval: ~1.8e11 ticks "missed".
    const answer = await rawRequest(server.port, rawGet(`/api/calls/events?token=${await signToken({ userId: 'r', secret: SECRET })}`, { 'Last-Event-ID': 't-0-a-abcdefgh:0' }), { holdMs: 800 });
    expect(answer.status).toBe(200);
    const replayed = ((await server.metric('streamsoak_server_events_replayed_total')) ?? 0) - replayedBefore;
    expect(replayed).toBe(50);
    await expectServerHealthy();
  });

  it('ignores garbage Last-Event-IDs in bus mode: no replay, the stream opens', async () => {
    const token = await signToken({ userId: 'bus-resume', secret: SECRET });
    for (let n = 0; n < 3; n++) {
      const response = await fetch(`${server.url}/api/calls/emit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'bus-resume', data: n }),
      });
      expect(response.status).toBe(200);
    }
    const control = await rawRequest(server.port, rawGet(`/api/calls/events?mode=bus&token=${token}`, { 'Last-Event-ID': '1' }), { holdMs: 400 });
    expect(control.status).toBe(200);
    expect([...control.body.matchAll(/^id: (\d+)$/gm)].map((m) => m[1])).toEqual(['2', '3']);
    for (const id of ['-1', 'abc', '1e3', '0x10', '٣', '9'.repeat(20), 'x'.repeat(8_192), 't-abc-2s-xyz:1']) {
      const answer = await rawRequest(server.port, rawGet(`/api/calls/events?mode=bus&token=${token}`, { 'Last-Event-ID': id }), { holdMs: 300 });
      expect(answer.status, id.slice(0, 20)).toBe(200);
      expect(answer.body, id.slice(0, 20)).not.toMatch(/^id: /m);
    }
    await expectServerHealthy();
  });
});

describe('emit bodies', () => {
  const emitHead = (token: string, headers: Record<string, string>): string =>
    [`POST /api/calls/emit HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: Bearer ${token}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n') + '\r\n\r\n';

  it.each([
    ['not JSON', 'application/json', '{"userId":', '(root)'],
    ['a JSON string', 'application/json', '"hello"', '(root)'],
    ['userId a number', 'application/json', '{"userId":7}', 'userId'],
    ['broadcast a string', 'application/json', '{"broadcast":"yes"}', 'broadcast'],
    ['no target', 'application/json', '{"data":1}', 'userId'],
    ['type with a newline', 'application/json', '{"userId":"u1","type":"a\\nb"}', 'type'],
    ['an unknown field', 'application/json', '{"userId":"u1","sneaky":1}', '(root)'],
  ])('answers 400 naming the field for a body that is %s', async (_name, contentType, body, field) => {
    const admin = await signToken({ userId: 'u1', secret: SECRET, admin: true });
    const response = await fetch(`${server.url}/api/calls/emit`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': contentType }, body });
    expect(response.status).toBe(400);
    const json = (await response.json()) as { message: string; fields: string[] };
    expect(json.fields).toContain(field);
    if (field !== '(root)') expect(json.message).toContain(field);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['multipart/form-data; boundary=x'], [undefined]])(
    'answers 415 naming content-type for a %s body',
    async (contentType) => {
      const token = await signToken({ userId: 'u1', secret: SECRET });
      const response = await fetch(`${server.url}/api/calls/emit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) },
        body: new TextEncoder().encode('{"userId":"u1"}'),
      });
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ error: 'unsupported_media_type', field: 'content-type' });
    },
  );

  it('answers 413 to ten 10 MB bodies sent at once, declared or chunked without end, holding none of them', async () => {
    const token = await signToken({ userId: 'u1', secret: SECRET });
    const baseline = await server.rssBytes();
    const rss = sampleMax(() => server.rssBytes(), 100);
    const chunk = 'x'.repeat(1024 * 1024);
    const ten = Array.from({ length: 10 }, (_, i) => i);
    // Declared: Content-Length 10 MB, and the whole 10 MB written (the server must not read it all).
    const declared = ten.map(() =>
      rawRequest(server.port, emitHead(token, { 'Content-Type': 'application/json', 'Content-Length': String(10 * MB) }) + chunk.repeat(10), { holdMs: 10_000 }),
    );
    // Chunked, never ending: 1 MB chunks written for as long as the socket takes them.
    const endless = ten.map(() => endlessChunked(server.port, emitHead(token, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }), chunk));
    const answers = await Promise.all([...declared, ...endless]);
    const peak = await rss.stop();
    for (const answer of answers) {
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'body_too_large' });
      // Closed by the server after a brief drain, not held open while the client sends forever.
      expect(answer.closedByServerAfterMs).toBeDefined();
      expect(answer.closedByServerAfterMs).toBeLessThan(8_000);
    }
    // Holding the bodies would take 20 × 10 MB (and more for the endless ones, and twice that
    // decoded): 64 MB is far below that and far above the 64 KB limit times twenty.
    expect(peak - baseline).toBeLessThan(64 * MB);
    console.log(`emit bodies: rss baseline ${(baseline / MB).toFixed(0)} MB, peak +${((peak - baseline) / MB).toFixed(1)} MB`);
    await expectServerHealthy();
  });
});

/** A chunked POST whose body never ends: writes `chunk` while the socket takes it, reads the answer. */
function endlessChunked(port: number, head: string, chunk: string): ReturnType<typeof rawRequest> {
  return new Promise((resolve) => {
    {
      const startedAt = Date.now();
      const socket = net.connect({ host: '127.0.0.1', port });
      let received = Buffer.alloc(0);
      let error: string | undefined;
      let written = 0;
      let closedByUs = false;
      const frame = `${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`;
      const pump = (): void => {
        // Past 200 MB the server is clearly reading everything: stop (the test then fails on status).
        while (!socket.destroyed && written < 200 * MB) {
          written += frame.length;
          if (!socket.write(frame)) return void socket.once('drain', pump);
        }
      };
      socket.on('connect', () => {
        socket.write(head);
        pump();
      });
      socket.on('data', (data: Buffer) => (received = Buffer.concat([received, data])));
      socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code));
      const timer = setTimeout(() => {
        closedByUs = true;
        socket.destroy();
      }, 15_000);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ ...parseHead(received), closedByServerAfterMs: closedByUs ? undefined : Date.now() - startedAt, error });
      });
    }
  });
}
