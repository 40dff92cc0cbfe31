/**
 * `compare`: a run against a baseline, for CI. Each metric has a direction (latency up is worse,
 * connects down is worse, drops up is worse); a regression is a change in the worse direction past
 * its limit. Limits are relative (`10%`), absolute in the metric's unit (`5ms`, `3`), or both
 * (`10%/5ms`: worse by more than 10 % *and* by more than 5 ms), which keeps sub-millisecond noise on
 * loopback from failing a build.
 */
import { parseDurationMs } from '../core/duration.js';
import { TRENDS } from '../core/metric-names.js';
import { InvalidConfigError } from '../core/errors.js';
import type { Summary } from '../results/schema.js';
import { formatMs, formatNumber, formatPercent, formatTable } from './format.js';
import { defaultStat, metricValue, statKey, targetDrops } from '../results/summary-values.js';

export type Direction = 'higher_is_better' | 'lower_is_better' | 'neutral';

export interface RegressionLimit {
  /** As written: `sse_event_latency.p99`. */
  key: string;
  metric: string;
  /** Summary stat key: `p(99)`, `count`, `max`... */
  stat: string;
  /** Largest tolerated worsening as a fraction of the baseline (0.1 = 10 %). */
  relative?: number;
  /** Largest tolerated worsening in the metric's unit (ms for timings). */
  absolute?: number;
  /**
   * A percentile is gated only when both runs hold at least this many samples (the defaults ask
   * 10 / (1 − q): 1,000 for p99, 200 for p95), because the p99 of 80 samples is just their maximum.
   */
  minSamples?: number;
}

export type RegressionLimits = RegressionLimit[];

export interface ComparisonRow {
  key: string;
  metric: string;
  stat: string;
  direction: Direction;
  isTime: boolean;
  baseline: number | undefined;
  current: number | undefined;
  /** current − baseline. */
  delta: number | undefined;
  /** delta / |baseline|; Infinity when the baseline was 0 and the value grew. */
  relativeDelta: number | undefined;
  verdict: 'better' | 'worse' | 'same' | 'changed' | 'missing';
  limit: RegressionLimit | undefined;
  regression: boolean;
  /** False when the limit was not applied (too few samples). */
  gated?: boolean;
  note?: string;
}

export interface Comparison {
  baselineRunId: string;
  currentRunId: string;
  rows: ComparisonRow[];
  regressions: ComparisonRow[];
  thresholds: { baselinePassed: boolean; currentPassed: boolean; newlyFailed: string[] };
  /** Limits naming a metric neither run has: most likely a typo, which must not pass CI silently. */
  unmatchedLimits: string[];
  /** Runs whose harness lost a worker (`harness.trustworthy: false`): their figures prove nothing either way. */
  untrustworthy: string[];
}

const HIGHER_IS_BETTER = new Set(['sse_connects', 'sse_events', 'poll_events', 'sse_open_connections']);
// More messages published is the plan, not the target getting better or worse.
const NEUTRAL = new Set(['sse_heartbeats', 'poll_clients', 'poll_requests', 'publish_requests']);
// Every trend is a time in ms (core/metric-names.ts): the publish trends included.
const TIME_METRICS: ReadonlySet<string> = new Set(Object.values(TRENDS));
const STAT_NAMES = /^(p\(?\d+(\.\d+)?\)?|avg|min|max|med|count|rate|value)$/;

export function metricDirection(metric: string): Direction {
  if (HIGHER_IS_BETTER.has(metric)) return 'higher_is_better';
  if (NEUTRAL.has(metric)) return 'neutral';
  // Failures, drops, lost and duplicated events, reconnects and every timing: more is worse.
  return 'lower_is_better';
}

/**
 * The limits used when `--max-regression` is not given: tight on what CI exists to catch (held
 * connections, failures, drops, lost events), relative with an absolute floor on timings. The floors
 * are wide on purpose: on a shared 2-core machine two 5-second runs of the same plan differed by
 * 30 ms to 170 ms at p99 (4.7 ms against 31 ms; 172 ms against 11 ms at p50), which is scheduler
 * noise, not a regression; and a tail percentile is gated only with enough samples (`minSamples`).
 * Tighten them with `--max-regression` on a dedicated runner or for longer runs.
 */
export const DEFAULT_REGRESSION_LIMITS =
  'sse_connects=5%,sse_open_connections.max=5%,sse_connect_failures=0,sse_drops=0,sse_events_lost=0,sse_events=5%,' +
  'sse_connect_time.p95=50%/50ms,sse_event_latency.p95=25%/50ms,sse_event_latency.p99=50%/100ms,poll_delivery_delay.p95=25%/250ms';

/** Samples a percentile needs before the default limits gate on it: 10 / (1 − q). */
export function minSamplesFor(stat: string): number | undefined {
  const match = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
  if (!match) return undefined;
  const q = Number(match[1]) / 100;
  return q >= 1 ? undefined : Math.ceil(10 / (1 - q) - 1e-9);
}

/** The default limits, with the sample floor on each percentile. Explicit limits are obeyed as written. */
export function defaultRegressionLimits(): RegressionLimits {
  return parseRegressionLimits(DEFAULT_REGRESSION_LIMITS).map((limit) => {
    const minSamples = minSamplesFor(limit.stat);
    return minSamples === undefined ? limit : { ...limit, minSamples };
  });
}

/** The rows `compare` always shows, whether or not they have a limit. */
const SHOWN_KEYS = [
  'sse_connects',
  'sse_open_connections.max',
  'sse_connect_failures',
  'sse_drops',
  'sse_reconnects',
  'sse_events',
  'sse_events_lost',
  'sse_events_duplicated',
  'sse_connect_time.p95',
  'sse_time_to_first_event.p95',
  'sse_event_latency.p50',
  'sse_event_latency.p95',
  'sse_event_latency.p99',
  'poll_requests',
  'poll_request_duration.p95',
  'poll_delivery_delay.p95',
  'poll_delivery_delay.p99',
];

function splitKey(key: string): { metric: string; stat?: string } {
  const dot = key.lastIndexOf('.');
  if (dot > 0 && STAT_NAMES.test(key.slice(dot + 1))) return { metric: key.slice(0, dot), stat: statKey(key.slice(dot + 1)) };
  return { metric: key };
}

function parseAmount(text: string, metric: string): { relative?: number; absolute?: number } | string {
  const out: { relative?: number; absolute?: number } = {};
  for (const part of text.split('/')) {
    const trimmed = part.trim();
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(trimmed);
    if (percent) {
      if (out.relative !== undefined) return `"${text}" gives two percentages`;
      out.relative = Number(percent[1]) / 100;
      continue;
    }
    if (out.absolute !== undefined) return `"${text}" gives two absolute amounts`;
    const absolute = TIME_METRICS.has(metric) ? parseDurationMs(trimmed) : /^\d+(?:\.\d+)?$/.test(trimmed) ? Number(trimmed) : undefined;
    if (absolute === undefined || trimmed === '') {
      return `"${trimmed}" is not a limit: use a percentage (10%), an amount (${TIME_METRICS.has(metric) ? '5ms, 1s' : '3'}), or both (10%/5${TIME_METRICS.has(metric) ? 'ms' : ''})`;
    }
    out.absolute = absolute;
  }
  return out;
}

/** Parses `sse_event_latency.p99=10%,sse_connects=5%`. Throws InvalidConfigError naming every bad entry. */
export function parseRegressionLimits(text: string): RegressionLimits {
  const limits: RegressionLimits = [];
  const issues: string[] = [];
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      issues.push(`"${entry}": expected METRIC[.STAT]=LIMIT, e.g. sse_event_latency.p99=10%`);
      continue;
    }
    const key = entry.slice(0, eq).trim();
    if (!/^[a-z][a-z0-9_]*(\.[a-z0-9().]+)?$/.test(key)) {
      issues.push(`"${key}": not a metric name (lowercase, e.g. sse_connects or sse_event_latency.p99)`);
      continue;
    }
    const { metric, stat } = splitKey(key);
    const amount = parseAmount(entry.slice(eq + 1), metric);
    if (typeof amount === 'string') {
      issues.push(`${key}: ${amount}`);
      continue;
    }
    limits.push({ key, metric, stat: stat ?? defaultStat(undefined, metric), ...amount });
  }
  if (issues.length > 0) throw new InvalidConfigError('--max-regression', issues);
  if (limits.length === 0) throw new InvalidConfigError('--max-regression', ['no limits given']);
  return limits;
}

function valueOf(summary: Summary, metric: string, stat: string): number | undefined {
  // Streams the plan closed at its end are not drops the target caused.
  if (metric === 'sse_drops' && stat === 'count') return targetDrops(summary);
  return metricValue(summary, metric, stat);
}

function isRegression(direction: Direction, baseline: number, current: number, limit: RegressionLimit): boolean {
  if (direction === 'neutral') return false;
  const worse = direction === 'lower_is_better' ? current - baseline : baseline - current;
  if (!(worse > 0)) return false;
  const relative = baseline === 0 ? Infinity : worse / Math.abs(baseline);
  const pastRelative = limit.relative === undefined || relative > limit.relative;
  const pastAbsolute = limit.absolute === undefined || worse > limit.absolute;
  return pastRelative && pastAbsolute;
}

function compareOne(baseline: Summary, current: Summary, key: string, metric: string, stat: string, limit: RegressionLimit | undefined): ComparisonRow {
  const direction = metricDirection(metric);
  const before = valueOf(baseline, metric, stat);
  const after = valueOf(current, metric, stat);
  const row: ComparisonRow = {
    key,
    metric,
    stat,
    direction,
    isTime: TIME_METRICS.has(metric),
    baseline: before,
    current: after,
    delta: undefined,
    relativeDelta: undefined,
    verdict: 'missing',
    limit,
    regression: false,
  };
  if (before === undefined || after === undefined) {
    // A limited metric the current run no longer produces (no events, so no latency) is the worst case.
    if (limit && before !== undefined) {
      row.regression = true;
      row.note = 'missing from the current run';
    } else {
      row.note = before === undefined && after === undefined ? 'in neither run' : before === undefined ? 'not in the baseline' : 'not in the current run';
    }
    return row;
  }
  row.delta = after - before;
  row.relativeDelta = before === 0 ? (after === 0 ? 0 : Infinity * Math.sign(after)) : row.delta / Math.abs(before);
  if (row.delta === 0 || Math.abs(row.relativeDelta) < 0.001) row.verdict = 'same';
  else if (direction === 'neutral') row.verdict = 'changed';
  else row.verdict = (direction === 'lower_is_better') === row.delta < 0 ? 'better' : 'worse';
  row.regression = limit !== undefined && isRegression(direction, before, after, limit);
  if (limit?.minSamples !== undefined) {
    const samples = Math.min(metricValue(baseline, metric, 'count') ?? 0, metricValue(current, metric, 'count') ?? 0);
    if (samples < limit.minSamples) {
      row.regression = false;
      row.gated = false;
      row.note = `not gated: ${formatNumber(samples)} samples, ${stat} needs ${formatNumber(limit.minSamples)}`;
    }
  }
  if (row.isTime && (baseline.harness?.bottleneck || current.harness?.bottleneck)) {
    row.note = [row.note, 'harness was the bottleneck in a run'].filter(Boolean).join('; ');
  }
  return row;
}

export function compareRuns(baseline: Summary, current: Summary, limits: RegressionLimits = defaultRegressionLimits()): Comparison {
  const limitByKey = new Map<string, RegressionLimit>();
  for (const limit of limits) limitByKey.set(`${limit.metric}.${limit.stat}`, limit);
  // One row per metric and stat, however it was written (`sse_connects` and `sse_connects.count`).
  const rows: ComparisonRow[] = [];
  const seen = new Set<string>();
  const add = (key: string, explicit: RegressionLimit | undefined): void => {
    const parts = splitKey(key);
    const stat = explicit?.stat ?? parts.stat ?? defaultStat(baseline.metrics[parts.metric] ? baseline : current, parts.metric);
    const canonical = `${parts.metric}.${stat}`;
    if (seen.has(canonical)) return;
    seen.add(canonical);
    rows.push(compareOne(baseline, current, key, parts.metric, stat, explicit ?? limitByKey.get(canonical)));
  };
  for (const key of SHOWN_KEYS) add(key, limits.find((limit) => limit.key === key));
  for (const limit of limits) add(limit.key, limit);
  const baselineFailed = new Set(baseline.thresholds.filter((t) => !t.ok).map((t) => `${t.metric}: ${t.expression}`));
  const newlyFailed = current.thresholds.filter((t) => !t.ok && !baselineFailed.has(`${t.metric}: ${t.expression}`)).map((t) => `${t.metric}: ${t.expression}`);
  return {
    baselineRunId: baseline.runId,
    currentRunId: current.runId,
    rows,
    regressions: rows.filter((row) => row.regression),
    unmatchedLimits: limits.filter((limit) => !baseline.metrics[limit.metric] && !current.metrics[limit.metric]).map((limit) => limit.key),
    thresholds: { baselinePassed: baseline.thresholdsPassed, currentPassed: current.thresholdsPassed, newlyFailed },
    untrustworthy: [
      ...(baseline.harness?.trustworthy === false ? [`baseline ${baseline.runId}`] : []),
      ...(current.harness?.trustworthy === false ? [`current ${current.runId}`] : []),
    ],
  };
}

/**
 * What a comparison means for CI, one outcome per exit code (src/cli/exit-codes.ts). An
 * untrustworthy run wins over a regression: its figures prove nothing either way, so a "regression"
 * measured on it would blame the target for what the harness failed to send.
 */
export type ComparisonOutcome = 'pass' | 'regression' | 'untrustworthy';

export function comparisonOutcome(comparison: Comparison): ComparisonOutcome {
  if (comparison.untrustworthy.length > 0) return 'untrustworthy';
  return comparison.regressions.length > 0 ? 'regression' : 'pass';
}

function formatValue(row: ComparisonRow, value: number | undefined): string {
  if (value === undefined) return '—';
  return row.isTime ? formatMs(value) : formatNumber(value, Number.isInteger(value) ? 0 : 3);
}

function formatLimit(row: ComparisonRow): string {
  const limit = row.limit;
  if (!limit) return '';
  const parts: string[] = [];
  if (limit.relative !== undefined) parts.push(`${formatNumber(limit.relative * 100, 1)}%`);
  if (limit.absolute !== undefined) parts.push(row.isTime ? formatMs(limit.absolute) : formatNumber(limit.absolute, 3));
  return `${row.direction === 'higher_is_better' ? '↓' : '↑'} ${parts.join(' & ')}`;
}

export function formatComparison(comparison: Comparison): string {
  const table = formatTable(
    ['metric', 'baseline', 'current', 'change', 'limit', 'result'],
    comparison.rows.map((row) => [
      row.key.includes('.') || row.stat === 'count' ? row.key : `${row.key}.${row.stat}`,
      formatValue(row, row.baseline),
      formatValue(row, row.current),
      row.relativeDelta === undefined ? '' : formatPercent(row.relativeDelta),
      formatLimit(row),
      row.regression ? `REGRESSION${row.note ? ` (${row.note})` : ''}` : row.verdict === 'missing' ? (row.note ?? '') : `${row.verdict}${row.note ? ` (${row.note})` : ''}`,
    ]),
    ['l', 'r', 'r', 'r', 'l', 'l'],
  );
  const better = comparison.rows.filter((row) => row.verdict === 'better').map((row) => row.key);
  const worse = comparison.rows.filter((row) => row.verdict === 'worse').map((row) => row.key);
  const lines = [`baseline ${comparison.baselineRunId}  →  current ${comparison.currentRunId}`, '', table, ''];
  lines.push(`better: ${better.length > 0 ? better.join(', ') : 'nothing'}`);
  lines.push(`worse:  ${worse.length > 0 ? worse.join(', ') : 'nothing'}`);
  const { thresholds } = comparison;
  lines.push(
    `thresholds: baseline ${thresholds.baselinePassed ? 'passed' : 'failed'}, current ${thresholds.currentPassed ? 'passed' : 'failed'}${
      thresholds.newlyFailed.length > 0 ? ` (newly failed: ${thresholds.newlyFailed.join('; ')})` : ''
    }`,
  );
  if (comparison.untrustworthy.length > 0) {
    lines.push(`NOT TRUSTWORTHY: the harness lost a worker process during ${comparison.untrustworthy.join(' and ')} (see its summary's warnings): run it again`);
  }
  lines.push(
    comparison.regressions.length === 0
      ? 'No regression past the limits.'
      : `${comparison.regressions.length} regression${comparison.regressions.length === 1 ? '' : 's'} past the limits: ${comparison.regressions.map((row) => row.key).join(', ')}`,
  );
  return lines.join('\n');
}
