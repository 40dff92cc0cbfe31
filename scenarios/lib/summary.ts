/**
 * Turns k6's end-of-test data (what `handleSummary(data)` receives) into streamsoak's `summary.json`
 * (`src/results/schema.ts`, engine `k6`), so `streamsoak report` and `compare` read k6 runs
 * as they read Node ones. Pure, and free of zod: it is bundled into k6 scripts; the tests validate
 * its output against the schema.
 *
 * k6's data, as documented for `handleSummary` (grafana.com/docs/k6/latest/results-output/end-of-test/
 * custom-summary/): `metrics[name] = { type, contains, values, thresholds?: { [expr]: { ok } } }`,
 * submetrics as `name{tag:value}` entries, `state.testRunDurationMs`.
 */
import { COUNTERS } from '../../src/core/metric-names.js';
import { isConnectFailureReason, reasonSide } from '../../src/core/reasons.js';
import { parseThresholdExpression } from '../../src/core/thresholds.js';
import type { SummaryInput } from '../../src/results/schema.js';
import { CONNECT_FAILURE_RATIO } from './k6-only-metrics.js';
import { BREAKDOWN_MARKER, type Thresholds } from './thresholds.js';

export interface K6MetricData {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  contains: 'default' | 'time' | 'data';
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface K6SummaryData {
  metrics: Record<string, K6MetricData>;
  /** What `setup()` returned (k6 passes it to handleSummary). */
  setup_data?: unknown;
  state?: { testRunDurationMs?: number; isStdOutTTY?: boolean };
  options?: { summaryTrendStats?: string[] };
}

export interface SummaryContext {
  scenario: string;
  /** The wall-clock time handleSummary runs (epoch ms): the end of the run. */
  endedAtMs: number;
  version: string;
  testid: string;
  runId: string;
  baseUrl: string;
  ssePath?: string;
  pollPath?: string;
  /** The thresholds as configured, for `abortOnFail` (k6's data keeps only the outcome). */
  thresholds: Thresholds;
  /** The scenario's settings, stored as the run's `plan`. */
  plan: unknown;
  /** Host facts passed in by `streamsoak k6 run` (k6 scripts cannot read them). */
  machine?: Partial<StreamsoakSummary['machine']>;
}

/**
 * What `buildSummary` writes: `summarySchema`'s input, derived from it so the two cannot drift (an
 * `import type`, erased by esbuild: bundles carry no zod). Narrowed where k6 runs always write a
 * value the schema would otherwise default (`breakdown`, `thresholds`, `warnings`, `interrupted`).
 */
export type StreamsoakSummary = SummaryInput & Required<Pick<SummaryInput, 'interrupted' | 'breakdown' | 'thresholds' | 'warnings'>> & { engine: 'k6' };

const SUBMETRIC = /^([^{]+)\{([^:}]+):([^}]*)\}$/;

export function buildSummary(data: K6SummaryData, context: SummaryContext): StreamsoakSummary {
  const durationMs = Math.max(0, data.state?.testRunDurationMs ?? 0);
  const metrics: StreamsoakSummary['metrics'] = {};
  const breakdown: StreamsoakSummary['breakdown'] = {};
  const thresholds: StreamsoakSummary['thresholds'] = [];
  const warnings: string[] = [];

  for (const name of Object.keys(data.metrics).sort()) {
    const metric = data.metrics[name];
    if (metric === undefined || name === CONNECT_FAILURE_RATIO) continue;
    const sub = SUBMETRIC.exec(name);
    if (sub !== null) {
      const [, parent, , label] = sub as unknown as [string, string, string, string];
      const value = metric.values.count ?? metric.values.value;
      // Breakdowns hold counts; a zero count is left out, as the Node engine leaves out reasons that
      // never happened.
      if (value !== undefined && value > 0) (breakdown[parent] ??= {})[label] = Math.round(value);
    } else {
      metrics[name] = {
        type: metric.type,
        // k6's `data` (bytes) has no place in the schema; the number stays, its unit is in the name.
        contains: metric.contains === 'time' ? 'time' : 'default',
        values: finiteValues(metric.values),
        ...(metric.thresholds === undefined ? {} : { thresholds: metric.thresholds }),
      };
    }
    for (const [expression, outcome] of Object.entries(metric.thresholds ?? {})) {
      if (expression === BREAKDOWN_MARKER) continue;
      thresholds.push({
        metric: name,
        expression,
        ok: outcome.ok,
        actual: thresholdActual(expression, metric.values),
        abortOnFail: abortOnFail(context.thresholds[name], expression),
      });
    }
  }

  foldConnectFailureRatio(data.metrics[CONNECT_FAILURE_RATIO], metrics, thresholds, context);

  const attempts = [COUNTERS.sseConnects, COUNTERS.sseConnectFailures, COUNTERS.pollRequests].reduce((total, name) => total + (metrics[name]?.values.count ?? 0), 0);
  if (attempts === 0) {
    warnings.push('no SSE connection and no poll request was recorded: was the target reachable?');
  }
  for (const reason of Object.keys(breakdown.sse_connect_failures ?? {})) {
    if (isConnectFailureReason(reason) && reasonSide(reason) === 'harness') {
      warnings.push(`the harness ran out of resources (${reason}): raise its limits or spread the load over more machines`);
    }
  }

  const endedAtMs = context.endedAtMs;
  return {
    schemaVersion: 1,
    tool: { name: 'streamsoak', version: context.version },
    engine: 'k6',
    runId: context.runId,
    testid: context.testid,
    startedAt: new Date(endedAtMs - durationMs).toISOString(),
    endedAt: new Date(endedAtMs).toISOString(),
    durationMs,
    interrupted: false,
    target: {
      baseUrl: context.baseUrl,
      ...(context.ssePath === undefined ? {} : { ssePath: context.ssePath }),
      ...(context.pollPath === undefined ? {} : { pollPath: context.pollPath }),
      ...expectedIntervalOf(context.ssePath),
    },
    plan: { scenario: context.scenario, ...asObject(context.plan) },
    machine: {
      platform: 'unknown',
      arch: 'unknown',
      cpus: 0,
      ...context.machine,
      runtime: context.machine?.runtime ?? 'k6',
    },
    metrics,
    breakdown,
    thresholds,
    thresholdsPassed: thresholds.every((threshold) => threshold.ok),
    ...clockOf(data.setup_data),
    findings: [],
    warnings,
  };
}

/**
 * streamsoak's `sse_connect_failures.values.rate` is the share of attempts that failed (as the Node
 * engine writes it), which k6 measured on the helper Rate: its value and thresholds go back under
 * `sse_connect_failures`, and the helper leaves the summary.
 */
function foldConnectFailureRatio(
  ratio: K6MetricData | undefined,
  metrics: StreamsoakSummary['metrics'],
  thresholds: StreamsoakSummary['thresholds'],
  context: SummaryContext,
): void {
  if (ratio === undefined) return;
  const share = ratio.values.rate;
  const failures = (metrics.sse_connect_failures ??= { type: 'counter', contains: 'default', values: { count: 0 } });
  // k6 writes NaN for a Rate without samples: no attempt, so nothing failed.
  failures.values.rate = share !== undefined && Number.isFinite(share) ? share : 0;
  for (const [expression, outcome] of Object.entries(ratio.thresholds ?? {})) {
    (failures.thresholds ??= {})[expression] = outcome;
    thresholds.push({
      metric: 'sse_connect_failures',
      expression,
      ok: outcome.ok,
      actual: failures.values.rate,
      abortOnFail: abortOnFail(context.thresholds[CONNECT_FAILURE_RATIO] ?? context.thresholds.sse_connect_failures, expression),
    });
  }
}

/** The value an expression (`p(95)<500`, `count==0`, `rate<0.01`) compared, read from k6's values. */
export function thresholdActual(expression: string, values: Record<string, number>): number | null {
  const parsed = parseThresholdExpression(expression);
  if (typeof parsed === 'string') return null;
  const value = values[parsed.aggregation];
  return value === undefined || !Number.isFinite(value) ? null : value;
}

function abortOnFail(configured: Thresholds[string] | undefined, expression: string): boolean {
  for (const item of configured ?? []) {
    if (typeof item === 'object' && item !== null && item.threshold === expression) return item.abortOnFail === true;
  }
  return false;
}

function finiteValues(values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  // k6 reports NaN for the percentiles of an empty trend; JSON would turn them into null.
  for (const [key, value] of Object.entries(values)) if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  return out;
}

function clockOf(setupData: unknown): Pick<StreamsoakSummary, 'clock'> {
  const clock = (setupData as { clock?: StreamsoakSummary['clock'] } | undefined)?.clock;
  if (clock === undefined || !['same-host', 'api-time', 'unknown'].includes(clock.method)) return {};
  return { clock: { method: clock.method, ...(clock.offsetMs === undefined ? {} : { offsetMs: clock.offsetMs }), ...(clock.uncertaintyMs === undefined ? {} : { uncertaintyMs: clock.uncertaintyMs }) } };
}

/**
 * The reference server's tick-mode `?interval=` on the SSE path
 * (`SSE_PATH=/api/calls/events?mode=tick&interval=200`), as the Node engine falls back to it: the
 * one thing a scenario knows of the target's event rate. A regular expression, not `URL`: k6 scripts
 * get `URL` only from a jslib (github.com/grafana/k6-jslib-url), which a bundle does not carry.
 */
function expectedIntervalOf(ssePath: string | undefined): { expectedIntervalMs?: number } {
  const match = /[?&]interval=(\d+(?:\.\d+)?)(?:&|#|$)/.exec(ssePath ?? '');
  const intervalMs = Number(match?.[1]);
  return match !== null && intervalMs > 0 ? { expectedIntervalMs: intervalMs } : {};
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
}
