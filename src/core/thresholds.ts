/**
 * k6 threshold expressions (https://grafana.com/docs/k6/latest/using-k6/thresholds/):
 * `<aggregation> <operator> <value>`, e.g. `p(95)<500`, `count==0`, `rate<0.01`, `avg<=200`.
 * A metric key may select a sub-metric by one label, as k6 does: `sse_drops{reason:server_closed}`.
 *
 * Pure: no Node API and no npm package, so k6 bundles and the Node engine judge runs the same way.
 */

export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export interface ThresholdExpression {
  /** The source text, trimmed. */
  readonly source: string;
  /** The aggregation as k6 names it in a summary's `values`: `p(95)`, `avg`, `count`, `rate`, `value`... */
  readonly aggregation: string;
  readonly operator: ThresholdOperator;
  readonly value: number;
}

export interface ThresholdMetricKey {
  readonly name: string;
  /** A sub-metric selected by one label (`{reason:server_closed}`), as k6 allows. */
  readonly label?: { readonly key: string; readonly value: string };
}

/** A threshold as written in a plan: a bare expression, or k6's object form. */
export type ThresholdInput = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string | number };

// `p(99.9)`, `avg`, `min`, `max`, `med`, `count`, `rate`, `value`; then an operator; then a number.
const EXPRESSION = /^\s*(p\(\d+(?:\.\d+)?\)|avg|min|max|med|count|rate|value)\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i;
const METRIC_KEY = /^([A-Za-z_][A-Za-z0-9_]*)(?:\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^}]*?)\s*\})?$/;

/** The expression, or an error message saying what is allowed. */
export function parseThresholdExpression(text: string): ThresholdExpression | string {
  const match = EXPRESSION.exec(text);
  if (!match) {
    return `"${text}" is not a k6 threshold: write <aggregation><operator><number>, e.g. "p(95)<500", "count==0", "rate<0.01" (aggregations: p(N), avg, min, max, med, count, rate, value)`;
  }
  const aggregation = (match[1] as string).toLowerCase();
  if (aggregation.startsWith('p(')) {
    const percentile = Number(aggregation.slice(2, -1));
    if (!(percentile >= 0 && percentile <= 100)) return `"${text}": a percentile is between 0 and 100`;
  }
  return { source: text.trim(), aggregation, operator: match[2] as ThresholdOperator, value: Number(match[3]) };
}

/** The metric key, or an error message. */
export function parseThresholdMetricKey(text: string): ThresholdMetricKey | string {
  const match = METRIC_KEY.exec(text.trim());
  if (!match) return `"${text}" is not a metric name, or name{label:value}`;
  const name = match[1] as string;
  return match[2] === undefined ? { name } : { name, label: { key: match[2], value: match[3] ?? '' } };
}

export function compareThreshold(actual: number, operator: ThresholdOperator, expected: number): boolean {
  switch (operator) {
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    case '==':
    case '===':
      return actual === expected;
    case '!=':
      return actual !== expected;
  }
}

/** The `values` of a k6 summary metric: `{ count, rate }`, `{ avg, med, "p(95)", ... }`, `{ value }`. */
export type SummaryValues = Readonly<Record<string, number>>;

export interface ThresholdEvaluation {
  readonly ok: boolean;
  /** The value compared, or `null` when the metric had no such value (no samples). */
  readonly actual: number | null;
}

/**
 * Evaluates one expression against a metric's summary values. A percentile missing from `values` is
 * looked up through `percentile` when given (a histogram can answer any percentile).
 *
 * A metric with no samples has no value to compare: like k6, a threshold on it passes, except
 * counters, whose missing count is zero.
 */
export function evaluateThreshold(
  expression: ThresholdExpression,
  values: SummaryValues | undefined,
  percentile?: (p: number) => number | undefined,
): ThresholdEvaluation {
  let actual: number | undefined = values?.[expression.aggregation];
  if (actual === undefined && expression.aggregation === 'med') actual = values?.['p(50)'];
  if (actual === undefined && expression.aggregation.startsWith('p(') && percentile) {
    actual = percentile(Number(expression.aggregation.slice(2, -1)));
  }
  if (actual === undefined && (expression.aggregation === 'count' || expression.aggregation === 'rate') && values === undefined) {
    actual = 0;
  }
  if (actual === undefined || Number.isNaN(actual)) return { ok: true, actual: null };
  return { ok: compareThreshold(actual, expression.operator, expression.value), actual };
}

export function thresholdSource(input: ThresholdInput): string {
  return typeof input === 'string' ? input : input.threshold;
}
