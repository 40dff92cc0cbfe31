/**
 * Reading one figure out of a summary's k6-shaped `metrics` section, whatever produced it: k6 names
 * the median `med` and a percentile `p(95)`, the Node engine may also write `p(50)`. Shared by the
 * HTML report, `compare` and `plan` so they agree on every number.
 */
import type { Summary } from './schema.js';

/** `p99` → `p(99)`, `p99.9` → `p(99.9)`; other stats (`avg`, `max`, `count`, `rate`, `value`) as they are. */
export function statKey(stat: string): string {
  const match = /^p\(?(\d+(?:\.\d+)?)\)?$/.exec(stat);
  return match ? `p(${match[1]})` : stat;
}

/** Keys tried in order for a stat, because producers spell the median two ways. */
function candidates(stat: string): string[] {
  const key = statKey(stat);
  if (key === 'p(50)' || key === 'med') return ['p(50)', 'med'];
  return [key];
}

export function metricValue(summary: Summary, metric: string, stat: string): number | undefined {
  const values = summary.metrics[metric]?.values;
  if (!values) return undefined;
  for (const key of candidates(stat)) {
    const value = values[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}

/**
 * Drops the target caused: `sse_drops` without the streams the plan itself closed at its end
 * (`client_closed`), which every run has and which say nothing about the target.
 */
export function targetDrops(summary: Summary): number | undefined {
  const byReason = summary.breakdown.sse_drops;
  if (byReason && Object.keys(byReason).length > 0) {
    return Object.entries(byReason).reduce((sum, [reason, count]) => (reason === 'client_closed' ? sum : sum + count), 0);
  }
  return metricValue(summary, 'sse_drops', 'count');
}

/** The default stat of a metric by its type: a counter's count, a gauge's maximum, a trend's p(95). */
export function defaultStat(summary: Summary | undefined, metric: string): string {
  const type = summary?.metrics[metric]?.type;
  if (type === 'gauge') return 'max';
  if (type === 'trend') return 'p(95)';
  if (type === 'rate') return 'rate';
  if (type === 'counter') return 'count';
  // Unknown to this summary: guess from the name (trends are the time-valued metrics).
  if (/(_time|_latency|_lifetime|_duration|_delay)$/.test(metric)) return 'p(95)';
  if (/_open_connections$|_clients$/.test(metric)) return 'max';
  return 'count';
}
