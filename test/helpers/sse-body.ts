/** Reading an SSE response body with streamsoak's own parser, noting when each event arrived. */
import { createSseParser, type SseEvent } from '../../src/core/sse-parser.js';

/** A response body from undici's fetch or the global one (their stream types differ only in name). */
export interface ByteBody {
  getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> };
}

export interface TimedEvent {
  event: SseEvent;
  /** ms after reading started. */
  atMs: number;
}

export interface TimedEvents {
  events: TimedEvent[];
  /** True when the body ended before `count` events arrived. */
  ended: boolean;
  reader: ReturnType<ByteBody['getReader']>;
  /** Stops reading (the stream may stay open otherwise); never rejects. */
  cancel: () => Promise<void>;
}

/**
 * Reads until `count` events arrived or the body ended. After `timeoutMs` the read is cancelled,
 * so a buffering proxy fails the test instead of hanging it.
 */
export async function readTimedEvents(body: ByteBody, count: number, timeoutMs: number): Promise<TimedEvents> {
  const reader = body.getReader();
  const events: TimedEvent[] = [];
  const startedAt = performance.now();
  const parser = createSseParser({ onEvent: (event) => events.push({ event, atMs: performance.now() - startedAt }) });
  const timer = setTimeout(() => void reader.cancel(new Error('timed out')), timeoutMs);
  let ended = false;
  try {
    while (events.length < count) {
      const { done, value } = await reader.read();
      if (done || value === undefined) {
        ended = true;
        break;
      }
      parser.push(value);
    }
  } finally {
    clearTimeout(timer);
  }
  return { events, ended, reader, cancel: () => reader.cancel().catch(() => {}) };
}
