/**
 * A run's outputs, as observers of one per-second window, the way every k6 output is one `Output`
 * (k6 `output/types.go`: `Start`, `AddMetricSamples`, `Stop`). The coordinator (run-plan.ts) closes a
 * window each second and once more at the end, and hands the same window to every observer in turn:
 * the timeline in the results folder, each metrics sink (Prometheus remote write), live progress,
 * and whatever a library user passes. It calls none of them by name.
 *
 * An observer reports, it never steers: one that throws is noted once in the summary's warnings and
 * is called again the next second; the run goes on (a dashboard that is down must not cost a soak
 * its records). k6's `Start` has no twin: an observer is ready when it is passed in, and each window
 * carries what it needs.
 *
 * The connection records and `summary.json` are not observers. They are the run's result, not a view
 * of it: a write that fails there must fail the run (`ResultsWriter.finish` rejects with it), where an
 * observer's failure must not. Records also come as attempts end, not once a window.
 */
import type { RunAggregate } from '../metrics/run-aggregate.js';
import type { MetricsSink, MetricsSnapshot } from '../metrics/snapshot.js';
import type { TimelinePoint } from '../results/schema.js';
import type { ResultsWriter } from '../results/writer.js';

/** The whole run so far, read-only: cumulative counters, whole-run trends, gauges. */
export type RunTotals = Pick<RunAggregate, 'counter' | 'breakdown' | 'totalStats' | 'gauges'>;

/** One closed window of the run. */
export interface RunWindow {
  readonly runId: string;
  /** The window's timeline point: its counters, the gauges at its end, latency over it. */
  readonly point: TimelinePoint;
  /** Epoch ms at which the window closed. */
  readonly at: number;
  /** Since the run started, by the wall clock: a window the process was late for was longer than a second. */
  readonly elapsedMs: number;
  /** The last window: every user has closed and the last reports are in. */
  readonly final: boolean;
  /** Read during `onWindow`: the aggregate goes on changing after it. */
  readonly totals: RunTotals;
  /**
   * The metrics snapshot at the window's end. Built on the first call and shared by every observer:
   * it reads every whole-run histogram, not worth doing for nobody, nor twice.
   */
  snapshot(): MetricsSnapshot;
}

export interface RunObserver {
  /** Names it in the warning its failure leaves: `<name> failed: <message>`. */
  readonly name: string;
  /**
   * Each window in order, the final one last. Synchronous and quick, as `MetricsSink.push` is: the
   * coordinator's loop waits for it, so slow work (a network send) is queued and done aside.
   */
  onWindow(window: RunWindow): void;
  /** Once, after the final window: send what is pending. A rejection becomes `<name> failed to close: <message>`. */
  onEnd?(): Promise<void>;
}

export function createRunWindow(
  aggregate: RunAggregate,
  init: { runId: string; startedAt: number; point: TimelinePoint; at: number; final: boolean },
): RunWindow {
  const { runId, point, at, final } = init;
  const elapsedMs = at - init.startedAt;
  let snapshot: MetricsSnapshot | undefined;
  return {
    runId,
    point,
    at,
    elapsedMs,
    final,
    totals: aggregate,
    snapshot: () => (snapshot ??= aggregate.snapshot({ testid: runId, at, elapsedMs })),
  };
}

/** `timeline.json`: one point per window. A failed write is kept by the writer and fails `finish`. */
export function createTimelineObserver(writer: Pick<ResultsWriter, 'writePoint'>): RunObserver {
  return { name: 'timeline', onWindow: (window) => writer.writePoint(window.point) };
}

/** A metrics sink (snapshot.ts) as an observer: the window's snapshot is pushed, the sink closed at the end. */
export function createSinkObserver(sink: MetricsSink): RunObserver {
  return {
    name: `metrics sink ${sink.name}`,
    onWindow: (window) => sink.push(window.snapshot()),
    onEnd: () => sink.close(),
  };
}

export interface ObserverGroup {
  /** Hands the window to every observer in order; one that throws is reported and the rest still see it. */
  window(window: RunWindow): void;
  /** Ends every observer in order; resolves to one warning per observer that failed to. */
  end(): Promise<string[]>;
}

/** `onProblem` gets each failure of `onWindow`; the caller keeps a message once (the same failure repeats every second). */
export function createObserverGroup(observers: readonly RunObserver[], onProblem: (message: string) => void): ObserverGroup {
  return {
    window(window) {
      for (const observer of observers) {
        try {
          observer.onWindow(window);
        } catch (error) {
          onProblem(`${observer.name} failed: ${(error as Error).message}`);
        }
      }
    },
    async end() {
      const failures: string[] = [];
      for (const observer of observers) {
        try {
          await observer.onEnd?.();
        } catch (error) {
          failures.push(`${observer.name} failed to close: ${(error as Error).message}`);
        }
      }
      return failures;
    },
  };
}
