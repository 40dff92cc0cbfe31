/**
 * Bus mode's event source: events published to user channels (POST /api/calls/emit, or the built-in
 * publisher), read by SSE subscribers and polling clients alike. A single process assigns sequence
 * numbers itself; cluster workers forward publishes to the primary instead (cluster.ts), which
 * assigns them, so ids stay consistent on every worker.
 */
import type { BusChannels, BusEvent } from './bus-channels.js';
import { createIntervalGroups } from './interval-groups.js';

export interface PublishRequest {
  /** Exactly one of userId and broadcast. */
  userId?: string;
  broadcast?: boolean;
  type: string;
  data?: unknown;
  /** Scheduled time, epoch ms (server clock with its offset). */
  sentAt: number;
}

export interface PublishResult {
  /** Channels the event was appended to. */
  published: number;
}

export interface EventBus {
  publish(request: PublishRequest): Promise<PublishResult>;
  /** A user subscribed or polled (cluster workers report it to the primary's publisher). */
  noteActive(userId: string): void;
  close(): void;
}

/** How long after its last poll a user still counts as active for the built-in publisher. */
export const POLL_ACTIVE_WINDOW_MS = 30_000;

/** The users a publish goes to: its one user, or (broadcast) every user `everyone` returns. */
export function publishTargets(request: PublishRequest, everyone: () => string[]): string[] {
  return request.broadcast ? everyone() : request.userId !== undefined ? [request.userId] : [];
}

/** The event a publish puts on one user's channel, numbered `seq` there. */
export function busEventOf(request: PublishRequest, seq: number): BusEvent {
  return { seq, sentAt: request.sentAt, type: request.type, ...(request.data === undefined ? {} : { data: request.data }) };
}

/** Assigns sequence numbers per user and appends to the process's own channels. */
export function assignAndAppend(channels: BusChannels, request: PublishRequest): PublishResult {
  const targets = publishTargets(request, () => channels.users());
  for (const userId of targets) channels.append(userId, busEventOf(request, channels.nextSeq(userId)));
  return { published: targets.length };
}

export function createLocalBus(channels: BusChannels): EventBus {
  return {
    publish: async (request) => assignAndAppend(channels, request),
    noteActive() {
      // The channels already record activity in this process.
    },
    close() {},
  };
}

export interface PublisherOptions {
  intervalMs: number;
  /** The users who get one event each per interval. */
  activeUsers(): Iterable<string>;
  /** One request per active user, all with the same scheduled time (a batch: one IPC message in a cluster). */
  publish(requests: PublishRequest[]): void;
  /** Server clock offset added to the scheduled time. */
  clockOffsetMs: number;
}

/** The built-in publisher: one `message` event per active user channel every interval. */
export function createPublisher(options: PublisherOptions): { close(): void } {
  const timers = createIntervalGroups<'publisher'>((_members, scheduledAt) => {
    const sentAt = scheduledAt + options.clockOffsetMs;
    const requests: PublishRequest[] = [];
    for (const userId of options.activeUsers()) requests.push({ userId, type: 'message', sentAt });
    if (requests.length > 0) options.publish(requests);
  });
  if (options.intervalMs > 0) timers.add(options.intervalMs, 'publisher');
  return { close: () => timers.close() };
}
