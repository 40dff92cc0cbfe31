/**
 * A virtual SSE user: one attempt at a time, reconnecting by the plan's policy, carrying what a
 * browser's EventSource carries across reconnects (the last event ID, the server's `retry`).
 */
import type { EventReader } from '../core/event-mapping.js';
import { findMessages } from '../core/publish-message.js';
import { createDeliveryLog, type DeliveryLog, type FanOut } from './deliveries.js';
import { nowMs } from './time.js';
import { createSequenceTracker, type SequenceTracker } from '../core/event-payload.js';
import type { Reason } from '../core/reasons.js';
import { buildPath, type CredentialSource, type Credentials } from './auth.js';
import type { Client } from 'undici';
import type { ConnectionFactory } from './dispatchers.js';
import type { Plan } from './plan.js';
import { SSE_ATTEMPTS } from '../core/metric-names.js';
import type { Recorder } from './recorder.js';
import { nextReconnectDelayMs, type ReconnectState } from './reconnect.js';
import { SseAttempt, lastEventIdHeaderValue, type AttemptOutcome, type SseAttemptOwner } from './sse-attempt.js';

export interface SseUserContext {
  plan: Plan;
  recorder: Recorder;
  connections: ConnectionFactory;
  credentials: CredentialSource;
  /** Server clock minus ours (the coordinator measured it); null: no clock reference, latency unknown. */
  clockOffsetMs: number | null;
  /** A run-unique attempt id (`<worker>-<n>`). */
  nextAttemptId(): string;
  /** The plan's `events:` mapping, compiled once per worker; undefined: the reference server's payload. */
  readEvent?: EventReader | undefined;
  /** The run publishes: its message tag, and the worker's fan-out of each message's receipts. */
  publishTag?: string | undefined;
  fanOut?: FanOut | undefined;
}

// Tick mode gives every connection its own stream, so old streams are forgotten: memory stays bounded.
const MAX_TRACKED_STREAMS = 4;

export class SseUser implements SseAttemptOwner {
  readonly client: number;
  readonly recorder: Recorder;
  private readonly context: SseUserContext;
  private credentials: Credentials | undefined;
  private current: SseAttempt | undefined;
  private connection: { client: Client; localAddress: string | undefined } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  private lastEventId = '';
  private readonly reconnect: ReconnectState = { serverRetryMs: undefined, failuresInRow: 0 };
  // The stream seen first, without a Map: most users only ever read one (a user channel, or one tick
  // stream resumed across reconnects). A Map is made only when a second stream appears.
  private firstStream: string | undefined;
  private firstTracker: SequenceTracker | undefined;
  private trackers: Map<string, SequenceTracker> | undefined;
  private stopped = false;

  readonly readEvent: EventReader | undefined;
  readonly publishTag: string | undefined;
  /** Which published messages this user got, and when its streams were open (publishing runs only). */
  readonly deliveries: DeliveryLog | undefined;

  constructor(context: SseUserContext, client: number) {
    this.context = context;
    this.client = client;
    this.recorder = context.recorder;
    this.readEvent = context.readEvent;
    this.publishTag = context.publishTag;
    this.deliveries = context.publishTag === undefined ? undefined : createDeliveryLog();
  }

  receivePublished(data: string, receivedAt: number): void {
    const tag = this.publishTag;
    if (tag === undefined || this.deliveries === undefined) return;
    for (const message of findMessages(data, tag)) {
      // Once per user: a replay after a reconnect is not a second delivery.
      if (!this.deliveries.receive(message.seq)) continue;
      // Publisher and subscriber share this machine's clock: no offset, whatever the target.
      this.recorder.trend('publish_to_deliver', receivedAt - message.intendedAtMs);
      this.context.fanOut?.observe(message, receivedAt);
    }
  }

  start(): void {
    void this.connect();
  }

  /** Ends the user: an open or pending attempt is recorded as `client_closed`; its socket closes. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.current?.close();
    const connection = this.connection;
    this.connection = undefined;
    return connection ? connection.client.destroy().catch(() => undefined) : Promise.resolve();
  }

  trackerFor(stream: string): SequenceTracker {
    if (stream === this.firstStream) return this.firstTracker as SequenceTracker;
    if (this.firstStream === undefined) {
      this.firstStream = stream;
      this.firstTracker = createSequenceTracker(this.readEvent === undefined ? 0 : 'first-seen');
      return this.firstTracker;
    }
    this.trackers ??= new Map();
    let tracker = this.trackers.get(stream);
    if (!tracker) {
      if (this.trackers.size >= MAX_TRACKED_STREAMS) {
        const oldest = this.trackers.keys().next().value as string;
        this.trackers.delete(oldest);
      }
      tracker = createSequenceTracker(this.readEvent === undefined ? 0 : 'first-seen');
      this.trackers.set(stream, tracker);
    }
    return tracker;
  }

  onRetry(reconnectionTimeMs: number): void {
    this.reconnect.serverRetryMs = reconnectionTimeMs;
  }

  attemptEnded(attempt: SseAttempt, outcome: AttemptOutcome, reason: Reason): void {
    if (this.current === attempt) this.current = undefined;
    this.lastEventId = attempt.lastEventId;
    if (attempt.openedAtMs !== undefined) this.deliveries?.streamOpen(attempt.openedAtMs, nowMs());
    if (attempt.opened) this.reconnect.failuresInRow = 0;
    else this.reconnect.failuresInRow++;
    if (this.stopped) return;
    const delayMs = nextReconnectDelayMs(this.context.plan.sse.reconnect, outcome, reason, this.reconnect);
    // The policy said stop (e.g. EventSource after a 204): this user stays down for the run.
    if (delayMs === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delayMs);
    this.timer.unref();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.credentials ??= await this.context.credentials(this.client);
    if (this.stopped) return;
    const { plan, recorder } = this.context;
    this.attempts++;
    if (this.attempts > 1) recorder.count('sse_reconnects');
    recorder.count(SSE_ATTEMPTS);
    this.connection ??= this.context.connections.create();
    const { client, localAddress } = this.connection;
    const attempt = new SseAttempt(this, {
      id: this.context.nextAttemptId(),
      client: this.client,
      attempt: this.attempts,
      localAddress,
      lastEventId: this.lastEventId,
      recordCors: plan.target.origin !== undefined,
      clockOffsetMs: this.context.clockOffsetMs,
    });
    this.current = attempt;
    // Before dispatch: a dispatch that throws ends the attempt at once, and its record must follow its start.
    recorder.attemptStarted(attempt);
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
      ...plan.target.headers,
      ...this.credentials.headers,
    };
    if (plan.target.origin !== undefined) headers.origin = plan.target.origin;
    // EventSource: "If the event source's last event ID string is not the empty string, set
    // `Last-Event-ID`" on the reconnection request.
    const lastEventIdHeader = lastEventIdHeaderValue(this.lastEventId);
    if (lastEventIdHeader !== undefined) headers['last-event-id'] = lastEventIdHeader;
    try {
      client.dispatch({ path: buildPath(plan.target.ssePath, plan.target.query, this.credentials.query), method: 'GET', headers }, attempt);
    } catch (error) {
      attempt.failToDispatch(error);
    }
  }
}
