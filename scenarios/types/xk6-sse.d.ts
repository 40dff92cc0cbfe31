/**
 * Types of `k6/x/sse`, the xk6-sse extension (github.com/phymbert/xk6-sse), written from its README,
 * example and source (sse.go): the extension ships no TypeScript types.
 *
 * What the source says that the README does not:
 * - `open` blocks the VU until the stream ends or `client.close()` is called; timers do not fire
 *   meanwhile, so the only chance to run code is inside the callbacks;
 * - `open` fires for any response with headers, whatever its status: the status is known only from
 *   the response `open` returns;
 * - an `event` is dispatched at every blank line, including blocks holding only a comment
 *   (heartbeats) or only `retry:`; `id` does not persist from one event to the next;
 * - a read error (reset) fires `error` and then waits: the callback must call `client.close()`;
 * - a line it does not know (a non-SSE body) fires `error` with `unknown event: <line>` and reading
 *   goes on;
 * - the end of the body (the server closed the stream) ends `open` without an `error`;
 * - `close()` ends an endless stream only since the request is cancelled on close (xk6-sse#26,
 *   December 2024); before that it drained the body, i.e. waited for the server to end it. The
 *   image in deploy/k6-operator pins a later release.
 */
declare module 'k6/x/sse' {
  export interface SseParams {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    tags?: Record<string, string>;
  }

  export interface SseEvent {
    /** The `id:` field of this block ('' when it had none). */
    id: string;
    /** The `event:` field of this block ('' when it had none). */
    name: string;
    /** The `data:` lines, joined, trailing CR/LF removed. */
    data: string;
    /** The last comment line of this block, without its colon ('' when it had none). */
    comment: string;
  }

  export interface SseError {
    error(): string;
  }

  export interface SseClient {
    on(event: 'open', callback: () => void): void;
    on(event: 'event', callback: (event: SseEvent) => void): void;
    on(event: 'error', callback: (error: SseError) => void): void;
    close(): void;
  }

  export interface SseResponse {
    url: string;
    status: number;
    /** Canonical Go header names (`Content-Type`), multiple values joined by `, `. */
    headers: Record<string, string>;
    /** Set (and status 0) when no response arrived: refused, reset, timeout. */
    error: string;
  }

  export function open(url: string, params: SseParams | null, setup: (client: SseClient) => void): SseResponse;

  const sse: { open: typeof open };
  export default sse;
}
