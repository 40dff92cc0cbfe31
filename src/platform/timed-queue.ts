/**
 * The timed queue under the platform simulator's network (`link.ts`): every action runs at its due
 * time, in the order pushed. It is a delay, not a buffer: each chunk leaves on its own schedule, so
 * a stream that arrives as separate writes still reaches the client as separate writes. One timer
 * per queue, armed for the head of the queue only.
 */

export interface TimedQueue {
  /**
   * Runs `action` at `dueAt` (on the queue's clock), after everything pushed before it; at once when
   * it is due and nothing waits. `bytes` counts towards `pendingBytes()` until it runs.
   */
  at(dueAt: number, action: () => void, bytes?: number): void;
  /** Payload bytes pushed and not run yet. */
  pendingBytes(): number;
  /** Drops what is still waiting (the response is gone). */
  clear(): void;
}

/** Spent entries at the front of the queue before they are cut off. */
const COMPACT_AFTER = 1024;

interface Entry {
  dueAt: number;
  action: () => void;
  bytes: number;
}

/**
 * A queue run by one timer. Callers give non-decreasing `dueAt`s (the link keeps them so); an
 * earlier one waits for those before it, so the order always holds.
 */
export function createTimedQueue(now: () => number = () => performance.now(), onRun?: () => void): TimedQueue {
  const queue: Array<Entry | undefined> = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;
  let pending = 0;

  const drain = (): void => {
    timer = undefined;
    const at = now();
    // Everything due runs now, in order; stopping at the first one not due keeps the order.
    while (head < queue.length && (queue[head] as Entry).dueAt <= at) {
      const entry = queue[head] as Entry;
      queue[head++] = undefined;
      pending -= entry.bytes;
      entry.action();
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else if (head >= COMPACT_AFTER && head * 2 >= queue.length) {
      // A stream busier than the delay never empties the queue: drop the spent front now and then,
      // or the array would grow for the life of the response.
      queue.splice(0, head);
      head = 0;
    }
    arm();
    onRun?.();
  };
  const arm = (): void => {
    const next = queue[head];
    if (next === undefined || timer !== undefined) return;
    timer = setTimeout(drain, Math.max(0, next.dueAt - now()));
    // The response being delayed holds its socket; this timer need not hold the process.
    timer.unref();
  };

  return {
    at(dueAt, action, bytes = 0) {
      if (head === queue.length && dueAt <= now()) {
        action();
        return;
      }
      queue.push({ dueAt, action, bytes });
      pending += bytes;
      arm();
    },
    pendingBytes: () => pending,
    clear() {
      clearTimeout(timer);
      timer = undefined;
      queue.length = 0;
      head = 0;
      pending = 0;
    },
  };
}
