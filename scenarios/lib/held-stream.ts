/**
 * What a stock-k6 `http.get` of an SSE stream tells once it returns: whether the stream opened, how
 * long the headers took, and what the body held. Used by the sse-hold scenario.
 */
import { parseEventPayload } from '../../src/core/event-payload.js';
import type { ConnectFailureReason } from '../../src/core/reasons.js';
import { createSseParser } from '../../src/core/sse-parser.js';
import { observeSequence } from './sequences.js';
import { connectFailure, type StreamState } from './sse-connection.js';
import { K6_REQUEST_TIMEOUT } from './transport-errors.js';

/** The fields of a k6 `Response` this reads (so it can be fed without k6). */
export interface HeldResponse {
  status: number;
  error: string;
  error_code: number;
  headers: Record<string, string>;
  timings: { blocked: number; connecting: number; tls_handshaking: number; sending: number; waiting: number };
}

export type HeldVerdict =
  | { kind: 'failed'; reason: ConnectFailureReason }
  /** The target ended the stream before the run did. */
  | { kind: 'ended'; connectTimeMs: number }
  /** k6's request timeout fired at the run's end: the stream was still open. */
  | { kind: 'outlived'; connectTimeMs: number };

export function classifyHeldResponse(res: HeldResponse): HeldVerdict {
  const connectTimeMs = res.timings.blocked + res.timings.connecting + res.timings.tls_handshaking + res.timings.sending + res.timings.waiting;
  if (res.error_code === K6_REQUEST_TIMEOUT) {
    // k6 reports a timeout the same way whether headers came or not. A target that answers no
    // headers for the whole run is counted as a held stream here: sse-soak tells the two apart.
    return { kind: 'outlived', connectTimeMs };
  }
  // Otherwise judged as an xk6-sse response is: no response, a status other than 200, or not a stream.
  const reason = connectFailure(res, true);
  return reason === undefined ? { kind: 'ended', connectTimeMs } : { kind: 'failed', reason };
}

export interface HeldBody {
  events: number;
  heartbeats: number;
  lost: number;
  duplicated: number;
  /** The highest `sentAt` seen, epoch ms: how far into the run the stream delivered. */
  lastSentAt?: number;
  /**
   * Set when the body went past the parser's caps (a line or an event that never ends): parsing
   * stopped there, so the stream ended as a `protocol_error` rather than a clean `server_closed`.
   */
  protocolError?: string;
}

/** Parses a whole body with the shared parser, carrying `Last-Event-ID` and sequences in `state`. */
export function readHeldBody(body: string, state: StreamState): HeldBody {
  const result: HeldBody = { events: 0, heartbeats: 0, lost: 0, duplicated: 0 };
  const parser = createSseParser(
    {
      onEvent(event) {
        result.events++;
        const payload = parseEventPayload(event.data);
        if (payload === undefined) return;
        result.lastSentAt = Math.max(result.lastSentAt ?? 0, payload.sentAt);
        const seen = observeSequence(state.trackers, payload);
        if (seen === 'duplicate') result.duplicated++;
        else result.lost += seen;
      },
      onComment() {
        result.heartbeats++;
      },
    },
    { lastEventId: state.lastEventId },
  );
  parser.push(body);
  parser.end();
  state.lastEventId = parser.lastEventId;
  if (parser.protocolError !== undefined) result.protocolError = parser.protocolError;
  return result;
}
