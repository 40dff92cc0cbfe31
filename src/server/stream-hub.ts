/**
 * Every open SSE response of one app: tick streams, bus subscribers and diagnostic test streams,
 * with the shared timers that feed them (one timer per tick interval and one per heartbeat interval,
 * never one per connection) and the bookkeeping /api/health, /metrics and shutdown need.
 *
 * Per held connection we keep its stream object, one small member object and a few set entries.
 */
import { formatEventPayload } from '../core/event-payload.js';
import type { BusChannels, BusEvent, ChannelSubscriber } from './bus-channels.js';
import { createIntervalGroups, unref } from './interval-groups.js';
import type { ResolvedServerOptions } from './options.js';
import type { ServerStats, StreamKind } from './server-stats.js';
import { createSseStream, encodeText, type SseStream } from './sse-stream.js';
import { createTickStreamRef, formatTickId, missedTicks, parseTickId } from './tick-ids.js';

const HEARTBEAT = encodeText(': heartbeat\n\n');

export interface OpenStreamRequest {
  /** Query-level overrides, already validated. */
  tickIntervalMs: number;
  heartbeatMs: number;
  lastEventId: string | undefined;
  /** Node only (optional): destroys the socket of a slow consumer at once. */
  abortTransport?: () => void;
}

export interface StreamHub {
  openTick(request: OpenStreamRequest): ReadableStream<Uint8Array>;
  openBus(userId: string, request: OpenStreamRequest): ReadableStream<Uint8Array>;
  openTest(request: Pick<OpenStreamRequest, 'abortTransport'>): ReadableStream<Uint8Array>;
  /** Ends every stream cleanly, as if the server had dropped them (a test hook; the server keeps serving). */
  dropAll(): void;
  close(): void;
}

interface TickMember {
  out: SseStream;
  stream: string;
  seq: number;
}

export interface StreamHubOptions {
  options: ResolvedServerOptions;
  stats: ServerStats;
  channels: BusChannels;
  /** Real clock (epoch ms, no offset): the shared timers run on it. */
  now: () => number;
  /** A user subscribed (bus): cluster workers tell the primary. */
  onUserActive?(userId: string): void;
}

export function createStreamHub({ options, stats, channels, now, onUserActive }: StreamHubOptions): StreamHub {
  const open = new Set<SseStream>();
  const offset = options.clockOffsetMs;
  let closed = false;

  const ticks = createIntervalGroups<TickMember>((members, scheduledAt) => {
    const sentAt = scheduledAt + offset;
    let sent = 0;
    for (const member of members) {
      member.seq++;
      if (member.out.write(tickFrame(member.stream, member.seq, sentAt))) sent++;
    }
    stats.eventsSent.tick += sent;
  }, now);

  const heartbeats = createIntervalGroups<SseStream>((members) => {
    let sent = 0;
    for (const out of members) if (out.write(HEARTBEAT)) sent++;
    stats.heartbeatsSent += sent;
  }, now);

  // A user's event goes to each of their streams: encode it once and queue the same bytes on every
  // one, so N subscribers (or N stalled ones) hold one copy of it, not N.
  let lastFrame: { event: BusEvent | undefined; userId: string; bytes: Uint8Array } = { event: undefined, userId: '', bytes: new Uint8Array(0) };
  const busBytes = (userId: string, event: BusEvent): Uint8Array => {
    if (lastFrame.event !== event || lastFrame.userId !== userId) lastFrame = { event, userId, bytes: encodeText(busFrame(userId, event)) };
    return lastFrame.bytes;
  };

  // One function for every stream, not a closure per held connection.
  const onBytes = (bytes: number): void => {
    stats.bytesSent += bytes;
  };

  function start(kind: StreamKind, heartbeatMs: number, abortTransport: (() => void) | undefined, onClose: () => void): { out: SseStream; body: ReadableStream<Uint8Array> } {
    const { stream: out, body } = createSseStream({
      maxBufferedBytes: options.maxBufferedBytes,
      onBytes,
      onClose: (cause) => {
        open.delete(out);
        stats.connections--;
        if (cause === 'slow_consumer') stats.slowConsumerDisconnects++;
        if (heartbeatMs > 0) heartbeats.remove(heartbeatMs, out);
        onClose();
      },
      ...(abortTransport ? { abortTransport } : {}),
    });
    open.add(out);
    stats.connections++;
    stats.connectionsOpened[kind]++;
    // "retry: the reconnection time": EventSource waits this long before reconnecting.
    if (kind !== 'test') out.write(`retry: ${options.retryMs}\n\n`);
    if (heartbeatMs > 0) heartbeats.add(heartbeatMs, out);
    return { out, body };
  }

  return {
    openTick(request) {
      const resume = request.lastEventId !== undefined ? parseTickId(request.lastEventId) : undefined;
      const ref = resume ?? createTickStreamRef(now() + offset, request.tickIntervalMs);
      // onClose runs only after start() returns (its retry line is far below the byte cap).
      const { out, body } = start('tick', request.heartbeatMs, request.abortTransport, () => ticks.remove(ref.intervalMs, member));
      const member: TickMember = { out, stream: ref.stream, seq: 0 };
      if (resume) {
        // Resume the same stream: send what fell due while the client was away, then continue.
        const missed = missedTicks(resume, now() + offset, options.replayBufferSize);
        for (const tick of missed.replay) {
          if (!out.write(tickFrame(ref.stream, tick.seq, tick.sentAt))) break;
          stats.eventsSent.tick++;
          stats.eventsReplayed++;
        }
        member.seq = missed.continueAfter;
      }
      if (!out.closed) ticks.add(ref.intervalMs, member);
      return body;
    },

    openBus(userId, request) {
      const subscriber: ChannelSubscriber = {
        deliver(_userId, event) {
          if (out.write(busBytes(userId, event))) stats.eventsSent.bus++;
        },
      };
      const { out, body } = start('bus', request.heartbeatMs, request.abortTransport, () => channels.unsubscribe(userId, subscriber));
      // Replay and subscribe in one synchronous step: no event can fall between them.
      if (request.lastEventId !== undefined && /^\d{1,15}$/.test(request.lastEventId)) {
        for (const event of channels.eventsAfter(userId, Number(request.lastEventId))) {
          if (!out.write(busBytes(userId, event))) break;
          stats.eventsSent.bus++;
          stats.eventsReplayed++;
        }
      }
      if (!out.closed) {
        channels.subscribe(userId, subscriber);
        onUserActive?.(userId);
      }
      return body;
    },

    openTest(request) {
      // The guide's diagnostic: one JSON message per interval, then the stream ends. Its own timer
      // (not a shared one) so the first message comes exactly one interval after the request.
      const total = options.testStreamMessages;
      const intervalMs = options.testStreamIntervalMs;
      const startedAt = now();
      const stream = `test-${Math.floor(Math.random() * 36 ** 8).toString(36)}`;
      let seq = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const { out, body } = start('test', 0, request.abortTransport, () => {
        if (timer !== undefined) clearTimeout(timer);
      });
      const next = (): void => {
        seq++;
        const scheduledAt = startedAt + seq * intervalMs;
        const data = formatEventPayload(
          { seq, sentAt: scheduledAt + offset, stream },
          { message: `test event ${seq} of ${total}`, elapsedMs: now() - startedAt },
        );
        // Closed (the client left, or this write tripped the slow-consumer cap): onClose already
        // cleared the timer, so arm no other.
        if (!out.write(`id: ${stream}:${seq}\ndata: ${data}\n\n`)) return;
        stats.eventsSent.test++;
        if (seq >= total) {
          out.end('server');
          return;
        }
        timer = setTimeout(next, Math.max(0, startedAt + (seq + 1) * intervalMs - now()));
        unref(timer);
      };
      // A comment first so that buffering proxies and browsers show the response as open at once.
      out.write(`: streamsoak test stream, ${total} messages every ${intervalMs} ms\n\n`);
      timer = setTimeout(next, intervalMs);
      unref(timer);
      return body;
    },

    dropAll() {
      for (const out of [...open]) out.end('server');
    },

    close() {
      if (closed) return;
      closed = true;
      for (const out of [...open]) out.end('shutdown');
      ticks.close();
      heartbeats.close();
    },
  };
}

function tickFrame(stream: string, seq: number, sentAt: number): string {
  return `id: ${formatTickId(stream, seq)}\ndata: ${formatEventPayload({ seq, sentAt, stream })}\n\n`;
}

/** Bus events: `id` is the channel's sequence number; a custom type gets an `event:` line. */
export function busFrame(userId: string, event: BusEvent): string {
  const payload = formatEventPayload(
    { seq: event.seq, sentAt: event.sentAt, stream: `user:${userId}` },
    event.data === undefined ? undefined : { data: event.data },
  );
  const typeLine = event.type === 'message' ? '' : `event: ${event.type}\n`;
  return `id: ${event.seq}\n${typeLine}data: ${payload}\n\n`;
}
