import { describe, expect, it } from 'vitest';
import { createRunAggregate, type AggregateInput } from '../../../src/metrics/run-aggregate.js';
import type { MetricsSink, MetricsSnapshot } from '../../../src/metrics/snapshot.js';
import type { TimelinePoint } from '../../../src/results/schema.js';
import { createProgressObserver, type ProgressUpdate } from '../../../src/engine/progress-update.js';
import {
  createObserverGroup,
  createRunWindow,
  createSinkObserver,
  createTimelineObserver,
  type RunObserver,
  type RunWindow,
} from '../../../src/engine/run-observer.js';

const health = { eventLoopDelayMs: { p50: 1, p99: 5, max: 9 }, eventLoopDelayTotalMs: { p50: 1, p99: 4, max: 9 }, cpuPercent: 30, rssBytes: 100 };
const STARTED_AT = 1_000_000;

function report(counters: Record<string, number>, sseOpen: number): AggregateInput {
  return { worker: 0, counters, sseOpen, pollClients: 0, histograms: {}, harness: health };
}

/** Feeds `counters` into the aggregate, closes the window `tick` and wraps it as the coordinator does. */
function nextWindow(aggregate: ReturnType<typeof createRunAggregate>, tick: number, counters: Record<string, number>, elapsedMs = tick * 1_000, final = false): RunWindow {
  aggregate.add(report(counters, 4));
  const point = aggregate.closeWindow(tick);
  return createRunWindow(aggregate, { runId: 'run-1', startedAt: STARTED_AT, point, at: STARTED_AT + elapsedMs, final });
}

describe('createRunWindow', () => {
  it('builds the snapshot once, on first use, for every observer of the window', () => {
    const aggregate = createRunAggregate();
    let snapshots = 0;
    const counting = { ...aggregate, snapshot: (meta: Parameters<typeof aggregate.snapshot>[0]) => (snapshots++, aggregate.snapshot(meta)) };
    aggregate.add(report({ sse_connects: 4, sse_events: 10 }, 4));
    const window = createRunWindow(counting, { runId: 'run-1', startedAt: STARTED_AT, point: aggregate.closeWindow(1), at: STARTED_AT + 1_250, final: false });
    expect(window.elapsedMs).toBe(1_250);
    expect(snapshots).toBe(0);
    const first = window.snapshot();
    expect(window.snapshot()).toBe(first);
    expect(snapshots).toBe(1);
    expect(first).toMatchObject({ testid: 'run-1', at: STARTED_AT + 1_250, elapsedMs: 1_250 });
    expect(first.counters.find((counter) => counter.name === 'sse_events')?.value).toBe(10);
    aggregate.destroy();
  });
});

describe('createObserverGroup', () => {
  it('hands each window to every observer in order, and a failing one neither stops the others nor the run', () => {
    const aggregate = createRunAggregate();
    const seen: string[] = [];
    const problems: string[] = [];
    const failing: RunObserver = {
      name: 'flaky',
      onWindow: () => {
        seen.push('flaky');
        throw new Error('dashboard down');
      },
    };
    const steady: RunObserver = { name: 'steady', onWindow: (window) => void seen.push(`steady ${window.point.t}`) };
    const group = createObserverGroup([failing, steady], (message) => problems.push(message));
    group.window(nextWindow(aggregate, 1, { sse_events: 1 }));
    group.window(nextWindow(aggregate, 2, { sse_events: 1 }));
    expect(seen).toEqual(['flaky', 'steady 1', 'flaky', 'steady 2']);
    // The caller keeps a repeated message once (run-plan.ts); the group reports every failure.
    expect(problems).toEqual(['flaky failed: dashboard down', 'flaky failed: dashboard down']);
    aggregate.destroy();
  });

  it('ends every observer in order and returns one warning per observer that failed to', async () => {
    const ended: string[] = [];
    const group = createObserverGroup(
      [
        { name: 'a', onWindow: () => undefined, onEnd: async () => void ended.push('a') },
        { name: 'b', onWindow: () => undefined, onEnd: () => Promise.reject(new Error('connection refused')) },
        { name: 'no end', onWindow: () => undefined },
        { name: 'c', onWindow: () => undefined, onEnd: async () => void ended.push('c') },
      ],
      () => undefined,
    );
    expect(await group.end()).toEqual(['b failed to close: connection refused']);
    expect(ended).toEqual(['a', 'c']);
  });
});

describe('the built-in observers', () => {
  it('writes each window’s timeline point', () => {
    const aggregate = createRunAggregate();
    const points: TimelinePoint[] = [];
    const timeline = createTimelineObserver({ writePoint: (point) => void points.push(point) });
    timeline.onWindow(nextWindow(aggregate, 1, { sse_events: 3 }));
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ t: 1, sseEvents: 3, sseOpen: 4 });
    aggregate.destroy();
  });

  it('pushes each window’s snapshot to a metrics sink, closes it at the end, and names it in warnings as before', async () => {
    const aggregate = createRunAggregate();
    const pushed: MetricsSnapshot[] = [];
    let closed = 0;
    const sink: MetricsSink = { name: 'memory', push: (snapshot) => void pushed.push(snapshot), close: async () => void closed++ };
    const observer = createSinkObserver(sink);
    observer.onWindow(nextWindow(aggregate, 1, { sse_events: 3 }));
    observer.onWindow(nextWindow(aggregate, 2, { sse_events: 2 }, 2_000, true));
    await observer.onEnd?.();
    expect(pushed.map((snapshot) => snapshot.elapsedMs)).toEqual([1_000, 2_000]);
    expect(pushed[1]?.counters.find((counter) => counter.name === 'sse_events')?.value).toBe(5);
    expect(closed).toBe(1);
    expect(observer.name).toBe('metrics sink memory');
    aggregate.destroy();
  });

  it('reports progress with rates over the wall-clock length of each window, and no target at the end', () => {
    const aggregate = createRunAggregate();
    const updates: ProgressUpdate[] = [];
    const progress = createProgressObserver((update) => updates.push(update), { durationMs: 10_000, stages: [{ duration: 10_000, target: 100 }] });
    progress.onWindow(nextWindow(aggregate, 1, { sse_events: 100, poll_requests: 4, sse_connects: 4 }, 1_000));
    // A late window: two seconds of wall clock, so 100 events are 50 a second.
    progress.onWindow(nextWindow(aggregate, 2, { sse_events: 100 }, 3_000));
    progress.onWindow(nextWindow(aggregate, 3.5, {}, 3_500, true));
    expect(updates.map((update) => update.eventsPerSecond)).toEqual([100, 50, 0]);
    expect(updates[0]).toMatchObject({ elapsedMs: 1_000, durationMs: 10_000, sseTarget: 10, sseOpen: 4, eventsTotal: 100, connects: 4, pollRequestsPerSecond: 4, final: false });
    expect(updates[1]?.sseTarget).toBe(30);
    expect(updates[2]).toMatchObject({ sseTarget: 0, eventsTotal: 200, final: true });
    aggregate.destroy();
  });
});
