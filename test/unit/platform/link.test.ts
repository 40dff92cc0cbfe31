import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLink, createTokenBucket, HIGH_WATER_BYTES } from '../../../src/platform/link.js';
import { createRandom } from '../../../src/core/random.js';

/** What reached the client: each delivered slice, its text and when (fake ms since the start). */
function recorder() {
  const got: Array<{ at: number; text: string }> = [];
  return {
    got,
    deliver: (slice: Buffer) => got.push({ at: performance.now(), text: slice.toString() }),
    action: (text: string) => () => got.push({ at: performance.now(), text }),
    text: () => got.map((g) => g.text).join(''),
  };
}

describe('createTokenBucket', () => {
  it('lets a burst go at once, then one byte per 1/rate seconds', () => {
    const bucket = createTokenBucket(1_000, 100);
    expect(bucket.earliest(0, 100)).toBe(0);
    bucket.take(0, 100);
    // Empty: 50 bytes take 50 ms to come back.
    expect(bucket.earliest(0, 50)).toBe(50);
    bucket.take(50, 50);
    expect(bucket.earliest(60, 100)).toBeCloseTo(150);
    // Tokens never pile up past the burst, however long the bucket rests.
    expect(bucket.earliest(10_000, 100)).toBe(10_000);
    bucket.take(10_000, 100);
    expect(bucket.earliest(10_000, 100)).toBe(10_100);
  });
});

describe('createLink', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers at once, synchronously, with no delay and no fault', () => {
    const r = recorder();
    const link = createLink();
    link.push(r.action('head'));
    link.write(Buffer.from('abc'), r.deliver);
    expect(r.got).toEqual([
      { at: 0, text: 'head' },
      { at: 0, text: 'abc' },
    ]);
  });

  it('keeps chunks in order under jitter, each late by the delay plus at most the jitter', () => {
    const r = recorder();
    const link = createLink({ delayMs: 30, jitterMs: 50, random: createRandom(7) });
    const sentAt: number[] = [];
    for (let i = 0; i < 200; i++) {
      sentAt.push(performance.now());
      link.write(Buffer.from(`${i},`), r.deliver);
      vi.advanceTimersByTime(5);
    }
    vi.advanceTimersByTime(200);
    expect(r.text()).toBe(Array.from({ length: 200 }, (_, i) => `${i},`).join(''));
    const arrivals = r.got.map((g) => g.at);
    const delays = arrivals.map((at, i) => at - (sentAt[i] as number));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(30);
    expect(Math.max(...delays)).toBeLessThanOrEqual(80);
    // The jitter is real: delays spread over most of the 50 ms, not a constant.
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(25);
    // In order: a late chunk holds back the ones behind it rather than being overtaken.
    expect(arrivals.every((at, i) => i === 0 || at >= (arrivals[i - 1] as number))).toBe(true);
  });

  it('caps the rate with a token bucket: 10,000 bytes at 2,000 B/s take ~5 s, in small slices', () => {
    const r = recorder();
    const link = createLink({ bytesPerSecond: 2_000 });
    link.write(Buffer.alloc(10_000, 'x'), r.deliver);
    link.push(r.action('end'));
    vi.advanceTimersByTime(10_000);
    expect(r.got.at(-1)).toMatchObject({ text: 'end' });
    const slices = r.got.slice(0, -1);
    expect(slices.reduce((sum, g) => sum + g.text.length, 0)).toBe(10_000);
    // The first burst (50 ms of the rate) leaves at once; the rest at the rate.
    expect(Math.max(...slices.map((g) => g.text.length))).toBeLessThanOrEqual(100);
    const lastAt = (slices.at(-1) as { at: number }).at;
    expect(lastAt).toBeGreaterThanOrEqual(4_900);
    expect(lastAt).toBeLessThanOrEqual(5_000);
    // No second of the run saw more than the rate (plus one burst).
    for (let second = 0; second < 5; second++) {
      const inSecond = slices.filter((g) => g.at >= second * 1_000 && g.at < (second + 1) * 1_000).reduce((sum, g) => sum + g.text.length, 0);
      expect(inSecond).toBeLessThanOrEqual(2_100);
    }
  });

  it('stalls for stall.durationMs from stall.afterMs, then delivers what it held, in order, connection up', () => {
    const r = recorder();
    const link = createLink({ stall: { afterMs: 1_000, durationMs: 3_000 } });
    for (let i = 0; i < 50; i++) {
      link.write(Buffer.from(`${i},`), r.deliver);
      vi.advanceTimersByTime(100);
    }
    vi.advanceTimersByTime(100);
    expect(r.text()).toBe(Array.from({ length: 50 }, (_, i) => `${i},`).join(''));
    const at = r.got.map((g) => g.at);
    // 0..900 on time; 1000..3900 all released at 4000; then on time again.
    expect(at.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => i * 100));
    expect(at.slice(10, 41).every((t) => t === 4_000)).toBe(true);
    expect(at.slice(41)).toEqual(Array.from({ length: 9 }, (_, i) => 4_100 + i * 100));
  });

  it('stalls after exactly stall.afterBytes bytes, cutting the chunk that crosses it', () => {
    const r = recorder();
    let stalls = 0;
    const link = createLink({ stall: { afterBytes: 5, durationMs: 2_000 }, onStall: () => stalls++ });
    link.write(Buffer.from('abcdefgh'), r.deliver);
    link.push(r.action('|end'));
    expect(r.text()).toBe('abcde');
    vi.advanceTimersByTime(1_999);
    expect(r.text()).toBe('abcde');
    vi.advanceTimersByTime(1);
    expect(r.text()).toBe('abcdefgh|end');
    expect(stalls).toBe(1);
  });

  it('goes half-open after halfOpen.afterMs: nothing more arrives, not even the end, and it says so once', () => {
    const r = recorder();
    let halfOpen = 0;
    const link = createLink({ delayMs: 10, halfOpen: { afterMs: 500 }, onHalfOpen: () => halfOpen++ });
    for (let i = 0; i < 10; i++) {
      link.write(Buffer.from(`${i},`), r.deliver);
      vi.advanceTimersByTime(100);
    }
    link.push(r.action('end'));
    vi.advanceTimersByTime(10_000);
    // Sent at 0..400 (left before 500, arrive 10 ms later); 500.. swallowed, the end too.
    expect(r.text()).toBe('0,1,2,3,4,');
    expect(link.isSilent()).toBe(true);
    expect(halfOpen).toBe(1);
  });

  it('goes half-open after halfOpen.afterBytes, delivering the bytes before it', () => {
    const r = recorder();
    const link = createLink({ halfOpen: { afterBytes: 3 } });
    link.write(Buffer.from('ab'), r.deliver);
    link.write(Buffer.from('cdef'), r.deliver);
    link.push(r.action('end'));
    vi.advanceTimersByTime(1_000);
    expect(r.text()).toBe('abc');
  });

  it('reports congestion past the high-water mark and drains once the bytes left', () => {
    let drained = 0;
    const link = createLink({ stall: { afterMs: 0, durationMs: 1_000 }, onDrain: () => drained++ });
    link.write(Buffer.alloc(HIGH_WATER_BYTES + 1), () => undefined);
    expect(link.congested()).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect(link.congested()).toBe(false);
    expect(drained).toBe(1);
  });

  it('drops what waits when cleared', () => {
    const r = recorder();
    const link = createLink({ delayMs: 20 });
    link.write(Buffer.from('never'), r.deliver);
    link.clear();
    link.write(Buffer.from('after'), r.deliver);
    vi.advanceTimersByTime(100);
    expect(r.got).toEqual([]);
  });
});
