/**
 * The engine's one clock. Every timestamp a worker or the coordinator's clock exchange takes comes
 * from here, so an attempt's start, a poll's receive time and a clock-offset sample are all read on
 * the same clock and can be subtracted from each other.
 */

/**
 * Epoch milliseconds with sub-millisecond resolution: `performance.now()` is monotonic and finer
 * than `Date.now()`'s whole milliseconds; `timeOrigin` puts it on the epoch so it compares with the
 * server's `sentAt`.
 */
export const nowMs = (): number => performance.timeOrigin + performance.now();
