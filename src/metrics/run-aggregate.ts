/**
 * The coordinator's view of a run: worker reports merged each second into cumulative counters,
 * whole-run and per-second HDR histograms, gauges and harness health. It turns them into timeline
 * points, metrics snapshots for sinks, and the numbers of the summary. Memory does not grow with the
 * run's length: one set of histograms, one map of counters.
 */
import { INTERNAL_COUNTERS, METRIC_LABELS, TRENDS, type CounterName, type GaugeName, type TrendName } from '../core/metric-names.js';
import { createHistogram, mergeEncodedHistogram, trendStats, type Histogram } from './histogram.js';
import type { TimelinePoint } from '../results/schema.js';
import { round3 } from '../results/round.js';
import type { MetricLabels, MetricsSnapshot, TrendStats } from './snapshot.js';

// Defined with the other metric names (the engine's users count it); still exported here, where it was.
export { SSE_ATTEMPTS } from '../core/metric-names.js';

/** The key of a counter in a worker's report and in the aggregate: `name`, or `name|label`. */
export function counterKey(name: string, label?: string): string {
  return label === undefined ? name : `${name}|${label}`;
}

/** Event-loop delay in milliseconds. */
export interface DelayStats {
  p50: number;
  p99: number;
  max: number;
}

/** A worker process's own health over one interval. */
export interface HarnessSample {
  eventLoopDelayMs: DelayStats;
  /** Over the whole run so far, for the summary. */
  eventLoopDelayTotalMs: DelayStats;
  /** Percent of one core used by this process during the interval. */
  cpuPercent: number;
  rssBytes: number;
}

/** The part of a worker's report that the aggregate reads (src/engine/recorder.ts writes it). */
export interface AggregateInput {
  worker: number;
  /** Deltas since the previous report, keyed by `name` or `name|label` (the label of METRIC_LABELS). */
  counters: Record<string, number>;
  sseOpen: number;
  pollClients: number;
  /** The interval's samples, encoded (milliseconds, recorded in µs). */
  histograms: Partial<Record<TrendName, string>>;
  /**
   * In-process workers hand their histograms over as they are instead (no compress/decompress
   * each second); the aggregate merges them and destroys them.
   */
  rawHistograms?: Partial<Record<TrendName, Histogram>>;
  harness: HarnessSample;
}

interface WorkerHealth {
  cpuSum: number;
  cpuSamples: number;
  eventLoopDelayTotalMs: DelayStats;
}

export interface RunAggregate {
  add(report: AggregateInput): void;
  /**
   * A worker process is gone: its gauges fall to zero (it holds nothing any more), and the counts the
   * coordinator wrote for its attempts in flight (`name|label` keys) join the totals and this window.
   */
  loseWorker(worker: number, counters: Record<string, number>): void;
  /** Ends the current one-second window: its timeline point (window counters reset). */
  closeWindow(tSeconds: number): TimelinePoint;
  snapshot(meta: { testid: string; at: number; elapsedMs: number }): MetricsSnapshot;
  /** Cumulative counter value, all labels summed when `label` is omitted. */
  counter(name: string, label?: string): number;
  /** Cumulative counts of a labelled counter, by label value. */
  breakdown(name: string): Record<string, number>;
  totalStats(name: TrendName): TrendStats | null;
  totalHistogram(name: TrendName): Histogram;
  gauges(): { sseOpen: number; pollClients: number; sseOpenMax: number; pollClientsMax: number };
  harness(): {
    workers: number;
    eventLoopDelayMs: DelayStats;
    cpuPercent: { avg: number; max: number };
    /** Per process: the busiest process's average CPU (one core = 100). */
    busiestProcessCpuAvg: number;
    peakRssBytes: number;
  };
  destroy(): void;
}

function splitKey(key: string): [string, string | undefined] {
  const bar = key.indexOf('|');
  return bar === -1 ? [key, undefined] : [key.slice(0, bar), key.slice(bar + 1)];
}

export function createRunAggregate(): RunAggregate {
  const totals = new Map<string, number>();
  const window = new Map<string, number>();
  const totalHistograms = new Map<TrendName, Histogram>();
  const windowHistograms = new Map<TrendName, Histogram>();
  for (const name of Object.values(TRENDS)) {
    totalHistograms.set(name, createHistogram());
    windowHistograms.set(name, createHistogram());
  }
  const open = new Map<number, { sse: number; poll: number }>();
  const health = new Map<number, WorkerHealth>();
  let windowDelayP99 = 0;
  let windowCpu = 0;
  let windowRss = 0;
  let peakRss = 0;
  let harnessCpuSum = 0;
  let harnessCpuMax = 0;
  let harnessCpuSamples = 0;
  let sseOpenMax = 0;
  let pollClientsMax = 0;
  const lastWindowStats = new Map<TrendName, TrendStats | null>();

  const sum = (map: Map<string, number>, name: string, label?: string): number => {
    if (label !== undefined) return map.get(counterKey(name, label)) ?? 0;
    let total = 0;
    for (const [key, value] of map) if (splitKey(key)[0] === name) total += value;
    return total;
  };
  const byLabel = (map: Map<string, number>, name: string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [key, value] of map) {
      const [metric, label] = splitKey(key);
      if (metric === name && label !== undefined) out[label] = (out[label] ?? 0) + value;
    }
    return out;
  };
  const gaugeNow = (): { sse: number; poll: number } => {
    let sse = 0;
    let poll = 0;
    for (const value of open.values()) {
      sse += value.sse;
      poll += value.poll;
    }
    return { sse, poll };
  };

  const addCounters = (counters: Record<string, number>): void => {
    for (const [key, value] of Object.entries(counters)) {
      totals.set(key, (totals.get(key) ?? 0) + value);
      window.set(key, (window.get(key) ?? 0) + value);
    }
  };

  return {
    add(report) {
      addCounters(report.counters);
      for (const [name, encoded] of Object.entries(report.histograms) as Array<[TrendName, string]>) {
        mergeEncodedHistogram(totalHistograms.get(name) as Histogram, encoded);
        mergeEncodedHistogram(windowHistograms.get(name) as Histogram, encoded);
      }
      for (const [name, histogram] of Object.entries(report.rawHistograms ?? {}) as Array<[TrendName, Histogram]>) {
        (totalHistograms.get(name) as Histogram).add(histogram);
        (windowHistograms.get(name) as Histogram).add(histogram);
        histogram.destroy();
      }
      open.set(report.worker, { sse: report.sseOpen, poll: report.pollClients });
      const previous = health.get(report.worker);
      health.set(report.worker, {
        cpuSum: (previous?.cpuSum ?? 0) + report.harness.cpuPercent,
        cpuSamples: (previous?.cpuSamples ?? 0) + 1,
        eventLoopDelayTotalMs: report.harness.eventLoopDelayTotalMs,
      });
      windowDelayP99 = Math.max(windowDelayP99, report.harness.eventLoopDelayMs.p99);
      windowCpu += report.harness.cpuPercent;
      windowRss += report.harness.rssBytes;
    },
    loseWorker(worker, counters) {
      open.set(worker, { sse: 0, poll: 0 });
      addCounters(counters);
    },
    closeWindow(tSeconds) {
      const stats = (name: TrendName): TimelinePoint['sseLatencyMs'] => {
        const s = trendStats(windowHistograms.get(name) as Histogram);
        return s ? { p50: s.p50, p90: s.p90, p95: s.p95, p99: s.p99, max: s.max } : null;
      };
      const gauge = gaugeNow();
      sseOpenMax = Math.max(sseOpenMax, gauge.sse);
      pollClientsMax = Math.max(pollClientsMax, gauge.poll);
      const point: TimelinePoint = {
        t: tSeconds,
        sseOpen: gauge.sse,
        pollClients: gauge.poll,
        sseConnects: sum(window, 'sse_connects'),
        sseConnectFailures: byLabel(window, 'sse_connect_failures'),
        sseDrops: byLabel(window, 'sse_drops'),
        sseEvents: sum(window, 'sse_events'),
        sseEventsLost: sum(window, 'sse_events_lost'),
        sseHeartbeats: sum(window, 'sse_heartbeats'),
        sseReconnects: sum(window, 'sse_reconnects'),
        pollRequests: sum(window, 'poll_requests'),
        pollEvents: sum(window, 'poll_events'),
        sseLatencyMs: stats('sse_event_latency'),
        pollDelayMs: stats('poll_delivery_delay'),
        // Only a publishing run has these: older timelines (and runs that did not publish) leave them out.
        ...(((totalHistograms.get('publish_to_deliver') as Histogram).totalCount > 0 ? { publishToDeliverMs: stats('publish_to_deliver') } : {})),
        eventLoopDelayP99Ms: health.size > 0 ? round3(windowDelayP99) : null,
        cpuPercent: health.size > 0 ? round3(windowCpu) : null,
      };
      if (health.size > 0) {
        harnessCpuSum += windowCpu;
        harnessCpuSamples++;
        harnessCpuMax = Math.max(harnessCpuMax, windowCpu);
      }
      peakRss = Math.max(peakRss, windowRss);
      for (const [name, histogram] of windowHistograms) {
        lastWindowStats.set(name, trendStats(histogram));
        histogram.reset();
      }
      window.clear();
      windowDelayP99 = 0;
      windowCpu = 0;
      windowRss = 0;
      return point;
    },
    snapshot({ testid, at, elapsedMs }) {
      const counters: Array<{ name: CounterName; labels: MetricLabels; value: number }> = [];
      for (const [key, value] of totals) {
        const [name, label] = splitKey(key);
        if (INTERNAL_COUNTERS.has(name)) continue;
        const labelName = METRIC_LABELS[name as CounterName];
        counters.push({ name: name as CounterName, labels: label !== undefined && labelName ? { [labelName]: label } : {}, value });
      }
      const gauge = gaugeNow();
      const gauges: Array<{ name: GaugeName; labels: MetricLabels; value: number }> = [
        { name: 'sse_open_connections', labels: {}, value: gauge.sse },
        { name: 'poll_clients', labels: {}, value: gauge.poll },
      ];
      const trends = Object.values(TRENDS).map((name) => ({
        name,
        labels: {},
        window: lastWindowStats.get(name) ?? null,
        total: trendStats(totalHistograms.get(name) as Histogram),
      }));
      return { testid, engine: 'node', at, elapsedMs, counters, gauges, trends };
    },
    counter: (name, label) => sum(totals, name, label),
    breakdown: (name) => byLabel(totals, name),
    totalStats: (name) => trendStats(totalHistograms.get(name) as Histogram),
    totalHistogram: (name) => totalHistograms.get(name) as Histogram,
    gauges() {
      const gauge = gaugeNow();
      return { sseOpen: gauge.sse, pollClients: gauge.poll, sseOpenMax, pollClientsMax };
    },
    harness() {
      let p50 = 0;
      let p99 = 0;
      let max = 0;
      let busiest = 0;
      for (const worker of health.values()) {
        p50 = Math.max(p50, worker.eventLoopDelayTotalMs.p50);
        p99 = Math.max(p99, worker.eventLoopDelayTotalMs.p99);
        max = Math.max(max, worker.eventLoopDelayTotalMs.max);
        busiest = Math.max(busiest, worker.cpuSamples > 0 ? worker.cpuSum / worker.cpuSamples : 0);
      }
      return {
        workers: health.size,
        eventLoopDelayMs: { p50: round3(p50), p99: round3(p99), max: round3(max) },
        cpuPercent: { avg: round3(harnessCpuSamples > 0 ? harnessCpuSum / harnessCpuSamples : 0), max: round3(harnessCpuMax) },
        busiestProcessCpuAvg: round3(busiest),
        peakRssBytes: peakRss,
      };
    },
    destroy() {
      for (const histogram of [...totalHistograms.values(), ...windowHistograms.values()]) histogram.destroy();
    },
  };
}
