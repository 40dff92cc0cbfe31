/** What the engine reports once a second for live progress (the CLI renders it: src/cli/progress.ts). */
import type { Stage } from './plan.js';
import type { RunObserver } from './run-observer.js';
import { targetAt } from './stages.js';

export interface ProgressUpdate {
  elapsedMs: number;
  durationMs: number;
  sseOpen: number;
  /** SSE clients the ramp asks for now. */
  sseTarget: number;
  pollClients: number;
  /** Over the last interval, by the wall clock (a late interval is not counted as one second). */
  eventsPerSecond: number;
  pollRequestsPerSecond: number;
  /** Cumulative since the start. */
  eventsTotal: number;
  connects: number;
  reconnects: number;
  eventsLost: number;
  drops: Record<string, number>;
  connectFailures: Record<string, number>;
  /** Over the last interval; null when no sample. */
  latencyP99Ms: number | null;
  pollDelayP99Ms: number | null;
  eventLoopDelayP99Ms: number | null;
  cpuPercent: number | null;
  /** The last update, after every client has closed. */
  final: boolean;
}

/** `RunPlanOptions.onProgress` as an observer of the run's windows. */
export function createProgressObserver(
  onProgress: (update: ProgressUpdate) => void,
  run: { durationMs: number; stages: readonly Stage[] },
): RunObserver {
  let lastEvents = 0;
  let lastPolls = 0;
  let lastProgressMs = 0;
  return {
    name: 'progress',
    onWindow({ point, elapsedMs, final, totals }) {
      const events = totals.counter('sse_events');
      const polls = totals.counter('poll_requests');
      // elapsedMs is wall-clock time since the start: when the process was late, the window was longer.
      const windowSeconds = Math.max(0.001, (elapsedMs - lastProgressMs) / 1000);
      const update: ProgressUpdate = {
        elapsedMs,
        durationMs: run.durationMs,
        sseOpen: point.sseOpen,
        sseTarget: final ? 0 : targetAt(run.stages, elapsedMs),
        pollClients: point.pollClients,
        eventsPerSecond: (events - lastEvents) / windowSeconds,
        pollRequestsPerSecond: (polls - lastPolls) / windowSeconds,
        eventsTotal: events,
        connects: totals.counter('sse_connects'),
        reconnects: totals.counter('sse_reconnects'),
        eventsLost: totals.counter('sse_events_lost'),
        drops: totals.breakdown('sse_drops'),
        connectFailures: totals.breakdown('sse_connect_failures'),
        latencyP99Ms: point.sseLatencyMs?.p99 ?? null,
        pollDelayP99Ms: point.pollDelayMs?.p99 ?? null,
        eventLoopDelayP99Ms: point.eventLoopDelayP99Ms,
        cpuPercent: point.cpuPercent,
        final,
      };
      lastEvents = events;
      lastPolls = polls;
      lastProgressMs = elapsedMs;
      onProgress(update);
    },
  };
}
