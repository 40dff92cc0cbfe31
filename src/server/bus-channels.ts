/**
 * Bus mode's user channels: per user, the sequence head, a bounded buffer of recent events (replayed
 * after `Last-Event-ID` and read by polling clients) and the SSE streams subscribed to it.
 *
 * Who assigns sequence numbers is not decided here: a single process assigns them itself
 * (`createLocalBus`), cluster workers receive them from the primary (`cluster.ts`), so every worker
 * holds the same events with the same ids.
 */

export interface BusEvent {
  readonly seq: number;
  /** Scheduled time, epoch ms (server clock with its offset). */
  readonly sentAt: number;
  readonly type: string;
  readonly data?: unknown;
}

export interface ChannelSubscriber {
  deliver(userId: string, event: BusEvent): void;
}

interface Channel {
  head: number;
  events: BusEvent[];
  subscribers: Set<ChannelSubscriber>;
  /** Epoch ms of the last poll or subscription: active users get the built-in publisher's events. */
  lastActiveAt: number;
}

export interface BusChannels {
  subscribe(userId: string, subscriber: ChannelSubscriber): void;
  unsubscribe(userId: string, subscriber: ChannelSubscriber): void;
  /** Marks a user active (a poll), creating the channel. */
  touch(userId: string): void;
  /** Stores the event and hands it to every subscriber of the user. Events must come in seq order. */
  append(userId: string, event: BusEvent): void;
  /** The next sequence number of a user (for a process that assigns them itself). */
  nextSeq(userId: string): number;
  head(userId: string): number;
  /** Buffered events after `seq`, oldest first. */
  eventsAfter(userId: string, seq: number): BusEvent[];
  /** Users with a subscriber, or active within `windowMs`. */
  activeUsers(windowMs: number): string[];
  /** Every user the process knows (broadcast targets). */
  users(): string[];
  subscriberCount(): number;
  /**
   * Frees the buffered events of channels without subscribers idle for longer than `idleMs`
   * (long-lived servers). The sequence head is kept, so a user who comes back later sees the
   * sequence continue (a gap, counted as loss) instead of restarting (counted as duplicates).
   */
  sweep(idleMs: number): void;
}

export function createBusChannels(options: { bufferSize: number; now?: () => number }): BusChannels {
  const channels = new Map<string, Channel>();
  const now = options.now ?? Date.now;
  let subscribers = 0;

  function channel(userId: string): Channel {
    let found = channels.get(userId);
    if (!found) {
      found = { head: 0, events: [], subscribers: new Set(), lastActiveAt: now() };
      channels.set(userId, found);
    }
    return found;
  }

  return {
    subscribe(userId, subscriber) {
      const ch = channel(userId);
      if (!ch.subscribers.has(subscriber)) subscribers++;
      ch.subscribers.add(subscriber);
      ch.lastActiveAt = now();
    },
    unsubscribe(userId, subscriber) {
      const ch = channels.get(userId);
      if (ch?.subscribers.delete(subscriber)) {
        subscribers--;
        ch.lastActiveAt = now();
      }
    },
    touch(userId) {
      channel(userId).lastActiveAt = now();
    },
    append(userId, event) {
      const ch = channel(userId);
      if (event.seq <= ch.head) return; // already have it (a replayed cluster message)
      ch.head = event.seq;
      if (options.bufferSize > 0) {
        ch.events.push(event);
        if (ch.events.length > options.bufferSize) ch.events.shift();
      }
      for (const subscriber of ch.subscribers) subscriber.deliver(userId, event);
    },
    nextSeq(userId) {
      return channel(userId).head + 1;
    },
    head(userId) {
      return channels.get(userId)?.head ?? 0;
    },
    eventsAfter(userId, seq) {
      const events = channels.get(userId)?.events;
      if (!events || events.length === 0) return [];
      // Sequence numbers in the buffer are increasing: find the first one after `seq`.
      let lo = 0;
      let hi = events.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((events[mid] as BusEvent).seq <= seq) lo = mid + 1;
        else hi = mid;
      }
      return events.slice(lo);
    },
    activeUsers(windowMs) {
      const since = now() - windowMs;
      const active: string[] = [];
      for (const [userId, ch] of channels) if (ch.subscribers.size > 0 || ch.lastActiveAt >= since) active.push(userId);
      return active;
    },
    users() {
      return [...channels.keys()];
    },
    subscriberCount() {
      return subscribers;
    },
    sweep(idleMs) {
      const before = now() - idleMs;
      for (const ch of channels.values()) if (ch.subscribers.size === 0 && ch.lastActiveAt < before && ch.events.length > 0) ch.events = [];
    },
  };
}
