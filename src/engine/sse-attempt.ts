/**
 * One SSE connection attempt, from dispatch to its one end reason, on undici's low-level dispatch
 * handler API (undici's `fetch`/EventSource and stream bodies cost several times the memory per
 * held connection). The object is the handler and the parser's handlers at once, so a held stream
 * costs one object, its parser and its socket: no per-event data is kept.
 *
 * It implements the `onConnect/onHeaders/onData/onComplete/onError` form of the handler. undici 7
 * also offers `onRequestStart/onResponseStart/...`, but on HTTP/1.1 it reaches those through a
 * wrapper whose controller keeps the response's raw header buffers for the life of the request:
 * measured at ~1.8 KB more per held stream (a heap snapshot at 2,000 streams), a fifth of the budget.
 *
 * Receive time is taken once per socket read (per `onResponseData` chunk), before parsing: every
 * event of one read shares it, and parsing cost never counts as latency.
 *
 * A target that sends what no event stream may (a line or an event past the parser's caps) ends the
 * attempt as `dropped`/`protocol_error` and its socket is aborted; the user reconnects by the plan's
 * policy. Nothing thrown while a read is handled reaches undici (which would report it as a `reset`
 * of the target) or the engine: it ends the attempt the same way, with what was thrown in `error`.
 */
import type { Dispatcher } from 'undici';
import { MAX_TIMER_MS } from '../core/duration.js';
import type { EventReader } from '../core/event-mapping.js';
import { parseEventPayload, type SequenceTracker } from '../core/event-payload.js';
import { EVENT_TIME_UNITS } from '../core/metric-names.js';
import { reasonForStatus, type Reason } from '../core/reasons.js';
import { createSseParser, type SseEvent, type SseParser, type SseParserHandlers } from '../core/sse-parser.js';
import type { ConnectionRecord } from '../results/schema.js';
import { round3 } from '../results/round.js';
import { classifyConnectError, classifyDropError, describeError } from './classify-error.js';
import type { Recorder } from './recorder.js';
import { nowMs } from './time.js';

export type AttemptOutcome = ConnectionRecord['outcome'];

/** The virtual user an attempt belongs to: it keeps what survives a reconnect. */
export interface SseAttemptOwner {
  readonly recorder: Recorder;
  /** Sequence tracking per `stream`, kept across reconnects (bus mode replays after Last-Event-ID). */
  trackerFor(stream: string): SequenceTracker;
  /** The server's `retry:` field. */
  onRetry(reconnectionTimeMs: number): void;
  /** Reads the target's own events (the plan's `events:` mapping); undefined: the reference server's payload. */
  readonly readEvent?: EventReader | undefined;
  /** The run publishes (a plan's `publish:`): the tag its message ids carry. */
  readonly publishTag?: string | undefined;
  /** An event's data, searched for this run's published messages. */
  receivePublished?(data: string, receivedAt: number): void;
  attemptEnded(attempt: SseAttempt, outcome: AttemptOutcome, reason: Reason): void;
}

export interface SseAttemptInit {
  id: string;
  client: number;
  attempt: number;
  localAddress: string | undefined;
  lastEventId: string;
  /** The plan sent an `Origin`: record the response's `access-control-allow-origin`. */
  recordCors: boolean;
  /**
   * Server clock minus ours, to read the server's `sentAt` on our clock; null when there is no
   * clock reference (no `/api/time`): latency would be wrong by an unknown offset, so none is recorded.
   */
  clockOffsetMs: number | null;
}

const RESERVOIR_SIZE = 16;

/** `text/event-stream`, with or without parameters (`; charset=utf-8`). */
export function isEventStreamType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return essence === 'text/event-stream';
}

// What undici accepts in a header value: tab, visible ASCII and bytes 0x80-0xFF (latin1 strings).
const SENDABLE_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const VISIBLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The `Last-Event-ID` header for a last event ID string, or undefined when none can be sent.
 * EventSource sends the ID "encoded as UTF-8"; undici writes a header string as latin1, so the UTF-8
 * bytes go in one character each. Without this an ID with a character past U+00FF (a U+FFFD from
 * invalid UTF-8 in the stream, or just `€`) made undici refuse every reconnect as an invalid header.
 * Control characters, which the spec allows in an ID but undici refuses, leave the header out: the
 * server then resumes as for a first connection, rather than from an ID we altered.
 */
export function lastEventIdHeaderValue(lastEventId: string): string | undefined {
  if (lastEventId === '') return undefined;
  if (VISIBLE_ASCII.test(lastEventId)) return lastEventId;
  const value = Buffer.from(lastEventId, 'utf8').toString('latin1');
  return SENDABLE_HEADER_VALUE.test(value) ? value : undefined;
}

type Abort = (reason?: Error) => void;

// One shared reason for every close the plan asks for: an Error per close would capture a stack
// trace per stream at the end of a 10,000-stream run.
const CLOSED_BY_PLAN = new Error('closed by the plan');

export class SseAttempt implements Dispatcher.DispatchHandler, SseParserHandlers {
  readonly init: SseAttemptInit;
  private readonly owner: SseAttemptOwner;
  private abort: Abort | undefined;
  private readonly parser: SseParser;
  private finished = false;

  readonly startedAt = nowMs();
  private openedAt: number | undefined;
  private firstEventAt: number | undefined;
  private lastEventAt: number | undefined;
  // The receive time of the current socket read: every event parsed from it carries this time.
  private lastByteAt: number | undefined;
  private eventsThisRead = 0;
  private status: number | undefined;
  private contentType: string | undefined;
  private corsAllowOrigin: string | null | undefined;
  private events = 0;
  private heartbeats = 0;
  private lost = 0;
  private duplicated = 0;
  private eventReads = 0;
  private maxEventsPerRead = 0;
  private latencyCount = 0;
  private latencyMin = Infinity;
  private latencyMax = -Infinity;
  // A small uniform sample of this connection's latencies for its median: bounded memory per stream.
  private reservoir: Float32Array | undefined;

  constructor(owner: SseAttemptOwner, init: SseAttemptInit) {
    this.owner = owner;
    this.init = init;
    this.parser = createSseParser(this, { lastEventId: init.lastEventId });
  }

  get opened(): boolean {
    return this.openedAt !== undefined;
  }

  /** When the stream opened (epoch ms), for a record written by someone else (a lost worker's). */
  get openedAtMs(): number | undefined {
    return this.openedAt;
  }

  get lastEventId(): string {
    return this.parser.lastEventId;
  }

  /** The plan ends this attempt (ramp-down, end of run, Ctrl-C): `client_closed`. */
  close(): void {
    if (this.finished) return;
    this.finish('closed', 'client_closed');
    this.abort?.(CLOSED_BY_PLAN);
  }

  /** `dispatch` itself threw (a destroyed pool): the attempt never reached the network. */
  failToDispatch(error: unknown): void {
    if (!this.finished) this.finish('failed', classifyConnectError(error), error);
  }

  // --- undici dispatch handler ---

  onConnect(abort: Abort): void {
    this.abort = abort;
    if (this.finished) abort(CLOSED_BY_PLAN);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (this.finished) return false;
    if (statusCode < 200) return true;
    this.status = statusCode;
    // Raw headers alternate name, value; read the two we need without keeping the buffers.
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = (rawHeaders[i] as Buffer).toString('latin1').toLowerCase();
      if (name === 'content-type') this.contentType = (rawHeaders[i + 1] as Buffer).toString('latin1');
      else if (name === 'access-control-allow-origin' && this.init.recordCors) this.corsAllowOrigin = (rawHeaders[i + 1] as Buffer).toString('latin1');
    }
    if (this.init.recordCors && this.corsAllowOrigin === undefined) this.corsAllowOrigin = null;
    // EventSource: "if res's status is not 200, or if res's `Content-Type` is not
    // `text/event-stream`, then fail the connection" (204 included: the server asks us to stop).
    if (statusCode !== 200) {
      this.finish('failed', reasonForStatus(statusCode));
      this.abort?.(new Error(`HTTP ${statusCode}`));
      return false;
    }
    if (!isEventStreamType(this.contentType)) {
      this.finish('failed', 'bad_content_type');
      this.abort?.(new Error(`content type ${this.contentType ?? '(none)'}`));
      return false;
    }
    const openedAt = nowMs();
    this.openedAt = openedAt;
    const recorder = this.owner.recorder;
    recorder.count('sse_connects');
    recorder.sseOpen++;
    recorder.trend('sse_connect_time', openedAt - this.startedAt);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.finished) return false;
    this.lastByteAt = nowMs();
    this.eventsThisRead = 0;
    // A try/catch costs nothing on V8 until something throws: onData over 16 KiB reads of 73-byte
    // events ran at the same rate with and without it (ratio 1.005-1.012, in-process A/B).
    try {
      this.parser.push(chunk);
    } catch (error) {
      this.onProtocolError(`reading the stream threw: ${describeError(error)}`);
    }
    // A protocol error inside push ended the attempt: tell undici to stop reading.
    if (this.finished) return false;
    if (this.eventsThisRead > 0) {
      this.eventReads++;
      if (this.eventsThisRead > this.maxEventsPerRead) this.maxEventsPerRead = this.eventsThisRead;
    }
    return true;
  }

  onComplete(): void {
    if (this.finished) return;
    try {
      // The end flushes the decoder, whose last characters may still take a line past its cap.
      this.parser.end();
    } catch (error) {
      this.onProtocolError(`ending the stream threw: ${describeError(error)}`);
    }
    if (!this.finished) this.finish('dropped', 'server_closed');
  }

  onError(error: Error): void {
    if (this.finished) return;
    if (this.opened) this.finish('dropped', classifyDropError(error), error);
    else this.finish('failed', classifyConnectError(error), error);
  }

  // --- SSE parser handlers ---

  onEvent(event: SseEvent): void {
    // Events are parsed only inside onData, which has just set it.
    const at = this.lastByteAt as number;
    const recorder = this.owner.recorder;
    this.events++;
    this.eventsThisRead++;
    recorder.count('sse_events');
    if (this.firstEventAt === undefined) {
      this.firstEventAt = at;
      recorder.trend('sse_time_to_first_event', at - this.startedAt);
    }
    this.lastEventAt = at;
    // A message the harness published, found by its id (core/publish-message.ts), whatever else the event is.
    if (this.owner.publishTag !== undefined) this.owner.receivePublished?.(event.data, at);
    const readEvent = this.owner.readEvent;
    if (readEvent !== undefined) {
      // Someone else's events, through the plan's `events:` mapping (core/event-mapping.ts).
      const mapped = readEvent(event);
      if (mapped === undefined) return;
      if (mapped.sentAtMs !== undefined) {
        recorder.count(EVENT_TIME_UNITS, 1, mapped.timeUnit);
        this.recordLatency(at, mapped.sentAtMs);
      }
      if (mapped.seq !== undefined) this.observeSeq(mapped.stream, mapped.seq);
      return;
    }
    const payload = parseEventPayload(event.data);
    if (payload === undefined) return;
    this.recordLatency(at, payload.sentAt);
    this.observeSeq(payload.stream, payload.seq);
  }

  /** `sentAtMs` is the target's clock; on ours the event was sent at sentAt − offset. */
  private recordLatency(at: number, sentAtMs: number): void {
    const offsetMs = this.init.clockOffsetMs;
    if (offsetMs === null) return;
    const latencyMs = at - (sentAtMs - offsetMs);
    this.owner.recorder.trend('sse_event_latency', latencyMs);
    this.sampleLatency(latencyMs);
  }

  private observeSeq(stream: string, seq: number): void {
    const recorder = this.owner.recorder;
    const tracker = this.owner.trackerFor(stream);
    const lostBefore = tracker.lost;
    if (tracker.observe(seq) === 'duplicate') {
      this.duplicated++;
      recorder.count('sse_events_duplicated');
    } else if (tracker.lost > lostBefore) {
      this.lost += tracker.lost - lostBefore;
      recorder.count('sse_events_lost', tracker.lost - lostBefore);
    }
  }

  onComment(): void {
    this.heartbeats++;
    this.owner.recorder.count('sse_heartbeats');
  }

  onRetry(reconnectionTimeMs: number): void {
    // Any run of digits is a valid `retry`, and Node turns a timer past 2^31 - 1 ms into 1 ms (with a
    // TimeoutOverflowWarning): a hostile `retry: 99999999999` would make a reconnect storm of what
    // means "wait longer than the run".
    this.owner.onRetry(Math.min(reconnectionTimeMs, MAX_TIMER_MS));
  }

  /** The target went past the parser's caps (or reading it threw): end the attempt and its socket. */
  onProtocolError(message: string): void {
    if (this.finished) return;
    this.finish('dropped', 'protocol_error', message);
    this.abort?.(new Error(`protocol error: ${message}`));
  }

  // --- internals ---

  private sampleLatency(latencyMs: number): void {
    if (latencyMs < this.latencyMin) this.latencyMin = latencyMs;
    if (latencyMs > this.latencyMax) this.latencyMax = latencyMs;
    const n = this.latencyCount++;
    this.reservoir ??= new Float32Array(RESERVOIR_SIZE);
    if (n < RESERVOIR_SIZE) this.reservoir[n] = latencyMs;
    else {
      // Algorithm R: every sample has the same chance to stay.
      const slot = Math.floor(Math.random() * (n + 1));
      if (slot < RESERVOIR_SIZE) this.reservoir[slot] = latencyMs;
    }
  }

  private latencySummary(): ConnectionRecord['latencyMs'] {
    if (this.latencyCount === 0 || !this.reservoir) return undefined;
    const sample = Array.from(this.reservoir.subarray(0, Math.min(this.latencyCount, RESERVOIR_SIZE))).sort((a, b) => a - b);
    return { min: round3(this.latencyMin), p50: round3(sample[Math.floor((sample.length - 1) / 2)] as number), max: round3(this.latencyMax) };
  }

  private finish(outcome: AttemptOutcome, reason: Reason, error?: unknown): void {
    this.finished = true;
    const endedAt = nowMs();
    const recorder = this.owner.recorder;
    if (this.openedAt !== undefined) {
      recorder.sseOpen--;
      if (outcome === 'dropped') {
        recorder.count('sse_drops', 1, reason);
        recorder.trend('sse_connection_lifetime', endedAt - this.openedAt);
      }
    } else if (outcome === 'failed') {
      recorder.count('sse_connect_failures', 1, reason);
    }
    const record: ConnectionRecord = {
      id: this.init.id,
      client: this.init.client,
      attempt: this.init.attempt,
      startedAt: round3(this.startedAt),
      endedAt: round3(endedAt),
      outcome,
      reason,
      events: this.events,
      heartbeats: this.heartbeats,
      lost: this.lost,
      duplicated: this.duplicated,
      eventReads: this.eventReads,
      maxEventsPerRead: this.maxEventsPerRead,
    };
    if (this.openedAt !== undefined) record.openedAt = round3(this.openedAt);
    if (this.firstEventAt !== undefined) record.firstEventAt = round3(this.firstEventAt);
    if (this.lastEventAt !== undefined) record.lastEventAt = round3(this.lastEventAt);
    if (this.lastByteAt !== undefined) record.lastByteAt = round3(this.lastByteAt);
    if (this.status !== undefined) record.status = this.status;
    if (this.contentType !== undefined) record.contentType = this.contentType;
    if (this.corsAllowOrigin !== undefined) record.corsAllowOrigin = this.corsAllowOrigin;
    if (error !== undefined) record.error = describeError(error);
    const latency = this.latencySummary();
    if (latency) record.latencyMs = latency;
    if (this.parser.lastEventId !== '') record.lastEventId = this.parser.lastEventId;
    if (this.init.localAddress !== undefined) record.localAddress = this.init.localAddress;
    recorder.record(record);
    this.reservoir = undefined;
    this.owner.attemptEnded(this, outcome, reason);
  }
}
