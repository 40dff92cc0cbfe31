/**
 * How the target's clock relates to this machine's, so latency from `sentAt` (stamped by the
 * server's clock) means something on a remote target. On loopback the clocks are one. Otherwise the
 * reference server's `GET /api/time` is read a few times and the fastest round trip wins
 * (NTP's idea: the server read its clock about halfway through the round trip). The estimate is the
 * Node engine's (`src/core/clock.ts`); this file only turns k6's responses into its samples.
 */
import { estimateClockOffset, isLoopbackUrl, parseServerNowMs, type ClockSample } from '../../src/core/clock.js';

export { isLoopbackUrl } from '../../src/core/clock.js';

export interface ClockEstimate {
  method: 'same-host' | 'api-time' | 'unknown';
  /** Server clock minus client clock, ms: a server `sentAt` is `sentAt - offsetMs` on this clock. */
  offsetMs: number;
  /** Half the round trip of the sample used, plus half of each clock's resolution: the offset is right to within this. */
  uncertaintyMs?: number;
}

export interface TimeSample {
  /** Client clock before the request and after the response, epoch ms. */
  sentAt: number;
  receivedAt: number;
  status: number;
  body: string;
}

/** k6 stamps `sentAt`/`receivedAt` with `Date.now()`: whole milliseconds, like the server's clock. */
const K6_CLOCK_RESOLUTION_MS = 1;

export function estimateClock(baseUrl: string, fetchTime: () => TimeSample, samples = 5): ClockEstimate {
  if (isLoopbackUrl(baseUrl)) return { method: 'same-host', offsetMs: 0 };
  const exchanges: ClockSample[] = [];
  for (let i = 0; i < samples; i++) {
    const sample = fetchTime();
    if (sample.status !== 200) continue;
    const serverNowMs = parseServerNowMs(sample.body);
    if (serverNowMs === undefined) continue;
    exchanges.push({ t0Ms: sample.sentAt, t1Ms: sample.receivedAt, serverNowMs });
  }
  const estimate = estimateClockOffset(exchanges, undefined, K6_CLOCK_RESOLUTION_MS);
  return estimate === undefined ? { method: 'unknown', offsetMs: 0 } : { method: 'api-time', offsetMs: estimate.offsetMs, uncertaintyMs: estimate.uncertaintyMs };
}
