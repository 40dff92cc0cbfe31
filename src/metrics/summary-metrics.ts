/**
 * The `metrics` section of summary.json, shaped like k6's end-of-test summary
 * (`metrics.<name>.values["p(95)"]`), and the thresholds judged against it.
 *
 * One deliberate difference from k6: for `sse_connect_failures`, `rate` is the share of attempts
 * that failed (failures / attempts), not failures per second, so the natural CI threshold
 * `sse_connect_failures: ['rate<0.01']` means "under 1% of connections failed". Every other counter's
 * `rate` is per second, as in k6.
 */
import { COUNTERS, GAUGES, TRENDS, type TrendName } from '../core/metric-names.js';
import {
  evaluateThreshold,
  parseThresholdExpression,
  parseThresholdMetricKey,
  thresholdSource,
  type ThresholdInput,
} from '../core/thresholds.js';
import { percentileMs } from './histogram.js';
import type { Summary } from '../results/schema.js';
import { round3 } from '../results/round.js';
import { SSE_ATTEMPTS, type RunAggregate } from './run-aggregate.js';

export type SummaryMetrics = Summary['metrics'];
export type ThresholdResult = Summary['thresholds'][number];

export function buildSummaryMetrics(aggregate: RunAggregate, durationMs: number): SummaryMetrics {
  const seconds = Math.max(durationMs / 1000, 0.001);
  const metrics: SummaryMetrics = {};
  for (const name of Object.values(COUNTERS)) {
    const count = aggregate.counter(name);
    let rate = count / seconds;
    if (name === 'sse_connect_failures') {
      const attempts = aggregate.counter(SSE_ATTEMPTS);
      rate = attempts > 0 ? count / attempts : 0;
    }
    metrics[name] = { type: 'counter', contains: 'default', values: { count, rate: round3(rate) } };
  }
  const gauges = aggregate.gauges();
  metrics[GAUGES.sseOpenConnections] = {
    type: 'gauge',
    contains: 'default',
    values: { value: gauges.sseOpen, max: gauges.sseOpenMax },
  };
  metrics[GAUGES.pollClients] = { type: 'gauge', contains: 'default', values: { value: gauges.pollClients, max: gauges.pollClientsMax } };
  for (const name of Object.values(TRENDS)) {
    const stats = aggregate.totalStats(name);
    metrics[name] = {
      type: 'trend',
      contains: 'time',
      values: stats
        ? {
            avg: round3(stats.avg),
            min: round3(stats.min),
            med: round3(stats.p50),
            max: round3(stats.max),
            'p(90)': round3(stats.p90),
            'p(95)': round3(stats.p95),
            'p(99)': round3(stats.p99),
            count: stats.count,
          }
        : { count: 0 },
    };
  }
  return metrics;
}

export type PlanThresholds = Readonly<Record<string, readonly ThresholdInput[]>>;

/**
 * Judges every threshold. Sub-metrics (`sse_drops{reason:server_closed}`) are counted from the
 * breakdown; percentiles the summary does not list are read from the whole-run histogram.
 */
export function evaluateThresholds(
  thresholds: PlanThresholds,
  metrics: SummaryMetrics,
  aggregate: Pick<RunAggregate, 'breakdown' | 'totalHistogram'>,
  durationMs: number,
): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const [key, inputs] of Object.entries(thresholds)) {
    const metricKey = parseThresholdMetricKey(key);
    if (typeof metricKey === 'string') continue;
    let values = metrics[metricKey.name]?.values;
    if (metricKey.label && values) {
      const count = aggregate.breakdown(metricKey.name)[metricKey.label.value] ?? 0;
      values = { count, rate: round3(count / Math.max(durationMs / 1000, 0.001)) };
    }
    const isTrend = metrics[metricKey.name]?.type === 'trend';
    for (const input of inputs) {
      const expression = parseThresholdExpression(thresholdSource(input));
      if (typeof expression === 'string') continue;
      const evaluation = evaluateThreshold(
        expression,
        values,
        isTrend && !metricKey.label
          ? (p) => {
              const histogram = aggregate.totalHistogram(metricKey.name as TrendName);
              return histogram.totalCount > 0 ? round3(percentileMs(histogram, p)) : undefined;
            }
          : undefined,
      );
      results.push({
        metric: key,
        expression: expression.source,
        ok: evaluation.ok,
        actual: evaluation.actual,
        abortOnFail: typeof input === 'string' ? false : (input.abortOnFail ?? false),
      });
    }
  }
  return results;
}

/** Puts each result on its metric as k6 does (`metrics.<name>.thresholds["p(95)<500"].ok`). */
export function attachThresholds(metrics: SummaryMetrics, results: readonly ThresholdResult[]): void {
  for (const result of results) {
    const metric = metrics[result.metric];
    if (!metric) continue;
    metric.thresholds = { ...(metric.thresholds ?? {}), [result.expression]: { ok: result.ok } };
  }
}
