/**
 * Maps engine snapshots to Prometheus time series the way k6's `experimental-prometheus-rw` output
 * names them, so one set of dashboards reads both engines (DESIGN.md, "Measurement contracts"):
 * counters `k6_<name>_total`, gauges `k6_<name>`, trends one gauge per stat `k6_<name>_p99`...
 *
 * k6 keeps one trend sink per series for the whole test and sends its stats at each flush, so the
 * percentiles in Prometheus are cumulative since the start; the snapshot's `total` stats match that.
 * k6 converts time trends from milliseconds to seconds (Prometheus' base unit); so does this.
 * One difference on purpose: k6 also divides a time trend's `count` stat by 1000 (it converts
 * every stat of a time metric), which makes `_count` wrong by 1000x; streamsoak sends the real count.
 */
import { TREND_STATS, promSeriesName } from '../core/metric-names.js';
import type { MetricLabels, MetricsSnapshot, TrendStats } from './snapshot.js';
import type { RemoteWriteLabel, RemoteWriteSeries } from './remote-write-proto.js';

export interface SeriesLabelOptions {
  /** k6's `scenario` system tag; the Node engine has one scenario per plan. */
  scenario: string;
  /** Extra labels on every series (e.g. `instance`). */
  extraLabels?: MetricLabels;
}

type TrendStatName = (typeof TREND_STATS)[number];

function trendStatValue(stats: TrendStats, stat: TrendStatName): number {
  switch (stat) {
    case 'p(50)':
      return stats.p50 / 1000;
    case 'p(90)':
      return stats.p90 / 1000;
    case 'p(95)':
      return stats.p95 / 1000;
    case 'p(99)':
      return stats.p99 / 1000;
    case 'max':
      return stats.max / 1000;
    case 'avg':
      return stats.avg / 1000;
    case 'count':
      return stats.count;
  }
}

function buildLabels(
  seriesName: string,
  snapshot: MetricsSnapshot,
  labels: MetricLabels,
  options: SeriesLabelOptions,
): RemoteWriteLabel[] {
  const merged: Record<string, string> = {
    ...options.extraLabels,
    ...labels,
    testid: snapshot.testid,
    engine: snapshot.engine,
    scenario: options.scenario,
    __name__: seriesName,
  };
  return Object.entries(merged)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => ({ name, value }));
}

/** A stable identity for a series: its sorted labels. */
export function seriesKey(labels: readonly RemoteWriteLabel[]): string {
  return [...labels]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((label) => `${label.name}=${JSON.stringify(label.value)}`)
    .join(',');
}

/** One sample per series for one snapshot, stamped with the snapshot's time. */
export function snapshotToSeries(snapshot: MetricsSnapshot, options: SeriesLabelOptions): RemoteWriteSeries[] {
  const timestamp = Math.round(snapshot.at);
  const series: RemoteWriteSeries[] = [];
  const add = (name: string, labels: MetricLabels, value: number): void => {
    if (!Number.isFinite(value)) return;
    series.push({ labels: buildLabels(name, snapshot, labels, options), samples: [{ value, timestamp }] });
  };
  for (const counter of snapshot.counters) add(promSeriesName(counter.name), counter.labels, counter.value);
  for (const gauge of snapshot.gauges) add(promSeriesName(gauge.name), gauge.labels, gauge.value);
  for (const trend of snapshot.trends) {
    // No sample yet: k6 sends nothing for a trend that has no values, and neither do we.
    if (trend.total === null || trend.total.count === 0) continue;
    for (const stat of TREND_STATS) add(promSeriesName(trend.name, stat), trend.labels, trendStatValue(trend.total, stat));
  }
  return series;
}

/**
 * Merges per-snapshot series into one series per label set, samples in timestamp order, dropping
 * samples at a timestamp already present (Prometheus rejects duplicates and out-of-order samples).
 */
export function mergeSeries(batches: ReadonlyArray<readonly RemoteWriteSeries[]>): RemoteWriteSeries[] {
  const byKey = new Map<string, RemoteWriteSeries>();
  for (const batch of batches) {
    for (const entry of batch) {
      const key = seriesKey(entry.labels);
      const existing = byKey.get(key);
      if (existing === undefined) {
        byKey.set(key, { labels: entry.labels, samples: [...entry.samples] });
      } else {
        existing.samples.push(...entry.samples);
      }
    }
  }
  for (const entry of byKey.values()) {
    entry.samples.sort((a, b) => a.timestamp - b.timestamp);
    entry.samples = entry.samples.filter((sample, index, all) => index === 0 || all[index - 1]?.timestamp !== sample.timestamp);
  }
  return [...byKey.values()];
}

