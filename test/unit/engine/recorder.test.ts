import { describe, expect, it } from 'vitest';
import { createRecorder } from '../../../src/engine/recorder.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the recorder’s event-loop delay', () => {
  it('reads the delay beyond the monitor’s schedule: an idle loop reads ~0, a blocked one what it was blocked', async () => {
    const recorder = createRecorder(0);
    try {
      await sleep(400);
      const idle = recorder.collect().harness.eventLoopDelayMs;
      // Before: the monitor's own 10 ms interval, read as delay (p50 ~10.1 ms on an idle process).
      expect(idle.p50).toBeLessThan(2);
      await sleep(50);
      const blockedUntil = Date.now() + 120;
      while (Date.now() < blockedUntil) {
        // Hold the loop, as a busy harness would.
      }
      await sleep(50);
      const blocked = recorder.collect().harness.eventLoopDelayMs;
      expect(blocked.max).toBeGreaterThanOrEqual(90);
      expect(blocked.max).toBeLessThan(400);
    } finally {
      recorder.close();
    }
  });
});
