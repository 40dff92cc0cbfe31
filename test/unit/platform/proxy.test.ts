import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformProfileSchema, type PlatformProfileInput } from '../../../src/core/platform-profile.js';
import { startPlatformProxy, type PlatformProxy } from '../../../src/platform/index.js';
import { fetchTimed, startTinyUpstream, type TinyUpstream } from './helpers.js';

const profile = (input: Omit<PlatformProfileInput, 'description' | 'source'>) =>
  platformProfileSchema.parse({ description: 'test', source: 'test', ...input });

let upstream: TinyUpstream;
const proxies: PlatformProxy[] = [];

async function proxyWith(profiles: Parameters<typeof startPlatformProxy>[0]['profiles'], timeScale?: number): Promise<PlatformProxy> {
  const proxy = await startPlatformProxy({ upstream: upstream.url, profiles, ...(timeScale ? { timeScale } : {}) });
  proxies.push(proxy);
  return proxy;
}

beforeAll(async () => {
  upstream = await startTinyUpstream();
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await upstream.close();
});

describe('startPlatformProxy', () => {
  it('streams events through unchanged, one read per event, behind self-hosted', async () => {
    const proxy = await proxyWith(['self-hosted']);
    const direct = await fetchTimed(`${upstream.url}/sse?n=4&every=30`);
    const through = await fetchTimed(`${proxy.url}/sse?n=4&every=30`);
    expect(through.status).toBe(200);
    expect(through.headers['content-type']).toBe('text/event-stream');
    expect(through.body.split('\n\n').length).toBe(direct.body.split('\n\n').length);
    expect(through.reads.length).toBeGreaterThanOrEqual(4);
  });

  it('cuts a stream at the time-scaled function limit the way a host ends an invocation', async () => {
    // vercel-hobby's 10 s at ×0.03 is 300 ms; the upstream would stream for 2 s.
    const proxy = await proxyWith(['vercel-hobby'], 0.03);
    expect(proxy.profile.maxDurationMs).toBe(300);
    const result = await fetchTimed(`${proxy.url}/sse?n=100&every=20`);
    expect(result.ended).toBe('end');
    expect(result.endedAtMs).toBeGreaterThan(280);
    expect(result.endedAtMs).toBeLessThan(800);
    expect(result.body).toContain('"seq":5');
    expect(result.body).not.toContain('"seq":100');
    expect(proxy.stats().cut).toBe(1);
  });

  it('answers 504 when the time limit passes before the upstream answers', async () => {
    const proxy = await proxyWith([profile({ name: 'short', maxDurationMs: 100 })]);
    const result = await fetchTimed(`${proxy.url}/slow?ms=1000`);
    expect(result.status).toBe(504);
    expect(result.endedAtMs).toBeGreaterThan(90);
    expect(result.endedAtMs).toBeLessThan(600);
  });

  it('ends a response after the idle timeout when the upstream sends nothing', async () => {
    const proxy = await proxyWith([profile({ name: 'idle', idleTimeoutMs: 200 })]);
    const silent = await fetchTimed(`${proxy.url}/sse?n=0`);
    expect(silent.endedAtMs).toBeGreaterThan(180);
    expect(silent.endedAtMs).toBeLessThan(700);
    expect(proxy.stats().idleTimeouts).toBe(1);
    // A stream that writes every 50 ms is never idle for 200 ms.
    const busy = await fetchTimed(`${proxy.url}/sse?n=8&every=50`);
    expect(busy.body).toContain('"seq":8');
    expect(proxy.stats().idleTimeouts).toBe(1);
  });

  it('holds events back until the byte threshold, then flushes them together', async () => {
    const proxy = await proxyWith([profile({ name: 'bytes', buffering: { untilBytes: 1000 } })]);
    // ~160-byte events every 15 ms: about 7 events per 1000-byte flush.
    const result = await fetchTimed(`${proxy.url}/sse?n=20&every=15&pad=100`);
    expect(result.body).toContain('"seq":20');
    const eventReads = result.reads.filter((r) => r.text.includes('data:'));
    expect(eventReads.length).toBeLessThanOrEqual(5);
    expect(Math.max(...eventReads.map((r) => r.text.split('data:').length - 1))).toBeGreaterThanOrEqual(5);
  });

  it('delivers nothing until the upstream ends when it buffers until close', async () => {
    const proxy = await proxyWith(['cdn-buffering']);
    const result = await fetchTimed(`${proxy.url}/sse?n=10&every=30`);
    const eventReads = result.reads.filter((r) => r.text.includes('data:'));
    expect(eventReads.length).toBe(1);
    expect(eventReads[0]?.atMs).toBeGreaterThan(250);
    expect(result.body).toContain('"seq":10');
  });

  it("turns nginx-default's buffering off when the upstream sends X-Accel-Buffering: no, and hides the header", async () => {
    const proxy = await proxyWith(['nginx-default']);
    const honoured = await fetchTimed(`${proxy.url}/sse?n=5&every=30&accel=no`);
    expect(honoured.reads.filter((r) => r.text.includes('data:')).length).toBeGreaterThanOrEqual(4);
    expect(honoured.headers['x-accel-buffering']).toBeUndefined();
    const buffered = await fetchTimed(`${proxy.url}/sse?n=5&every=30`);
    expect(buffered.reads.filter((r) => r.text.includes('data:')).length).toBe(1);
    // As real nginx does, the response head waits with the buffered body.
    expect(honoured.headersAtMs).toBeLessThan(100);
    expect(buffered.headersAtMs).toBeGreaterThan(120);
  });

  it('closes the connection without ending the response on an idle timeout, as nginx does', async () => {
    const proxy = await proxyWith([profile({ name: 'idle-close', idleTimeoutMs: 150 })]);
    const result = await fetchTimed(`${proxy.url}/sse?n=0`);
    expect(result.status).toBe(200);
    expect(result.ended).toBe('error');
  });

  it('flushes what it holds and ends the stream when a time limit cuts a buffered response', async () => {
    const proxy = await proxyWith([profile({ name: 'cdn-cut', buffering: 'until_close', maxDurationMs: 250 })]);
    const result = await fetchTimed(`${proxy.url}/sse?n=100&every=20`);
    expect(result.status).toBe(200);
    expect(result.headersAtMs).toBeGreaterThan(200);
    expect(result.ended).toBe('end');
    expect(result.body).toContain('"seq":5');
  });

  it('buffers when a layer between nginx and the upstream strips X-Accel-Buffering', async () => {
    const stripper = profile({ name: 'stripper', stripResponseHeaders: ['X-Accel-Buffering'] });
    const proxy = await proxyWith(['nginx-default', stripper]);
    expect(proxy.profile.honourAccelBuffering).toBe(false);
    const result = await fetchTimed(`${proxy.url}/sse?n=5&every=30&accel=no`);
    expect(result.reads.filter((r) => r.text.includes('data:')).length).toBe(1);
  });

  it('refuses connections past the cap with the profile status and body, and frees the slot after', async () => {
    const capped = profile({ name: 'capped', maxConnections: 2, refusal: { status: 503, body: 'too many', headers: { 'retry-after': '1' } } });
    const proxy = await proxyWith([capped]);
    const held = [fetchTimed(`${proxy.url}/sse?n=5&every=60`), fetchTimed(`${proxy.url}/sse?n=5&every=60`)];
    await new Promise((resolve) => setTimeout(resolve, 80));
    const refused = await fetchTimed(`${proxy.url}/sse?n=1`);
    expect(refused.status).toBe(503);
    expect(refused.body).toBe('too many');
    expect(refused.headers['retry-after']).toBe('1');
    await Promise.all(held);
    const after = await fetchTimed(`${proxy.url}/sse?n=1`);
    expect(after.status).toBe(200);
    expect(proxy.stats()).toMatchObject({ refused: 1, active: 0 });
  });

  it('strips or rewrites CORS headers and keeps the others', async () => {
    const strip = await proxyWith([profile({ name: 'strip', cors: 'strip' })]);
    const stripped = await fetchTimed(`${strip.url}/hello`, { origin: 'https://app.example' });
    expect(stripped.headers['access-control-allow-origin']).toBeUndefined();
    expect(stripped.headers['x-custom']).toBe('kept');
    const preflight = await fetchTimed(`${strip.url}/hello`, { origin: 'https://app.example' }, 'OPTIONS');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();

    const rewrite = await proxyWith([profile({ name: 'rewrite', cors: { allowOrigin: 'https://other.example', allowCredentials: true } })]);
    const rewritten = await fetchTimed(`${rewrite.url}/hello`, { origin: 'https://app.example' });
    expect(rewritten.headers['access-control-allow-origin']).toBe('https://other.example');
    expect(rewritten.headers['access-control-allow-credentials']).toBe('true');
  });

  it('answers 502 when the upstream cannot be reached', async () => {
    const proxy = await startPlatformProxy({ upstream: 'http://127.0.0.1:1', profiles: ['self-hosted'] });
    proxies.push(proxy);
    const result = await fetchTimed(`${proxy.url}/sse`);
    expect(result.status).toBe(502);
  });

  it('stops listening when its signal aborts', async () => {
    const controller = new AbortController();
    const proxy = await startPlatformProxy({ upstream: upstream.url, profiles: ['self-hosted'], signal: controller.signal });
    controller.abort();
    await proxy.close();
    await expect(fetchTimed(`${proxy.url}/hello`)).rejects.toThrow();
  });
});
