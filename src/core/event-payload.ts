/**
 * The data of every event the reference server sends: `{ seq, sentAt, stream }`. `sentAt` is the
 * time the event was scheduled (epoch ms), not when it was written, so queueing inside the server
 * shows up as latency instead of hiding (wrk2's "stamp the intended send time").
 *
 * Written by hand rather than with zod: k6 bundles import this file.
 */

export interface EventPayload {
  /** Sequence number within its stream, from 1, without gaps: a gap is a lost event. */
  readonly seq: number;
  /** Scheduled send time, milliseconds since the epoch (server clock). */
  readonly sentAt: number;
  /** The stream the sequence belongs to (a user channel in bus mode, a connection in tick mode). */
  readonly stream: string;
}

/** Parses an event's data; `undefined` when it is not a streamsoak payload (someone else's server). */
export function parseEventPayload(data: string): EventPayload | undefined {
  // Cheap reject before JSON.parse: every payload is a JSON object.
  if (data.length < 2 || data.charCodeAt(0) !== 0x7b) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  return isEventPayload(value) ? value : undefined;
}

export function isEventPayload(value: unknown): value is EventPayload {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(v.seq) &&
    (v.seq as number) >= 1 &&
    typeof v.sentAt === 'number' &&
    Number.isFinite(v.sentAt) &&
    typeof v.stream === 'string' &&
    v.stream.length > 0
  );
}

export function formatEventPayload(payload: EventPayload, extra?: Record<string, unknown>): string {
  return JSON.stringify(extra ? { ...extra, ...payload } : payload);
}

/**
 * Tracks one stream's sequence numbers: gaps are lost events, repeats are duplicates. Shared by the
 * Node engine and the k6 scenarios so both count the same way.
 */
export interface SequenceTracker {
  /** Returns what the event was: `new`, or `duplicate`; adds any gap before it to `lost`. */
  observe(seq: number): 'new' | 'duplicate';
  readonly highest: number;
  readonly lost: number;
  readonly duplicated: number;
}

/**
 * `startAfter`: the number before the first expected event (0: the reference server's sequences
 * start at 1). `'first-seen'`: someone else's sequence, which may start anywhere: the first number
 * seen is the baseline, and only gaps after it are lost events.
 */
export function createSequenceTracker(startAfter: number | 'first-seen' = 0): SequenceTracker {
  let highest = startAfter === 'first-seen' ? Number.NaN : startAfter;
  let lost = 0;
  let duplicated = 0;
  return {
    observe(seq) {
      if (Number.isNaN(highest)) {
        highest = seq;
        return 'new';
      }
      if (seq <= highest) {
        duplicated++;
        return 'duplicate';
      }
      lost += seq - highest - 1;
      highest = seq;
      return 'new';
    },
    get highest() {
      return highest;
    },
    get lost() {
      return lost;
    },
    get duplicated() {
      return duplicated;
    },
  };
}
