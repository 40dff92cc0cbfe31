/**
 * Issue 9, part 3: the real engine (`runPlan`, in this process) against raw `node:net` servers on
 * 127.0.0.1 that answer 200 `text/event-stream` and then send what no real app sends: random bytes,
 * a line that never ends, one gigantic event, invalid UTF-8; and servers slower than every timeout.
 * Each run completes, every attempt has exactly one record with the reason the target earned, the
 * harness's memory does not grow with the bytes it is sent, and nothing is thrown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_EVENT_LENGTH, DEFAULT_MAX_LINE_LENGTH } from '../../src/core/sse-parser.js';
import { runPlan } from '../../src/engine/index.js';
import { parsePlan, type PlanInput } from '../../src/engine/plan.js';
import { connectionRecordSchema, type ConnectionRecord } from '../../src/results/schema.js';

const MiB = 1024 * 1024;
const STREAM_HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: keep-alive\r\n\r\n';

let resultsDir: string;
const cleanups: Array<() => Promise<void> | void> = [];
const thrown: unknown[] = [];
const onThrown = (error: unknown): void => {
  thrown.push(error);
};

beforeAll(async () => {
  resultsDir = await mkdtemp(join(tmpdir(), 'streamsoak-hostile-'));
  process.on('uncaughtException', onThrown);
  process.on('unhandledRejection', onThrown);
});
afterAll(async () => {
  process.off('uncaughtException', onThrown);
  process.off('unhandledRejection', onThrown);
  await rm(resultsDir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  // Nothing thrown out of the engine, its undici handlers or the parser, in any test.
  expect(thrown).toEqual([]);
});

interface HostileServer {
  url: string;
  /** Bytes handed to the kernel for every connection so far. */
  bytesSent(): number;
  /** The `Last-Event-ID` of every request, '' when absent. */
  lastEventIds: string[];
  connections: number;
}

/**
 * A raw HTTP/1.1 server: reads each request's head, then hands the socket to `behave`. Every socket
 * is destroyed when the test ends.
 */
async function startHostileServer(behave: (socket: Socket, index: number) => void): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  let closedBytes = 0;
  const state: HostileServer = {
    url: '',
    lastEventIds: [],
    connections: 0,
    bytesSent: () => closedBytes + [...sockets].reduce((sum, socket) => sum + socket.bytesWritten, 0),
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closedBytes += socket.bytesWritten;
      sockets.delete(socket);
    });
    let head = '';
    const onData = (data: Buffer): void => {
      head += data.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      // Keep reading (and dropping) whatever else the client sends, so its writes never block.
      socket.resume();
      const match = /\r\nlast-event-id: ?([^\r]*)/i.exec(head.slice(0, end));
      state.lastEventIds.push(match ? Buffer.from(match[1] as string, 'latin1').toString('utf8') : '');
      behave(socket, state.connections++);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

/**
 * Writes `next()` chunks as fast as the client reads them, until the socket closes or `next()`
 * returns null (end the response) or undefined (stop writing, keep the socket open).
 */
function pump(socket: Socket, next: () => Buffer | null | undefined): void {
  const write = (): void => {
    while (!socket.destroyed && socket.writable) {
      const chunk = next();
      if (chunk === undefined) return;
      if (chunk === null) {
        socket.end();
        return;
      }
      if (!socket.write(chunk)) {
        socket.once('drain', write);
        return;
      }
    }
  };
  write();
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

interface MemoryWatch {
  stop(): { heapPeakGrowth: number; rssPeakGrowth: number; heapRetained: number };
}

/** Samples this process's memory (the engine runs in it with `workers: 1`) while a run goes on. */
function watchMemory(): MemoryWatch {
  collectGarbage();
  const base = process.memoryUsage();
  let heapPeak = base.heapUsed;
  let rssPeak = base.rss;
  const sample = (): void => {
    const now = process.memoryUsage();
    heapPeak = Math.max(heapPeak, now.heapUsed);
    rssPeak = Math.max(rssPeak, now.rss);
  };
  const timer = setInterval(sample, 25);
  return {
    stop() {
      clearInterval(timer);
      sample();
      collectGarbage();
      return { heapPeakGrowth: heapPeak - base.heapUsed, rssPeakGrowth: rssPeak - base.rss, heapRetained: process.memoryUsage().heapUsed - base.heapUsed };
    },
  };
}

async function run(baseUrl: string, input: Omit<PlanInput, 'target' | 'workers'>, signal?: AbortSignal) {
  const plan = parsePlan({ target: { baseUrl, query: {} }, workers: 1, clock: 'same-host', ...input });
  const outcome = await runPlan(plan, { resultsDir, ...(signal ? { signal } : {}) });
  const text = await readFile(join(outcome.outDir, 'connections.ndjson'), 'utf8');
  const records = text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => connectionRecordSchema.parse(JSON.parse(line)));
  const values = (name: string): Record<string, number> => outcome.summary.metrics[name]?.values ?? {};
  // Conservation: exactly one record per attempt, with unique ids. An attempt the plan's end caught
  // before it connected is recorded as closed without counting as a connect or a failure.
  const attempts = (values('sse_connects').count ?? 0) + (values('sse_connect_failures').count ?? 0);
  const neverOpened = records.filter((record) => record.openedAt === undefined && record.outcome === 'closed').length;
  expect(records.length).toBe(attempts + neverOpened);
  expect(new Set(records.map((record) => record.id)).size).toBe(records.length);
  for (const client of new Set(records.map((record) => record.client))) {
    const numbers = records.filter((record) => record.client === client).map((record) => record.attempt).sort((a, b) => a - b);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
  }
  return { outcome, records, values };
}

const reasons = (records: ConnectionRecord[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const record of records) counts[`${record.outcome}:${record.reason}`] = (counts[`${record.outcome}:${record.reason}`] ?? 0) + 1;
  return counts;
};

/** Every record but each client's last, which the plan's end may have cut. */
const beforeTheEnd = (records: ConnectionRecord[]): ConnectionRecord[] => {
  const last = new Map<number, number>();
  for (const record of records) last.set(record.client, Math.max(last.get(record.client) ?? 0, record.attempt));
  return records.filter((record) => record.attempt < (last.get(record.client) as number));
};

const mb = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

describe('the engine against hostile streams', () => {
  it('ends a line that never ends as protocol_error at the cap, reconnects, and keeps its memory flat while 200 MiB stream in', async () => {
    // Each stream gets 1.5 MiB of one line (past the 1 MiB cap, so the harness reads over 1 MiB of
    // it before it ends the stream) and then the server stops writing but keeps the socket open:
    // what the server sends is what the harness reads, not what sits in socket buffers. The run
    // ends once 210 streams have been sent (or at its duration on a slow machine).
    const perStream = 1.5 * MiB;
    const streams = 210;
    const line = Buffer.alloc(64 * 1024, 'a');
    const stop = new AbortController();
    const server = await startHostileServer((socket, index) => {
      if (index >= streams) {
        stop.abort();
        return;
      }
      socket.write(`${STREAM_HEAD}retry: 10\n\ndata: `);
      let queued = 0;
      pump(socket, () => {
        if (queued >= perStream) return undefined;
        queued += line.length;
        return line;
      });
    });
    const memory = watchMemory();
    const { records, values } = await run(
      server.url,
      { sse: { clients: 4, reconnect: { policy: 'backoff', initialMs: 20, maxMs: 20, factor: 1, jitterMs: 0 } }, duration: '15s' },
      stop.signal,
    );
    const { heapPeakGrowth, rssPeakGrowth, heapRetained } = memory.stop();
    const sent = server.bytesSent();
    console.log(
      `never-ending line: ${mb(sent)} sent over ${records.length} attempts; harness heap peak +${mb(heapPeakGrowth)}, ` +
        `RSS peak +${mb(rssPeakGrowth)}, heap retained after GC +${mb(heapRetained)}`,
    );
    const protocolErrors = records.filter((record) => record.reason === 'protocol_error');
    // Each protocol error is over 1 MiB read by the harness: 200 of them, over 200 MiB.
    expect(protocolErrors.length).toBeGreaterThanOrEqual(200);
    expect(sent).toBeGreaterThanOrEqual(protocolErrors.length * DEFAULT_MAX_LINE_LENGTH);
    for (const record of protocolErrors) {
      expect(record.outcome).toBe('dropped');
      expect(record.error).toBe(`a line longer than ${DEFAULT_MAX_LINE_LENGTH} characters`);
      expect(record.events).toBe(0);
    }
    // Every attempt before a client's last ended at the cap; the last is cut by the run's end.
    for (const record of beforeTheEnd(records)) expect(record.reason).toBe('protocol_error');
    for (const record of records) expect(['protocol_error', 'client_closed']).toContain(record.reason);
    expect(values('sse_reconnects').count).toBe(records.length - 4);
    // Four streams at the 1 MiB cap hold a few MiB; garbage between collections adds some. What
    // was sent is 200 MiB: memory that grew with it would be far above these bounds.
    expect(heapPeakGrowth).toBeLessThan(100 * MiB);
    expect(rssPeakGrowth).toBeLessThan(150 * MiB);
    expect(heapRetained).toBeLessThan(16 * MiB);
  });

  it('ends one gigantic event as protocol_error at the event cap, and still delivers a large event under it', async () => {
    const dataLine = Buffer.from(`data: ${'x'.repeat(64 * 1024 - 7)}\n`);
    const server = await startHostileServer((socket, index) => {
      socket.write(STREAM_HEAD);
      if (index === 0) {
        // 3 MiB of data in 48 lines, then a blank line: large, under the caps, delivered.
        socket.write(Buffer.concat(Array.from({ length: 48 }, () => dataLine)));
        socket.write(`\n\nid: 1\ndata: {"seq":1,"sentAt":${Date.now()},"stream":"big"}\n\n`);
        setTimeout(() => socket.end(), 100);
        return;
      }
      // Data lines forever, never a blank line: one event that never ends.
      let lines = 0;
      pump(socket, () => (lines++ > 400 ? null : dataLine));
    });
    const memory = watchMemory();
    const { records } = await run(server.url, { sse: { clients: 1, reconnect: { policy: 'backoff', initialMs: 50, maxMs: 50, factor: 1, jitterMs: 0 } }, duration: '4s' });
    const { heapRetained } = memory.stop();
    console.log(`gigantic event: ${mb(server.bytesSent())} sent over ${records.length} attempts; heap retained after GC +${mb(heapRetained)}`);
    const [first, ...rest] = [...records].sort((a, b) => a.attempt - b.attempt);
    expect(first).toMatchObject({ outcome: 'dropped', reason: 'server_closed', events: 2, lastEventId: '1' });
    expect(rest.length).toBeGreaterThanOrEqual(2);
    for (const record of beforeTheEnd(records).slice(1)) {
      expect(record).toMatchObject({ outcome: 'dropped', reason: 'protocol_error', events: 0, error: `an event longer than ${DEFAULT_MAX_EVENT_LENGTH} characters` });
    }
    expect(heapRetained).toBeLessThan(16 * MiB);
  });

  it('reads random bytes at full speed as a stream of ignored lines: no event, no throw, flat memory', async () => {
    // A pool of random chunks, so that the server's cost is the socket, not the random generator.
    const pool = Array.from({ length: 16 }, () => randomFillSync(Buffer.alloc(64 * 1024)));
    const perConnection = 40 * MiB;
    // The run ends once the server has ended all three streams (or at its duration).
    const stop = new AbortController();
    let ended = 0;
    const server = await startHostileServer((socket) => {
      socket.once('close', () => {
        if (++ended === 3) setTimeout(() => stop.abort(), 200);
      });
      socket.write(STREAM_HEAD);
      let sent = 0;
      let i = 0;
      pump(socket, () => (sent >= perConnection ? null : ((sent += 64 * 1024), pool[i++ % pool.length] as Buffer)));
    });
    const memory = watchMemory();
    const { records } = await run(server.url, { sse: { clients: 3, reconnect: { policy: 'none' } }, duration: '15s' }, stop.signal);
    const { heapPeakGrowth, heapRetained } = memory.stop();
    console.log(`random bytes: ${mb(server.bytesSent())} sent; heap peak +${mb(heapPeakGrowth)}, retained after GC +${mb(heapRetained)}`);
    expect(server.bytesSent()).toBeGreaterThanOrEqual(3 * perConnection);
    // Random bytes end a line about every 128 bytes and an event (a blank line) every few KiB, so no
    // cap is reached: the bytes are a valid, meaningless event stream, and the server's end ends it.
    expect(reasons(records)).toEqual({ 'dropped:server_closed': 3 });
    for (const record of records) expect(record.events).toBe(0);
    expect(heapPeakGrowth).toBeLessThan(100 * MiB);
    expect(heapRetained).toBeLessThan(16 * MiB);
  });

  it('decodes invalid UTF-8 inside events with replacement characters, and reconnects after an id that held it', async () => {
    const encoder = new TextEncoder();
    const server = await startHostileServer((socket, index) => {
      socket.write(STREAM_HEAD);
      const payload = (seq: number): Buffer =>
        Buffer.concat([Buffer.from(`data: {"seq":${seq},"sentAt":${Date.now()},"stream":"s`), Buffer.from([0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80]), Buffer.from('"}\n\n')]);
      if (index === 0) {
        socket.write(Buffer.concat([payload(1), Buffer.from('id: '), Buffer.from([0xfe, 0x41]), Buffer.from('\n'), payload(2)]));
        // A character split across two socket reads: '€' is E2 82 AC.
        const split = encoder.encode('data: {"seq":3,"sentAt":0,"stream":"s€"}\n\n');
        const cut = split.indexOf(0x82);
        socket.write(split.subarray(0, cut));
        setTimeout(() => {
          socket.write(split.subarray(cut));
          setTimeout(() => socket.end(), 50);
        }, 100);
        return;
      }
      socket.write(payload(1));
      setTimeout(() => socket.end(), 50);
    });
    const { records } = await run(server.url, { sse: { clients: 1, reconnect: { policy: 'browser', defaultRetryMs: 100, jitterMs: 0 } }, duration: '1500ms' });
    const sorted = [...records].sort((a, b) => a.attempt - b.attempt);
    expect(sorted[0]).toMatchObject({ outcome: 'dropped', reason: 'server_closed', events: 3, lastEventId: '\uFFFDA' });
    // The reconnect sends the id back (encoded as UTF-8, as browsers do) and opens again.
    expect(sorted.length).toBeGreaterThanOrEqual(2);
    expect(sorted[1]).toMatchObject({ outcome: 'dropped', reason: 'server_closed', events: 1 });
    expect(server.lastEventIds.slice(0, 2)).toEqual(['', '\uFFFDA']);
  });
  it('waits out a retry longer than any timer instead of reconnecting at once', async () => {
    const server = await startHostileServer((socket) => {
      socket.write(`${STREAM_HEAD}retry: 99999999999999999999\n\n`);
      setTimeout(() => socket.end(), 50);
    });
    const { records } = await run(server.url, { sse: { clients: 2, reconnect: { policy: 'browser', jitterMs: 0 } }, duration: '1500ms' });
    expect(reasons(records)).toEqual({ 'dropped:server_closed': 2 });
  });
});

describe('the engine against targets slower than every timeout', () => {
  it('ends an attempt whose headers never come as headers_timeout', async () => {
    const server = await startHostileServer(() => undefined);
    const { records } = await run(server.url, {
      sse: { clients: 3, reconnect: { policy: 'none' } },
      timeouts: { headersMs: '500ms' },
      duration: '2500ms',
    });
    expect(reasons(records)).toEqual({ 'failed:headers_timeout': 3 });
    for (const record of records) {
      // undici checks its timeouts on a coarse timer: up to ~1 s late.
      expect(record.endedAt - record.startedAt).toBeGreaterThanOrEqual(450);
      expect(record.endedAt - record.startedAt).toBeLessThan(2_400);
    }
  });

  it('ends a stream that opens and then says nothing as idle_timeout', async () => {
    const server = await startHostileServer((socket) => socket.write(STREAM_HEAD));
    const { records } = await run(server.url, {
      sse: { clients: 3, reconnect: { policy: 'none' } },
      timeouts: { idleMs: '300ms' },
      duration: '2500ms',
    });
    expect(reasons(records)).toEqual({ 'dropped:idle_timeout': 3 });
    for (const record of records) {
      expect(record.endedAt - (record.openedAt as number)).toBeGreaterThanOrEqual(250);
      expect(record.endedAt - (record.openedAt as number)).toBeLessThan(2_400);
    }
  });

  it('ends a connect that never completes (a listener whose accept queue is full) as connect_timeout', async (context) => {
    // Linux drops a SYN while the listener's accept queue is full, so the client's connect hangs
    // until it times out. Node accepts every connection itself, so the listener is a child process
    // that listens with a backlog of 0 and never accepts.
    const child = await startNonAcceptingListener();
    if (child === undefined) {
      context.skip('python3 is not available to hold a listener that never accepts: connect_timeout not tested here');
      return;
    }
    cleanups.push(() => {
      child.process.kill('SIGKILL');
    });
    // Fill the accept queue ourselves; once a connect hangs, the queue is full.
    const fillers: Socket[] = [];
    cleanups.push(() => {
      for (const socket of fillers) socket.destroy();
    });
    let full = false;
    for (let i = 0; i < 8 && !full; i++) {
      const socket = connect(child.port, '127.0.0.1');
      socket.on('error', () => undefined);
      fillers.push(socket);
      full = !(await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 300);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve(true);
        });
      }));
    }
    if (!full) {
      context.skip('the kernel completed every connect to a listener that never accepts: connect_timeout not tested here');
      return;
    }
    const { records } = await run(`http://127.0.0.1:${child.port}`, {
      sse: { clients: 3, reconnect: { policy: 'none' } },
      timeouts: { connectMs: '500ms' },
      duration: '2500ms',
    });
    expect(reasons(records)).toEqual({ 'failed:connect_timeout': 3 });
    for (const record of records) {
      expect(record.endedAt - record.startedAt).toBeGreaterThanOrEqual(450);
      expect(record.endedAt - record.startedAt).toBeLessThan(2_400);
    }
  });
});

/** A python3 child that listens on 127.0.0.1 with a backlog of 0 and never accepts; prints its port. */
async function startNonAcceptingListener(): Promise<{ process: ChildProcess; port: number } | undefined> {
  const script = [
    'import socket, sys, time',
    's = socket.socket()',
    "s.bind(('127.0.0.1', 0))",
    's.listen(0)',
    'print(s.getsockname()[1], flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'ignore'] });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(undefined);
    }, 10_000);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.stdout?.once('data', (data: Buffer) => {
      clearTimeout(timer);
      const port = Number.parseInt(data.toString(), 10);
      resolve(Number.isInteger(port) ? { process: child, port } : undefined);
    });
  });
}
