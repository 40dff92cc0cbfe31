/**
 * What one worker measures, and the report it hands the coordinator once a second: counter deltas,
 * encoded HDR histograms of the second, gauges, the connection records that ended, and the
 * harness's own health. Engines emit, adapters export (STYLE.md): nothing here knows where the
 * numbers go.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { CounterName, TrendName } from '../core/metric-names.js';
import { TRENDS } from '../core/metric-names.js';
import { createHistogram, encodeHistogram, recordMs, type Histogram } from '../metrics/histogram.js';
import type { ConnectionRecord } from '../metrics/results-schema.js';
import { counterKey, type AggregateInput, type DelayStats, type SSE_ATTEMPTS } from '../metrics/run-aggregate.js';

export type CounterKey = CounterName | typeof SSE_ATTEMPTS;

/** What the coordinator's aggregate reads, and the connection records that ended. */
export interface WorkerReport extends AggregateInput {
  records: ConnectionRecord[];
}

export interface Recorder {
  count(name: CounterKey, by?: number, label?: string): void;
  trend(name: TrendName, ms: number): void;
  record(record: ConnectionRecord): void;
  sseOpen: number;
  pollClients: number;
  /**
   * The report of the interval since the previous call; resets the interval. `encode: false`
   * (a coordinator in the same process) hands the histograms over instead of encoding them.
   */
  collect(options?: { encode?: boolean }): WorkerReport;
  close(): void;
}

export function createRecorder(worker: number): Recorder {
  const counters = new Map<string, number>();
  const histograms = new Map<TrendName, Histogram>();
  for (const name of Object.values(TRENDS)) histograms.set(name, createHistogram());
  let records: ConnectionRecord[] = [];

  // Event-loop delay: a late timer here means late receive times, so latency figures are only as
  // good as this number (DESIGN.md: every latency figure is reported beside it).
  const windowDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  const totalDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  windowDelay.enable();
  totalDelay.enable();
  let cpuAt = process.cpuUsage();
  let wallAt = performance.now();

  function delayMs(histogram: IntervalHistogram): DelayStats {
    if (histogram.count === 0) return { p50: 0, p99: 0, max: 0 };
    return { p50: histogram.percentile(50) / 1e6, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
  }

  const recorder: Recorder = {
    sseOpen: 0,
    pollClients: 0,
    count(name, by = 1, label) {
      const key = counterKey(name, label);
      counters.set(key, (counters.get(key) ?? 0) + by);
    },
    trend(name, ms) {
      recordMs(histograms.get(name) as Histogram, ms);
    },
    record(record) {
      records.push(record);
    },
    collect(options) {
      const encode = options?.encode ?? true;
      const encoded: Partial<Record<TrendName, string>> = {};
      const raw: Partial<Record<TrendName, Histogram>> = {};
      for (const [name, histogram] of histograms) {
        if (histogram.totalCount === 0) continue;
        if (encode) {
          encoded[name] = encodeHistogram(histogram);
          histogram.reset();
        } else {
          raw[name] = histogram;
          histograms.set(name, createHistogram());
        }
      }
      const cpu = process.cpuUsage(cpuAt);
      const now = performance.now();
      const cpuPercent = now > wallAt ? ((cpu.user + cpu.system) / 1000 / (now - wallAt)) * 100 : 0;
      cpuAt = process.cpuUsage();
      wallAt = now;
      const report: WorkerReport = {
        worker,
        counters: Object.fromEntries(counters),
        sseOpen: recorder.sseOpen,
        pollClients: recorder.pollClients,
        histograms: encoded,
        ...(encode ? {} : { rawHistograms: raw }),
        records,
        harness: {
          eventLoopDelayMs: delayMs(windowDelay),
          eventLoopDelayTotalMs: delayMs(totalDelay),
          cpuPercent,
          rssBytes: process.memoryUsage.rss(),
        },
      };
      counters.clear();
      records = [];
      windowDelay.reset();
      return report;
    },
    close() {
      windowDelay.disable();
      totalDelay.disable();
      for (const histogram of histograms.values()) histogram.destroy();
    },
  };
  return recorder;
}
