/**
 * The words printed beside a latency figure, from a summary's `clock`: the report, the terminal
 * summary and `compare` say the same thing. Latency measured against another machine's clock is only
 * as good as the offset estimate, and with no clock reference it is not latency at all.
 */
import type { Summary } from './schema.js';

export type SummaryClock = NonNullable<Summary['clock']>;

export const LATENCY_UNKNOWN_NOTE = 'latency unknown (no /api/time on the target)';

/** Latency figures may be shown: the clock is the same, or the offset to it was measured. */
export function isLatencyKnown(clock: SummaryClock | undefined): boolean {
  // Summaries written before issue 8 (and k6 runs) have no `clock`: they were same-host runs.
  return clock === undefined || clock.method !== 'unknown';
}

/** "± 0.6 ms (clock offset uncertainty)", "same host clock", or the unknown-latency note. */
export function formatClockNote(clock: SummaryClock | undefined): string {
  if (clock === undefined) return '';
  if (clock.note !== undefined) return clock.note;
  if (clock.method === 'unknown') return LATENCY_UNKNOWN_NOTE;
  if (clock.method === 'same-host') return 'same host clock';
  if (clock.method === 'date-header') return `± ${formatUncertaintyMs(clock.uncertaintyMs ?? 0)} ms (coarse clock offset, from the HTTP Date header's whole seconds)`;
  return `± ${formatUncertaintyMs(clock.uncertaintyMs ?? 0)} ms (clock offset uncertainty)`;
}

/** One decimal below 10 ms, whole milliseconds above: the uncertainty is a bound, not a measurement. */
export function formatUncertaintyMs(ms: number): string {
  return ms < 10 ? (Math.ceil(ms * 10) / 10).toFixed(1) : String(Math.ceil(ms));
}
