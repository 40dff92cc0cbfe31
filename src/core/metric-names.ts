/**
 * Metric names, as k6 custom metrics (DESIGN.md, "Measurement contracts"). The Node engine pushes
 * them with k6's Prometheus remote-write naming, so one set of dashboards reads both engines:
 * counters become `k6_<name>_total`, gauges `k6_<name>`, trends `k6_<name>_p99` (in seconds)...
 */

export const COUNTERS = {
  sseConnects: 'sse_connects',
  sseConnectFailures: 'sse_connect_failures',
  sseDrops: 'sse_drops',
  sseEvents: 'sse_events',
  sseHeartbeats: 'sse_heartbeats',
  sseEventsLost: 'sse_events_lost',
  sseEventsDuplicated: 'sse_events_duplicated',
  sseReconnects: 'sse_reconnects',
  pollRequests: 'poll_requests',
  pollEvents: 'poll_events',
  /** The harness as the publisher (a plan's `publish:`): messages it sent, by outcome. */
  publishRequests: 'publish_requests',
  publishFailures: 'publish_failures',
  /** Subscribers that had a stream open when a message was published and never received it within the run. */
  publishDeliveriesMissed: 'publish_deliveries_missed',
} as const;

export const GAUGES = {
  sseOpenConnections: 'sse_open_connections',
  pollClients: 'poll_clients',
} as const;

/** Trends, all in milliseconds. */
export const TRENDS = {
  sseConnectTime: 'sse_connect_time',
  sseTimeToFirstEvent: 'sse_time_to_first_event',
  sseEventLatency: 'sse_event_latency',
  sseConnectionLifetime: 'sse_connection_lifetime',
  pollRequestDuration: 'poll_request_duration',
  pollDeliveryDelay: 'poll_delivery_delay',
  /** Intended publish time → receipt, per subscriber, on the harness's one clock (no offset needed). */
  publishToDeliver: 'publish_to_deliver',
  /** Intended publish time → the publish response (so a publisher that fell behind shows it). */
  publishRequestDuration: 'publish_request_duration',
} as const;

/**
 * Attempts to open an SSE stream: not a DESIGN.md metric, but the denominator of the failure rate.
 * Counted by the engine's users; never pushed to a metrics sink (the run aggregate's snapshot leaves it out).
 */
export const SSE_ATTEMPTS = 'sse_attempts';

/**
 * Events whose send time was read through a plan's `events:` mapping, by the unit it was read in
 * (`s`, `ms`, `us`, `ns`, `iso`): the summary states what `auto` decided. Internal like SSE_ATTEMPTS.
 */
export const EVENT_TIME_UNITS = 'event_time_units';

/** Counters the harness keeps for itself: never pushed to a metrics sink. */
export const INTERNAL_COUNTERS: ReadonlySet<string> = new Set([SSE_ATTEMPTS, EVENT_TIME_UNITS]);

export type CounterName = (typeof COUNTERS)[keyof typeof COUNTERS];
export type GaugeName = (typeof GAUGES)[keyof typeof GAUGES];
export type TrendName = (typeof TRENDS)[keyof typeof TRENDS];
export type MetricName = CounterName | GaugeName | TrendName;
export type MetricType = 'counter' | 'gauge' | 'trend';

export const METRIC_TYPES: Readonly<Record<MetricName, MetricType>> = {
  ...(Object.fromEntries(Object.values(COUNTERS).map((name) => [name, 'counter'])) as Record<CounterName, 'counter'>),
  ...(Object.fromEntries(Object.values(GAUGES).map((name) => [name, 'gauge'])) as Record<GaugeName, 'gauge'>),
  ...(Object.fromEntries(Object.values(TRENDS).map((name) => [name, 'trend'])) as Record<TrendName, 'trend'>),
};

export const METRIC_NAMES = Object.keys(METRIC_TYPES) as MetricName[];

/** The label a counter is split by, if any (low cardinality only: STYLE.md). */
export const METRIC_LABELS: Partial<Record<MetricName, 'reason' | 'status'>> = {
  sse_connect_failures: 'reason',
  sse_drops: 'reason',
  poll_requests: 'status',
  publish_failures: 'reason',
};

/** Metrics of the harness as the publisher: left out of a summary whose plan did not publish. */
export const PUBLISH_METRICS = ['publish_requests', 'publish_failures', 'publish_deliveries_missed', 'publish_to_deliver', 'publish_request_duration'] as const;

/** The percentiles k6's remote-write output sends for a trend (`K6_PROMETHEUS_RW_TREND_STATS`). */
export const TREND_STATS = ['p(50)', 'p(90)', 'p(95)', 'p(99)', 'max', 'avg', 'count'] as const;

/** The Prometheus series name of a metric as k6's remote-write output names it. */
export function promSeriesName(name: MetricName, stat?: (typeof TREND_STATS)[number]): string {
  const type = METRIC_TYPES[name];
  if (type === 'counter') return `k6_${name}_total`;
  if (type === 'gauge') return `k6_${name}`;
  const suffix = (stat ?? 'p(99)').replace(/^p\((\d+(?:\.\d+)?)\)$/, 'p$1').replace('.', '');
  return `k6_${name}_${suffix}`;
}
