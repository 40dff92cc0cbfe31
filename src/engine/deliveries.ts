/**
 * What the subscribers of a publishing run (a plan's `publish:`) keep, to say how many published
 * messages reached them, how late, and which they missed (issue 15):
 *
 * - per user, a `DeliveryLog`: one bit per message received (a message counts once per user,
 *   whatever the replays after a reconnect) and the intervals its streams were open. At the end,
 *   a message the target accepted while one of the user's streams was open, and that never reached
 *   the user, is a missed delivery. Memory: one bit per message (plans publish at most 100,000), so
 *   ~75 bytes a user for a 10-minute run at one message a second.
 * - per worker, a `FanOut`: the first and last receipt of each message across its users, merged by
 *   the coordinator into the spread of each message (last receipt − first receipt).
 */
import type { AcceptedMessage, FanOutEntry, PublishedMessage } from '../core/publish-message.js';

export interface DeliveryLog {
  /** True the first time this user gets message `seq`. */
  receive(seq: number): boolean;
  /** A stream of this user was open from `openedAt` to `endedAt` (epoch ms). */
  streamOpen(openedAt: number, endedAt: number): void;
  /** Messages accepted while one of this user's streams was open that it never received. */
  missed(accepted: readonly AcceptedMessage[]): number;
}

export function createDeliveryLog(): DeliveryLog {
  let bits = new Uint8Array(16);
  const intervals: Array<[number, number]> = [];
  const has = (seq: number): boolean => seq >> 3 < bits.length && ((bits[seq >> 3] as number) & (1 << (seq & 7))) !== 0;
  return {
    receive(seq) {
      if (has(seq)) return false;
      if (seq >> 3 >= bits.length) {
        const grown = new Uint8Array(Math.max(bits.length * 2, (seq >> 3) + 1));
        grown.set(bits);
        bits = grown;
      }
      bits[seq >> 3] = (bits[seq >> 3] as number) | (1 << (seq & 7));
      return true;
    },
    streamOpen(openedAt, endedAt) {
      if (endedAt > openedAt) intervals.push([openedAt, endedAt]);
    },
    missed(accepted) {
      let missed = 0;
      for (const [seq, acceptedAt] of accepted) {
        if (has(seq)) continue;
        if (intervals.some(([from, to]) => acceptedAt >= from && acceptedAt < to)) missed++;
      }
      return missed;
    },
  };
}

export type { FanOutEntry } from '../core/publish-message.js';

export interface FanOut {
  observe(message: PublishedMessage, receivedAt: number): void;
  entries(): FanOutEntry[];
}

export function createFanOut(): FanOut {
  const bySeq = new Map<number, FanOutEntry>();
  return {
    observe(message, receivedAt) {
      const entry = bySeq.get(message.seq);
      if (entry === undefined) bySeq.set(message.seq, [message.seq, receivedAt, receivedAt]);
      else {
        if (receivedAt < entry[1]) entry[1] = receivedAt;
        if (receivedAt > entry[2]) entry[2] = receivedAt;
      }
    },
    entries: () => [...bySeq.values()],
  };
}

/** The coordinator's merge of every worker's fan-out: each message's spread, last receipt − first, in ms. */
export function mergeFanOut(parts: ReadonlyArray<readonly FanOutEntry[]>): number[] {
  const merged = new Map<number, [number, number]>();
  for (const part of parts) {
    for (const [seq, first, last] of part) {
      const entry = merged.get(seq);
      if (entry === undefined) merged.set(seq, [first, last]);
      else merged.set(seq, [Math.min(entry[0], first), Math.max(entry[1], last)]);
    }
  }
  return [...merged.values()].map(([first, last]) => last - first);
}
