/**
 * The network between the platform and one client, towards the client: a fixed delay, a random
 * jitter, a bandwidth cap, a stall and a half-open connection (issue 9). It stays a TCP stream:
 * bytes leave in the order they were written, none is reordered or lost — except after the link
 * goes half-open, when nothing leaves for good, not even the end of the response (no FIN, no RST):
 * a dead NAT entry or a pulled cable, which only the client's own idle timeout can notice.
 *
 * Each write's schedule is computed when it is pushed: it leaves the platform when the bandwidth
 * cap lets it and no stall holds it, then reaches the client `delayMs` plus a random jitter later,
 * but never before what was written before it (TCP delivers in order, so a late chunk holds back
 * the ones behind it). A timed queue (`timed-queue.ts`) runs the deliveries.
 */
import { createTimedQueue } from './timed-queue.js';

export interface LinkOptions {
  /** One-way delay of every byte. */
  delayMs?: number;
  /** Up to this much random extra delay per write. */
  jitterMs?: number;
  /** Bytes per second leaving the platform (a token bucket). */
  bytesPerSecond?: number;
  /** Nothing leaves for `durationMs`, starting `afterMs` after the link opened or once `afterBytes` left. */
  stall?: { afterMs?: number; afterBytes?: number; durationMs: number };
  /** Nothing leaves ever again, `afterMs` after the link opened or once `afterBytes` left. */
  halfOpen?: { afterMs?: number; afterBytes?: number };
  /** Uniform in [0, 1) (seeded by the proxy). */
  random?: () => number;
  now?: () => number;
  /** The first write a stall held back. */
  onStall?: () => void;
  /** The first write the half-open link swallowed. */
  onHalfOpen?: () => void;
  /** The queue fell back under the low-water mark after `congested()` said true: read upstream again. */
  onDrain?: () => void;
}

export interface Link {
  /** An action with no payload (the response head, its end, a reset): in order with the writes. */
  push(action: () => void): void;
  /** Payload bytes: `deliver` gets them, in slices a bandwidth cap or a byte threshold may cut. */
  write(chunk: Buffer, deliver: (slice: Buffer) => void): void;
  /** More than the high-water mark waits: stop reading upstream (TCP's back-pressure). */
  congested(): boolean;
  /** Whether the link went half-open (nothing will ever leave again). */
  isSilent(): boolean;
  /** Drops what is still waiting (the response is gone). */
  clear(): void;
}

/** Waiting bytes past which the upstream is paused, and under which it is read again. */
export const HIGH_WATER_BYTES = 64 * 1024;
export const LOW_WATER_BYTES = 16 * 1024;

export interface TokenBucket {
  /** The earliest time at or after `t` at which `bytes` tokens are there. */
  earliest(t: number, bytes: number): number;
  /** Takes `bytes` tokens at `t` (times never go back). */
  take(t: number, bytes: number): void;
  /** The largest write that can leave at once: bigger ones are cut to this. */
  burstBytes: number;
}

/**
 * Tokens fill at `bytesPerSecond` up to `burstBytes` (default: 50 ms of the rate), one per byte.
 * A small burst keeps the cap smooth: the client sees bytes trickle, not lumps once a second.
 */
export function createTokenBucket(bytesPerSecond: number, burstBytes = Math.max(1, Math.ceil(bytesPerSecond / 20))): TokenBucket {
  let tokens = burstBytes;
  let at: number | undefined;
  const level = (t: number): number => (at === undefined ? tokens : Math.min(burstBytes, tokens + ((t - at) * bytesPerSecond) / 1_000));
  return {
    burstBytes,
    earliest(t, bytes) {
      const have = level(t);
      return have >= bytes ? t : t + ((bytes - have) * 1_000) / bytesPerSecond;
    },
    take(t, bytes) {
      tokens = level(t) - bytes;
      at = t;
    },
  };
}

export function createLink(options: LinkOptions = {}): Link {
  const now = options.now ?? (() => performance.now());
  const random = options.random ?? Math.random;
  const delayMs = Math.max(0, options.delayMs ?? 0);
  const jitterMs = Math.max(0, options.jitterMs ?? 0);
  const bucket = options.bytesPerSecond === undefined ? undefined : createTokenBucket(options.bytesPerSecond);
  const openedAt = now();

  let congestedNow = false;
  const queue = createTimedQueue(now, () => {
    if (congestedNow && queue.pendingBytes() <= LOW_WATER_BYTES) {
      congestedNow = false;
      options.onDrain?.();
    }
  });
  let cleared = false;
  /** When the last write left the platform, and when it reached the client: both only move forward. */
  let lastLeftAt = openedAt;
  let lastArrivesAt = openedAt;
  let sentBytes = 0;

  // A byte threshold of 0 holds back everything, the response head included.
  const stallAfterMs = options.stall?.afterBytes === 0 ? 0 : options.stall?.afterMs;
  let stallFrom = stallAfterMs === undefined ? undefined : openedAt + stallAfterMs;
  let stallUntil = stallFrom === undefined ? undefined : stallFrom + (options.stall as { durationMs: number }).durationMs;
  let stalled = false;
  const silentAfterMs = options.halfOpen?.afterBytes === 0 ? 0 : options.halfOpen?.afterMs;
  const silentFrom = silentAfterMs === undefined ? undefined : openedAt + silentAfterMs;
  let silent = false;

  /** A time inside the stall moves to its end. */
  const pastStall = (t: number): number => {
    if (stallFrom === undefined || stallUntil === undefined || t < stallFrom || t >= stallUntil) return t;
    if (!stalled) {
      stalled = true;
      options.onStall?.();
    }
    return stallUntil;
  };
  let swallowed = false;
  /** From now on nothing leaves; what already left is still on its way and arrives. */
  const goSilent = (): void => {
    silent = true;
    if (swallowed) return;
    swallowed = true;
    options.onHalfOpen?.();
  };
  /** When `bytes` may leave the platform, or `undefined` once the link is silent. */
  const departure = (bytes: number): number | undefined => {
    if (silent) {
      goSilent();
      return undefined;
    }
    let t = pastStall(Math.max(now(), lastLeftAt));
    if (bucket !== undefined && bytes > 0) {
      t = pastStall(bucket.earliest(t, bytes));
      bucket.take(t, bytes);
    }
    if (silentFrom !== undefined && t >= silentFrom) {
      goSilent();
      return undefined;
    }
    lastLeftAt = t;
    return t;
  };
  const arrival = (leftAt: number): number => {
    lastArrivesAt = Math.max(lastArrivesAt, leftAt + delayMs + (jitterMs > 0 ? random() * jitterMs : 0));
    return lastArrivesAt;
  };
  /** How many bytes may go before a byte threshold (stall or half-open) is reached. */
  const untilThreshold = (): number => {
    let limit = Infinity;
    const stallAfter = options.stall?.afterBytes;
    if (stallAfter !== undefined && stallFrom === undefined && stallAfter > sentBytes) limit = stallAfter - sentBytes;
    const silentAfter = options.halfOpen?.afterBytes;
    if (silentAfter !== undefined) limit = Math.min(limit, Math.max(0, silentAfter - sentBytes));
    return limit;
  };
  const afterSent = (leftAt: number): void => {
    const stall = options.stall;
    if (stall?.afterBytes !== undefined && stallFrom === undefined && sentBytes >= stall.afterBytes) {
      stallFrom = leftAt;
      stallUntil = leftAt + stall.durationMs;
    }
    if (options.halfOpen?.afterBytes !== undefined && sentBytes >= options.halfOpen.afterBytes) silent = true;
  };

  return {
    push(action) {
      if (cleared) return;
      const leftAt = departure(0);
      if (leftAt === undefined) return;
      queue.at(arrival(leftAt), action);
    },
    write(chunk, deliver) {
      let offset = 0;
      while (offset < chunk.length && !cleared) {
        const size = Math.min(chunk.length - offset, bucket?.burstBytes ?? Infinity, untilThreshold());
        if (size === 0 || silent) {
          // A byte threshold of 0, or the bytes before it all sent: what comes now is swallowed.
          goSilent();
          return;
        }
        const leftAt = departure(size);
        if (leftAt === undefined) return;
        const slice = chunk.subarray(offset, offset + size);
        offset += size;
        sentBytes += size;
        queue.at(arrival(leftAt), () => deliver(slice), size);
        afterSent(leftAt);
      }
      if (queue.pendingBytes() > HIGH_WATER_BYTES) congestedNow = true;
    },
    congested: () => congestedNow,
    isSilent: () => silent,
    clear() {
      cleared = true;
      queue.clear();
    },
  };
}
