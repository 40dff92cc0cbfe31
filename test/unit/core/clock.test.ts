import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateClockOffset, isLoopbackHost, isLoopbackUrl, parseServerNowMs, type ClockSample } from '../../../src/core/clock.js';

/** An exchange with a server whose clock is `offset` ahead, `up` ms away and `down` ms back. */
function exchange(t0: number, offset: number, up: number, down: number, resolution = 1): ClockSample {
  const serverTrue = t0 + up + offset;
  return { t0Ms: t0, t1Ms: t0 + up + down, serverNowMs: Math.floor(serverTrue / resolution) * resolution };
}

describe('estimateClockOffset', () => {
  it('keeps the lowest-round-trip exchange: offset = serverNow − (t0 + rtt/2), uncertainty half its round trip', () => {
    const samples = [exchange(1_000, 2_500, 30, 90), exchange(2_000, 2_500, 40, 40), exchange(3_000, 2_500, 5, 200)];
    const estimate = estimateClockOffset(samples, 0);
    // The 80 ms exchange, symmetric: exactly the true offset.
    expect(estimate).toEqual({ offsetMs: 2_500, uncertaintyMs: 40, roundTripMs: 80, samples: 3 });
  });

  it('is off by the asymmetry of the kept exchange, and never by more than its stated uncertainty', () => {
    // 10 ms up, 50 ms back: the midpoint guess is 20 ms late.
    const estimate = estimateClockOffset([exchange(0, -1_500, 10, 50)], 0);
    expect(estimate?.offsetMs).toBe(-1_520);
    expect(estimate?.uncertaintyMs).toBe(30);
  });

  it('holds the true offset within the stated uncertainty for any delays, offsets and a whole-millisecond server clock', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ up: fc.double({ min: 0, max: 500, noNaN: true }), down: fc.double({ min: 0, max: 500, noNaN: true }) }), { minLength: 1, maxLength: 16 }),
        fc.integer({ min: -86_400_000, max: 86_400_000 }),
        fc.double({ min: 1.7e12, max: 1.8e12, noNaN: true }),
        (delays, offset, start) => {
          const samples = delays.map((d, i) => exchange(start + i * 1_000, offset, d.up, d.down));
          const estimate = estimateClockOffset(samples);
          expect(estimate).toBeDefined();
          // 1 µs of slack for the rounding to three decimals.
          expect(Math.abs((estimate?.offsetMs ?? NaN) - offset)).toBeLessThanOrEqual((estimate?.uncertaintyMs ?? 0) + 0.002);
        },
      ),
    );
  });

  it('ignores exchanges whose round trip is negative (the client clock stepped) and gives nothing from none', () => {
    expect(estimateClockOffset([])).toBeUndefined();
    expect(estimateClockOffset([{ t0Ms: 100, t1Ms: 90, serverNowMs: 5_000 }])).toBeUndefined();
    const estimate = estimateClockOffset([{ t0Ms: 100, t1Ms: 90, serverNowMs: 5_000 }, exchange(200, 1_000, 3, 3, 1)], 1);
    expect(estimate?.roundTripMs).toBe(6);
    expect(estimate?.uncertaintyMs).toBe(3.5);
  });
});


describe('estimateClockOffset with a whole-millisecond client clock (k6 stamps with Date.now())', () => {
  /** As `exchange`, with the client's stamps truncated to whole milliseconds as well. */
  function coarseExchange(t0True: number, offset: number, up: number, down: number): ClockSample {
    return { t0Ms: Math.floor(t0True), t1Ms: Math.floor(t0True + up + down), serverNowMs: Math.floor(t0True + up + offset) };
  }

  it('holds the true offset within the stated uncertainty when both clocks read whole milliseconds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ up: fc.double({ min: 0, max: 3, noNaN: true }), down: fc.double({ min: 0, max: 3, noNaN: true }) }), { minLength: 1, maxLength: 8 }),
        // Fractional offsets: the two clocks' millisecond ticks do not line up.
        fc.double({ min: -86_400_000, max: 86_400_000, noNaN: true }),
        fc.double({ min: 1.7e12, max: 1.8e12, noNaN: true }),
        (delays, offset, start) => {
          const samples = delays.map((d, i) => coarseExchange(start + i * 1_000, offset, d.up, d.down));
          const estimate = estimateClockOffset(samples, 1, 1);
          expect(Math.abs((estimate?.offsetMs ?? NaN) - offset)).toBeLessThanOrEqual((estimate?.uncertaintyMs ?? 0) + 0.002);
        },
      ),
    );
  });

  it('widens the uncertainty by half of each resolution, and the two half-corrections of the centre cancel', () => {
    const estimate = estimateClockOffset([{ t0Ms: 2_000, t1Ms: 2_040, serverNowMs: 4_020 }], 1, 1);
    expect(estimate).toEqual({ offsetMs: 2_000, uncertaintyMs: 21, roundTripMs: 40, samples: 1 });
  });

  it('needs the client term: a server read late in the client stamp\'s last millisecond is outside the server-only bound', () => {
    // True client times 0.2 ms (request) and 0.9 ms (answer), both stamped 0; the server read its
    // clock at 0.9 ms of ours with an offset of 0.15 ms: 1.05, stamped 1.
    const sample = coarseExchange(0.2, 0.15, 0.7, 0);
    const serverOnly = estimateClockOffset([sample], 1, 0);
    expect(Math.abs((serverOnly?.offsetMs ?? NaN) - 0.15)).toBeGreaterThan(serverOnly?.uncertaintyMs ?? Infinity);
    const both = estimateClockOffset([sample], 1, 1);
    expect(Math.abs((both?.offsetMs ?? NaN) - 0.15)).toBeLessThanOrEqual(both?.uncertaintyMs ?? 0);
  });
});

describe('parseServerNowMs (the body of GET /api/time)', () => {
  it.each([
    ['{"now":1765150000123.5}', 1765150000123.5],
    ['{"now":"1765150000123"}', undefined],
    ['{"now":0}', undefined],
    ['{"time":1765150000123}', undefined],
    ['null', undefined],
    ['not json', undefined],
  ])('%s gives %s', (body, expected) => {
    expect(parseServerNowMs(body)).toBe(expected);
  });
});

describe('isLoopbackHost and isLoopbackUrl (the target clock is ours)', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['127.0.0.1', true],
    ['127.3.2.1', true],
    ['[::1]', true],
    ['::1', true],
    ['127.example.com', false],
    ['10.0.0.1', false],
    ['sse.example.com', false],
  ])('host %s: %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it.each([
    ['http://127.0.0.1:3000', true],
    ['http://localhost:3000/api', true],
    ['https://[::1]:8443', true],
    ['http://user:pw@localhost:3000', true],
    ['http://localhost?x=1', true],
    ['https://sse.example.com', false],
    ['https://127.example.com', false],
    ['not a url', false],
  ])('url %s: %s', (url, expected) => {
    expect(isLoopbackUrl(url)).toBe(expected);
  });

  it('reads a base URL the way the WHATWG URL parser does for every loopback form the engine sees', () => {
    for (const url of ['http://127.0.0.1:3000', 'http://localhost:3000', 'http://[::1]:3000', 'https://sse.example.com']) {
      expect(isLoopbackUrl(url)).toBe(isLoopbackHost(new URL(url).hostname));
    }
  });
});
