import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { signToken } from '../../src/core/jwt.js';
import { startReferenceServer, type ReferenceServerOptions, type RunningServer } from '../../src/server/index.js';
import { createSseSocketPool } from '../helpers/sse-socket.js';

const SECRET = 'integration-secret';
let servers: RunningServer[] = [];
const sockets = createSseSocketPool();
const open = sockets.open;

async function start(options: Partial<ReferenceServerOptions> = {}): Promise<RunningServer> {
  const server = await startReferenceServer({ jwtSecret: SECRET, port: 0, heartbeatMs: 0, publishIntervalMs: 0, ...options });
  servers.push(server);
  return server;
}

afterEach(async () => {
  sockets.destroyAll();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

const payload = (data: string): { seq: number; sentAt: number; stream: string } => JSON.parse(data) as { seq: number; sentAt: number; stream: string };

describe('the reference server on a real socket', () => {
  it("streams tick events, chunked, with the guide's headers", async () => {
    const server = await start({ tickIntervalMs: 50, heartbeatMs: 120 });
    const token = await signToken({ userId: 'u1', secret: SECRET });
    const client = open(`${server.url}/api/calls/events?token=${token}`);
    expect(await client.status).toBe(200);
    const headers = await client.headers;
    expect(headers['content-type']).toMatch(/^text\/event-stream/);
    expect(headers['cache-control']).toBe('no-cache, no-transform');
    expect(headers['x-accel-buffering']).toBe('no');
    expect(headers['content-encoding']).toBe('none');
    expect(headers['transfer-encoding']).toBe('chunked');
    expect(await client.waitFor(() => client.events.length >= 6 && client.comments.length >= 1, 5_000)).toBe(true);
    expect(client.events.slice(0, 6).map((event) => payload(event.data).seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(server.subscriberCount()).toBe(1);
  });

  it.skipIf(!existsSync('/usr/bin/curl'))('shows a live stream to curl -N (skipped without /usr/bin/curl)', async () => {
    const server = await start({ tickIntervalMs: 100 });
    const token = await signToken({ userId: 'u1', secret: SECRET });
    const output = await new Promise<string>((resolve) => {
      execFile('/usr/bin/curl', ['-sN', '-i', '--max-time', '1', `${server.url}/api/calls/events?token=${token}`], (_error, stdout) => resolve(stdout));
    });
    expect(output).toMatch(/^HTTP\/1\.1 200/);
    expect(output).toMatch(/^x-accel-buffering: no/im);
    expect(output).toContain('retry: 3000');
    expect((output.match(/^id: t-/gm) ?? []).length).toBeGreaterThanOrEqual(5);
  });

  it('delivers the test stream one message per interval, then ends it cleanly', async () => {
    const server = await start({ testStreamMessages: 5, testStreamIntervalMs: 200 });
    const started = Date.now();
    const client = open(`${server.url}/api/calls/events/test`);
    expect(await client.status).toBe(200);
    expect(await client.waitFor(() => client.events.length >= 1, 3_000)).toBe(true);
    const firstAt = Date.now() - started;
    const { cleanEnd } = await client.closed;
    const totalMs = Date.now() - started;
    expect(cleanEnd).toBe(true);
    expect(client.events.map((event) => payload(event.data).seq)).toEqual([1, 2, 3, 4, 5]);
    expect(firstAt).toBeGreaterThanOrEqual(150);
    expect(firstAt).toBeLessThan(1_500);
    expect(totalMs).toBeGreaterThanOrEqual(950);
    expect(totalMs).toBeLessThan(4_000);
  });

  it('answers 401 on the socket and sends no stream without a token', async () => {
    const server = await start();
    const client = open(`${server.url}/api/calls/events`);
    expect(await client.status).toBe(401);
    expect((await client.headers)['content-type']).toMatch(/^application\/json/);
  });

  it('disconnects and counts a consumer that stops reading, while a reading client keeps its stream', async () => {
    const server = await start({ mode: 'bus', maxBufferedBytes: 256 * 1024, maxBodyBytes: 2 * 1024 * 1024, replayBufferSize: 2 });
    const token = await signToken({ userId: 'slow', secret: SECRET, admin: true });
    const stalled = open(`${server.url}/api/calls/events?token=${token}`);
    const reader = open(`${server.url}/api/calls/events?token=${token}`);
    expect(await stalled.status).toBe(200);
    expect(await reader.status).toBe(200);
    stalled.pause();
    const big = 'x'.repeat(512 * 1024);
    let emitted = 0;
    const slowDisconnects = async (): Promise<number> => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return Number(/^streamsoak_server_slow_consumer_disconnects_total (\d+)$/m.exec(text)?.[1]);
    };
    // The kernel's socket buffers absorb several MB first: keep publishing until the cap trips.
    while ((await slowDisconnects()) === 0 && emitted < 120) {
      const response = await fetch(`${server.url}/api/calls/emit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'slow', data: big }),
      });
      expect(response.status).toBe(200);
      emitted++;
      await reader.waitFor(() => reader.events.length >= emitted, 5_000);
    }
    expect(await slowDisconnects()).toBe(1);
    // Roughly kernel buffers plus the cap, never the whole backlog: the server stopped queueing for it.
    expect(emitted).toBeGreaterThan(1);
    expect(emitted).toBeLessThan(120);
    // A paused socket cannot see its end: read again, and the stream stops short of a clean end.
    stalled.resume();
    const end = await stalled.closed;
    expect(end.cleanEnd).toBe(false);
    expect(stalled.events.length).toBeLessThan(emitted);
    expect(reader.events.length).toBe(emitted);
    expect(server.subscriberCount()).toBe(1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^streamsoak_server_slow_consumer_disconnects_total 1$/m);
  });

  it('ends every stream cleanly on shutdown', async () => {
    const server = await start({ tickIntervalMs: 60_000, mode: 'tick' });
    const token = await signToken({ userId: 'u1', secret: SECRET });
    const clients = [
      open(`${server.url}/api/calls/events?token=${token}`),
      open(`${server.url}/api/calls/events?mode=bus&token=${token}`),
      open(`${server.url}/api/calls/events/test`),
    ];
    for (const client of clients) expect(await client.status).toBe(200);
    expect(server.subscriberCount()).toBe(3);
    const started = Date.now();
    await server.close();
    servers = [];
    const ends = await Promise.all(clients.map((client) => client.closed));
    expect(ends.map((end) => end.cleanEnd)).toEqual([true, true, true]);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('accepts a burst of 500 simultaneous stream connects and releases them when the clients leave', async () => {
    const server = await start({ tickIntervalMs: 60_000 });
    const token = await signToken({ userId: 'burst', secret: SECRET });
    const clients = Array.from({ length: 500 }, () => open(`${server.url}/api/calls/events?token=${token}`));
    const statuses = await Promise.all(clients.map((client) => client.status));
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(await clients[0]!.waitFor(() => server.subscriberCount() === 500, 5_000)).toBe(true);
    // Clients that go away release their streams (no leak of held state).
    for (const client of clients) client.destroy();
    expect(await clients[0]!.waitFor(() => server.subscriberCount() === 0, 5_000)).toBe(true);
    expect(server.app?.stats.connections).toBe(0);
  });
});
