import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runPlan, type RunOutcome } from '../../src/engine/index.js';
import { parsePlan, type PlanInput } from '../../src/engine/plan.js';
import { connectionRecordSchema, timelineSchema, type ConnectionRecord } from '../../src/results/schema.js';
import { startMisbehavingServer, type MisbehavingServer } from './fixtures/misbehaving-server.js';

let resultsDir: string;
let server: MisbehavingServer | undefined;

beforeAll(async () => {
  resultsDir = await mkdtemp(join(tmpdir(), 'streamsoak-engine-'));
});
afterAll(async () => {
  await rm(resultsDir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function readRecords(outDir: string): Promise<ConnectionRecord[]> {
  const text = await readFile(join(outDir, 'connections.ndjson'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => connectionRecordSchema.parse(JSON.parse(line)));
}

async function run(input: Omit<PlanInput, 'target'> & { query?: Record<string, string>; baseUrl?: string; pollPath?: string }, signal?: AbortSignal) {
  const { query, baseUrl, pollPath, ...rest } = input;
  const target = { baseUrl: baseUrl ?? (server as MisbehavingServer).url, query: query ?? {}, ...(pollPath ? { pollPath } : {}) };
  const plan = parsePlan({ target, workers: 1, ...rest });
  const outcome: RunOutcome = await runPlan(plan, { resultsDir, ...(signal ? { signal } : {}) });
  const records = await readRecords(outcome.outDir);
  const values = (name: string): Record<string, number> => outcome.summary.metrics[name]?.values ?? {};
  // Conservation, for every run: exactly one record per attempt, with unique ids.
  const attempts = (values('sse_connects').count ?? 0) + (values('sse_connect_failures').count ?? 0);
  const neverOpened = records.filter((record) => record.openedAt === undefined && record.outcome === 'closed').length;
  expect(records.length).toBe(attempts + neverOpened);
  expect(new Set(records.map((record) => record.id)).size).toBe(records.length);
  return { outcome, records, values };
}

const count = (records: ConnectionRecord[], reason: string): number => records.filter((record) => record.reason === reason).length;

describe('engine against a misbehaving server', () => {
  it('records a drop at the time the server ends every stream, and nothing else', async () => {
    server = await startMisbehavingServer();
    const { records, outcome, values } = await run({
      query: { endAfterMs: '1000', intervalMs: '100' },
      sse: { clients: 10, reconnect: { policy: 'none' } },
      duration: '2500ms',
    });
    expect(records).toHaveLength(10);
    expect(count(records, 'server_closed')).toBe(10);
    for (const record of records) {
      expect(record.outcome).toBe('dropped');
      const lifetimeMs = record.endedAt - (record.openedAt as number);
      expect(lifetimeMs).toBeGreaterThan(900);
      expect(lifetimeMs).toBeLessThan(1_600);
      expect(record.events).toBeGreaterThanOrEqual(7);
      expect(record.events).toBeLessThanOrEqual(10);
      expect(record.lost).toBe(0);
    }
    expect(outcome.summary.breakdown.sse_drops).toEqual({ server_closed: 10 });
    expect(values('sse_connection_lifetime').med).toBeGreaterThan(900);
    expect(values('sse_connection_lifetime').med).toBeLessThan(1_600);
    const timeline = timelineSchema.parse(JSON.parse(await readFile(join(outcome.outDir, 'timeline.json'), 'utf8')));
    expect(timeline.points.length).toBeGreaterThanOrEqual(2);
  });

  it('reconnects with Last-Event-ID after the server closes the stream, waiting the server’s retry', async () => {
    server = await startMisbehavingServer();
    const { records, values } = await run({
      query: { endAfterMs: '400', intervalMs: '50', retry: '300' },
      sse: { clients: 2, reconnect: { policy: 'browser', jitterMs: 0 } },
      duration: '2s',
    });
    // Each cycle: ~400 ms open + 300 ms wait, so 2 s holds 3 cycles per user, the last cut by the plan.
    const perUser = [0, 1].map((client) => records.filter((record) => record.client === client));
    for (const attempts of perUser) {
      expect(attempts.length).toBeGreaterThanOrEqual(3);
      expect(attempts.length).toBeLessThanOrEqual(4);
      expect(attempts.map((record) => record.attempt)).toEqual(attempts.map((_, i) => i + 1).sort((a, b) => a - b));
      const [first, second] = [...attempts].sort((a, b) => a.attempt - b.attempt);
      const gapMs = (second as ConnectionRecord).startedAt - (first as ConnectionRecord).endedAt;
      expect(gapMs).toBeGreaterThanOrEqual(290);
      expect(gapMs).toBeLessThan(600);
    }
    const resumed = (server as MisbehavingServer).lastEventIds.filter((id) => id !== '');
    expect(resumed.length).toBe(values('sse_reconnects').count);
    // The server resumes after Last-Event-ID, so nothing is lost or repeated across reconnects.
    expect(values('sse_events_lost').count).toBe(0);
    expect(values('sse_events_duplicated').count).toBe(0);
  });

  it('counts refusals past the server’s connection cap as http_5xx', async () => {
    server = await startMisbehavingServer({ maxConnections: 5 });
    const { records, outcome } = await run({ sse: { clients: 12, reconnect: { policy: 'none' } }, duration: '1500ms' });
    expect(count(records, 'http_5xx')).toBe(7);
    expect(count(records, 'client_closed')).toBe(5);
    expect(records.filter((record) => record.reason === 'http_5xx').every((record) => record.status === 503)).toBe(true);
    expect(outcome.summary.breakdown.sse_connect_failures).toEqual({ http_5xx: 7 });
    expect(outcome.summary.metrics.sse_connect_failures?.values.rate).toBeCloseTo(7 / 12, 3);
  });

  it('stops a browser-policy user after a 204, without reconnecting', async () => {
    server = await startMisbehavingServer();
    const { records, values } = await run({
      query: { status: '204' },
      sse: { clients: 4, reconnect: { policy: 'browser', defaultRetryMs: 100, jitterMs: 0 } },
      duration: '1s',
    });
    expect(records).toHaveLength(4);
    expect(count(records, 'http_204')).toBe(4);
    expect(values('sse_reconnects').count).toBe(0);
  });

  it('fails on a wrong content type and keeps trying with the backoff policy', async () => {
    server = await startMisbehavingServer();
    const { records } = await run({
      query: { contentType: 'text/html' },
      sse: { clients: 2, reconnect: { policy: 'backoff', initialMs: 100, maxMs: 400, factor: 2, jitterMs: 0 } },
      duration: '1200ms',
    });
    // 0, +100, +200, +400 ms... : 4 to 5 attempts per user in 1.2 s.
    expect(count(records, 'bad_content_type')).toBeGreaterThanOrEqual(8);
    expect(count(records, 'bad_content_type')).toBeLessThanOrEqual(10);
    expect(records.every((record) => record.contentType === 'text/html')).toBe(true);
  });

  it('records a socket reset mid-stream as a reset drop, and a close without the end of the body as server_closed', async () => {
    server = await startMisbehavingServer();
    const { records, outcome } = await run({
      query: { resetAfterMs: '500', intervalMs: '100' },
      sse: { clients: 5, reconnect: { policy: 'none' } },
      duration: '1500ms',
    });
    // Node's socket.resetAndDestroy() does not always put an RST on the wire: on Linux loopback a
    // plain net client saw a FIN instead for 3 to 13 of 30 sockets. The engine must report what
    // arrived: ECONNRESET is `reset`; a FIN before the chunked body's end is undici's "other side
    // closed", which we count as the server closing the stream.
    const resets = records.filter((record) => record.reason === 'reset');
    const closes = records.filter((record) => record.reason === 'server_closed');
    expect(resets.length + closes.length).toBe(5);
    expect(resets.length).toBeGreaterThan(0);
    expect(resets.every((record) => record.error?.includes('ECONNRESET'))).toBe(true);
    expect(closes.every((record) => record.error?.includes('other side closed'))).toBe(true);
    expect(records.every((record) => record.outcome === 'dropped')).toBe(true);
    for (const record of records) {
      const lifetimeMs = record.endedAt - (record.openedAt as number);
      expect(lifetimeMs).toBeGreaterThan(400);
      expect(lifetimeMs).toBeLessThan(900);
    }
    expect(outcome.summary.breakdown.sse_drops?.reset).toBe(resets.length);
  });

  it('ends a silent stream at the plan’s idle timeout as idle_timeout', async () => {
    server = await startMisbehavingServer();
    const { records } = await run({
      query: { intervalMs: '5000' },
      sse: { clients: 3, reconnect: { policy: 'none' } },
      timeouts: { idleMs: '300ms' },
      duration: '1200ms',
    });
    expect(count(records, 'idle_timeout')).toBe(3);
    for (const record of records) {
      // Silence is measured from the last byte (the opening comment). undici checks body timeouts on
      // a coarse timer (about 1 s of resolution), so 300 ms of silence is noticed within ~1.5 s.
      const silenceMs = record.endedAt - (record.lastByteAt as number);
      expect(silenceMs).toBeGreaterThanOrEqual(250);
      expect(silenceMs).toBeLessThan(2_000);
    }
  });

  it('counts skipped sequence numbers as lost events', async () => {
    server = await startMisbehavingServer();
    const { records, values } = await run({
      query: { skip: '3,4,7', intervalMs: '50', endAfterMs: '700', heartbeatMs: '200' },
      sse: { clients: 3, reconnect: { policy: 'none' } },
      duration: '1200ms',
    });
    expect(records).toHaveLength(3);
    for (const record of records) {
      expect(record.lost).toBe(3);
      expect(record.heartbeats).toBeGreaterThanOrEqual(3);
      expect(record.eventReads).toBe(record.events);
      expect(record.maxEventsPerRead).toBe(1);
      expect(record.latencyMs?.p50).toBeGreaterThanOrEqual(0);
      expect(record.latencyMs?.p50).toBeLessThan(100);
    }
    expect(values('sse_events_lost').count).toBe(9);
  });

  it('rotates connections over loopback source addresses', async () => {
    server = await startMisbehavingServer();
    const { records } = await run({ sse: { clients: 9, reconnect: { policy: 'none' } }, duration: '600ms', localAddresses: { count: 3 } });
    expect(records).toHaveLength(9);
    const bySource = (addresses: string[]) => Object.fromEntries(['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((a) => [a, addresses.filter((x) => x === a).length]));
    expect(bySource(records.map((record) => record.localAddress ?? ''))).toEqual({ '127.0.0.1': 3, '127.0.0.2': 3, '127.0.0.3': 3 });
    // What the server saw, not what we meant to do.
    expect(bySource((server as MisbehavingServer).remoteAddresses.map((a) => a.replace('::ffff:', '')))).toEqual({ '127.0.0.1': 3, '127.0.0.2': 3, '127.0.0.3': 3 });
  });

  it('closes the users a ramp-down removes as client_closed, before the run ends', async () => {
    server = await startMisbehavingServer();
    const { records, outcome } = await run({
      sse: { stages: [{ duration: '300ms', target: 6 }, { duration: '500ms', target: 6 }, { duration: '200ms', target: 0 }], reconnect: { policy: 'none' } },
      duration: '2s',
    });
    expect(count(records, 'client_closed')).toBe(6);
    const runStart = Date.parse(outcome.summary.startedAt);
    for (const record of records) expect(record.endedAt - runStart).toBeLessThan(1_400);
  });

  it('bails out early once connect failures reach the plan’s limit', async () => {
    server = await startMisbehavingServer({ maxConnections: 1 });
    const started = Date.now();
    const { outcome } = await run({
      sse: { clients: 5, reconnect: { policy: 'backoff', initialMs: 50, maxMs: 50, jitterMs: 0 } },
      duration: '20s',
      bailout: { connectFailures: 20 },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(outcome.summary.warnings.join('\n')).toMatch(/bailed out early: \d+ connect failures/);
  });

  it('measures polls from their intended start, so a slow endpoint cannot hide its delay', async () => {
    server = await startMisbehavingServer();
    const { values } = await run({ query: { delayMs: '250' }, pollPath: '/poll', poll: { clients: 1, intervalMs: 100 }, duration: '1500ms' });
    // One client waits for each answer: ~5 polls in 1.5 s, while the schedule asked for 15. Each
    // poll's duration counts from when it should have started, so the backlog shows as latency.
    expect(values('poll_requests').count).toBeGreaterThanOrEqual(3);
    expect(values('poll_requests').count).toBeLessThanOrEqual(7);
    expect(values('poll_request_duration').min).toBeGreaterThanOrEqual(240);
    expect(values('poll_request_duration').max).toBeGreaterThan(700);
  });

  it('records refused connections when nothing listens on the port', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { records } = await run({ baseUrl: `http://127.0.0.1:${port}`, sse: { clients: 3, reconnect: { policy: 'none' } }, duration: '500ms' });
    expect(count(records, 'refused')).toBe(3);
  });

  it('ends open streams as client_closed and writes the results when aborted', async () => {
    server = await startMisbehavingServer();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 700);
    const started = Date.now();
    const { records, outcome } = await run({ sse: { clients: 6, reconnect: { policy: 'none' } }, duration: '30s' }, controller.signal);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(outcome.interrupted).toBe(true);
    expect(outcome.summary.interrupted).toBe(true);
    expect(count(records, 'client_closed')).toBe(6);
    expect(records.every((record) => record.outcome === 'closed' && record.events > 0)).toBe(true);
    expect(outcome.summary.metrics.sse_drops?.values.count).toBe(0);
  });
});
