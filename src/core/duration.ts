/**
 * Durations written the k6 way: `500ms`, `30s`, `5m`, `1h`, and combinations (`1m30s`). A bare
 * number is milliseconds.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * The longest delay a timer keeps: past 2^31 − 1 ms (~24.8 days) Node's setTimeout fires after
 * 1 ms instead, so a longer limit would act at once, not never.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Milliseconds, or `undefined` when `text` is not a duration. */
export function parseDurationMs(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  const input = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(input)) return Number(input);
  if (input.length === 0) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const start = PART.lastIndex;
    const match = PART.exec(input);
    if (!match || match.index !== start) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return total;
}

export function formatDurationMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms % 1_000 === 0 ? 0 : 1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}
