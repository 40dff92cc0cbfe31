/**
 * The k6 custom metrics, named from the shared contract (`src/core/metric-names.ts`) so one set of
 * dashboards reads both engines. Created once per VU, at import (k6 asks that custom metrics be
 * created in the init context).
 *
 * Gauges are missing on purpose: a k6 Gauge keeps the last value any VU reported, not a sum over
 * VUs, so `sse_open_connections` cannot be counted from inside one VU. Dashboards derive it for k6
 * runs as `sse_connects - sse_drops` (every open ends in exactly one drop record, `client_closed`
 * included). `poll_clients` is a configured number, which a scenario may report as is.
 *
 * One k6-only helper, `sse_connect_failure_ratio` (a Rate: one sample per attempt, true when it
 * failed): streamsoak reads `sse_connect_failures: ['rate<0.01']` as "under 1% of attempts failed"
 * (src/metrics/summary-metrics.ts), but a k6 Counter's `rate` is per second. Thresholds written that
 * way are evaluated on this Rate instead (lib/thresholds.ts), and the summary puts the result back
 * under `sse_connect_failures` (lib/summary.ts).
 */
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
import { COUNTERS, GAUGES, TRENDS } from '../../src/core/metric-names.js';
import type { ConnectFailureReason, DropReason, StatusClass } from '../../src/core/reasons.js';
import { CONNECT_FAILURE_RATIO } from './k6-only-metrics.js';

export interface ScenarioMetrics {
  connects: Counter;
  connectFailures: Counter;
  drops: Counter;
  events: Counter;
  heartbeats: Counter;
  eventsLost: Counter;
  eventsDuplicated: Counter;
  reconnects: Counter;
  connectFailureRatio: Rate;
  pollRequests: Counter;
  pollEvents: Counter;
  pollClients: Gauge;
  connectTime: Trend;
  timeToFirstEvent: Trend;
  eventLatency: Trend;
  connectionLifetime: Trend;
  pollRequestDuration: Trend;
  pollDeliveryDelay: Trend;
}

let metrics: ScenarioMetrics | undefined;

/** The metrics of this VU (created on first call, which must happen in the init context). */
export function scenarioMetrics(): ScenarioMetrics {
  metrics ??= {
    connects: new Counter(COUNTERS.sseConnects),
    connectFailures: new Counter(COUNTERS.sseConnectFailures),
    drops: new Counter(COUNTERS.sseDrops),
    events: new Counter(COUNTERS.sseEvents),
    heartbeats: new Counter(COUNTERS.sseHeartbeats),
    eventsLost: new Counter(COUNTERS.sseEventsLost),
    eventsDuplicated: new Counter(COUNTERS.sseEventsDuplicated),
    reconnects: new Counter(COUNTERS.sseReconnects),
    connectFailureRatio: new Rate(CONNECT_FAILURE_RATIO),
    pollRequests: new Counter(COUNTERS.pollRequests),
    pollEvents: new Counter(COUNTERS.pollEvents),
    pollClients: new Gauge(GAUGES.pollClients),
    // `true`: the values are times, so k6 prints and exports them as durations (ms in, s in Prometheus).
    connectTime: new Trend(TRENDS.sseConnectTime, true),
    timeToFirstEvent: new Trend(TRENDS.sseTimeToFirstEvent, true),
    eventLatency: new Trend(TRENDS.sseEventLatency, true),
    connectionLifetime: new Trend(TRENDS.sseConnectionLifetime, true),
    pollRequestDuration: new Trend(TRENDS.pollRequestDuration, true),
    pollDeliveryDelay: new Trend(TRENDS.pollDeliveryDelay, true),
  };
  return metrics;
}

/**
 * Where a connection's measurements go. The k6 metrics implement it; the shared connection logic
 * only sees this, so it can be exercised without k6.
 */
export interface ConnectionSink {
  /** A new attempt starts; `reconnect` when it follows an earlier one of the same client. */
  attempt(reconnect: boolean): void;
  connected(connectTimeMs: number): void;
  connectFailed(reason: ConnectFailureReason): void;
  firstEvent(timeToFirstEventMs: number): void;
  event(latencyMs: number | undefined): void;
  heartbeat(): void;
  lost(count: number): void;
  duplicated(): void;
  dropped(reason: DropReason, lifetimeMs: number | undefined): void;
}

export function createK6ConnectionSink(m: ScenarioMetrics = scenarioMetrics()): ConnectionSink {
  return {
    attempt(reconnect) {
      if (reconnect) m.reconnects.add(1);
    },
    connected(connectTimeMs) {
      m.connects.add(1);
      m.connectFailureRatio.add(0);
      m.connectTime.add(connectTimeMs);
    },
    connectFailed(reason) {
      m.connectFailures.add(1, { reason });
      m.connectFailureRatio.add(1);
    },
    firstEvent(timeToFirstEventMs) {
      m.timeToFirstEvent.add(timeToFirstEventMs);
    },
    event(latencyMs) {
      m.events.add(1);
      if (latencyMs !== undefined) m.eventLatency.add(latencyMs);
    },
    heartbeat() {
      m.heartbeats.add(1);
    },
    lost(count) {
      if (count > 0) m.eventsLost.add(count);
    },
    duplicated() {
      m.eventsDuplicated.add(1);
    },
    dropped(reason, lifetimeMs) {
      m.drops.add(1, { reason });
      if (lifetimeMs !== undefined) m.connectionLifetime.add(lifetimeMs);
    },
  };
}

export function recordPoll(m: ScenarioMetrics, status: StatusClass, durationMs: number): void {
  m.pollRequests.add(1, { status });
  m.pollRequestDuration.add(durationMs);
}
