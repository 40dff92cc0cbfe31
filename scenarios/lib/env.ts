/**
 * What a scenario reads from `__ENV` (k6's `-e NAME=value` or the environment): the target, the
 * token, sizes and durations. One place, so every scenario spells the same knob the same way and
 * `streamsoak k6 run` has one list to pass.
 */
import { parseDurationMs } from '../../src/core/duration.js';

/** The environment variables the scenarios read, with what they mean (printed by `k6 run --help`). */
export const SCENARIO_ENV = {
  TARGET: 'base URL of the target, e.g. http://127.0.0.1:3000 (required)',
  TOKEN: 'bearer token sent as Authorization (or JWT_ACCESS_SECRET to mint one per VU)',
  JWT_ACCESS_SECRET: 'HS256 secret: each VU mints its own token for user `k6-<vu>`',
  VUS: 'virtual users: SSE clients, polling clients, or the ramp target',
  DURATION: 'how long the scenario runs (k6 duration: 30s, 5m, 1h)',
  SSE_PATH: 'SSE endpoint path (default /api/calls/events)',
  POLL_PATH: 'polling endpoint path (default /api/calls/poll)',
  POLL_INTERVAL: 'polling interval per client (default 3s, the guide’s fallback)',
  RECONNECT_DELAY: 'wait before reconnecting after a drop (default 3s, EventSource’s default)',
  STREAMSOAK_RESULTS_DIR: 'folder handleSummary writes summary.json into',
  STREAMSOAK_TESTID: 'the run’s testid (also passed as --tag testid=)',
  STREAMSOAK_THRESHOLDS: 'JSON object merged over the scenario’s thresholds',
} as const;

export type EnvName = keyof typeof SCENARIO_ENV;

/** The k6 `__ENV`, or an empty object outside k6 (so these helpers stay testable). */
export function readEnv(): Readonly<Record<string, string | undefined>> {
  return typeof __ENV === 'object' && __ENV !== null ? __ENV : {};
}

export function envString(name: EnvName | string, fallback: string): string {
  const value = readEnv()[name];
  return value === undefined || value === '' ? fallback : value;
}

export function envInt(name: EnvName | string, fallback: number): number {
  const raw = readEnv()[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name}=${raw}: expected a whole number`);
  return value;
}

/** A duration in ms from a k6-style duration (`30s`, `1m30s`) or a bare number of ms. */
export function envDurationMs(name: EnvName | string, fallback: string): number {
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
