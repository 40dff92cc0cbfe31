/**
 * What a scenario reads from `__ENV` (k6's `-e NAME=value` or the environment): the target, the
 * token, sizes and durations, read and checked the same way by every scenario. docs/k6.md lists
 * the names.
 */
import { parseDurationMs } from '../../src/core/duration.js';
import { createEventReader, mappingProblems, TIME_UNITS, type EventMappingInput, type EventReader, type TimeUnit } from '../../src/core/event-mapping.js';

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

/** The env names of the `events:` mapping, as `streamsoak run`'s plan fields are named. */
export const EVENT_MAPPING_ENV: Readonly<Record<keyof EventMappingInput, string>> = {
  time: 'EVENT_TIME',
  timeUnit: 'EVENT_TIME_UNIT',
  seq: 'EVENT_SEQ',
  seqPattern: 'EVENT_SEQ_PATTERN',
  stream: 'EVENT_STREAM',
  streamPattern: 'EVENT_STREAM_PATTERN',
  dataPattern: 'EVENT_DATA_PATTERN',
};

/**
 * The target's own events (`EVENT_TIME=/ts`, `EVENT_SEQ=id`, ...), read with the same mapping and
 * the same checks as the Node engine's `events:` section; undefined when none is set (the reference
 * server's payload). A mapping that cannot be used fails at init, naming the variable.
 */
export function eventReaderFromEnv(): { reader: EventReader; mapping: Record<string, string> } | undefined {
  const env = readEnv();
  const mapping: Record<string, string> = {};
  for (const [field, name] of Object.entries(EVENT_MAPPING_ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') mapping[field] = value;
  }
  if (Object.keys(mapping).length === 0) return undefined;
  const unit = mapping.timeUnit;
  if (unit !== undefined && !(TIME_UNITS as readonly string[]).includes(unit)) throw new Error(`EVENT_TIME_UNIT=${unit}: one of ${TIME_UNITS.join(', ')}`);
  const input: EventMappingInput = { ...mapping, timeUnit: unit as TimeUnit | undefined };
  const problem = mappingProblems(input)[0];
  if (problem !== undefined) throw new Error(`${EVENT_MAPPING_ENV[problem.field]}: ${problem.message}`);
  return { reader: createEventReader(input), mapping };
}
