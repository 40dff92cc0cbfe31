import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../src/core/errors.js';
import { summarySchema, type Summary } from '../../../src/results/schema.js';
import { compareRuns, comparisonOutcome, formatComparison, metricDirection, parseRegressionLimits, DEFAULT_REGRESSION_LIMITS } from '../../../src/report/compare.js';
import { makeFixtureRun } from '../../fixtures/results/make-results.js';

const BASE = summarySchema.parse(makeFixtureRun().summary);

function variant(change: (summary: Summary) => void): Summary {
  const copy = structuredClone(BASE);
  copy.runId = 'current';
  change(copy);
  return copy;
}

function setValue(summary: Summary, metric: string, stat: string, value: number): void {
  const entry = summary.metrics[metric];
  if (!entry) throw new Error(`fixture has no ${metric}`);
  entry.values[stat] = value;
}

function row(comparison: ReturnType<typeof compareRuns>, key: string) {
  const found = comparison.rows.find((entry) => entry.key === key);
  if (!found) throw new Error(`no row ${key}`);
  return found;
}

describe('parseRegressionLimits', () => {
  it('reads relative, absolute and combined limits, with stats spelled p99 or p(99)', () => {
    expect(parseRegressionLimits('sse_event_latency.p99=10%, sse_connects=5%, sse_drops=3, sse_connect_time.p(95)=20%/15ms, poll_delivery_delay.p95=1s')).toEqual([
      { key: 'sse_event_latency.p99', metric: 'sse_event_latency', stat: 'p(99)', relative: 0.1 },
      { key: 'sse_connects', metric: 'sse_connects', stat: 'count', relative: 0.05 },
      { key: 'sse_drops', metric: 'sse_drops', stat: 'count', absolute: 3 },
      { key: 'sse_connect_time.p(95)', metric: 'sse_connect_time', stat: 'p(95)', relative: 0.2, absolute: 15 },
      { key: 'poll_delivery_delay.p95', metric: 'poll_delivery_delay', stat: 'p(95)', absolute: 1000 },
    ]);
  });

  it('gives a gauge its maximum and a bare timing its p(95)', () => {
    expect(parseRegressionLimits('sse_open_connections=5%,sse_event_latency=10%').map((limit) => limit.stat)).toEqual(['max', 'p(95)']);
  });

  it('names every bad entry at once', () => {
    try {
      parseRegressionLimits('sse_connects,sse_event_latency.p99=fast,Bad-Name=1%');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).issues).toHaveLength(3);
      expect((error as InvalidConfigError).issues[1]).toMatch(/"fast" is not a limit/);
    }
  });

  it('parses the default limits', () => {
    expect(parseRegressionLimits(DEFAULT_REGRESSION_LIMITS).length).toBeGreaterThanOrEqual(8);
  });
});

describe('metricDirection', () => {
  it.each([
    ['sse_event_latency', 'lower_is_better'],
    ['sse_connect_time', 'lower_is_better'],
    ['sse_drops', 'lower_is_better'],
    ['sse_connect_failures', 'lower_is_better'],
    ['sse_events_lost', 'lower_is_better'],
    ['sse_connects', 'higher_is_better'],
    ['sse_open_connections', 'higher_is_better'],
    ['sse_events', 'higher_is_better'],
    ['sse_heartbeats', 'neutral'],
  ])('knows that %s is %s', (metric, direction) => {
    expect(metricDirection(metric)).toBe(direction);
  });
});

describe('compareRuns', () => {
  it('calls a run whose harness lost a worker untrustworthy, whatever its figures', () => {
    const same = compareRuns(BASE, variant(() => undefined));
    expect(same.untrustworthy).toEqual([]);
    const lost = compareRuns(BASE, variant((summary) => {
      summary.harness = { ...summary.harness, workersLost: 1, trustworthy: false } as Summary['harness'];
    }));
    expect(lost.regressions).toEqual([]);
    expect(lost.untrustworthy).toEqual(['current current']);
    expect(formatComparison(lost)).toContain('NOT TRUSTWORTHY: the harness lost a worker process during current current');
  });
  it('finds no regression between a run and itself', () => {
    const comparison = compareRuns(BASE, structuredClone(BASE));
    expect(comparison.regressions).toEqual([]);
    expect(comparison.rows.every((entry) => entry.verdict === 'same' || entry.verdict === 'missing')).toBe(true);
  });

  it('flags latency up past a relative limit, and not below it', () => {
    const p99 = BASE.metrics.sse_event_latency?.values['p(99)'] as number;
    const limits = parseRegressionLimits('sse_event_latency.p99=10%');
    expect(compareRuns(BASE, variant((s) => setValue(s, 'sse_event_latency', 'p(99)', p99 * 1.11)), limits).regressions.map((r) => r.key)).toEqual(['sse_event_latency.p99']);
    expect(compareRuns(BASE, variant((s) => setValue(s, 'sse_event_latency', 'p(99)', p99 * 1.09)), limits).regressions).toEqual([]);
    // Lower latency is better, however large the change.
    const better = compareRuns(BASE, variant((s) => setValue(s, 'sse_event_latency', 'p(99)', p99 / 3)), limits);
    expect(better.regressions).toEqual([]);
    expect(row(better, 'sse_event_latency.p99').verdict).toBe('better');
  });

  it('flags connects down past the limit, but not connects up', () => {
    const connects = BASE.metrics.sse_connects?.values.count as number;
    const limits = parseRegressionLimits('sse_connects=5%');
    const down = compareRuns(BASE, variant((s) => setValue(s, 'sse_connects', 'count', Math.floor(connects * 0.9))), limits);
    expect(down.regressions.map((r) => r.key)).toEqual(['sse_connects']);
    expect(row(down, 'sse_connects').verdict).toBe('worse');
    const up = compareRuns(BASE, variant((s) => setValue(s, 'sse_connects', 'count', connects * 2)), limits);
    expect(up.regressions).toEqual([]);
    expect(row(up, 'sse_connects').verdict).toBe('better');
  });

  it('counts drops the target caused, not the streams the plan closed at its end', () => {
    const limits = parseRegressionLimits('sse_drops=0');
    const moreClosed = compareRuns(BASE, variant((s) => { (s.breakdown.sse_drops as Record<string, number>).client_closed = 5000; }), limits);
    expect(moreClosed.regressions).toEqual([]);
    const moreCut = compareRuns(BASE, variant((s) => { (s.breakdown.sse_drops as Record<string, number>).server_closed! += 1; }), limits);
    expect(moreCut.regressions.map((r) => r.key)).toEqual(['sse_drops']);
  });

  it('treats any growth from a zero baseline as past a relative limit', () => {
    const base = variant((s) => setValue(s, 'sse_events_duplicated', 'count', 0));
    const current = variant((s) => setValue(s, 'sse_events_duplicated', 'count', 1));
    const comparison = compareRuns(base, current, parseRegressionLimits('sse_events_duplicated=50%'));
    expect(row(comparison, 'sse_events_duplicated').relativeDelta).toBe(Infinity);
    expect(comparison.regressions).toHaveLength(1);
  });

  it('needs both parts of a combined limit to be exceeded', () => {
    const limits = parseRegressionLimits('sse_event_latency.p99=20%/50ms');
    const base = variant((s) => setValue(s, 'sse_event_latency', 'p(99)', 5));
    // +500 % but only +25 ms: noise on loopback, not a regression.
    expect(compareRuns(base, variant((s) => setValue(s, 'sse_event_latency', 'p(99)', 30)), limits).regressions).toEqual([]);
    expect(compareRuns(base, variant((s) => setValue(s, 'sse_event_latency', 'p(99)', 60)), limits).regressions).toHaveLength(1);
  });

  it('calls a limited metric missing from the current run a regression', () => {
    const current = variant((s) => { delete s.metrics.sse_event_latency; });
    const comparison = compareRuns(BASE, current, parseRegressionLimits('sse_event_latency.p99=10%'));
    expect(comparison.regressions.map((r) => [r.key, r.note])).toEqual([['sse_event_latency.p99', 'missing from the current run']]);
  });

  it('reports limits that name a metric neither run has', () => {
    expect(compareRuns(BASE, BASE, parseRegressionLimits('sse_conects=5%')).unmatchedLimits).toEqual(['sse_conects']);
  });

  it('notes thresholds that newly failed', () => {
    const base = variant((s) => { s.thresholds = s.thresholds.map((t) => ({ ...t, ok: true })); s.thresholdsPassed = true; });
    const comparison = compareRuns(base, BASE);
    expect(comparison.thresholds.newlyFailed).toEqual(['sse_drops: count==0', 'sse_connect_failures: rate<0.01']);
  });
});

describe('the default limits', () => {
  it('gate a percentile only with 10 / (1 − q) samples in both runs', async () => {
    const { defaultRegressionLimits, minSamplesFor } = await import('../../../src/report/compare.js');
    expect(minSamplesFor('p(99)')).toBe(1000);
    expect(minSamplesFor('p(95)')).toBe(200);
    expect(minSamplesFor('count')).toBeUndefined();
    const p99 = BASE.metrics.sse_event_latency?.values['p(99)'] as number;
    const worse = (samples: number) =>
      compareRuns(
        variant((s) => setValue(s, 'sse_event_latency', 'count', samples)),
        variant((s) => {
          setValue(s, 'sse_event_latency', 'count', samples);
          setValue(s, 'sse_event_latency', 'p(99)', p99 + 500);
        }),
        defaultRegressionLimits(),
      );
    const few = row(worse(999), 'sse_event_latency.p99');
    expect(few.regression).toBe(false);
    expect(few.note).toMatch(/not gated: 999 samples, p\(99\) needs 1,000/);
    expect(row(worse(1000), 'sse_event_latency.p99').regression).toBe(true);
  });

  it('tolerate the noise of two short runs but not a lost connection', () => {
    const noisy = variant((s) => setValue(s, 'sse_event_latency', 'p(95)', (BASE.metrics.sse_event_latency?.values['p(95)'] as number) + 40));
    expect(compareRuns(BASE, noisy).regressions).toEqual([]);
    const lost = variant((s) => setValue(s, 'sse_open_connections', 'max', (BASE.metrics.sse_open_connections?.values.max as number) - 10));
    expect(compareRuns(BASE, lost).regressions.map((r) => r.key)).toEqual(['sse_open_connections.max']);
  });
});

describe('formatComparison', () => {
  it('prints a table with what got better and worse and the regressions', () => {
    const p99 = BASE.metrics.sse_event_latency?.values['p(99)'] as number;
    const current = variant((s) => {
      setValue(s, 'sse_event_latency', 'p(99)', p99 * 2);
      setValue(s, 'sse_connect_time', 'p(95)', 1);
    });
    const text = formatComparison(compareRuns(BASE, current, parseRegressionLimits('sse_event_latency.p99=10%')));
    expect(text).toMatch(/sse_event_latency\.p99 .* \+100 % .* REGRESSION/);
    expect(text).toMatch(/better: sse_connect_time\.p95/);
    expect(text).toMatch(/worse: {2}sse_event_latency\.p99/);
    expect(text).toMatch(/1 regression past the limits: sse_event_latency\.p99/);
  });
});

describe('comparisonOutcome', () => {
  const limits = parseRegressionLimits('sse_event_latency.p99=10%');
  const slower = (summary: Summary): void => setValue(summary, 'sse_event_latency', 'p(99)', (BASE.metrics.sse_event_latency?.values['p(99)'] as number) * 2);
  const lostWorker = (summary: Summary): void => {
    summary.harness = { ...summary.harness, workersLost: 1, trustworthy: false } as Summary['harness'];
  };

  it('passes a run against itself, and calls a slower one a regression', () => {
    expect(comparisonOutcome(compareRuns(BASE, structuredClone(BASE), limits))).toBe('pass');
    expect(comparisonOutcome(compareRuns(BASE, variant(slower), limits))).toBe('regression');
  });

  it('calls a comparison with an untrustworthy run untrustworthy, even when it also shows a regression', () => {
    expect(comparisonOutcome(compareRuns(BASE, variant(lostWorker), limits))).toBe('untrustworthy');
    const both = compareRuns(BASE, variant((summary) => (slower(summary), lostWorker(summary))), limits);
    expect(both.regressions.map((r) => r.key)).toEqual(['sse_event_latency.p99']);
    expect(comparisonOutcome(both)).toBe('untrustworthy');
    // Either side: a baseline whose harness lost a worker is no bar to measure against.
    expect(comparisonOutcome(compareRuns(variant(lostWorker), BASE, limits))).toBe('untrustworthy');
  });
});

describe('compare on publish-to-deliver (issue 15)', () => {
  const withPublish = (p99: number, missed: number): Summary =>
    variant((summary) => {
      summary.metrics.publish_to_deliver = { type: 'trend', contains: 'time', values: { med: p99 / 3, 'p(95)': p99 * 0.9, 'p(99)': p99, max: p99 * 1.2, count: 2_000 } };
      summary.metrics.publish_deliveries_missed = { type: 'counter', contains: 'default', values: { count: missed, rate: 0 } };
    });

  it('fails a run whose publish-to-deliver p99 or missed deliveries got worse past the limits', () => {
    const limits = parseRegressionLimits('publish_to_deliver.p99=25%/50ms,publish_deliveries_missed=0');
    const same = compareRuns(withPublish(100, 0), withPublish(110, 0), limits);
    expect(comparisonOutcome(same)).toBe('pass');
    const slower = compareRuns(withPublish(100, 0), withPublish(400, 0), limits);
    expect(comparisonOutcome(slower)).toBe('regression');
    expect(row(slower, 'publish_to_deliver.p99').regression).toBe(true);
    const missing = compareRuns(withPublish(100, 0), withPublish(100, 3), limits);
    expect(row(missing, 'publish_deliveries_missed').regression).toBe(true);
    expect(metricDirection('publish_to_deliver')).toBe('lower_is_better');
  });
});
