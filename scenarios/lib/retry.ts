/**
 * The pause before a client tries again (a refused connect, a dropped stream), shared by the SSE
 * scenarios. Apart from lib/common.ts so the polling bundle does not import `k6` for it.
 */
import { sleep } from 'k6';

/** Sleeps `delayMs`, cut short at `deadline` (epoch ms): no VU waits past the run's end. */
export function sleepBeforeRetry(delayMs: number, deadline: number): void {
  sleep(Math.max(0, Math.min(delayMs, deadline - Date.now())) / 1000);
}
