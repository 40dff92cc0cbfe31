import { describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../../../src/results/schema.js';
import { buildLifetimeHistogram, buildTimelineSeries, chooseBinWidthS, createRecordDigester, lifetimeAxisMaxS } from '../../../../src/report/html/data.js';
import { makeFixtureRun } from '../../../fixtures/results/make-results.js';

const RUN = makeFixtureRun();

function record(overrides: Partial<ConnectionRecord>): ConnectionRecord {
  return {
    id: '0-0', client: 0, attempt: 1, startedAt: 1000, endedAt: 2000, outcome: 'closed', reason: 'client_closed',
    events: 0, heartbeats: 0, lost: 0, duplicated: 0, eventReads: 0, maxEventsPerRead: 0, ...overrides,
  };
}

describe('the lifetime histogram', () => {
  it('stretches its axis to the next known platform limit, so a reader sees how far short of it streams ended', () => {
    expect(lifetimeAxisMaxS(6)).toBeCloseTo(10.8, 6);
    expect(lifetimeAxisMaxS(10)).toBeCloseTo(10.8, 6);
    expect(lifetimeAxisMaxS(10.4)).toBeCloseTo(11.232, 6); // just past 10 s: a cut at the limit
    expect(lifetimeAxisMaxS(27)).toBeCloseTo(29.16, 6);
    expect(lifetimeAxisMaxS(28)).toBeCloseTo(64.8, 6);
    expect(lifetimeAxisMaxS(400)).toBeCloseTo(432, 6);
  });

  it('chooses a readable bin width for at most 80 bins', () => {
    expect(chooseBinWidthS(10.8)).toBe(0.2);
    expect(chooseBinWidthS(28.08)).toBe(0.5);
    expect(chooseBinWidthS(324)).toBe(5);
  });

  it('puts each lifetime in its bin and marks the limits within the axis', () => {
    const histogram = buildLifetimeHistogram([10.0, 10.05, 9.95, 3], [6]);
    expect(histogram.binWidthS).toBe(0.2);
    expect(histogram.limits.map((limit) => limit.seconds)).toEqual([10]);
    const at = (seconds: number): number => Math.floor(seconds / histogram.binWidthS);
    expect(histogram.dropped[at(10.0)]).toBe(2);
    expect(histogram.dropped[at(9.95)]).toBe(1);
    expect(histogram.ended[at(6)]).toBe(1);
    expect(histogram.dropped[at(6)]).toBe(0);
    expect(histogram.dropped.reduce((a, b) => a + b, 0)).toBe(4);
    expect(histogram.ended.reduce((a, b) => a + b, 0)).toBe(5);
  });
});

describe('createRecordDigester', () => {
  it('counts outcomes and reasons, and keeps a lifetime per opened stream only', () => {
    const digester = createRecordDigester();
    digester.add(record({ outcome: 'failed', reason: 'http_5xx', status: 503 }));
    digester.add(record({ outcome: 'failed', reason: 'client_fd_limit' }));
    digester.add(record({ openedAt: 1000, endedAt: 11_000, outcome: 'dropped', reason: 'server_closed', lost: 2 }));
    digester.add(record({ openedAt: 1000, endedAt: 4000, outcome: 'closed', reason: 'client_closed', duplicated: 1 }));
    const digest = digester.finish();
    expect(digest.attempts).toBe(4);
    expect(digest.opened).toBe(2);
    expect(digest.outcomes).toEqual({ failed: 2, dropped: 1, closed: 1 });
    expect(digest.failures).toEqual([
      { reason: 'client_fd_limit', count: 1, side: 'harness' },
      { reason: 'http_5xx', count: 1, side: 'target' },
    ]);
    expect(digest.drops).toEqual([{ reason: 'server_closed', count: 1, side: 'target' }]);
    expect(digest.eventsLost).toBe(2);
    expect(digest.eventsDuplicated).toBe(1);
    expect(digest.lifetime.droppedTotal).toBe(1);
    expect(digest.lifetime.closedTotal).toBe(1);
  });

  it('agrees with the fixture run summary on every count', () => {
    const digester = createRecordDigester();
    for (const entry of RUN.records) digester.add(entry);
    const digest = digester.finish();
    const breakdown = RUN.summary.breakdown ?? {};
    expect(Object.fromEntries(digest.failures.map((entry) => [entry.reason, entry.count]))).toEqual(breakdown.sse_connect_failures);
    expect(Object.fromEntries(digest.drops.map((entry) => [entry.reason, entry.count]))).toEqual(
      Object.fromEntries(Object.entries(breakdown.sse_drops ?? {}).filter(([reason]) => reason !== 'client_closed')),
    );
    // The fixture cuts streams at 10 s: the tallest bar of drops sits at the 10 s limit.
    const tallest = digest.lifetime.dropped.indexOf(Math.max(...digest.lifetime.dropped));
    expect(Math.abs((digest.lifetime.centersS[tallest] as number) - 10)).toBeLessThanOrEqual(digest.lifetime.binWidthS);
  });
});

describe('buildTimelineSeries', () => {
  it('lines the per-second series up with t, leaving plan-closed streams out of the drops', () => {
    const series = buildTimelineSeries(RUN.timeline);
    const length = RUN.timeline.points.length;
    expect(series.t).toHaveLength(length);
    for (const values of [series.sseOpen, series.sseLatencyMs.p99, series.pollDelayMs.p50, ...Object.values(series.dropsByReason), ...Object.values(series.failuresByReason)]) {
      expect(values).toHaveLength(length);
    }
    expect(Object.keys(series.dropsByReason)).not.toContain('client_closed');
    expect(Object.keys(series.dropsByReason)).toContain('server_closed');
    expect(Object.keys(series.failuresByReason).sort()).toEqual(['client_fd_limit', 'http_5xx', 'refused']);
  });
});
