import { describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, mergeEncodedHistogram, recordMs, trendStats } from '../../../src/metrics/histogram.js';
import { createRunAggregate, type AggregateInput } from '../../../src/metrics/run-aggregate.js';
import { attachThresholds, buildSummaryMetrics, evaluateThresholds } from '../../../src/metrics/summary-metrics.js';
import { summaryMetricSchema, timelinePointSchema } from '../../../src/results/schema.js';

function encoded(values: number[]): string {
  const histogram = createHistogram();
  for (const value of values) recordMs(histogram, value);
  const text = encodeHistogram(histogram);
  histogram.destroy();
  return text;
}

const health = { eventLoopDelayMs: { p50: 1, p99: 5, max: 9 }, eventLoopDelayTotalMs: { p50: 1, p99: 4, max: 9 }, cpuPercent: 30, rssBytes: 100 };

function report(worker: number, counters: Record<string, number>, latencies: number[], sseOpen: number): AggregateInput {
  return { worker, counters, sseOpen, pollClients: 0, histograms: latencies.length ? { sse_event_latency: encoded(latencies) } : {}, harness: health };
}

describe('histograms', () => {
  it('keep sub-millisecond resolution and merge exactly across an encode/decode', () => {
    const merged = createHistogram();
    mergeEncodedHistogram(merged, encoded([0.25, 0.5, 0.75]));
    mergeEncodedHistogram(merged, encoded([100]));
    const stats = trendStats(merged);
    expect(stats?.count).toBe(4);
    expect(stats?.min).toBeCloseTo(0.25, 2);
    expect(stats?.p50).toBeCloseTo(0.5, 2);
    expect(stats?.max).toBeCloseTo(100, 0);
    merged.destroy();
  });
});

describe('createRunAggregate', () => {
  it('merges workers into per-second timeline points and cumulative k6-shaped metrics', () => {
    const aggregate = createRunAggregate();
    aggregate.add(report(0, { sse_attempts: 10, sse_connects: 8, 'sse_connect_failures|http_5xx': 2, sse_events: 3 }, [10, 20, 30], 8));
    aggregate.add(report(1, { sse_attempts: 10, sse_connects: 10, sse_events: 1 }, [40], 10));
    const first = timelinePointSchema.parse(aggregate.closeWindow(1));
    expect(first).toMatchObject({ t: 1, sseOpen: 18, sseConnects: 18, sseEvents: 4, sseConnectFailures: { http_5xx: 2 }, cpuPercent: 60 });
    expect(first.sseLatencyMs?.max).toBeCloseTo(40, 0);

    aggregate.add(report(0, { 'sse_drops|server_closed': 3, sse_events: 2 }, [500, 600], 5));
    const second = aggregate.closeWindow(2);
    expect(second).toMatchObject({ sseOpen: 15, sseConnects: 0, sseEvents: 2, sseDrops: { server_closed: 3 } });
    expect(second.sseLatencyMs?.p50).toBeGreaterThanOrEqual(499);

    const metrics = buildSummaryMetrics(aggregate, 2_000);
    for (const metric of Object.values(metrics)) summaryMetricSchema.parse(metric);
    expect(metrics.sse_events?.values).toEqual({ count: 6, rate: 3 });
    // The failure rate is a share of attempts (2 of 20), not a per-second rate.
    expect(metrics.sse_connect_failures?.values).toEqual({ count: 2, rate: 0.1 });
    expect(metrics.sse_event_latency).toMatchObject({ type: 'trend', contains: 'time' });
    expect(metrics.sse_event_latency?.values.count).toBe(6);
    expect(metrics.sse_event_latency?.values.max).toBeCloseTo(600, -1);
    expect(metrics.sse_open_connections?.values).toEqual({ value: 15, max: 18 });
    expect(metrics.poll_request_duration?.values).toEqual({ count: 0 });

    const results = evaluateThresholds(
      {
        sse_event_latency: ['p(50)<25', 'p(99.9)<1000'],
        sse_connect_failures: ['rate<0.05'],
        'sse_drops{reason:server_closed}': ['count<3'],
        'sse_drops{reason:reset}': ['count==0'],
      },
      metrics,
      aggregate,
      2_000,
    );
    expect(results.map((result) => [result.metric, result.expression, result.ok])).toEqual([
      ['sse_event_latency', 'p(50)<25', false],
      ['sse_event_latency', 'p(99.9)<1000', true],
      ['sse_connect_failures', 'rate<0.05', false],
      ['sse_drops{reason:server_closed}', 'count<3', false],
      ['sse_drops{reason:reset}', 'count==0', true],
    ]);
    attachThresholds(metrics, results);
    expect(metrics.sse_connect_failures?.thresholds).toEqual({ 'rate<0.05': { ok: false } });

    const snapshot = aggregate.snapshot({ testid: 't', at: 1, elapsedMs: 2_000 });
    expect(snapshot.counters).toContainEqual({ name: 'sse_drops', labels: { reason: 'server_closed' }, value: 3 });
    expect(snapshot.counters.some((counter) => (counter.name as string) === 'sse_attempts')).toBe(false);
    expect(snapshot.gauges).toContainEqual({ name: 'sse_open_connections', labels: {}, value: 15 });
    expect(snapshot.trends.find((trend) => trend.name === 'sse_event_latency')?.total?.count).toBe(6);
    expect(aggregate.harness()).toMatchObject({ workers: 2, eventLoopDelayMs: { p99: 4 }, busiestProcessCpuAvg: 30 });
    aggregate.destroy();
  });
});
