import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/core/random.js';
import { createFaultSelector, hasFaults, parseByteRate, parseByteSize, parseNetworkFaults, scaleFaults } from '../../../src/platform/network-faults.js';

describe('parseNetworkFaults', () => {
  it('defaults to no fault, hitting every response', () => {
    const faults = parseNetworkFaults(undefined);
    expect(faults).toEqual({ jitterMs: 0, faultRatio: 1 });
    expect(hasFaults(faults)).toBe(false);
    expect(hasFaults(parseNetworkFaults({ faultRatio: 0.5 }))).toBe(false);
    expect(hasFaults(parseNetworkFaults({ halfOpenAfterBytes: 0 }))).toBe(true);
  });

  it.each([
    [{ stallMs: 1_000 }, /stallAfterMs: stallMs needs/],
    [{ stallAfterMs: 1_000 }, /stallMs: required/],
    [{ stallAfterMs: 1, stallAfterBytes: 1, stallMs: 1 }, /stallAfterBytes: give stallAfterMs or stallAfterBytes, not both/],
    [{ halfOpenAfterMs: 1, halfOpenAfterBytes: 1 }, /halfOpenAfterBytes: give/],
    [{ faultRatio: 1.5 }, /faultRatio/],
    [{ bandwidthBytesPerSecond: 0 }, /bandwidthBytesPerSecond/],
    [{ jitterMs: -1 }, /jitterMs/],
    [{ jiter: 5 }, /jiter/],
  ])('refuses %j naming the field', (input, message) => {
    expect(() => parseNetworkFaults(input)).toThrow(message);
  });
});

describe('scaleFaults', () => {
  it('scales the stall and half-open times, not the jitter, bytes or rate', () => {
    const faults = parseNetworkFaults({ jitterMs: 20, bandwidthBytesPerSecond: 1_000, stallAfterMs: 50_000, stallMs: 100_000, halfOpenAfterMs: 30_000 });
    expect(scaleFaults(faults, 0.1)).toEqual({ ...faults, stallAfterMs: 5_000, stallMs: 10_000, halfOpenAfterMs: 3_000 });
    const byBytes = parseNetworkFaults({ stallAfterBytes: 4_096, stallMs: 10_000, halfOpenAfterBytes: 8_192 });
    expect(scaleFaults(byBytes, 0.5)).toEqual({ ...byBytes, stallMs: 5_000 });
  });
});

describe('createFaultSelector', () => {
  it.each([
    [0, 0],
    [0.3, 30],
    [0.5, 50],
    [1, 100],
  ])('hits exactly %d of the responses, spread evenly', (ratio, hits) => {
    const select = createFaultSelector(ratio);
    const picks = Array.from({ length: 100 }, () => select());
    expect(picks.filter(Boolean)).toHaveLength(hits);
    // Any 10 in a row hold ratio × 10 hits, give or take one.
    for (let start = 0; start + 10 <= 100; start += 10) {
      expect(Math.abs(picks.slice(start, start + 10).filter(Boolean).length - ratio * 10)).toBeLessThanOrEqual(1);
    }
  });
});

describe('createRandom', () => {
  it('repeats with a seed and stays in [0, 1)', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const values = Array.from({ length: 1_000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1_000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(990);
    expect(values.reduce((s, v) => s + v, 0) / values.length).toBeCloseTo(0.5, 1);
  });
});

describe('parseByteSize and parseByteRate', () => {
  it.each([
    ['4096', 4_096],
    ['512B', 512],
    ['64kB', 64_000],
    ['64KiB', 65_536],
    ['1.5MB', 1_500_000],
    ['8kbit', 1_000],
  ])('reads the size %s', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it('reads rates with or without /s and refuses what is not one', () => {
    expect(parseByteRate('10kB/s')).toBe(10_000);
    expect(parseByteRate('1Mbit/s')).toBe(125_000);
    expect(parseByteRate('2000')).toBe(2_000);
    for (const bad of ['fast', '10kb/s', '-1kB', '10 kB per second', '']) expect(parseByteRate(bad)).toBeUndefined();
  });
});
