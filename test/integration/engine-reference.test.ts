import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlan } from '../../src/engine/index.js';
import { parsePlan, type PlanInput } from '../../src/engine/plan.js';
import { connectionRecordSchema, type ConnectionRecord } from '../../src/results/schema.js';
import type { MetricsSink, MetricsSnapshot } from '../../src/metrics/snapshot.js';
import { startReferenceServer } from '../../src/server/index.js';

const SECRET = 'engine-integration-secret';
let resultsDir: string;

beforeAll(async () => {
  resultsDir = await mkdtemp(join(tmpdir(), 'streamsoak-engine-ref-'));
});
afterAll(async () => {
  await rm(resultsDir, { recursive: true, force: true });
});

async function readRecords(outDir: string): Promise<ConnectionRecord[]> {
  const text = await readFile(join(outDir, 'connections.ndjson'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => connectionRecordSchema.parse(JSON.parse(line)));
}

function plan(baseUrl: string, rest: Omit<PlanInput, 'target' | 'auth'>, query: Record<string, string> = {}) {
  return parsePlan({ target: { baseUrl, query }, auth: { secret: SECRET }, ...rest });
}

describe('engine against the reference server', () => {
  it('holds SSE and polling clients in bus mode with no loss, and pushes a snapshot every second to each sink', async () => {
    const server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET, mode: 'bus', publishIntervalMs: 200, heartbeatMs: 1_000 });
    const snapshots: MetricsSnapshot[] = [];
    let closed = 0;
    const sink: MetricsSink = { name: 'memory', push: (snapshot) => snapshots.push(snapshot), close: async () => void closed++ };
    try {
      const outcome = await runPlan(plan(server.url, { sse: { clients: 20 }, poll: { clients: 10, intervalMs: 500 }, duration: '3s', workers: 1 }), {
        resultsDir,
        sinks: [sink],
      });
      const values = (name: string): Record<string, number> => outcome.summary.metrics[name]?.values ?? {};
      const records = await readRecords(outcome.outDir);
      expect(records).toHaveLength(20);
      expect(records.every((record) => record.reason === 'client_closed' && record.status === 200)).toBe(true);
      // 5 events a second per user for ~3 s.
      expect(values('sse_events').count).toBeGreaterThan(20 * 5 * 3 * 0.6);
      expect(values('sse_events').count).toBeLessThan(20 * 5 * 3 * 1.3);
      expect(values('sse_events_lost').count).toBe(0);
      expect(values('sse_event_latency').count).toBe(values('sse_events').count);
      expect(values('sse_event_latency').med).toBeLessThan(100);
      expect(values('sse_heartbeats').count).toBeGreaterThan(0);
      expect(values('poll_requests').count).toBeGreaterThanOrEqual(10 * 5);
      expect(values('poll_events').count).toBeGreaterThan(0);
      // A 500 ms poll sees an event on average half an interval after it was sent.
      expect(values('poll_delivery_delay').med).toBeGreaterThan(50);
      expect(values('poll_delivery_delay').med).toBeLessThan(700);
      expect(outcome.summary.breakdown.poll_requests).toEqual({ '2xx': values('poll_requests').count });
      expect(outcome.summary.harness?.workers).toBe(1);
      expect(outcome.summary.clock?.method).toBe('same-host');
      // One per second plus the final one, then close.
      expect(snapshots.length).toBeGreaterThanOrEqual(3);
      expect(snapshots.length).toBeLessThanOrEqual(4);
      expect(closed).toBe(1);
      const last = snapshots.at(-1) as MetricsSnapshot;
      expect(last.counters.find((counter) => counter.name === 'sse_events')?.value).toBe(values('sse_events').count);
      expect(last.gauges.find((gauge) => gauge.name === 'sse_open_connections')?.value).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('reconnects with Last-Event-ID when the server drops every stream, and loses nothing', async () => {
    const server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET, mode: 'bus', publishIntervalMs: 100, retryMs: 200 });
    try {
      setTimeout(() => server.dropAllStreams(), 1_200);
      const outcome = await runPlan(plan(server.url, { sse: { clients: 10, reconnect: { policy: 'browser', jitterMs: 0 } }, duration: '2500ms', workers: 1 }), {
        resultsDir,
      });
      const records = await readRecords(outcome.outDir);
      const dropped = records.filter((record) => record.reason === 'server_closed');
      expect(dropped).toHaveLength(10);
      for (const record of dropped) {
        const lifetimeMs = record.endedAt - (record.openedAt as number);
        expect(lifetimeMs).toBeGreaterThan(900);
        expect(lifetimeMs).toBeLessThan(1_300);
        expect(record.lastEventId).toBeDefined();
      }
      expect(records.filter((record) => record.attempt === 2)).toHaveLength(10);
      expect(outcome.summary.metrics.sse_reconnects?.values.count).toBe(10);
      expect(outcome.summary.metrics.sse_events_lost?.values.count).toBe(0);
      expect(outcome.summary.metrics.sse_events_duplicated?.values.count).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('splits clients across forked worker processes and merges their histograms and records', async () => {
    const server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET, mode: 'tick' });
    try {
      const outcome = await runPlan(plan(server.url, { sse: { clients: 30 }, duration: '2500ms', workers: 2 }, { interval: '200' }), { resultsDir });
      const records = await readRecords(outcome.outDir);
      expect(records).toHaveLength(30);
      expect(new Set(records.map((record) => record.id.split('-')[0]))).toEqual(new Set(['0', '1']));
      expect(new Set(records.map((record) => record.client)).size).toBe(30);
      const events = outcome.summary.metrics.sse_events?.values.count ?? 0;
      expect(events).toBeGreaterThan(30 * 5 * 2.5 * 0.6);
      expect(outcome.summary.metrics.sse_event_latency?.values.count).toBe(events);
      expect(records.reduce((sum, record) => sum + record.events, 0)).toBe(events);
      expect(outcome.summary.harness?.workers).toBe(2);
    } finally {
      await server.close();
    }
  });
});
