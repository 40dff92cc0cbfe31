/**
 * A fixed one-way delay for the platform simulator (`addedDelayMs`): every action pushed runs
 * `delayMs` after it was pushed, in the order pushed. It is a delay, not a buffer: each chunk leaves
 * on its own schedule, so a stream that arrives as separate writes still reaches the client as
 * separate writes, `delayMs` later. One timer per line, armed for the head of the queue only.
 */

export interface DelayLine {
  /** Runs `action` `delayMs` from now, after everything pushed before it (at once when `delayMs` is 0). */
  push(action: () => void): void;
  /** Drops what is still waiting (the response is gone). */
  clear(): void;
}

/** Spent entries at the front of the queue before they are cut off. */
const COMPACT_AFTER = 1024;

export function createDelayLine(delayMs: number, now: () => number = () => performance.now()): DelayLine {
  if (delayMs <= 0) {
    return { push: (action) => action(), clear: () => undefined };
  }
  const queue: Array<{ dueAt: number; action: () => void }> = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;

  const drain = (): void => {
    timer = undefined;
    const at = now();
    // Everything due runs now, in order; `dueAt` only grows along the queue, so stopping at the
    // first one not due keeps the order.
    while (head < queue.length && (queue[head] as { dueAt: number }).dueAt <= at) {
      const entry = queue[head] as { action: () => void };
      queue[head++] = undefined as never;
      entry.action();
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
      return;
    }
    // A stream busier than the delay never empties the queue: drop the spent front now and then,
    // or the array would grow for the life of the response.
    if (head >= COMPACT_AFTER && head * 2 >= queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    arm();
  };
  const arm = (): void => {
    const next = queue[head];
    if (next === undefined || timer !== undefined) return;
    timer = setTimeout(drain, Math.max(0, next.dueAt - now()));
    // The response being delayed holds its socket; this timer need not hold the process.
    timer.unref();
  };

  return {
    push(action) {
      queue.push({ dueAt: now() + delayMs, action });
      arm();
    },
    clear() {
      clearTimeout(timer);
      timer = undefined;
      queue.length = 0;
      head = 0;
    },
  };
}
