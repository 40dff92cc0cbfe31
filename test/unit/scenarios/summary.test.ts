import { describe, expect, it } from 'vitest';
import { buildSummary, thresholdActual, type K6SummaryData } from '../../../scenarios/lib/summary.js';
import { summarySchema } from '../../../src/results/schema.js';

// Shaped like the `data` k6 passes to handleSummary (grafana.com/docs/k6/latest/results-output/
// end-of-test/custom-summary/): metrics with type, contains, values, thresholds; submetrics as
// `name{tag:value}`; state.testRunDurationMs.
const data: K6SummaryData = {
  state: { testRunDurationMs: 61_234.5, isStdOutTTY: false },
  options: { summaryTrendStats: ['min', 'med', 'p(95)', 'p(99)', 'max', 'avg', 'count'] },
  metrics: {
    sse_connects: { type: 'counter', contains: 'default', values: { count: 40, rate: 0.65 } },
    sse_events: { type: 'counter', contains: 'default', values: { count: 2_350, rate: 38.4 } },
    sse_event_latency: {
      type: 'trend',
      contains: 'time',
      values: { min: 0.4, med: 2.1, 'p(95)': 7.5, 'p(99)': 640, max: 900, avg: 3.2, count: 2_350 },
      thresholds: { 'p(95)<500': { ok: true }, 'p(99)<500': { ok: false } },
    },
    sse_connect_failures: { type: 'counter', contains: 'default', values: { count: 0, rate: 0 }, thresholds: { 'count==0': { ok: true } } },
    'sse_drops{reason:server_closed}': { type: 'counter', contains: 'default', values: { count: 30, rate: 0.5 }, thresholds: { 'count>=0': { ok: true } } },
    'sse_drops{reason:reset}': { type: 'counter', contains: 'default', values: { count: 0, rate: 0 }, thresholds: { 'count>=0': { ok: true } } },
    sse_drops: { type: 'counter', contains: 'default', values: { count: 30, rate: 0.5 } },
    sse_connection_lifetime: { type: 'trend', contains: 'time', values: { min: Number.NaN, max: Number.NaN } },
    data_received: { type: 'counter', contains: 'data', values: { count: 123_456, rate: 2_000 } },
    checks: { type: 'rate', contains: 'default', values: { rate: 1, passes: 3, fails: 0 } },
  },
};

const context = {
  scenario: 'sse-soak',
  endedAtMs: Date.UTC(2026, 10, 27, 12, 0, 0),
  version: '1.2.3',
  testid: 'nightly',
  runId: 'k6-sse-soak-1',
  baseUrl: 'http://127.0.0.1:3000',
  ssePath: '/api/calls/events',
  thresholds: { sse_event_latency: ['p(95)<500', { threshold: 'p(99)<500', abortOnFail: true }] },
  plan: { vus: 40 },
};

describe('buildSummary (k6 handleSummary data → summary.json)', () => {
  it('produces a summary the results schema accepts, for engine k6', () => {
    const summary = summarySchema.parse(buildSummary(data, context));
    expect(summary.engine).toBe('k6');
    expect(summary.startedAt).toBe('2026-11-27T11:58:58.765Z');
    expect(summary.endedAt).toBe('2026-11-27T12:00:00.000Z');
    expect(summary.durationMs).toBe(61_234.5);
    expect(summary.plan).toEqual({ scenario: 'sse-soak', vus: 40 });
  });

  it('keeps k6’s metric shape, so values["p(95)"] reads the same for both engines', () => {
    const summary = buildSummary(data, context);
    expect(summary.metrics.sse_event_latency).toMatchObject({ type: 'trend', contains: 'time', values: { 'p(95)': 7.5 } });
    expect(summary.metrics.data_received?.contains).toBe('default');
    // NaN (an empty trend) has no JSON form: left out rather than turned into null.
    expect(summary.metrics.sse_connection_lifetime?.values).toEqual({});
  });

  it('turns submetrics into the breakdown by reason, leaving out reasons that never happened', () => {
    const summary = buildSummary(data, context);
    expect(summary.breakdown).toEqual({ sse_drops: { server_closed: 30 } });
    expect(summary.metrics['sse_drops{reason:server_closed}']).toBeUndefined();
  });

  it('lists real thresholds with the value they compared and abortOnFail, not the breakdown markers', () => {
    const summary = buildSummary(data, context);
    expect(summary.thresholds).toEqual([
      { metric: 'sse_connect_failures', expression: 'count==0', ok: true, actual: 0, abortOnFail: false },
      { metric: 'sse_event_latency', expression: 'p(95)<500', ok: true, actual: 7.5, abortOnFail: false },
      { metric: 'sse_event_latency', expression: 'p(99)<500', ok: false, actual: 640, abortOnFail: true },
    ]);
    expect(summary.thresholdsPassed).toBe(false);
  });

  it('puts the failure share measured on the helper Rate back under sse_connect_failures', () => {
    const summary = buildSummary(
      {
        state: { testRunDurationMs: 10_000 },
        metrics: {
          sse_connects: { type: 'counter', contains: 'default', values: { count: 3, rate: 0.3 } },
          sse_connect_failures: { type: 'counter', contains: 'default', values: { count: 1, rate: 0.1 } },
          sse_connect_failure_ratio: { type: 'rate', contains: 'default', values: { rate: 0.25, passes: 1, fails: 3 }, thresholds: { 'rate<0.01': { ok: false } } },
        },
      },
      { ...context, thresholds: { sse_connect_failure_ratio: [{ threshold: 'rate<0.01', abortOnFail: true }] } },
    );
    expect(summarySchema.safeParse(summary).success).toBe(true);
    expect(summary.metrics.sse_connect_failures).toMatchObject({ values: { count: 1, rate: 0.25 }, thresholds: { 'rate<0.01': { ok: false } } });
    expect(summary.metrics.sse_connect_failure_ratio).toBeUndefined();
    expect(summary.thresholds).toEqual([{ metric: 'sse_connect_failures', expression: 'rate<0.01', ok: false, actual: 0.25, abortOnFail: true }]);
    expect(summary.thresholdsPassed).toBe(false);
  });

  it('warns when nothing was attempted at all', () => {
    const summary = buildSummary({ metrics: {}, state: { testRunDurationMs: 1_000 } }, context);
    expect(summary.warnings.join(' ')).toMatch(/no SSE connection/);
    expect(summary.thresholdsPassed).toBe(true);
  });

  it('warns when the harness, not the target, ran out (a harness-side connect failure)', () => {
    const failure = (reason: string) => ({ [`sse_connect_failures{reason:${reason}}`]: { type: 'counter' as const, contains: 'default' as const, values: { count: 2, rate: 0.2 } } });
    const summary = buildSummary({ metrics: { ...failure('client_fd_limit'), ...failure('http_5xx') }, state: { testRunDurationMs: 1_000 } }, context);
    expect(summary.breakdown.sse_connect_failures).toEqual({ client_fd_limit: 2, http_5xx: 2 });
    const harness = summary.warnings.filter((warning) => warning.startsWith('the harness ran out'));
    expect(harness).toEqual([expect.stringContaining('(client_fd_limit)')]);
  });

  it.each([
    ['p(95)<500', 7.5],
    ['count==0', 3],
    ['rate < 0.01', 0.5],
    ['avg<=200', null],
    ['not a threshold', null],
  ] as const)('reads the compared value of %s', (expression, expected) => {
    expect(thresholdActual(expression, { 'p(95)': 7.5, count: 3, rate: 0.5 })).toBe(expected);
  });
});
