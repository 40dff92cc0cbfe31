/**
 * Which clock a run reads the server's `sentAt` against (issue 8): the plan's `clock` setting turned
 * into one offset that the coordinator hands to every worker, and the summary's `clock` section.
 *
 * - `same-host`: one clock, offset 0 (a loopback target under `auto`);
 * - `api-time`: the offset estimated from the target's `/api/time` at the start of the run (and once
 *   more at the end, to report drift); every latency figure is ± its uncertainty;
 * - `date-header`: the same from the HTTP `Date` header of any answer, for a target without
 *   `/api/time` (issue 15): whole seconds, so ± 0.5 s and half the round trip, said beside every figure;
 * - unknown: no clock reference (`none`, or no usable `/api/time`): latency would be off by an
 *   unknown offset, so none is recorded; drops, buffering and limits are measured as ever.
 */
import { isLoopbackHost } from '../core/clock.js';
import { LATENCY_UNKNOWN_NOTE, formatClockNote, formatUncertaintyMs, type SummaryClock } from '../results/clock-note.js';
import { round3 } from '../results/round.js';
import { measureClockOffset, type ClockEstimate, type MeasureClockOptions } from './clock-offset.js';
import type { Plan } from './plan.js';

export interface ClockReference {
  /** Server clock minus ours; null: no clock reference, latency is not recorded. */
  offsetMs: number | null;
  clock: SummaryClock;
  /** Set for `api-time`: the second estimate at the end of the run uses it. */
  measure?: () => Promise<ClockEstimate | undefined>;
}

const SAME_HOST: ClockReference = { offsetMs: 0, clock: { method: 'same-host', offsetMs: 0, uncertaintyMs: 0, note: formatClockNote({ method: 'same-host' }) } };

export async function resolveClockReference(plan: Plan, options: { signal?: AbortSignal; samples?: number } = {}): Promise<ClockReference> {
  if (plan.clock === 'same-host') return SAME_HOST;
  if (plan.clock === 'none') {
    return { offsetMs: null, clock: { method: 'unknown', note: 'latency unknown (no clock reference: the plan set clock: none)', detail: 'the plan set clock: none' } };
  }
  if (plan.clock === 'auto' && isLoopbackHost(new URL(plan.target.baseUrl).hostname)) return SAME_HOST;

  const method = plan.clock === 'date-header' ? 'date-header' : 'api-time';
  const measureOptions: MeasureClockOptions = {
    baseUrl: plan.target.baseUrl,
    path: plan.target.timePath,
    source: method,
    headers: plan.target.headers,
    ...(options.samples !== undefined ? { samples: options.samples } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const measured = await measureClockOffset(measureOptions);
  if (!measured.ok) {
    // Said, not done: the coarse clock is ± 0.5 s, which the user must choose knowingly.
    const hint = method === 'api-time' ? '; --clock date-header reads a coarse offset (± 0.5 s) from the HTTP Date header instead' : '';
    return { offsetMs: null, clock: { method: 'unknown', note: LATENCY_UNKNOWN_NOTE, detail: `${measured.reason}${hint}` } };
  }
  const estimate = measured.estimate;
  return {
    offsetMs: estimate.offsetMs,
    clock: {
      method,
      offsetMs: estimate.offsetMs,
      uncertaintyMs: estimate.uncertaintyMs,
      roundTripMs: estimate.roundTripMs,
      samples: estimate.samples,
      note: formatClockNote({ method, uncertaintyMs: estimate.uncertaintyMs }),
    },
    measure: async () => {
      const again = await measureClockOffset(measureOptions);
      return again.ok ? again.estimate : undefined;
    },
  };
}

/** Adds the end-of-run estimate; returns a warning when the clocks drifted apart by more than the two uncertainties. */
export function withEndEstimate(clock: SummaryClock, end: ClockEstimate | undefined): { clock: SummaryClock; warning?: string } {
  if (end === undefined || clock.offsetMs === undefined) return { clock };
  const driftMs = round3(end.offsetMs - clock.offsetMs);
  const next: SummaryClock = { ...clock, endOffsetMs: end.offsetMs, endUncertaintyMs: end.uncertaintyMs, driftMs };
  const bound = (clock.uncertaintyMs ?? 0) + end.uncertaintyMs;
  if (Math.abs(driftMs) <= bound) return { clock: next };
  return {
    clock: next,
    warning: `the target's clock moved ${driftMs} ms against ours during the run (more than the ± ${formatUncertaintyMs(bound)} ms the two estimates allow): latency was corrected with the offset measured at the start, so late figures are off by up to that much`,
  };
}

/** Metrics read from the server's `sentAt`: meaningless without a clock reference. */
export const CLOCK_DEPENDENT_METRICS = ['sse_event_latency', 'poll_delivery_delay'] as const;

export const LATENCY_UNKNOWN_THRESHOLD = 'latency unknown: no clock reference';
