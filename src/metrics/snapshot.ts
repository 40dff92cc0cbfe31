/**
 * What the engine emits once a second and exporters (Prometheus remote write, the live terminal
 * view) consume. Engines emit, adapters export (STYLE.md): nothing here knows Prometheus or HTML.
 */
import type { CounterName, GaugeName, TrendName } from '../core/metric-names.js';

export type MetricLabels = Readonly<Record<string, string>>;

/** Trend statistics in milliseconds. */
export interface TrendStats {
  count: number;
  min: number;
  max: number;
  avg: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

export interface MetricsSnapshot {
  testid: string;
  engine: 'node' | 'k6';
  /** Epoch ms at which the snapshot was taken, and ms since the run started. */
  at: number;
  elapsedMs: number;
  /** Cumulative since the run started, one entry per label set (e.g. each `reason`). */
  counters: ReadonlyArray<{ name: CounterName; labels: MetricLabels; value: number }>;
  gauges: ReadonlyArray<{ name: GaugeName; labels: MetricLabels; value: number }>;
  /** `window`: the samples of the last interval; `total`: every sample since the start. */
  trends: ReadonlyArray<{ name: TrendName; labels: MetricLabels; window: TrendStats | null; total: TrendStats | null }>;
}

/**
 * An exporter of snapshots, k6's `Output` for one kind of data. The Node engine makes each sink an
 * observer of its per-second window (src/engine/run-observer.ts); k6 runs push through k6's own
 * output. `push` must never block or throw into the run (one that throws is noted in the summary's
 * warnings, and the run goes on).
 */
export interface MetricsSink {
  readonly name: string;
  push(snapshot: MetricsSnapshot): void;
  /** Called once at the end with the final snapshot already pushed: send what is pending. */
  close(): Promise<void>;
}
