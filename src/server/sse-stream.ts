/**
 * One SSE response as a web-standard `ReadableStream` (so the same code runs on Node and on the
 * hosting plans under test), with the slow-consumer cap: bytes the client has not taken yet wait in
 * the stream's queue, and past `maxBufferedBytes` the stream is errored (the runtime then aborts the
 * response) and counted, so one stalled client cannot make the server's memory grow without bound.
 *
 * On Node, @hono/node-server reads the next chunk only after the socket drains, so the queue here
 * is exactly the data the socket would not take.
 */

const encoder = new TextEncoder();

export type SseCloseCause = 'client' | 'server' | 'slow_consumer' | 'shutdown';

export interface SseStream {
  /** Queues bytes; returns false when the stream is closed (or just got closed as a slow consumer). */
  write(chunk: Uint8Array | string): boolean;
  /** Ends the response cleanly (the client sees the stream end and, for EventSource, reconnects). */
  end(cause?: Exclude<SseCloseCause, 'client' | 'slow_consumer'>): void;
  readonly closed: boolean;
  /** Unsent bytes waiting in the queue. */
  readonly bufferedBytes: number;
}

export interface SseStreamOptions {
  maxBufferedBytes: number;
  /** Called once, whatever ended the stream. */
  onClose(cause: SseCloseCause): void;
  /** Every chunk queued, for the bytes-sent counter. */
  onBytes?(bytes: number): void;
  /** Node only (optional): destroys the socket when the response must be aborted. */
  abortTransport?(): void;
}

export interface SseStreamHandle {
  stream: SseStream;
  body: ReadableStream<Uint8Array>;
}

export function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

// highWaterMark 0 with a byte-size strategy: desiredSize is minus the bytes queued. One strategy
// object for every stream.
const BYTE_STRATEGY: QueuingStrategy<Uint8Array> = { highWaterMark: 0, size: (chunk) => chunk.byteLength };

/**
 * A class rather than closures, and the stream is its own underlying source: thousands of held
 * streams share the methods instead of each carrying a dozen function objects.
 */
class QueuedSseStream implements SseStream, UnderlyingDefaultSource<Uint8Array> {
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  readonly #options: SseStreamOptions;

  constructor(options: SseStreamOptions) {
    this.#options = options;
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller;
  }

  cancel(): void {
    // The client went away (the runtime cancels the body when the socket closes).
    this.#finish('client');
  }

  #finish(cause: SseCloseCause): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.onClose(cause);
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.#closed) return false;
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    try {
      this.#controller.enqueue(bytes);
    } catch {
      this.#finish('client');
      return false;
    }
    this.#options.onBytes?.(bytes.byteLength);
    if (-(this.#controller.desiredSize ?? 0) > this.#options.maxBufferedBytes) {
      this.#finish('slow_consumer');
      if (this.#options.abortTransport) {
        // Node: destroying the socket makes the adapter cancel this body, which drops the queue
        // (erroring it instead would make @hono/node-server log the error for every slow client).
        this.#options.abortTransport();
      } else {
        // Elsewhere, erroring drops the queued chunks at once and the runtime aborts the response.
        this.#controller.error(new Error('slow consumer: unsent data passed maxBufferedBytes'));
      }
      return false;
    }
    return true;
  }

  end(cause: Exclude<SseCloseCause, 'client' | 'slow_consumer'> = 'server'): void {
    if (this.#closed) return;
    this.#finish(cause);
    try {
      this.#controller.close();
    } catch {
      // Already errored or cancelled.
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  get bufferedBytes(): number {
    return this.#closed ? 0 : Math.max(0, -(this.#controller.desiredSize ?? 0));
  }
}

export function createSseStream(options: SseStreamOptions): SseStreamHandle {
  const stream = new QueuedSseStream(options);
  const body = new ReadableStream<Uint8Array>(stream, BYTE_STRATEGY);
  return { stream, body };
}

/**
 * The guide's headers for an event stream ("Issue 3: CORS Errors"), as a plain record: a `Headers`
 * object per held response costs memory the runtime does not need to spend.
 */
export function sseHeaders(): Record<string, string> {
  return {
    'Content-Type': 'text/event-stream; charset=utf-8',
    // no-transform: proxies and CDNs must not compress or rewrite the stream.
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // nginx: do not buffer this response (troubleshooting guide, Issue 2).
    'X-Accel-Buffering': 'no',
    'Content-Encoding': 'none',
    // The CORS answer depends on the Origin header: shared caches must key on it.
    Vary: 'Origin',
  };
}
