/**
 * Where someone else's events keep what streamsoak needs (issue 15): the time an event was sent,
 * for latency; a sequence number, for lost and duplicated events; and what that sequence belongs
 * to. The reference server's `{ seq, sentAt, stream }` (event-payload.ts) is one such mapping; a
 * user's own app says where its fields are:
 *
 * - `time`: a JSON pointer into the data (RFC 6901: `/ts`, `/meta/createdAt`), whose value is epoch
 *   seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude unless `timeUnit`
 *   says) or an ISO-8601 string;
 * - `seq`: `id` (the SSE `id` field) or a JSON pointer, optionally through `seqPattern`, a regular
 *   expression with a named capture `seq` (nchan ids look like `1796413687:0`);
 * - `stream`: `id`, `event` (the event type) or a JSON pointer, optionally through `streamPattern`;
 * - `dataPattern`: for data that is not JSON, a regular expression whose named captures `time`,
 *   `seq` and `stream` stand where the pointers would.
 *
 * Pure and hand-validated where it runs (no zod): k6 bundles import this file. The plan validates
 * the same input with zod at the boundary (engine/plan.ts).
 */

export const TIME_UNITS = ['auto', 's', 'ms', 'us', 'ns', 'iso'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];
/** The unit an event's time was read in: what `auto` decided, or what was set. */
export type ReadTimeUnit = Exclude<TimeUnit, 'auto'>;

export interface EventMappingInput {
  time?: string | undefined;
  timeUnit?: TimeUnit | undefined;
  seq?: string | undefined;
  seqPattern?: string | undefined;
  stream?: string | undefined;
  streamPattern?: string | undefined;
  dataPattern?: string | undefined;
}

/** What one event says, read through a mapping. */
export interface MappedEvent {
  /** When the target sent (or scheduled) it, epoch ms on the target's clock. */
  sentAtMs?: number;
  /** The unit `sentAtMs` was read in. */
  timeUnit?: ReadTimeUnit;
  seq?: number;
  /** What `seq` counts within: '' when the mapping names none (one sequence per client). */
  stream: string;
}

export type EventReader = (event: { readonly data: string; readonly lastEventId: string; readonly type: string }) => MappedEvent | undefined;

/** Why one field of a mapping cannot be used, or undefined; `dataPattern` says whether "data" is a word of pointer fields. */
export function mappingFieldProblem(field: keyof EventMappingInput, value: string): string | undefined {
  const pointerOr = (allowed: readonly string[]): string | undefined => {
    if (allowed.includes(value) || value === 'data' || isJsonPointer(value)) return undefined;
    const words = allowed.map((word) => `"${word}"`).join(', ');
    return `a JSON pointer into the event's data such as "/ts" or "/meta/createdAt"${words ? `, or ${words}` : ''}`;
  };
  const pattern = (group: 'seq' | 'stream' | undefined): string | undefined => {
    const compiled = compile(value);
    if (typeof compiled === 'string') return compiled;
    if (group !== undefined && !new RegExp(`\\(\\?<${group}>`).test(value)) return `needs a named capture (?<${group}>...)`;
    if (group === undefined && !/\(\?<(time|seq|stream)>/.test(value)) return 'needs at least one named capture: (?<time>...), (?<seq>...) or (?<stream>...)';
    return undefined;
  };
  switch (field) {
    case 'time':
      return pointerOr([]);
    case 'seq':
      return pointerOr(['id']);
    case 'stream':
      return pointerOr(['id', 'event']);
    case 'timeUnit':
      return (TIME_UNITS as readonly string[]).includes(value) ? undefined : `one of ${TIME_UNITS.join(', ')}`;
    case 'seqPattern':
      return pattern('seq');
    case 'streamPattern':
      return pattern('stream');
    case 'dataPattern':
      return pattern(undefined);
  }
}

/** Why a mapping cannot be used, field by field; empty when it can. Used by the plan's schema and by k6 scenarios. */
export function mappingProblems(input: EventMappingInput): Array<{ field: keyof EventMappingInput; message: string }> {
  const problems: Array<{ field: keyof EventMappingInput; message: string }> = [];
  for (const [field, value] of Object.entries(input) as Array<[keyof EventMappingInput, string | undefined]>) {
    const message = value === undefined ? undefined : mappingFieldProblem(field, value);
    if (message !== undefined) problems.push({ field, message });
  }
  problems.push(...mappingCrossProblems(input));
  return problems;
}

/** What is wrong between fields: a pattern without what it reads, "data" without a data pattern, nothing to read at all. */
export function mappingCrossProblems(input: EventMappingInput): Array<{ field: keyof EventMappingInput; message: string }> {
  const problems: Array<{ field: keyof EventMappingInput; message: string }> = [];
  for (const field of ['time', 'seq', 'stream'] as const) {
    if (input[field] === 'data' && input.dataPattern === undefined) problems.push({ field, message: '"data" reads a capture of dataPattern: set events.dataPattern' });
  }
  if (input.seqPattern !== undefined && input.seq === undefined) problems.push({ field: 'seqPattern', message: 'goes with seq (what it reads the sequence from)' });
  if (input.streamPattern !== undefined && input.stream === undefined) problems.push({ field: 'streamPattern', message: 'goes with stream (what it reads the stream from)' });
  if (input.time === undefined && input.seq === undefined && input.dataPattern === undefined) {
    problems.push({ field: 'time', message: 'a mapping needs time, seq or dataPattern: where the event says when it was sent, or its number' });
  }
  return problems;
}

/** Reads events through `input` (already checked with mappingProblems). */
export function createEventReader(input: EventMappingInput): EventReader {
  const unit = input.timeUnit ?? 'auto';
  const time = input.time === undefined ? undefined : sourceOf(input.time);
  const seq = input.seq === undefined ? undefined : sourceOf(input.seq);
  const stream = input.stream === undefined ? undefined : sourceOf(input.stream);
  const seqPattern = input.seqPattern === undefined ? undefined : (compile(input.seqPattern) as RegExp);
  const streamPattern = input.streamPattern === undefined ? undefined : (compile(input.streamPattern) as RegExp);
  const dataPattern = input.dataPattern === undefined ? undefined : (compile(input.dataPattern) as RegExp);
  const needsJson = [time, seq, stream].some((source) => source?.kind === 'pointer');

  return (event) => {
    let json: unknown;
    if (needsJson) json = parseJson(event.data);
    const captures = dataPattern?.exec(event.data)?.groups;
    const read = (source: Source | undefined, capture: 'time' | 'seq' | 'stream'): unknown => {
      if (source === undefined) return captures?.[capture];
      if (source.kind === 'id') return event.lastEventId;
      if (source.kind === 'event') return event.type;
      if (source.kind === 'data') return captures?.[capture];
      return json === undefined ? undefined : atPointer(json, source.tokens);
    };
    const mapped: MappedEvent = { stream: '' };
    const timeValue = read(time, 'time');
    if (timeValue !== undefined) {
      const parsed = readTime(timeValue, unit);
      if (parsed !== undefined) {
        mapped.sentAtMs = parsed.ms;
        mapped.timeUnit = parsed.unit;
      }
    }
    const seqValue = through(read(seq, 'seq'), seqPattern, 'seq');
    const seqNumber = readSeq(seqValue);
    if (seqNumber !== undefined) mapped.seq = seqNumber;
    const streamValue = through(read(stream, 'stream'), streamPattern, 'stream');
    if (typeof streamValue === 'string' || typeof streamValue === 'number') mapped.stream = String(streamValue);
    return mapped.sentAtMs === undefined && mapped.seq === undefined ? undefined : mapped;
  };
}

/**
 * One item of someone else's poll response (already parsed JSON), read through the same pointers:
 * `time` and `seq` name fields of the item (`id` means the item's `id` field here, there being no
 * SSE id). Undefined when the item has neither.
 */
export function readItem(item: unknown, input: Pick<EventMappingInput, 'time' | 'timeUnit' | 'seq'>): Omit<MappedEvent, 'stream'> | undefined {
  const read: Omit<MappedEvent, 'stream'> = {};
  const at = (pointer: string | undefined): unknown => (pointer === undefined ? undefined : atPointer(item, pointerTokens(pointer === 'id' ? '/id' : pointer)));
  const time = readTime(at(input.time), input.timeUnit ?? 'auto');
  if (time !== undefined) {
    read.sentAtMs = time.ms;
    read.timeUnit = time.unit;
  }
  const seq = readSeq(at(input.seq));
  if (seq !== undefined) read.seq = seq;
  return read.sentAtMs === undefined && read.seq === undefined ? undefined : read;
}

/** The value at a JSON pointer of a parsed document (RFC 6901), or undefined. */
export function valueAt(document: unknown, pointer: string): unknown {
  return atPointer(document, pointerTokens(pointer));
}

/**
 * Epoch time by magnitude: a time of this century is ~1.7e9 in seconds, ~1.7e12 in milliseconds,
 * ~1.7e15 in microseconds and ~1.7e18 in nanoseconds, three orders apart, so the bounds between
 * them sit at 1e11, 1e14 and 1e17 (seconds up to the year 5138 read as seconds).
 */
export function detectTimeUnit(value: number): Exclude<ReadTimeUnit, 'iso'> {
  const magnitude = Math.abs(value);
  if (magnitude < 1e11) return 's';
  if (magnitude < 1e14) return 'ms';
  if (magnitude < 1e17) return 'us';
  return 'ns';
}

const MS_PER: Readonly<Record<Exclude<ReadTimeUnit, 'iso'>, number>> = { s: 1_000, ms: 1, us: 1e-3, ns: 1e-6 };

/** A time value read in `unit` (`auto`: by magnitude, or ISO-8601 for a string that is not a number), as epoch ms. */
export function readTime(value: unknown, unit: TimeUnit): { ms: number; unit: ReadTimeUnit } | undefined {
  if (typeof value === 'string') {
    const text = value.trim();
    if (unit !== 'iso' && /^-?\d+(\.\d+)?$/.test(text)) return readTime(Number(text), unit);
    if (unit !== 'iso' && unit !== 'auto') return undefined;
    // Date.parse keeps milliseconds: a microsecond ISO string loses its last three digits.
    const ms = Date.parse(text);
    return Number.isFinite(ms) ? { ms, unit: 'iso' } : undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || unit === 'iso') return undefined;
  const read = unit === 'auto' ? detectTimeUnit(value) : unit;
  return { ms: value * MS_PER[read], unit: read };
}

function readSeq(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

function through(value: unknown, pattern: RegExp | undefined, group: 'seq' | 'stream'): unknown {
  if (pattern === undefined || value === undefined) return value;
  return pattern.exec(String(value))?.groups?.[group];
}

type Source = { kind: 'id' } | { kind: 'event' } | { kind: 'data' } | { kind: 'pointer'; tokens: string[] };

function sourceOf(text: string): Source {
  if (text === 'id') return { kind: 'id' };
  if (text === 'event') return { kind: 'event' };
  if (text === 'data') return { kind: 'data' };
  return { kind: 'pointer', tokens: pointerTokens(text) };
}

export function isJsonPointer(text: string): boolean {
  // RFC 6901: "" is the whole document; otherwise "/" then tokens, "~" only as "~0" or "~1".
  return text === '' || (text.startsWith('/') && !/~(?![01])/.test(text));
}

function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function atPointer(document: unknown, tokens: readonly string[]): unknown {
  let at: unknown = document;
  for (const token of tokens) {
    if (Array.isArray(at)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      at = at[Number(token)];
    } else if (typeof at === 'object' && at !== null && Object.prototype.hasOwnProperty.call(at, token)) {
      at = (at as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return at;
}

function parseJson(data: string): unknown {
  const first = data.charCodeAt(0);
  // Cheap reject: only objects and arrays hold fields.
  if (first !== 0x7b && first !== 0x5b) return undefined;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** A pattern longer than this is refused: it runs on every event of every stream. */
const MAX_PATTERN_LENGTH = 500;

function compile(source: string): RegExp | string {
  if (source.length > MAX_PATTERN_LENGTH) return `at most ${MAX_PATTERN_LENGTH} characters`;
  try {
    return new RegExp(source);
  } catch (error) {
    return `not a regular expression: ${(error as Error).message.slice(0, 120)}`;
  }
}
