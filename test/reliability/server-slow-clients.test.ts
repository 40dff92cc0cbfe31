/**
 * Issue 9, "the server under abuse": clients that are slow on purpose. A slowloris client trickles
 * its request head a byte at a time and must be ended by headersTimeout, however many of them there
 * are, while everyone else is served; a client that never reads while events flow must be cut by
 * the slow-consumer cap and counted, so fifty of them cost the server a bounded amount of memory.
 */
import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { signToken } from '../../src/core/jwt.js';
import { openSseSocket, type SseSocket } from '../helpers/sse-socket.js';
import { MB, rawRequest, SECRET, sampleMax, startServerProcess, type ServerProcess } from './server-process.js';

const servers: ServerProcess[] = [];
let sockets: SseSocket[] = [];

afterEach(() => {
  for (const socket of sockets) socket.destroy();
  sockets = [];
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

async function start(args: string[]): Promise<ServerProcess> {
  const server = await startServerProcess(args);
  servers.push(server);
  return server;
}

interface Trickle {
  /** ms from connect to the server closing the socket, undefined while open. */
  closedAfterMs(): number | undefined;
  answer(): string;
  bytesSent(): number;
  destroy(): void;
}

/** A slowloris client: one byte of a request head that never ends every `everyMs`. */
function trickle(port: number, everyMs: number): Trickle {
  const head = `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(10_000)}`;
  const startedAt = Date.now();
  const socket = net.connect({ host: '127.0.0.1', port });
  let sent = 0;
  let closedAfterMs: number | undefined;
  let answer = '';
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= head.length) return;
    socket.write(head[sent++] as string);
  }, everyMs);
  socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    clearInterval(timer);
    closedAfterMs = Date.now() - startedAt;
  });
  return {
    closedAfterMs: () => closedAfterMs,
    answer: () => answer,
    bytesSent: () => sent,
    destroy: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

describe('slowloris', () => {
  it('ends 300 clients trickling their headers within headersTimeout, while others are served all along', async () => {
    const server = await start(['--headers-timeout', '2s', '--request-timeout', '3s', '--interval', '100ms', '--heartbeat', '0']);
    const token = await signToken({ userId: 'fair', secret: SECRET });
    const stream = openSseSocket(`${server.url}/api/calls/events?token=${token}`);
    sockets.push(stream);
    expect(await stream.status).toBe(200);

    const slow = Array.from({ length: 300 }, () => trickle(server.port, 100));
    // Everyone else meanwhile: health answers quickly, the stream keeps flowing.
    const latencies: number[] = [];
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      const startedAt = performance.now();
      const response = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(5_000) });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      latencies.push(performance.now() - startedAt);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const eventsDuringAttack = stream.events.length;
    const deadline = Date.now() + 10_000;
    while (slow.some((client) => client.closedAfterMs() === undefined) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    for (const client of slow) client.destroy();

    const closedAfter = slow.map((client) => client.closedAfterMs());
    expect(closedAfter.every((ms) => ms !== undefined)).toBe(true);
    const times = closedAfter as number[];
    // headersTimeout 2 s, checked every 400 ms: between 2 s and ~2.5 s, with room for a loaded box.
    expect(Math.min(...times)).toBeGreaterThanOrEqual(1_900);
    expect(Math.max(...times)).toBeLessThan(6_000);
    // A clear status, 408, that each client could read (the server half-closes, so a byte still on
    // its way does not reset the socket over the answer), after no more than a few dozen bytes.
    const answered408 = slow.filter((client) => client.answer().startsWith('HTTP/1.1 408')).length;
    expect(answered408).toBe(slow.length);
    expect(Math.max(...slow.map((client) => client.bytesSent()))).toBeLessThan(100);
    // Served meanwhile: health never took more than a couple of seconds (~0.1–0.5 s measured).
    expect(Math.max(...latencies)).toBeLessThan(2_000);
    // 100 ms ticks for ~4 s: the fair stream was not starved.
    expect(eventsDuringAttack).toBeGreaterThanOrEqual(20);
    console.log(
      `slowloris: 300 clients closed after ${Math.min(...times)}..${Math.max(...times)} ms, ${answered408} saw the 408; health p100 ${Math.max(...latencies).toFixed(0)} ms; fair stream ${eventsDuringAttack} events`,
    );
    expect(server.exited()).toBeUndefined();
  });

  it('ends an idle connection (no byte sent) with 408 at the default headersTimeout of 10 s', async () => {
    const server = await start(['--heartbeat', '0']);
    const answer = await rawRequest(server.port, '', { holdMs: 20_000 });
    expect(answer.status).toBe(408);
    expect(answer.closedByServerAfterMs).toBeGreaterThanOrEqual(9_500);
    expect(answer.closedByServerAfterMs).toBeLessThan(13_000);
  });

  it('ends a request body that trickles past requestTimeout with 408, and never limits a stream by it', async () => {
    const server = await start(['--headers-timeout', '1s', '--request-timeout', '2s', '--interval', '100ms', '--heartbeat', '0']);
    const token = await signToken({ userId: 'u1', secret: SECRET });
    const stream = openSseSocket(`${server.url}/api/calls/events?token=${token}`);
    sockets.push(stream);
    const body = await rawRequest(
      server.port,
      `POST /api/calls/emit HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
      { holdMs: 10_000 },
    );
    expect(body.status).toBe(408);
    expect(body.closedByServerAfterMs).toBeGreaterThanOrEqual(1_900);
    expect(body.closedByServerAfterMs).toBeLessThan(6_000);
    // The stream outlived requestTimeout (and headersTimeout) and still flows.
    await new Promise((resolve) => setTimeout(resolve, 3_000 - Math.min(3_000, body.closedByServerAfterMs ?? 0)));
    const before = stream.events.length;
    expect(await stream.waitFor(() => stream.events.length >= before + 5, 3_000)).toBe(true);
    expect(await stream.status).toBe(200);
    expect(server.exited()).toBeUndefined();
  });
});

describe('slow consumers', () => {
  it('cuts and counts 50 clients that never read while 64 KB events flow, and memory stays bounded', async () => {
    const server = await start(['--mode', 'bus', '--publish-interval', '0', '--heartbeat', '0', '--max-body-bytes', String(MB), '--replay-buffer', '2']);
    const token = await signToken({ userId: 'slow', secret: SECRET });
    const url = `${server.url}/api/calls/events?token=${token}`;
    const stalled = Array.from({ length: 50 }, () => openSseSocket(url));
    const reader = openSseSocket(url);
    sockets.push(...stalled, reader);
    for (const client of [...stalled, reader]) expect(await client.status).toBe(200);
    for (const client of stalled) client.pause();
    await server.collectGarbage();
    const baseline = await server.rssBytes();
    const heapBaseline = await heapUsed(server);
    const rss = sampleMax(() => server.rssBytes(), 100);

    const data = 'x'.repeat(64 * 1024);
    const EMITS = 400;
    let emitted = 0;
    let cutAfter: number | undefined;
    let rssAtCut = 0;
    for (; emitted < EMITS; ) {
      const response = await fetch(`${server.url}/api/calls/emit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'slow', data }),
        signal: AbortSignal.timeout(10_000),
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      emitted++;
      expect(await reader.waitFor(() => reader.events.length >= emitted, 10_000)).toBe(true);
      if (cutAfter === undefined && emitted % 10 === 0 && (await server.metric('streamsoak_server_slow_consumer_disconnects_total')) === 50) {
        cutAfter = emitted;
        rssAtCut = await server.rssBytes();
      }
    }
    const peak = await rss.stop();
    await server.collectGarbage();
    const final = await server.rssBytes();
    const heapFinal = await heapUsed(server);

    expect(await server.metric('streamsoak_server_slow_consumer_disconnects_total')).toBe(50);
    expect((await server.health()).connections).toBe(1);
    expect(cutAfter).toBeDefined();
    // Had the server queued everything for them: 400 events × 64 KB × 50 clients = 1.25 GB (less
    // the ~4 MB of socket buffers the kernel holds per client). What it may hold: 512 KB a client
    // (25 MB), plus the up to 64 MB of freed buffers V8 lets pile up before it collects them.
    const unboundedBytes = EMITS * data.length * 50;
    expect(peak - baseline).toBeLessThan(128 * MB);
    expect(unboundedBytes).toBeGreaterThan(8 * 128 * MB);
    // And the 320 events after the cut added nothing for the clients that were cut: once V8 has
    // collected, the heap is back near where it was (their 50 × 512 KB queues would be 25 MB).
    expect(final - rssAtCut).toBeLessThan(32 * MB);
    expect(heapFinal - heapBaseline).toBeLessThan(8 * MB);
    // A stalled client, reading again, finds its stream cut short: no clean end, far fewer events.
    const sample = stalled[0] as SseSocket;
    sample.resume();
    expect((await sample.closed).cleanEnd).toBe(false);
    expect(sample.events.length).toBeLessThan(emitted);
    expect(reader.events.length).toBe(emitted);
    console.log(
      `slow consumers: 50 cut after ≤${cutAfter} events of 64 KB; rss baseline ${(baseline / MB).toFixed(0)} MB, peak +${((peak - baseline) / MB).toFixed(1)} MB, at the cut +${((rssAtCut - baseline) / MB).toFixed(1)} MB, at the end after a full GC +${((final - baseline) / MB).toFixed(1)} MB (heap +${((heapFinal - heapBaseline) / MB).toFixed(1)} MB); unbounded would be ${(unboundedBytes / MB).toFixed(0)} MB`,
    );
    expect(server.exited()).toBeUndefined();
  });
});

async function heapUsed(server: ServerProcess): Promise<number> {
  const health = (await server.health()) as unknown as { memory: { heapUsedBytes: number } };
  return health.memory.heapUsedBytes;
}
