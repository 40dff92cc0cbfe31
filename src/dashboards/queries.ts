/**
 * The PromQL behind the "SSE soak" dashboard. Series names come from `promSeriesName`, so the
 * dashboard and the remote-write sink cannot drift apart; k6 runs send the same names.
 *
 * Grafana variables: `$testid` (regex-matched, so "All" works) and `$__rate_interval`.
 */
import { promSeriesName, type CounterName, type GaugeName, type TrendName, type TREND_STATS } from '../core/metric-names.js';

/** The reference server's own metric names (src/server/prometheus.ts, prom-client). */
export const SERVER_METRICS = {
  openConnections: 'streamsoak_server_sse_connections',
  eventsSent: 'streamsoak_server_events_sent_total',
  slowConsumerDisconnects: 'streamsoak_server_slow_consumer_disconnects_total',
} as const;

const RUN = 'testid=~"$testid"';

/** `sum(` or `sum by (label) (`. */
function sumBy(by: string | undefined): string {
  return by === undefined ? 'sum(' : `sum by (${by}) (`;
}

export function counterRate(name: CounterName, by?: string): string {
  const selector = `${promSeriesName(name)}{${RUN}}`;
  return `${sumBy(by)}rate(${selector}[$__rate_interval]))`;
}

/** Cumulative count since the start of the run: counters only grow during a run. */
export function counterTotal(name: CounterName, by?: string): string {
  return `${sumBy(by)}${promSeriesName(name)}{${RUN}})`;
}

export function gaugeSum(name: GaugeName, by?: string): string {
  return `${sumBy(by)}${promSeriesName(name)}{${RUN}})`;
}

/**
 * A trend stat across the run's scenarios. Percentiles do not add up, so the worst scenario is
 * shown (`max`); per-engine so a k6 run and a Node run under one testid stay apart.
 */
export function trendStat(name: TrendName, stat: (typeof TREND_STATS)[number]): string {
  return `max by (engine) (${promSeriesName(name, stat)}{${RUN}})`;
}

export function serverGauge(name: string): string {
  return `sum(${name})`;
}

export function serverRate(name: string): string {
  return `sum(rate(${name}[$__rate_interval]))`;
}

/**
 * Open SSE connections. The Node engine counts them (`sse_open_connections`); a k6 Gauge cannot be
 * summed across VUs (it keeps the last value written), so k6 runs send none and the count is
 * derived as docs/k6.md says: every open stream ends in exactly one `sse_drops` record, so
 * open = connects − drops (not the VU count: a refused or polling VU holds no stream). Before the
 * first drop there is no drops series: it counts as zero. `or` keeps a series of the left side
 * whenever one exists for the same labels.
 */
export function openConnections(by?: string): string {
  const k6Run = `${RUN},engine="k6"`;
  const connects = `${sumBy(by)}${promSeriesName('sse_connects')}{${k6Run}})`;
  const drops = `${sumBy(by)}${promSeriesName('sse_drops')}{${k6Run}})`;
  return `${sumBy(by)}${promSeriesName('sse_open_connections')}{${RUN}}) or (${connects} - (${drops} or ${connects} * 0))`;
}
