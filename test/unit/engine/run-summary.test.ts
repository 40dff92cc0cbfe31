import { describe, expect, it } from 'vitest';
import { createRunAggregate, type AggregateInput } from '../../../src/metrics/run-aggregate.js';
import type { SummaryClock } from '../../../src/results/clock-note.js';
import { parsePlan, type PlanInput } from '../../../src/engine/plan.js';
import { createRunSummary, type FinishedRun } from '../../../src/engine/run-summary.js';

const SAME_HOST: SummaryClock = { method: 'same-host', offsetMs: 0, uncertaintyMs: 0 };
const health = { eventLoopDelayMs: { p50: 1, p99: 5, max: 9 }, eventLoopDelayTotalMs: { p50: 1, p99: 4, max: 9 }, cpuPercent: 30, rssBytes: 100 };

function finishedRun(input: Partial<PlanInput> & Pick<PlanInput, 'target'>, overrides: Partial<FinishedRun> = {}): FinishedRun {
  const plan = parsePlan({ sse: { clients: 2 }, duration: '5s', ...input });
  return {
    plan,
    runId: 'run-1',
    startedAt: Date.UTC(2026, 11, 8, 0, 0, 0),
    endedAt: Date.UTC(2026, 11, 8, 0, 0, 5),
    interrupted: false,
    bailedOut: undefined,
    aggregate: createRunAggregate(),
    outcomes: { failed: 0, dropped: 0, closed: 0 },
    workers: 1,
    workersLost: 0,
    clockOffsetMs: 0,
    clock: SAME_HOST,
    warnings: [],
    ...overrides,
  };
}

function report(counters: Record<string, number>): AggregateInput {
  return { worker: 0, counters, sseOpen: 0, pollClients: 0, histograms: {}, harness: health };
}

describe('createRunSummary: the target fields the diagnosis reads', () => {
  it('takes the expected event interval from the reference server’s ?interval= query', () => {
    const summary = createRunSummary(finishedRun({ target: { baseUrl: 'http://127.0.0.1:8080', query: { mode: 'tick', interval: '250' } } }));
    expect(summary.target).toEqual({ baseUrl: 'http://127.0.0.1:8080', ssePath: '/api/calls/events', pollPath: '/api/calls/poll', expectedIntervalMs: 250 });
  });

  it('prefers the plan’s expectedIntervalMs to the query, and carries origin and timeScale', () => {
    const summary = createRunSummary(
      finishedRun({ target: { baseUrl: 'http://127.0.0.1:8080', query: { interval: '250' }, expectedIntervalMs: '2s', origin: 'https://app.example.com', timeScale: 0.1 } }),
    );
    expect(summary.target.expectedIntervalMs).toBe(2_000);
    expect(summary.target.origin).toBe('https://app.example.com');
    expect(summary.target.timeScale).toBe(0.1);
  });

  it('leaves out what the plan does not say (no interval, a query interval that is not a positive number)', () => {
    const queries: Array<Record<string, string>> = [{}, { interval: 'soon' }, { interval: '0' }, { interval: '-5' }, { interval: 'Infinity' }];
    for (const query of queries) {
      const summary = createRunSummary(finishedRun({ target: { baseUrl: 'http://127.0.0.1:8080', query } }));
      expect(summary.target).toEqual({ baseUrl: 'http://127.0.0.1:8080', ssePath: '/api/calls/events', pollPath: '/api/calls/poll' });
      expect(Object.keys(summary.target)).not.toContain('expectedIntervalMs');
      expect(Object.keys(summary.target)).not.toContain('origin');
      expect(Object.keys(summary.target)).not.toContain('timeScale');
    }
  });
});

describe('createRunSummary', () => {
  it('keeps secrets out of the plan it records', () => {
    const withSecret = createRunSummary(finishedRun({ target: { baseUrl: 'http://127.0.0.1:8080' }, auth: { secret: 'signing-secret' } }));
    const withToken = createRunSummary(finishedRun({ target: { baseUrl: 'http://127.0.0.1:8080' }, auth: { token: 'bearer-token' } }));
    expect(JSON.stringify(withSecret.plan)).not.toContain('signing-secret');
    expect(JSON.stringify(withToken.plan)).not.toContain('bearer-token');
    expect((withSecret.plan as { auth: { secret: string } }).auth.secret).toBe('(redacted)');
    expect((withToken.plan as { auth: { token: string } }).auth.token).toBe('(redacted)');
  });

  it('says when the attempts counted and the records written disagree, after the warnings of the run and the bail-out', () => {
    const run = finishedRun({ target: { baseUrl: 'http://127.0.0.1:8080' } }, { warnings: ['noted during the run'], bailedOut: '3 drops reached the bail-out of 3' });
    run.aggregate.add(report({ sse_attempts: 3, sse_connects: 3 }));
    run.aggregate.closeWindow(1);
    const summary = createRunSummary({ ...run, outcomes: { failed: 0, dropped: 0, closed: 2 } });
    expect(summary.warnings).toEqual([
      'noted during the run',
      'bailed out early: 3 drops reached the bail-out of 3',
      'conservation broken: 3 SSE attempts counted but 2 connection records written',
    ]);
    expect(summary.harness?.sseAttempts).toBe(3);
    expect(summary.breakdown.sse_outcomes).toEqual({ failed: 0, dropped: 0, closed: 2 });
  });

  it('fails a latency threshold and leaves latency out when there was no clock reference', () => {
    const run = finishedRun(
      { target: { baseUrl: 'http://127.0.0.1:8080' }, thresholds: { sse_event_latency: ['p(95)<500'], sse_connects: ['count>=0'] } },
      { clockOffsetMs: null, clock: { method: 'unknown', detail: 'the plan set clock: none' } },
    );
    const summary = createRunSummary(run);
    expect(summary.metrics.sse_event_latency).toBeUndefined();
    expect(summary.metrics.poll_delivery_delay).toBeUndefined();
    expect(summary.thresholds.find((result) => result.metric === 'sse_event_latency')).toMatchObject({ ok: false, actual: null });
    expect(summary.thresholds.find((result) => result.metric === 'sse_connects')?.ok).toBe(true);
    expect(summary.thresholdsPassed).toBe(false);
    expect(summary.warnings.some((warning) => warning.startsWith('threshold sse_event_latency: p(95)<500 failed: latency unknown'))).toBe(true);
    expect(summary.warnings.at(-1)).toMatch(/^latency unknown \(the plan set clock: none\)/);
  });

  it('trusts a run only when no worker was lost', () => {
    const lost = createRunSummary(finishedRun({ target: { baseUrl: 'http://127.0.0.1:8080' } }, { workers: 2, workersLost: 1 }));
    expect(lost.harness).toMatchObject({ workers: 2, workersLost: 1, trustworthy: false });
    const whole = createRunSummary(finishedRun({ target: { baseUrl: 'http://127.0.0.1:8080' } }));
    expect(whole.harness).toMatchObject({ workers: 1, workersLost: 0, trustworthy: true });
    expect(whole.durationMs).toBe(5_000);
    expect(whole.engine).toBe('node');
    expect(whole.testid).toBe('run-1');
  });
});
