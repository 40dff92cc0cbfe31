/**
 * The `handleSummary` every scenario exports: `summary.json` in streamsoak's schema into
 * `STREAMSOAK_RESULTS_DIR` (so `streamsoak report` and `compare` work on k6 runs), and a short
 * text summary on stdout (defining handleSummary replaces k6's own).
 */
import { METRIC_NAMES, METRIC_TYPES } from '../../src/core/metric-names.js';
import { readEnv } from './env.js';
import { buildSummary, type K6SummaryData, type StreamsoakSummary, type SummaryContext } from './summary.js';

export type SummaryInfo = Omit<SummaryContext, 'endedAtMs' | 'version' | 'testid' | 'runId' | 'machine'>;

export function createHandleSummary(info: () => SummaryInfo): (data: K6SummaryData) => Record<string, string> {
  return (data) => {
    const env = readEnv();
    const dir = (env.STREAMSOAK_RESULTS_DIR ?? '').replace(/\/+$/, '');
    const endedAtMs = Date.now();
    const scenario = info();
    const runId = env.STREAMSOAK_RUN_ID || (dir === '' ? '' : (dir.split('/').pop() ?? '')) || `k6-${scenario.scenario}-${endedAtMs}`;
    const summary = buildSummary(data, {
      ...scenario,
      endedAtMs,
      version: typeof STREAMSOAK_VERSION === 'string' ? STREAMSOAK_VERSION : '0.0.0',
      testid: env.STREAMSOAK_TESTID || runId,
      runId,
      machine: parseMachine(env.STREAMSOAK_MACHINE),
    });
    const outputs: Record<string, string> = { stdout: formatTextSummary(summary) };
    if (dir !== '') outputs[`${dir}/summary.json`] = `${JSON.stringify(summary, null, 2)}\n`;
    return outputs;
  };
}

function parseMachine(raw: string | undefined): SummaryContext['machine'] {
  if (raw === undefined || raw === '') return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null ? (value as SummaryContext['machine']) : undefined;
  } catch {
    return undefined;
  }
}

/** A few lines: each streamsoak metric that has values, each reason, each threshold. */
export function formatTextSummary(summary: StreamsoakSummary): string {
  const lines = [`streamsoak (k6) ${summary.runId}: ${(summary.durationMs / 1000).toFixed(1)} s against ${summary.target.baseUrl}`];
  for (const name of METRIC_NAMES) {
    const metric = summary.metrics[name];
    if (metric === undefined) continue;
    const v = metric.values;
    const text =
      METRIC_TYPES[name] === 'trend'
        ? `p50 ${fmt(v['p(50)'] ?? v.med)} ms  p95 ${fmt(v['p(95)'])} ms  p99 ${fmt(v['p(99)'])} ms  max ${fmt(v.max)} ms`
        : METRIC_TYPES[name] === 'gauge'
          ? `${fmt(v.value)}`
          : `${fmt(v.count)}`;
    const parts = Object.entries(summary.breakdown[name] ?? {}).map(([label, count]) => `${label}=${count}`);
    lines.push(`  ${name.padEnd(24)} ${text}${parts.length > 0 ? `  (${parts.join(', ')})` : ''}`);
  }
  for (const t of summary.thresholds) lines.push(`  ${t.ok ? 'ok  ' : 'FAIL'} ${t.metric}: ${t.expression}${t.actual === null ? '' : ` (${fmt(t.actual)})`}`);
  for (const warning of summary.warnings) lines.push(`  warning: ${warning}`);
  return `${lines.join('\n')}\n`;
}

function fmt(value: number | undefined): string {
  if (value === undefined) return '-';
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
