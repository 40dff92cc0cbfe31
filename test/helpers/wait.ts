/** Polling until something outside the test (a spawned process, a scrape) is ready. */

export interface WaitOptions {
  /** Give up after this long (default 20 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 250 ms). */
  intervalMs?: number;
}

/**
 * Calls `read` until it returns a value other than `undefined`, and returns that value; throws
 * `timed out waiting for WHAT` once `timeoutMs` have passed. An error thrown by `read` fails at
 * once: wrap it (`.catch(() => undefined)`) where "not ready" shows as an error.
 */
export async function waitFor<T>(what: string, read: () => Promise<T | undefined>, options: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}

/**
 * Watches the output of a command running in-process (`captureStream().text`) for `pattern`, every
 * 20 ms: its first group (or the whole match) once printed; `undefined` when `timeoutMs` (default
 * 10 s) passed or `stopIf()` said to stop (the command exited), so the test asserts what it needs.
 */
export async function waitForOutput(text: () => string, pattern: RegExp, options: { timeoutMs?: number; stopIf?: () => boolean } = {}): Promise<string | undefined> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const match = pattern.exec(text());
    if (match) return match[1] ?? match[0];
    if (options.stopIf?.() === true || Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
