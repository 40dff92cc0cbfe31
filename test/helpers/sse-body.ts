/**
 * Reading an SSE response body with streamsoak's own parser until enough events (or comments) came
 * or a deadline passed, noting when each event arrived. The one reader of live SSE bodies for the
 * server's in-process tests and the deploy adapters' integration tests (parse-sse.ts is the
 * parser's own: whole streams pushed in chunks, no I/O).
 */
import { createSseParser, type SseEvent } from '../../src/core/sse-parser.js';

/** A response body from undici's fetch, the global one or `app.request` (their stream types differ only in name). */
export interface ByteBody {
  getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> };
}

export interface SseReadUntil {
  /** Stop once this many events came... */
  events?: number;
  /** ...or this many comments (heartbeats). With neither, read until the body ends or the deadline. */
  comments?: number;
  /** The deadline: a buffering proxy or a silent stream fails the test instead of hanging it. */
  timeoutMs: number;
  /** Leave the stream open when done (the caller cancels `reader`); by default it is cancelled. */
  keepOpen?: boolean;
}

export type TimedSseEvent = SseEvent & {
  /** ms after reading started. */
  atMs: number;
};

export interface SseRead {
  events: TimedSseEvent[];
  comments: string[];
  retry: number[];
  /** True when the body ended by itself, not by the deadline or by this reader. */
  ended: boolean;
  reader: ReturnType<ByteBody['getReader']>;
  /** Stops reading (a `keepOpen` stream stays open otherwise); never rejects. */
  cancel: () => Promise<void>;
}

export async function readSse(response: { body: ByteBody | null }, until: SseReadUntil): Promise<SseRead> {
  if (!response.body) throw new Error('no body');
  const reader = response.body.getReader();
  const startedAt = performance.now();
  const read: SseRead = { events: [], comments: [], retry: [], ended: false, reader, cancel: () => reader.cancel().catch(() => undefined) };
  const parser = createSseParser({
    onEvent: (event) => read.events.push({ ...event, atMs: performance.now() - startedAt }),
    onComment: (text) => read.comments.push(text),
    onRetry: (ms) => read.retry.push(ms),
  });
  const deadline = Date.now() + until.timeoutMs;
  const enough = (): boolean =>
    (until.events !== undefined && read.events.length >= until.events) || (until.comments !== undefined && read.comments.length >= until.comments);
  let finished = false;
  try {
    while (!enough()) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const next = await Promise.race([
        reader.read(),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), left);
        }),
      ]);
      clearTimeout(timer);
      if (next === 'timeout') break;
      if (next.done || next.value === undefined) {
        read.ended = true;
        parser.end();
        break;
      }
      parser.push(next.value);
    }
    finished = true;
  } finally {
    // Kept open only when asked and complete: a read still pending after the deadline (or a throw)
    // is settled by the cancel, so nothing is left hanging.
    const keepOpen = finished && until.keepOpen === true && enough();
    if (!read.ended && !keepOpen) await read.cancel();
  }
  return read;
}

/** The reference server's event payload (`core/event-payload.ts`), with whatever else it carries. */
export function payloadOf(event: SseEvent): { seq: number; sentAt: number; stream: string; [key: string]: unknown } {
  return JSON.parse(event.data) as { seq: number; sentAt: number; stream: string };
}
