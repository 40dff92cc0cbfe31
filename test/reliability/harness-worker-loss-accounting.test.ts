/**
 * The bookkeeping behind a lost worker, without processes: a forked worker's recorder reports the
 * attempts it started and those that opened; the coordinator's tracker keeps started − ended and
 * turns what is left into `client_worker_lost` records; the aggregate counts them and drops the dead
 * worker's gauges. (harness-worker-lost.test.ts kills a real worker process.)
 */
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/cli/commands/run.js';
import type { RunOutcome } from '../../src/engine/index.js';
import { createRecorder, type TrackableAttempt } from '../../src/engine/recorder.js';
import { createInFlightTracker, describeLoss } from '../../src/engine/worker-loss.js';
import type { WorkerLoss } from '../../src/engine/worker-pool.js';
import type { ConnectionRecord } from '../../src/results/schema.js';
import { counterKey, createRunAggregate } from '../../src/metrics/run-aggregate.js';

function attempt(id: string, client: number, startedAt: number): TrackableAttempt & { openedAtMs: number | undefined } {
  return { init: { id, client, attempt: 1 }, startedAt, openedAtMs: undefined };
}

function ended(id: string, client: number): ConnectionRecord {
  return { id, client, attempt: 1, startedAt: 1, endedAt: 2, outcome: 'failed', reason: 'refused', events: 0, heartbeats: 0, lost: 0, duplicated: 0, eventReads: 0, maxEventsPerRead: 0 };
}

const LOSS: WorkerLoss = { at: 5_000, pid: 4242, code: null, signal: 'SIGKILL' };

describe('a forked worker reports its attempts in flight', () => {
  it('reports each start once, each open once, and forgets an attempt when it ends or opens', () => {
    const recorder = createRecorder(1, { trackInFlight: true });
    try {
      const a = attempt('1-1', 1, 1_000.1234);
      const b = attempt('1-2', 3, 1_100);
      const c = attempt('1-3', 5, 1_200);
      for (const each of [a, b, c]) recorder.attemptStarted(each);
      a.openedAtMs = 1_050.5678;
      recorder.record(ended('1-3', 5));
      const first = recorder.collect();
      expect(first.started?.map((s) => s.id)).toEqual(['1-1', '1-2', '1-3']);
      expect(first.started?.[0]?.startedAt).toBe(1_000.123);
      // The exact open time, not the report's.
      expect(first.opened).toEqual([{ id: '1-1', openedAt: 1_050.568 }]);
      b.openedAtMs = 1_150;
      const second = recorder.collect();
      expect(second.started).toEqual([]);
      expect(second.opened?.map((o) => o.id)).toEqual(['1-2']);
      // Nothing is held per open stream: a third report has nothing to say.
      const third = recorder.collect();
      expect(third.started).toEqual([]);
      expect(third.opened).toEqual([]);
    } finally {
      recorder.close();
    }
  });

  it('reports nothing of the kind in process (an in-process worker dies with its coordinator)', () => {
    const recorder = createRecorder(0);
    try {
      recorder.attemptStarted(attempt('0-1', 0, 1_000));
      const report = recorder.collect();
      expect(report.started).toBeUndefined();
      expect(report.opened).toBeUndefined();
    } finally {
      recorder.close();
    }
  });
});

describe('the coordinator accounts for a lost worker', () => {
  it('writes one client_worker_lost record per attempt started and not ended: dropped if it had opened, failed if not', () => {
    const tracker = createInFlightTracker();
    tracker.absorb({
      worker: 1,
      counters: {},
      sseOpen: 1,
      pollClients: 0,
      histograms: {},
      harness: { eventLoopDelayMs: { p50: 0, p99: 0, max: 0 }, eventLoopDelayTotalMs: { p50: 0, p99: 0, max: 0 }, cpuPercent: 0, rssBytes: 0 },
      started: [
        { id: '1-1', client: 1, attempt: 1, startedAt: 1_000 },
        { id: '1-2', client: 3, attempt: 1, startedAt: 1_100 },
        { id: '1-3', client: 5, attempt: 1, startedAt: 1_200 },
      ],
      opened: [{ id: '1-1', openedAt: 1_050 }],
      // Started and ended in the same report: not in flight.
      records: [ended('1-3', 5)],
    });
    // Another worker's attempts are not this one's.
    tracker.absorb({ ...emptyReport(0), started: [{ id: '0-1', client: 0, attempt: 1, startedAt: 1_000 }], opened: [], records: [] });

    const lost = tracker.lose(1, LOSS);
    expect(lost.map((record) => [record.id, record.outcome, record.reason, record.openedAt, record.endedAt])).toEqual([
      ['1-1', 'dropped', 'client_worker_lost', 1_050, 5_000],
      ['1-2', 'failed', 'client_worker_lost', undefined, 5_000],
    ]);
    expect(lost[0]?.error).toBe('worker 1 (pid 4242) was killed by SIGKILL');
    // Once: a second look finds nothing more to write.
    expect(tracker.lose(1, LOSS)).toEqual([]);
    expect(tracker.lose(0, LOSS).map((record) => record.id)).toEqual(['0-1']);
  });

  it('describes a crash and a lost IPC channel as well as a signal', () => {
    expect(describeLoss({ at: 0, pid: 7, code: 1, signal: null })).toBe('(pid 7) exited with code 1 before its last report');
    expect(describeLoss({ at: 0, pid: undefined, code: 0, signal: null })).toBe('exited with code 0 before its last report');
  });

  it('counts the lost attempts with their reason and drops the dead worker from the open gauge', () => {
    const aggregate = createRunAggregate();
    try {
      aggregate.add({ ...emptyReport(0), sseOpen: 10, pollClients: 2 });
      aggregate.add({ ...emptyReport(1), sseOpen: 7, pollClients: 2 });
      aggregate.loseWorker(1, { [counterKey('sse_drops', 'client_worker_lost')]: 7, [counterKey('sse_connect_failures', 'client_worker_lost')]: 1 });
      expect(aggregate.gauges()).toMatchObject({ sseOpen: 10, pollClients: 2 });
      expect(aggregate.breakdown('sse_drops')).toEqual({ client_worker_lost: 7 });
      expect(aggregate.breakdown('sse_connect_failures')).toEqual({ client_worker_lost: 1 });
      const point = aggregate.closeWindow(1);
      expect(point.sseDrops).toEqual({ client_worker_lost: 7 });
      expect(point.sseOpen).toBe(10);
    } finally {
      aggregate.destroy();
    }
  });
});

describe('the exit code of a run', () => {
  const outcome = (interrupted: boolean, trustworthy: boolean | undefined, thresholdsPassed: boolean): RunOutcome =>
    ({ interrupted, outDir: '', summary: { thresholdsPassed, harness: { workers: 2, bottleneck: false, ...(trustworthy === undefined ? {} : { trustworthy }) } } }) as unknown as RunOutcome;

  it.each([
    [false, true, true, 0],
    [false, true, false, 99],
    [false, false, true, 3],
    // A lost worker wins over failed thresholds: the figures the thresholds read are not the plan's.
    [false, false, false, 3],
    // An interruption wins over everything.
    [true, false, false, 130],
    [true, true, true, 130],
    // A summary from before `trustworthy` existed is trusted.
    [false, undefined, true, 0],
  ])('interrupted %s, trustworthy %s, thresholds passed %s: exit %i', (interrupted, trustworthy, passed, code) => {
    expect(exitCodeOf(outcome(interrupted, trustworthy, passed))).toBe(code);
  });
});

function emptyReport(worker: number) {
  return {
    worker,
    counters: {},
    sseOpen: 0,
    pollClients: 0,
    histograms: {},
    harness: { eventLoopDelayMs: { p50: 0, p99: 0, max: 0 }, eventLoopDelayTotalMs: { p50: 0, p99: 0, max: 0 }, cpuPercent: 0, rssBytes: 0 },
    records: [] as ConnectionRecord[],
  };
}
