/**
 * The platform simulator's network faults on real sockets: a tiny upstream, the real proxy, a raw
 * client. Short real times with wide ranges (the machine is shared).
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformProxy, type PlatformProxy } from '../../../src/platform/index.js';
import { waitFor } from '../../helpers/wait.js';
import { fetchTimed, startTinyUpstream, type TinyUpstream } from './helpers.js';

let upstream: TinyUpstream;
const proxies: PlatformProxy[] = [];
beforeAll(async () => {
  upstream = await startTinyUpstream();
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await upstream.close();
});

async function proxyWith(faults: Parameters<typeof startPlatformProxy>[0]['faults'], timeScale = 1): Promise<PlatformProxy> {
  const proxy = await startPlatformProxy({ upstream: upstream.url, profiles: ['self-hosted'], faults, timeScale });
  proxies.push(proxy);
  return proxy;
}

const seqs = (body: string): number[] => [...body.matchAll(/"seq":(\d+)/g)].map((m) => Number(m[1]));

/** A raw HTTP/1.1 client: what it received, when, and whether a FIN or an error came. */
function rawGet(port: number, path: string) {
  const socket: Socket = connect(port, '127.0.0.1');
  const state = { text: '', lastDataAt: 0, ended: false, closed: false };
  socket.on('data', (chunk: Buffer) => {
    state.text += chunk.toString();
    state.lastDataAt = performance.now();
  });
  socket.on('end', () => (state.ended = true));
  socket.on('close', () => (state.closed = true));
  socket.on('error', () => undefined);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  return { socket, state };
}

describe('startPlatformProxy with network faults', () => {
  it('goes half-open: bytes stop, no FIN and no RST, the socket stays until the client gives up', async () => {
    const proxy = await proxyWith({ halfOpenAfterMs: 300 });
    const { socket, state } = rawGet(proxy.port, '/sse?n=60&every=25');
    await waitFor('the first events', async () => (seqs(state.text).length >= 3 ? true : undefined), { timeoutMs: 3_000, intervalMs: 20 });
    // The upstream writes for 1.5 s and ends; the client sees none of what comes after 300 ms.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const got = seqs(state.text);
    expect(got.length).toBeGreaterThan(3);
    expect(got.length).toBeLessThan(30);
    expect(got).toEqual(got.map((_, i) => i + 1));
    expect(performance.now() - state.lastDataAt).toBeGreaterThan(1_200);
    expect(state.ended).toBe(false);
    expect(state.closed).toBe(false);
    expect(proxy.stats()).toMatchObject({ faulted: 1, halfOpen: 1, sockets: 1 });
    // The client's idle timeout fires: it closes, and the proxy lets the socket go.
    socket.destroy();
    await waitFor('the proxy to close the socket', async () => (proxy.stats().sockets === 0 ? true : undefined), { timeoutMs: 3_000, intervalMs: 20 });
    expect(proxy.stats().active).toBe(0);
  });

  it('closes a half-open socket itself when the proxy closes', async () => {
    const proxy = await startPlatformProxy({ upstream: upstream.url, profiles: ['self-hosted'], faults: { halfOpenAfterBytes: 0 } });
    const { state } = rawGet(proxy.port, '/sse?n=0');
    await waitFor('the proxy to hold the socket', async () => (proxy.stats().halfOpen === 1 ? true : undefined), { timeoutMs: 3_000, intervalMs: 20 });
    expect(state.text).toBe('');
    await proxy.close();
    await waitFor('the client to see the close', async () => (state.closed ? true : undefined), { timeoutMs: 3_000, intervalMs: 20 });
    expect(proxy.stats().sockets).toBe(0);
  });

  it('stalls a stream for stallMs, then delivers every event in order on the same connection', async () => {
    const proxy = await proxyWith({ stallAfterMs: 300, stallMs: 900 });
    const result = await fetchTimed(`${proxy.url}/sse?n=20&every=50`);
    expect(result.ended).toBe('end');
    expect(seqs(result.body)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const gaps = result.reads.slice(1).map((read, i) => read.atMs - (result.reads[i] as { atMs: number }).atMs);
    const longest = Math.max(...gaps);
    expect(longest).toBeGreaterThan(700);
    expect(longest).toBeLessThan(2_000);
    expect(proxy.stats().stalls).toBe(1);
  });

  it('scales the stall times with timeScale', async () => {
    const proxy = await proxyWith({ stallAfterMs: 3_000, stallMs: 9_000 }, 0.1);
    expect(proxy.faults).toMatchObject({ stallAfterMs: 300, stallMs: 900 });
  });

  it('caps the bandwidth: the events arrive late but intact', async () => {
    const proxy = await proxyWith({ bandwidthBytesPerSecond: 4_000 });
    const direct = await fetchTimed(`${upstream.url}/sse?n=40&every=10&pad=200`);
    const result = await fetchTimed(`${proxy.url}/sse?n=40&every=10&pad=200`);
    const unstamped = (body: string): string => body.replace(/"sentAt":\d+/g, '"sentAt":0');
    expect(unstamped(result.body)).toBe(unstamped(direct.body));
    expect(seqs(result.body)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const bytes = Buffer.byteLength(result.body);
    expect(bytes).toBeGreaterThan(10_000);
    // The body ran at ≤ 4 kB/s (one burst of 200 bytes aside), where the upstream took ~0.4 s.
    const firstAt = (result.reads[0] as { atMs: number }).atMs;
    const ratePerSecond = (bytes - 200) / ((result.endedAtMs - firstAt) / 1_000);
    expect(ratePerSecond).toBeLessThan(4_000 * 1.05);
    expect(ratePerSecond).toBeGreaterThan(4_000 * 0.4);
    expect(direct.endedAtMs).toBeLessThan(1_500);
  });

  it('hits only faultRatio of the responses', async () => {
    const proxy = await proxyWith({ stallAfterMs: 0, stallMs: 1_000, faultRatio: 0.5 });
    const durations: number[] = [];
    for (let i = 0; i < 4; i++) durations.push((await fetchTimed(`${proxy.url}/hello`)).endedAtMs);
    // Every second response is stalled.
    expect(durations.map((ms) => ms > 700)).toEqual([false, true, false, true]);
    expect(proxy.stats()).toMatchObject({ requests: 4, faulted: 2 });
  });
});
