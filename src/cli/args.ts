/**
 * Flag parsing shared by the commands: node:util's `parseArgs` with its errors turned into usage
 * errors (exit 2), and the number and duration flags, so every command accepts the same spellings
 * and names the flag and the value it refused the same way (`--vus many: expected ...`).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatDurationMs, parseDurationMs } from '../core/duration.js';
import { UsageError } from '../core/errors.js';

/**
 * `parseArgs(config)`, but an unknown option or a missing value (node:util throws a TypeError) is
 * bad usage: a UsageError carrying the command's usage text, so main.ts exits 2 and shows it.
 */
export function parseArgsOrUsage<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
  }
}

export interface IntegerRange {
  /** Smallest allowed value (default 0). */
  min?: number;
  max?: number;
}

/** A whole number written in decimal digits (no sign, exponent or hex), within `range`. */
export function parseIntegerFlag(flag: string, text: string, range: IntegerRange = {}): number {
  const min = range.min ?? 0;
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(value) || value < min || (range.max !== undefined && value > range.max)) {
    const allowed = range.max !== undefined ? `a whole number from ${min} to ${range.max}` : min === 0 ? 'a non-negative whole number' : `a whole number ≥ ${min}`;
    throw new UsageError(`${flag} ${text}: expected ${allowed}`);
  }
  return value;
}

/** A finite number above zero (a scale factor such as `--time-scale 0.1`). */
export function parsePositiveNumberFlag(flag: string, text: string): number {
  const value = Number(text);
  if (!(value > 0 && Number.isFinite(value))) throw new UsageError(`${flag} ${text}: expected a positive number`);
  return value;
}

export interface DurationRange {
  /** Shortest allowed duration in ms (default 0). */
  minMs?: number;
  maxMs?: number;
}

/** A duration the k6 way (`500ms`, `30s`, `1m30s`; a bare number is ms), in ms, within `range`. */
export function parseDurationFlag(flag: string, text: string, range: DurationRange = {}): number {
  const minMs = range.minMs ?? 0;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < minMs || (range.maxMs !== undefined && ms > range.maxMs)) {
    const allowed =
      range.maxMs !== undefined
        ? `a duration from ${formatDurationMs(minMs)} to ${formatDurationMs(range.maxMs)}`
        : minMs > 0
          ? `a duration of at least ${formatDurationMs(minMs)}`
          : 'a duration';
    throw new UsageError(`${flag} ${text}: expected ${allowed} (e.g. 500ms, 30s, 5m)`);
  }
  return ms;
}
