import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformProxy, type PlatformProxy } from '../../../src/platform/index.js';
import { fetchTimed, startTinyUpstream, type TinyUpstream } from './helpers.js';

let upstream: TinyUpstream;
let direct: PlatformProxy;
let delayed: PlatformProxy;

beforeAll(async () => {
  upstream = await startTinyUpstream();
  direct = await startPlatformProxy({ upstream: upstream.url, profiles: ['self-hosted'] });
  delayed = await startPlatformProxy({ upstream: upstream.url, profiles: ['self-hosted'], addedDelayMs: 60 });
});
afterAll(async () => {
  await Promise.all([direct.close(), delayed.close()]);
  await upstream.close();
});

describe('startPlatformProxy with addedDelayMs', () => {
  it('delays the request up and the response head down by the added delay each', async () => {
    const result = await fetchTimed(`${delayed.url}/hello`);
    expect(result.status).toBe(200);
    expect(result.body).toBe('hello');
    // 60 ms up + 60 ms down, plus loopback time.
    expect(result.headersAtMs).toBeGreaterThanOrEqual(115);
    expect(result.headersAtMs).toBeLessThan(400);
  });

  it('delays every event by the same amount, in order and in separate reads (no buffering)', async () => {
    const plain = await fetchTimed(`${direct.url}/sse?n=5&every=50`);
    const result = await fetchTimed(`${delayed.url}/sse?n=5&every=50`);
    expect(result.body.match(/"seq":(\d+)/g)).toEqual(['"seq":1', '"seq":2', '"seq":3', '"seq":4', '"seq":5']);
    expect(result.ended).toBe('end');
    // Each event still arrives in its own read, ~50 ms apart: a delay, not a buffer.
    const eventReads = result.reads.filter((read) => read.text.includes('data:'));
    expect(eventReads.length).toBe(5);
    const gaps = eventReads.slice(1).map((read, i) => read.atMs - (eventReads[i] as { atMs: number }).atMs);
    for (const gap of gaps) expect(gap).toBeGreaterThan(25);
    // The first event arrives ~120 ms (up + down) later than without the delay.
    const plainFirst = plain.reads.find((read) => read.text.includes('data:'))?.atMs ?? NaN;
    const first = eventReads[0]?.atMs ?? NaN;
    expect(first - plainFirst).toBeGreaterThan(100);
    expect(first - plainFirst).toBeLessThan(300);
  });

  it('refuses a negative delay', async () => {
    await expect(startPlatformProxy({ upstream: upstream.url, profiles: ['self-hosted'], addedDelayMs: -1 })).rejects.toThrow(/addedDelayMs/);
  });
});
