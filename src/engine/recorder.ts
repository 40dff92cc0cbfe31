/**
 * What one worker measures, and the report it hands the coordinator once a second: counter deltas,
 * encoded HDR histograms of the second, gauges, the connection records that ended, and the
 * harness's own health. Engines emit, adapters export (STYLE.md): nothing here knows where the
 * numbers go.
 *
 * A forked worker also reports the attempts it STARTED in the second and those that OPENED since
 * (a few numbers each, never per-event data), so the coordinator knows every attempt in flight
 * (started − ended) and can still write one record for each if the worker process dies.
 */
import type { AcceptedMessage, FanOutEntry } from '../core/publish-message.js';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { CounterName, EVENT_TIME_UNITS, SSE_ATTEMPTS, TrendName } from '../core/metric-names.js';
import { TRENDS } from '../core/metric-names.js';
import { createHistogram, encodeHistogram, recordMs, type Histogram } from '../metrics/histogram.js';
import type { ConnectionRecord } from '../results/schema.js';
import { round3 } from '../results/round.js';
import { counterKey, type AggregateInput, type DelayStats } from '../metrics/run-aggregate.js';

export type CounterKey = CounterName | typeof SSE_ATTEMPTS | typeof EVENT_TIME_UNITS;

/** An attempt as the coordinator tracks it while in flight: enough to write its record if the worker dies. */
export interface StartedAttempt {
  id: string;
  client: number;
  attempt: number;
  startedAt: number;
  /** When it opened, once a report has said so (an attempt that opened in the worker's last second is not known to have). */
  openedAt?: number;
}

/** What the coordinator's aggregate reads, the connection records that ended, and (forked workers) the attempts in flight. */
export interface WorkerReport extends AggregateInput {
  records: ConnectionRecord[];
  /** Attempts started since the previous report (only when the recorder tracks attempts in flight). */
  started?: StartedAttempt[];
  /** Attempts started earlier that opened since the previous report. */
  opened?: Array<{ id: string; openedAt: number }>;
  /** A publishing run, worker 0: messages the target accepted since the previous report. */
  accepted?: AcceptedMessage[];
  /** A publishing run, the last report: each message's first and last receipt among this worker's users. */
  fanOut?: FanOutEntry[];
}

/** What the recorder reads of a live attempt (src/engine/sse-attempt.ts's SseAttempt has these). */
export interface TrackableAttempt {
  readonly init: { readonly id: string; readonly client: number; readonly attempt: number };
  readonly startedAt: number;
  /** When it opened (epoch ms); undefined while it connects. */
  readonly openedAtMs: number | undefined;
}

export interface Recorder {
  count(name: CounterKey, by?: number, label?: string): void;
  trend(name: TrendName, ms: number): void;
  record(record: ConnectionRecord): void;
  /** An SSE attempt was created (before it is dispatched); a no-op unless attempts in flight are tracked. */
  attemptStarted(attempt: TrackableAttempt): void;
  sseOpen: number;
  pollClients: number;
  /**
   * The report of the interval since the previous call; resets the interval. `encode: false`
   * (a coordinator in the same process) hands the histograms over instead of encoding them.
   */
  collect(options?: { encode?: boolean }): WorkerReport;
  close(): void;
}

export interface RecorderOptions {
  /**
   * Report attempts started and opened (a forked worker: the coordinator must be able to account
   * for them if this process dies). An in-process worker dies with its coordinator, so it skips it.
   */
  trackInFlight?: boolean;
}

/** How often the event-loop monitor's timer is due, in ms. */
const EVENT_LOOP_RESOLUTION_MS = 10;

/**
 * monitorEventLoopDelay records the whole time between two fires of its timer, schedule included:
 * an idle loop reads the resolution itself (p50 10.1 ms at a 10 ms resolution). The delay is what
 * lies beyond the schedule, so an idle process reads ~0 (issue 17).
 */
function beyondSchedule(nanoseconds: number): number {
  return Math.max(0, nanoseconds / 1e6 - EVENT_LOOP_RESOLUTION_MS);
}

export function createRecorder(worker: number, options: RecorderOptions = {}): Recorder {
  const counters = new Map<string, number>();
  const histograms = new Map<TrendName, Histogram>();
  for (const name of Object.values(TRENDS)) histograms.set(name, createHistogram());
  let records: ConnectionRecord[] = [];
  const trackInFlight = options.trackInFlight ?? false;
  let started: StartedAttempt[] = [];
  // Attempts that have neither opened nor ended: the only live attempts the recorder holds, and only
  // while they connect (a held stream is dropped from here once it is seen open).
  const connecting = new Map<string, TrackableAttempt>();

  // Event-loop delay: a late timer here means late receive times, so latency figures are only as
  // good as this number (DESIGN.md: every latency figure is reported beside it).
  const windowDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  const totalDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  windowDelay.enable();
  totalDelay.enable();
  let cpuAt = process.cpuUsage();
  let wallAt = performance.now();

  function delayMs(histogram: IntervalHistogram): DelayStats {
    if (histogram.count === 0) return { p50: 0, p99: 0, max: 0 };
    return { p50: beyondSchedule(histogram.percentile(50)), p99: beyondSchedule(histogram.percentile(99)), max: beyondSchedule(histogram.max) };
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
      if (trackInFlight) connecting.delete(record.id);
    },
    attemptStarted(attempt) {
      if (!trackInFlight) return;
      const { id, client, attempt: n } = attempt.init;
      started.push({ id, client, attempt: n, startedAt: round3(attempt.startedAt) });
      connecting.set(id, attempt);
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
      // Attempts that opened since the last report, with their exact open time.
      let opened: Array<{ id: string; openedAt: number }> | undefined;
      if (trackInFlight) {
        opened = [];
        for (const [id, attempt] of connecting) {
          if (attempt.openedAtMs === undefined) continue;
          opened.push({ id, openedAt: round3(attempt.openedAtMs) });
          connecting.delete(id);
        }
      }
      const report: WorkerReport = {
        worker,
        counters: Object.fromEntries(counters),
        sseOpen: recorder.sseOpen,
        pollClients: recorder.pollClients,
        histograms: encoded,
        ...(encode ? {} : { rawHistograms: raw }),
        records,
        ...(trackInFlight ? { started, opened } : {}),
        harness: {
          eventLoopDelayMs: delayMs(windowDelay),
          eventLoopDelayTotalMs: delayMs(totalDelay),
          cpuPercent,
          rssBytes: process.memoryUsage.rss(),
        },
      };
      counters.clear();
      records = [];
      if (trackInFlight) started = [];
      windowDelay.reset();
      return report;
    },
    close() {
      connecting.clear();
      windowDelay.disable();
      totalDelay.disable();
      for (const histogram of histograms.values()) histogram.destroy();
    },
  };
  return recorder;
}
