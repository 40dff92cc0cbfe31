import { describe, expect, it } from 'vitest';
import { estimateClock, isLoopbackUrl, type TimeSample } from '../../../scenarios/lib/clock.js';

describe('estimateClock (the target clock against ours, from GET /api/time)', () => {
  it('needs no request on loopback: the clocks are one', () => {
    const fetchTime = (): TimeSample => {
      throw new Error('no request expected');
    };
    expect(estimateClock('http://127.0.0.1:3000', fetchTime)).toEqual({ method: 'same-host', offsetMs: 0 });
    expect(estimateClock('http://localhost:3000', fetchTime).method).toBe('same-host');
    expect(estimateClock('http://[::1]:3000', fetchTime).method).toBe('same-host');
    expect(isLoopbackUrl('https://sse.example.com')).toBe(false);
  });

  it('takes the sample with the fastest round trip, the server having read its clock halfway', () => {
    // The server's clock runs 2 s ahead of ours.
    const samples: TimeSample[] = [
      { sentAt: 1_000, receivedAt: 1_300, status: 200, body: JSON.stringify({ now: 3_150 }) },
      { sentAt: 2_000, receivedAt: 2_040, status: 200, body: JSON.stringify({ now: 4_020 }) },
      { sentAt: 3_000, receivedAt: 3_010, status: 503, body: '' },
      { sentAt: 4_000, receivedAt: 4_100, status: 200, body: 'not json' },
    ];
    let i = 0;
    const clock = estimateClock('https://sse.example.com', () => samples[i++] as TimeSample, samples.length);
    // Half the 40 ms round trip, plus half a millisecond for each clock: the server's `now` and k6's
    // `Date.now()` stamps are whole milliseconds (the Node engine's correction, src/core/clock.ts).
    expect(clock).toEqual({ method: 'api-time', offsetMs: 2_000, uncertaintyMs: 21 });
  });

  it('says it does not know when no sample worked', () => {
    const clock = estimateClock('https://sse.example.com', () => ({ sentAt: 0, receivedAt: 5, status: 404, body: '' }), 3);
    expect(clock).toEqual({ method: 'unknown', offsetMs: 0 });
  });
});
