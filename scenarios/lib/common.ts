/**
 * Settings every scenario shares: the end-of-test statistics (the percentiles the Node engine and
 * the dashboards use), the per-VU user id and its token, and the run's end.
 */
import exec from 'k6/execution';
import { TREND_STATS } from '../../src/core/metric-names.js';
import { tokenFor } from './token.js';

/** k6's summary statistics: the remote-write percentiles (TREND_STATS), plus min and med. */
export const SUMMARY_TREND_STATS: string[] = [...new Set(['min', 'med', ...TREND_STATS])];

/** One user per VU, so each VU has its own stream and poll queue on the reference server. */
export function vuUserId(): string {
  return `k6-${exec.vu.idInTest}`;
}

let cachedToken: { value: string | undefined } | undefined;

/** This VU's token, minted once; it lives as long as the run plus an hour. */
export function vuToken(runDurationMs: number): string | undefined {
  cachedToken ??= { value: tokenFor(vuUserId(), Math.ceil(runDurationMs / 1000) + 3600) };
  return cachedToken.value;
}

/** Epoch ms at which the current scenario's `duration` is over. */
export function scenarioDeadline(durationMs: number): number {
  return exec.scenario.startTime + durationMs;
}
