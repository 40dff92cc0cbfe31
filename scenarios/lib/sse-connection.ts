// The ambient `k6/x/sse` types, for programs other than scenarios/tsconfig.json (the tests') that
// type-check this file: a declaration file of `declare module` cannot be imported.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../types/xk6-sse.d.ts" />
/**
 * One SSE connection attempt through xk6-sse (`k6/x/sse`), measured the way the Node engine
 * measures it: connect time, time to first event, latency from `sentAt`, lost and duplicated events
 * from sequence gaps, heartbeats, and one end reason from the shared enum.
 *
 * xk6-sse's behaviour shapes this file (see scenarios/types/xk6-sse.d.ts): `open` fires for any
 * status, so a stream counts as connected only once a well-formed SSE block arrives or once the
 * response turns out to be 200 `text/event-stream`; a read error must be answered with `close()`
 * or the VU waits forever; and `open` blocks, so the only place to end a stream on time is an
 * event callback.
 */
import type { SseClient, SseEvent, SseParams, SseResponse } from 'k6/x/sse';
import type { EventReader, MappedEvent } from '../../src/core/event-mapping.js';
import { parseEventPayload, type SequenceTracker } from '../../src/core/event-payload.js';
import { reasonForStatus, type ConnectFailureReason, type DropReason, type Reason } from '../../src/core/reasons.js';
import type { ConnectionSink } from './metrics.js';
import { observeSequence } from './sequences.js';
import { classifyTransportError } from './transport-errors.js';

/** What one client (one VU) carries from one attempt to the next, as EventSource does. */
export interface StreamState {
  /** "the last event ID string of the event source", sent back as `Last-Event-ID` on reconnect. */
  lastEventId: string;
  /** One tracker per stream, kept across attempts so a replay after reconnect counts duplicates. */
  trackers: Map<string, SequenceTracker>;
  attempts: number;
  /** Set after a 204: the spec fails the connection for good (no reconnect) on 204 No Content. */
  stopReconnecting: boolean;
}

export function createStreamState(): StreamState {
  return { lastEventId: '', trackers: new Map(), attempts: 0, stopReconnecting: false };
}

export interface AttemptResult {
  outcome: 'failed' | 'dropped' | 'closed';
  reason: Reason;
  status: number;
  startedAt: number;
  openedAt?: number;
  endedAt: number;
  events: number;
  heartbeats: number;
  lost: number;
  duplicated: number;
  /** Lines xk6-sse could not read as SSE (a JSON or HTML body): evidence of a non-SSE response. */
  unknownLines: number;
  error?: string;
}

/** The part of xk6-sse's `open` an attempt uses: injected so the logic runs without k6 too. */
export type SseOpen = (url: string, params: SseParams | null, setup: (client: SseClient) => void) => SseResponse;

export interface AttemptOptions {
  url: string;
  headers?: Record<string, string>;
  tags?: Record<string, string>;
  sink: ConnectionSink;
  state: StreamState;
  /** Epoch ms after which the client ends the stream itself (at the next event or heartbeat). */
  closeAtMs?: number;
  /** Every event with data, as received (the diagnostic scenario looks at their spacing). */
  onEvent?: (event: SseEvent, receivedAt: number) => void;
  /** Server clock minus this clock (lib/clock.ts): `sentAt` is converted before latency is taken. */
  clockOffsetMs?: number;
  /** The target's own events, through the same `events:` mapping as the Node engine (src/core/event-mapping.ts). */
  readEvent?: EventReader;
  now?: () => number;
}

export function runSseAttempt(open: SseOpen, options: AttemptOptions): AttemptResult {
  const now = options.now ?? Date.now;
  const { sink, state } = options;
  state.attempts++;
  sink.attempt(state.attempts > 1);

  const headers: Record<string, string> = { Accept: 'text/event-stream', 'Cache-Control': 'no-cache', ...options.headers };
  // The spec's reconnect: when the last event ID string is not empty, the request carries it as
  // `Last-Event-ID` (HTML, 9.2.3 "Processing model").
  if (state.lastEventId !== '') headers['Last-Event-ID'] = state.lastEventId;

  const result: AttemptResult = {
    outcome: 'failed',
    reason: 'reset',
    status: 0,
    startedAt: now(),
    endedAt: 0,
    events: 0,
    heartbeats: 0,
    lost: 0,
    duplicated: 0,
    unknownLines: 0,
  };
  let headersAt: number | undefined;
  let confirmed = false;
  let closedByClient = false;
  let readError: string | undefined;

  const confirm = (): void => {
    if (confirmed || headersAt === undefined) return;
    confirmed = true;
    result.openedAt = headersAt;
    sink.connected(headersAt - result.startedAt);
  };

  const onEvent = (event: SseEvent, client: SseClient): void => {
    const receivedAt = now();
    const hasData = event.data !== '' || event.name !== '';
    if (hasData || event.comment !== '' || event.id !== '') confirm();
    if (event.id !== '') state.lastEventId = event.id;
    if (hasData) {
      result.events++;
      if (result.events === 1) sink.firstEvent(receivedAt - result.startedAt);
      const read = readEventOf(event, state.lastEventId, options.readEvent);
      // Not clamped at zero: a negative latency is a clock error, and hiding it would hide that.
      sink.event(read?.sentAtMs === undefined ? undefined : receivedAt - (read.sentAtMs - (options.clockOffsetMs ?? 0)));
      const seen = read?.seq === undefined ? 0 : observeSequence(state.trackers, { seq: read.seq, stream: read.stream }, options.readEvent ? 'first-seen' : 0);
      if (seen === 'duplicate') {
        result.duplicated++;
        sink.duplicated();
      } else if (seen > 0) {
        result.lost += seen;
        sink.lost(seen);
      }
      options.onEvent?.(event, receivedAt);
    } else if (event.comment !== '') {
      result.heartbeats++;
      sink.heartbeat();
    }
    if (options.closeAtMs !== undefined && receivedAt >= options.closeAtMs && !closedByClient) {
      closedByClient = true;
      client.close();
    }
  };

  let response: SseResponse;
  try {
    response = open(options.url, { method: 'GET', headers, tags: options.tags ?? {} }, (client) => {
      client.on('open', () => {
        headersAt = now();
      });
      client.on('event', (event) => onEvent(event, client));
      client.on('error', (error) => {
        const message = error.error();
        if (message.startsWith('unknown event')) {
          result.unknownLines++;
          return;
        }
        // A read error ends the reader but not `open`: without close() the VU would wait until k6
        // interrupts it, and the drop would never be recorded.
        readError = message;
        client.close();
      });
    });
  } catch (error) {
    // With the `throw` option k6 raises instead of returning `{ error }`.
    response = { url: options.url, status: 0, headers: {}, error: error instanceof Error ? error.message : String(error) };
  }
  result.endedAt = now();
  result.status = response.status ?? 0;

  const failure = connectFailure(response, headersAt !== undefined);
  if (failure !== undefined) {
    // A response that is not a stream: whatever xk6-sse dispatched from its body is not a stream
    // either. (If a stray well-formed block was already counted as connected, the counts stand: k6
    // metrics cannot be taken back; it takes a 200-less SSE body to get here.)
    result.reason = failure;
    result.error = response.error !== '' ? response.error : readError;
    if (failure === 'http_204') state.stopReconnecting = true;
    sink.connectFailed(failure);
    return result;
  }

  confirm();
  const drop: DropReason = closedByClient ? 'client_closed' : readError !== undefined ? 'reset' : 'server_closed';
  result.outcome = drop === 'client_closed' ? 'closed' : 'dropped';
  result.reason = drop;
  if (readError !== undefined) result.error = readError;
  // The lifetime is "open → drop not asked for by the client" (DESIGN.md).
  sink.dropped(drop, drop === 'client_closed' ? undefined : result.endedAt - (result.openedAt ?? result.startedAt));
  return result;
}

/** Why the response did not open a stream, or `undefined` when it did (200 `text/event-stream`). */
export function connectFailure(response: Pick<SseResponse, 'status' | 'headers' | 'error'>, sawHeaders: boolean): ConnectFailureReason | undefined {
  if (!sawHeaders || !response.status) return classifyTransportError(response.error || 'connection reset');
  if (response.status !== 200) return reasonForStatus(response.status);
  const contentType = headerValue(response.headers, 'content-type') ?? '';
  if (!/^\s*text\/event-stream\b/i.test(contentType)) return 'bad_content_type';
  return undefined;
}

/** Go canonicalises header names (`Content-Type`); look them up without caring. */
function headerValue(headers: Readonly<Record<string, string>> | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers)) if (key.toLowerCase() === wanted) return headers[key];
  return undefined;
}

/** What an event says of its send time and sequence: through the mapping, or as the reference server's payload. */
function readEventOf(event: SseEvent, lastEventId: string, readEvent: EventReader | undefined): MappedEvent | undefined {
  if (readEvent !== undefined) return readEvent({ data: event.data, lastEventId, type: event.name === '' ? 'message' : event.name });
  const payload = parseEventPayload(event.data);
  return payload === undefined ? undefined : { sentAtMs: payload.sentAt, seq: payload.seq, stream: payload.stream };
}
