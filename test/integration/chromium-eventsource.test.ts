/**
 * The browser test: Chromium's own EventSource (Debian's /usr/bin/chromium, headless, driven
 * by playwright-core) on a page of one loopback origin, reading the reference server on another
 * (127.0.0.1 vs 127.0.0.2: a cross-origin request with credentials). It must receive events, and
 * after the server drops its stream, reconnect by itself with Last-Event-ID and get the events it
 * missed, with no duplicates.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/core/jwt.js';
import { startReferenceServer, type RunningServer } from '../../src/server/index.js';
import { chromiumLaunchOptions } from '../helpers/chromium.js';
import { CHROMIUM, hasTools } from '../helpers/tools.js';

const hasChromium = hasTools('chromium-eventsource', CHROMIUM);

const SECRET = 'chromium-secret';
const PAGE = `<!doctype html><meta charset="utf-8"><title>streamsoak EventSource</title>
<script>
  window.received = [];
  window.opens = 0;
  window.errors = 0;
  window.start = (url) => {
    const source = new EventSource(url, { withCredentials: true });
    source.onopen = () => { window.opens++; };
    source.onerror = () => { window.errors++; };
    source.onmessage = (event) => {
      const data = JSON.parse(event.data);
      window.received.push({ id: event.lastEventId, seq: data.seq, stream: data.stream, origin: event.origin });
    };
    window.source = source;
  };
</script>`;

interface Received {
  id: string;
  seq: number;
  stream: string;
  origin: string;
}

describe.skipIf(!hasChromium)("Chromium's EventSource against the reference server, cross-origin", () => {
  let pageServer: http.Server;
  let pageOrigin: string;
  let api: RunningServer;
  let browser: Browser;
  let page: Page;
  const extraServers: RunningServer[] = [];

  beforeAll(async () => {
    pageServer = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
    // Another loopback address, so the page's origin and the API's differ.
    api = await startReferenceServer({
      jwtSecret: SECRET,
      host: '127.0.0.2',
      port: 0,
      corsOrigins: [pageOrigin],
      tickIntervalMs: 100,
      retryMs: 300,
      heartbeatMs: 0,
      publishIntervalMs: 0,
    });
    browser = await chromium.launch(chromiumLaunchOptions());
    page = await browser.newPage();
    await page.goto(`${pageOrigin}/`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await Promise.all(extraServers.map((server) => server.close()));
    await new Promise<void>((resolve) => (pageServer ? pageServer.close(() => resolve()) : resolve()));
  });

  const received = (): Promise<Received[]> => page.evaluate(() => (window as unknown as { received: Received[] }).received);
  const waitForCount = (count: number): Promise<unknown> =>
    page.waitForFunction((n) => (window as unknown as { received: unknown[] }).received.length >= n, count, { timeout: 15_000 });

  it('receives events, reconnects by itself after the server drops the stream, and gets the missed events without duplicates', async () => {
    const token = await signToken({ userId: 'browser-user', secret: SECRET });
    await page.evaluate((url) => (window as unknown as { start(url: string): void }).start(url), `${api.url}/api/calls/events?token=${token}`);
    await waitForCount(5);
    expect(api.subscriberCount()).toBe(1);
    const before = await received();
    const stream = before[0]!.stream;
    expect(before[0]!.origin).toBe(api.url);

    api.dropAllStreams();
    const dropSeq = (await received()).length;
    // EventSource reconnects after `retry:` (300 ms) on its own; meanwhile ~3 ticks fall due.
    await page.waitForFunction(() => (window as unknown as { opens: number }).opens >= 2, undefined, { timeout: 15_000 });
    await waitForCount(dropSeq + 8);
    const after = await received();

    // The same stream continued (only possible if the browser sent Last-Event-ID) ...
    expect(new Set(after.map((event) => event.stream))).toEqual(new Set([stream]));
    // ... with every sequence number exactly once, in order: nothing lost, nothing duplicated.
    const seqs = after.map((event) => event.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(after.every((event) => event.id === `${stream}:${event.seq}`)).toBe(true);
    // The ticks scheduled while the browser was away came from the replay.
    expect(api.app?.stats.eventsReplayed).toBeGreaterThanOrEqual(1);
    expect(api.app?.stats.connectionsOpened.tick).toBe(2);
  });

  it('authenticates with an access_token cookie and replays bus events published while it was away', async () => {
    // Chromium here blocks third-party cookies, so the cookie case uses an API origin of the same
    // site (127.0.0.1, another port): still cross-origin, so credentials must be granted by CORS.
    const sameSiteApi = await startReferenceServer({ jwtSecret: SECRET, host: '127.0.0.1', port: 0, corsOrigins: [pageOrigin], retryMs: 300, heartbeatMs: 0, publishIntervalMs: 0 });
    extraServers.push(sameSiteApi);
    const context = await browser.newContext();
    const token = await signToken({ userId: 'cookie-user', secret: SECRET, admin: true });
    await context.addCookies([{ name: 'access_token', value: token, domain: '127.0.0.1', path: '/', sameSite: 'Lax', httpOnly: true }]);
    const other = await context.newPage();
    await other.goto(`${pageOrigin}/`);
    await other.evaluate((url) => (window as unknown as { start(url: string): void }).start(url), `${sameSiteApi.url}/api/calls/events?mode=bus`);
    await other.waitForFunction(() => (window as unknown as { opens: number }).opens >= 1, undefined, { timeout: 15_000 });
    const emit = async (n: number): Promise<void> => {
      const response = await fetch(`${sameSiteApi.url}/api/calls/emit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'cookie-user', data: { n } }),
      });
      expect(response.status).toBe(200);
    };
    for (let n = 1; n <= 3; n++) await emit(n);
    await other.waitForFunction(() => (window as unknown as { received: unknown[] }).received.length >= 3, undefined, { timeout: 15_000 });

    sameSiteApi.dropAllStreams();
    // Published while the browser waits out its retry delay: only Last-Event-ID can bring them back.
    for (let n = 4; n <= 6; n++) await emit(n);
    await other.waitForFunction(() => (window as unknown as { opens: number }).opens >= 2, undefined, { timeout: 15_000 });
    await emit(7);
    await other.waitForFunction(() => (window as unknown as { received: unknown[] }).received.length >= 7, undefined, { timeout: 15_000 });
    const events = await other.evaluate(() => (window as unknown as { received: Received[] }).received);
    expect(events.map((event) => event.id)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(new Set(events.map((event) => event.stream))).toEqual(new Set(['user:cookie-user']));
    expect(sameSiteApi.app?.stats.eventsReplayed).toBe(3);
    await context.close();
  });

  it('refuses the stream without a token: EventSource sees an error and no events', async () => {
    const other = await browser.newPage();
    await other.goto(`${pageOrigin}/`);
    await other.evaluate((url) => (window as unknown as { start(url: string): void }).start(url), `${api.url}/api/calls/events`);
    await other.waitForFunction(() => (window as unknown as { errors: number }).errors >= 1, undefined, { timeout: 15_000 });
    // A 401 is fatal for EventSource: readyState CLOSED (2), never reconnects.
    expect(await other.evaluate(() => (window as unknown as { source: EventSource }).source.readyState)).toBe(2);
    expect(await other.evaluate(() => (window as unknown as { received: unknown[] }).received.length)).toBe(0);
    await other.close();
  });
});
