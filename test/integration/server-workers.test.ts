import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/core/jwt.js';
import { startClusteredServer, type RunningServer } from '../../src/server/index.js';
import { createSseSocketPool, type SseSocket } from '../helpers/sse-socket.js';

const SECRET = 'workers-secret';
let server: RunningServer;
const sockets = createSseSocketPool();
const open = sockets.open;

beforeAll(async () => {
  server = await startClusteredServer({ jwtSecret: SECRET, port: 0, workers: 2, mode: 'bus', heartbeatMs: 0, publishIntervalMs: 0 });
}, 60_000);

afterAll(async () => {
  sockets.destroyAll();
  await server?.close();
}, 30_000);

describe('serve --workers N', () => {
  it('shares one port between the workers, and a bus event reaches streams on every worker with the same id', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = await signToken({ userId: 'shared', secret: SECRET, admin: true });
    // Connections are spread round-robin: open streams until both workers hold at least one.
    const clients: SseSocket[] = [];
    const workersSeen = new Set<string>();
    for (let i = 0; i < 12 && workersSeen.size < 2; i++) {
      const client = open(`${server.url}/api/calls/events?token=${token}`);
      expect(await client.status).toBe(200);
      workersSeen.add((await client.headers)['x-streamsoak-worker'] ?? '?');
      clients.push(client);
    }
    expect(workersSeen).toEqual(new Set(['1', '2']));

    for (let n = 1; n <= 3; n++) {
      const response = await fetch(`${server.url}/api/calls/emit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'shared', data: { n } }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ published: 1 });
    }
    for (const client of clients) {
      expect(await client.waitFor(() => client.events.length >= 3, 5_000)).toBe(true);
      expect(client.events.map((event) => event.lastEventId)).toEqual(['1', '2', '3']);
    }
    // The primary learns the workers' stream counts from their once-a-second activity reports.
    expect(await clients[0]!.waitFor(() => server.subscriberCount() === clients.length, 3_000)).toBe(true);
  });

  it('answers polls with the same ids on whichever worker takes the request', async () => {
    const token = await signToken({ userId: 'shared', secret: SECRET });
    const seenBy = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${server.url}/api/calls/poll?since=1`, { headers: { authorization: `Bearer ${token}` } });
      seenBy.add(response.headers.get('x-streamsoak-worker') ?? '?');
      expect(response.headers.get('x-poll-cursor')).toBe('3');
      expect(((await response.json()) as Array<{ id: string }>).map((event) => event.id)).toEqual(['2', '3']);
    }
    expect(seenBy.size).toBe(2);
  });

  it("answers /metrics on any worker with the whole cluster's totals", async () => {
    const held = server.subscriberCount();
    expect(held).toBeGreaterThanOrEqual(2);
    // A fresh connection per scrape (no keep-alive agent), so the cluster spreads them over the workers.
    const scrape = (): Promise<{ worker: string; connections: number; pollRequests: number }> =>
      new Promise((resolve, reject) => {
        http
          .get(`${server.url}/metrics`, { agent: false }, (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () =>
              resolve({
                worker: String(response.headers['x-streamsoak-worker'] ?? '?'),
                connections: Number(/^streamsoak_server_sse_connections (\d+)$/m.exec(text)?.[1]),
                pollRequests: Number(/^streamsoak_server_poll_requests_total (\d+)$/m.exec(text)?.[1]),
              }),
            );
          })
          .on('error', reject);
      });
    const deadline = Date.now() + 5_000;
    const agreeing = new Set<string>();
    while (agreeing.size < 2 && Date.now() < deadline) {
      const result = await scrape();
      // Six polls went to the two workers in the test before: the totals count all of them.
      if (result.connections === held && result.pollRequests === 6) agreeing.add(result.worker);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(agreeing).toEqual(new Set(['1', '2']));
  });

  it('broadcasts from an admin to users on every worker', async () => {
    const tokens = await Promise.all(['b1', 'b2', 'b3', 'b4'].map((userId) => signToken({ userId, secret: SECRET })));
    const clients = tokens.map((token) => open(`${server.url}/api/calls/events?token=${token}`));
    const workers = new Set(await Promise.all(clients.map(async (client) => (await client.headers)['x-streamsoak-worker'])));
    expect(workers.size).toBe(2);
    // A broadcast goes to the users the primary knows: let the workers' activity notes arrive first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const admin = await signToken({ userId: 'root', secret: SECRET, admin: true });
    const response = await fetch(`${server.url}/api/calls/emit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ broadcast: true, type: 'notice' }),
    });
    expect(response.status).toBe(200);
    for (const client of clients) {
      expect(await client.waitFor(() => client.events.some((event) => event.type === 'notice'), 5_000)).toBe(true);
    }
  });
});
