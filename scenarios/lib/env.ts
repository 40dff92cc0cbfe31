/**
 * What a scenario reads from `__ENV` (k6's `-e NAME=value` or the environment): the target, the
 * token, sizes and durations, read and checked the same way by every scenario. docs/k6.md lists
 * the names.
 */
import { parseDurationMs } from '../../src/core/duration.js';

/** The k6 `__ENV`, or an empty object outside k6 (so these helpers stay testable). */
export function readEnv(): Readonly<Record<string, string | undefined>> {
  return typeof __ENV === 'object' && __ENV !== null ? __ENV : {};
}

export function envString(name: string, fallback: string): string {
  const value = readEnv()[name];
  return value === undefined || value === '' ? fallback : value;
}

export function envInt(name: string, fallback: number): number {
  const raw = readEnv()[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name}=${raw}: expected a whole number`);
  return value;
}

/** A duration in ms from a k6-style duration (`30s`, `1m30s`) or a bare number of ms. */
export function envDurationMs(name: string, fallback: string): number {
  const raw = envString(name, fallback);
  const value = parseDurationMs(raw);
  if (value === undefined) throw new Error(`${name}=${raw}: expected a duration such as 30s or 5m`);
  return value;
}

/** The target's base URL without a trailing slash; k6 cannot run a scenario without one. */
export function targetBaseUrl(): string {
  const target = envString('TARGET', '');
  if (!/^https?:\/\//.test(target)) {
    throw new Error('TARGET must be the base URL of the target, e.g. -e TARGET=http://127.0.0.1:3000');
  }
  return target.replace(/\/+$/, '');
}

/** k6 durations are strings: whole seconds when they can be, so k6 prints them as written. */
export function k6Duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
}
