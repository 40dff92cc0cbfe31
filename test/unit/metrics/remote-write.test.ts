import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../src/core/errors.js';
import { createRemoteWriteSink } from '../../../src/metrics/remote-write.js';
import { parseRemoteWriteBody, type RemoteWriteSeries } from '../../../src/metrics/remote-write-proto.js';
import type { MetricsSnapshot, TrendStats } from '../../../src/metrics/snapshot.js';

interface Received {
  headers: IncomingMessage['headers'];
  series: RemoteWriteSeries[];
}

interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** A loopback remote-write receiver that decodes what it gets; `status` decides the answer. */
async function startReceiver(status = 204, delayMs = 0): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, series: parseRemoteWriteBody(new Uint8Array(Buffer.concat(chunks))) });
      setTimeout(() => {
        res.statusCode = status;
        res.end(status >= 400 ? 'out of bounds' : '');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function stats(ms: number, count: number): TrendStats {
  return { count, min: ms, max: ms * 2, avg: ms, p50: ms, p90: ms, p95: ms, p99: ms * 1.5 };
}

function snapshot(at: number, connects: number): MetricsSnapshot {
  return {
    testid: 'from-engine',
    engine: 'node',
    at,
    elapsedMs: at - 1_700_000_000_000,
    counters: [
      { name: 'sse_connects', labels: {}, value: connects },
      { name: 'sse_drops', labels: { reason: 'server_closed' }, value: 2 },
    ],
    gauges: [{ name: 'sse_open_connections', labels: {}, value: 7 }],
    trends: [
      { name: 'sse_event_latency', labels: {}, window: stats(20, 5), total: stats(40, 50) },
      { name: 'poll_delivery_delay', labels: {}, window: null, total: null },
    ],
  };
}

function labelsOf(series: RemoteWriteSeries): Record<string, string> {
  return Object.fromEntries(series.labels.map((label) => [label.name, label.value]));
}

function find(all: RemoteWriteSeries[], name: string): RemoteWriteSeries | undefined {
  return all.find((series) => labelsOf(series)['__name__'] === name);
}

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

describe('createRemoteWriteSink', () => {
  it('sends k6-named series with the remote-write headers, trends in seconds', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const sink = createRemoteWriteSink({ url: receiver.url, testid: 'run-1', scenario: 'soak' });
    const t0 = 1_700_000_000_000;
    sink.push(snapshot(t0, 1));
    await sink.close();

    expect(receiver.received).toHaveLength(1);
    const first = receiver.received[0]!;
    expect(first.headers['content-encoding']).toBe('snappy');
    expect(first.headers['content-type']).toBe('application/x-protobuf');
    expect(first.headers['x-prometheus-remote-write-version']).toBe('0.1.0');

    const connects = find(first.series, 'k6_sse_connects_total');
    expect(labelsOf(connects!)).toEqual({ __name__: 'k6_sse_connects_total', engine: 'node', scenario: 'soak', testid: 'run-1' });
    expect(connects!.samples).toEqual([{ value: 1, timestamp: t0 }]);
    expect(labelsOf(find(first.series, 'k6_sse_drops_total')!)['reason']).toBe('server_closed');
    expect(find(first.series, 'k6_sse_open_connections')!.samples[0]!.value).toBe(7);
    // Cumulative (`total`) stats, ms to seconds; count stays a count.
    expect(find(first.series, 'k6_sse_event_latency_p99')!.samples[0]!.value).toBeCloseTo(0.06, 9);
    expect(find(first.series, 'k6_sse_event_latency_p50')!.samples[0]!.value).toBeCloseTo(0.04, 9);
    expect(find(first.series, 'k6_sse_event_latency_max')!.samples[0]!.value).toBeCloseTo(0.08, 9);
    expect(find(first.series, 'k6_sse_event_latency_count')!.samples[0]!.value).toBe(50);
    // A trend without samples sends nothing, as k6 does.
    expect(first.series.some((series) => labelsOf(series)['__name__']!.startsWith('k6_poll_delivery_delay'))).toBe(false);
    // Label names sorted, as the spec requires.
    for (const series of first.series) {
      const names = series.labels.map((label) => label.name);
      expect(names).toEqual([...names].sort());
    }
    expect(sink.pushes).toBe(1);
    expect(sink.failures).toBe(0);
  });

  it('keeps to the push schedule when snapshots arrive a little early', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const sink = createRemoteWriteSink({ url: receiver.url, testid: 'run-jitter', pushIntervalMs: 1000 });
    const t0 = 1_700_000_000_000;
    // 1 s apart give or take 30 ms, as the engine's timer delivers them.
    for (const offset of [0, 1010, 1985, 3020, 3990]) {
      sink.push(snapshot(t0 + offset, offset));
      // Let each push finish: one request at a time, a push still in flight defers the next.
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(sink.pushes).toBe(4);
    await sink.close();
  });

  it('pushes once per interval of snapshot time with every buffered second, and once at close', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const sink = createRemoteWriteSink({ url: receiver.url, testid: 'run-2', pushIntervalMs: 5000 });
    const t0 = 1_700_000_000_000;
    for (let second = 0; second <= 7; second += 1) sink.push(snapshot(t0 + second * 1000, second));
    await sink.close();

    expect(receiver.received).toHaveLength(2);
    const [periodic, final] = receiver.received;
    expect(find(periodic!.series, 'k6_sse_connects_total')!.samples.map((sample) => sample.value)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(find(final!.series, 'k6_sse_connects_total')!.samples.map((sample) => sample.value)).toEqual([6, 7]);
    expect(sink.pushes).toBe(2);
  });

  it('reports a failed push once, counts every failure and keeps accepting snapshots', async () => {
    const receiver = await startReceiver(400);
    receivers.push(receiver);
    const errors: Error[] = [];
    const sink = createRemoteWriteSink({ url: receiver.url, testid: 'run-3', pushIntervalMs: 1000, onError: (error) => errors.push(error) });
    const t0 = 1_700_000_000_000;
    for (let second = 0; second <= 3; second += 1) {
      sink.push(snapshot(t0 + second * 1000, second));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await sink.close();

    expect(sink.pushes).toBeGreaterThanOrEqual(2);
    expect(sink.failures).toBe(sink.pushes);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/answered 400: out of bounds/);
  });

  it('returns from push at once while the endpoint hangs, and close is bounded by the timeout', async () => {
    const receiver = await startReceiver(204, 5000);
    receivers.push(receiver);
    const errors: Error[] = [];
    const sink = createRemoteWriteSink({ url: receiver.url, testid: 'run-4', pushIntervalMs: 1000, timeoutMs: 300, onError: (error) => errors.push(error) });
    const t0 = 1_700_000_000_000;
    const started = performance.now();
    for (let second = 0; second <= 20; second += 1) sink.push(snapshot(t0 + second * 1000, second));
    const pushMs = performance.now() - started;
    await sink.close();
    const closeMs = performance.now() - started;

    // Generous ranges: the point is "not waiting for the 5 s answer", not a speed figure.
    expect(pushMs).toBeLessThan(1000);
    expect(closeMs).toBeLessThan(3000);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/failed/);
  });

  it('sends a push that fell due during a slow request as soon as that request ends', async () => {
    const receiver = await startReceiver(204, 200);
    receivers.push(receiver);
    const sink = createRemoteWriteSink({ url: receiver.url, testid: 'run-slow', pushIntervalMs: 1000 });
    const t0 = 1_700_000_000_000;
    sink.push(snapshot(t0, 0));
    sink.push(snapshot(t0 + 1000, 1)); // due: sent, answered after 200 ms
    sink.push(snapshot(t0 + 2000, 2)); // due while the first is in flight: deferred
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.received).toHaveLength(2);
    expect(find(receiver.received[1]!.series, 'k6_sse_connects_total')!.samples.map((sample) => sample.value)).toEqual([2]);
    await sink.close();
    expect(sink.pushes).toBe(2);
  });

  it('sends credentials of the URL as basic auth and keeps them out of error messages', async () => {
    const receiver = await startReceiver(401);
    receivers.push(receiver);
    const errors: Error[] = [];
    const url = receiver.url.replace('http://', 'http://user:s%40cret@');
    const sink = createRemoteWriteSink({ url, testid: 'run-auth', onError: (error) => errors.push(error) });
    sink.push(snapshot(1_700_000_000_000, 1));
    await sink.close();
    expect(receiver.received[0]!.headers['authorization']).toBe(`Basic ${Buffer.from('user:s@cret').toString('base64')}`);
    expect(errors[0]!.message).toContain(receiver.url);
    expect(errors[0]!.message).not.toContain('cret');
  });

  it('adds extra labels to every series and refuses label names Prometheus would reject', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const sink = createRemoteWriteSink({ url: receiver.url, testid: 'run-labels', labels: { region: 'eu' } });
    sink.push(snapshot(1_700_000_000_000, 1));
    await sink.close();
    for (const series of receiver.received[0]!.series) expect(labelsOf(series)['region']).toBe('eu');
    expect(() => createRemoteWriteSink({ url: receiver.url, testid: 'x', labels: { 'bad-name': 'x' } })).toThrow(InvalidConfigError);
    expect(() => createRemoteWriteSink({ url: receiver.url, testid: 'x', labels: { __name__: 'x' } })).toThrow(/bad|__name__/);
  });

  it('drops the oldest snapshots when the buffer is full', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    // An interval longer than the run: nothing is sent before close.
    const sink = createRemoteWriteSink({ url: receiver.url, testid: 'run-5', pushIntervalMs: 60_000, maxBufferedSnapshots: 3 });
    const t0 = 1_700_000_000_000;
    for (let second = 0; second < 10; second += 1) sink.push(snapshot(t0 + second * 1000, second));
    await sink.close();

    expect(sink.droppedSnapshots).toBe(7);
    expect(find(receiver.received[0]!.series, 'k6_sse_connects_total')!.samples.map((sample) => sample.value)).toEqual([7, 8, 9]);
  });

  it('reports an unreachable endpoint once and completes', async () => {
    // A port that was free a moment ago: connection refused.
    const closed = await startReceiver();
    const url = closed.url;
    await closed.close();
    const errors: Error[] = [];
    const sink = createRemoteWriteSink({ url, testid: 'run-6', pushIntervalMs: 1000, onError: (error) => errors.push(error) });
    const t0 = 1_700_000_000_000;
    for (let second = 0; second <= 4; second += 1) {
      sink.push(snapshot(t0 + second * 1000, second));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await sink.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/ECONNREFUSED/);
    expect(sink.failures).toBe(sink.pushes);
  });
});
