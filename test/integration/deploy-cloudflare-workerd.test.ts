/**
 * The Cloudflare adapter in the real Workers runtime: deploy/cloudflare/worker.ts bundled the way
 * wrangler bundles it (esbuild, the `workerd`/`worker`/`browser` conditions, wrangler.toml's
 * `[alias]`), run by workerd (the `workerd` binary that the miniflare package ships), with
 * wrangler.toml's compatibility date and `[vars]`, and the secret as a binding. Requests go over
 * loopback HTTP into workerd, so what Workers forbid (timers in the global scope, I/O across
 * requests) fails here as it would on Cloudflare.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parse as parseToml } from 'smol-toml';
import type { Miniflare as MiniflareClass } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/core/jwt.js';
import { createSseParser, type SseEvent } from '../../src/core/sse-parser.js';
import { CLOUDFLARE } from '../../deploy/cloudflare/platform.js';
import { readSse, type SseRead } from '../helpers/sse-body.js';

const cloudflareDir = fileURLToPath(new URL('../../deploy/cloudflare/', import.meta.url));
const SECRET = 'deploy-cloudflare-test-secret';

// miniflare is a devDependency; its workerd binary comes from a platform package that may be absent.
function findMiniflare(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('miniflare');
  } catch {
    return undefined;
  }
}
const miniflarePath = findMiniflare();
if (!miniflarePath) console.warn('deploy-cloudflare-workerd: skipped, miniflare (and its workerd binary) is not installed: npm ci');

interface WranglerConfig {
  main: string;
  compatibility_date: string;
  vars: Record<string, string>;
  alias?: Record<string, string>;
}

async function bundleWorker(config: WranglerConfig): Promise<string> {
  const alias = Object.fromEntries(
    Object.entries(config.alias ?? {}).map(([name, path]) => [name, fileURLToPath(new URL(path, `file://${cloudflareDir}`))]),
  );
  const result = await build({
    entryPoints: [fileURLToPath(new URL(config.main, `file://${cloudflareDir}`))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    alias,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.text ?? '';
  // A Worker without nodejs_compat has no node:* modules: the bundle must import nothing.
  const imports = code.split('\n').filter((line) => /^import\s/.test(line));
  if (imports.length > 0) throw new Error(`the Worker bundle imports modules workerd lacks: ${imports.join('; ')}`);
  return code;
}

const readEvents = (response: Response, count: number, timeoutMs: number, keepOpen = false): Promise<SseRead> => readSse(response, { events: count, timeoutMs, keepOpen });

const bounded = (init: RequestInit = {}): RequestInit => ({ ...init, signal: AbortSignal.timeout(20_000) });

describe.skipIf(!miniflarePath)('the Cloudflare adapter in workerd', () => {
  const config = parseToml(readFileSync(`${cloudflareDir}wrangler.toml`, 'utf8')) as unknown as WranglerConfig;
  let dispose: (() => Promise<void>) | undefined;
  let origin: string;
  let token: string;

  beforeAll(async () => {
    expect(existsSync(`${cloudflareDir}${config.main}`)).toBe(true);
    const script = await bundleWorker(config);
    const { Miniflare } = (await import(miniflarePath!)) as { Miniflare: typeof MiniflareClass };
    const options = JSON.parse(config.vars.STREAMSOAK_SERVER_OPTIONS ?? '{}') as Record<string, unknown>;
    const mf = new Miniflare({
      modules: true,
      script,
      compatibilityDate: config.compatibility_date,
      host: '127.0.0.1',
      port: 0,
      bindings: {
        ...config.vars,
        // Short test stream (20 × 150 ms) and fast ticks, on top of wrangler.toml's options.
        STREAMSOAK_SERVER_OPTIONS: JSON.stringify({ ...options, testStreamMessages: 20, testStreamIntervalMs: 150, tickIntervalMs: 100 }),
        JWT_ACCESS_SECRET: SECRET,
      },
    });
    dispose = () => mf.dispose();
    origin = (await mf.ready).origin;
    token = await signToken({ userId: 'cf-user', secret: SECRET, ttlSeconds: 300 });
  }, 60_000);

  afterAll(async () => {
    await dispose?.();
  });

  it('delivers the test stream’s first event while the stream is still open', async () => {
    const response = await fetch(`${origin}/api/calls/events/test`, bounded());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-streamsoak-platform')).toBe('cloudflare');
    const { events, ended, reader } = await readEvents(response, 2, 10_000);
    await reader.cancel();
    expect(ended).toBe(false);
    expect(events).toHaveLength(2);
    expect(events[0]!.atMs).toBeLessThan(1_500);
  });

  it('answers 401 and no stream without a token', async () => {
    const response = await fetch(`${origin}/api/calls/events`, bounded());
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).not.toMatch(/event-stream/);
    await response.body?.cancel();
  });

  it('keeps two streams of two requests flowing, and the second after the first is gone', async () => {
    // Both streams share one tick timer, armed during the first request: workerd must let it
    // write to the second request's stream, and go on after the first request has ended.
    const headers = { authorization: `Bearer ${token}` };
    const first = await fetch(`${origin}/api/calls/events`, bounded({ headers }));
    const firstRead = await readEvents(first, 1, 10_000, true);
    const second = await fetch(`${origin}/api/calls/events`, bounded({ headers }));
    const secondReader = second.body!.getReader();
    expect(firstRead.events).toHaveLength(1);
    await firstRead.reader.cancel();
    const events: SseEvent[] = [];
    const parser = createSseParser({ onEvent: (event) => events.push(event) });
    const deadline = Date.now() + 10_000;
    while (events.length < 4 && Date.now() < deadline) {
      const { done, value } = await secondReader.read();
      if (done) break;
      parser.push(value);
    }
    await secondReader.cancel();
    expect(events.length).toBeGreaterThanOrEqual(4);
    const seqs = events.map((event) => (JSON.parse(event.data) as { seq: number }).seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('states the platform and tick mode in /api/health, and answers /metrics with 501', async () => {
    const health = await fetch(`${origin}/api/health`, bounded());
    expect(await health.json()).toMatchObject({
      mode: 'tick',
      platform: { name: 'cloudflare', modes: ['tick'], maxDurationSeconds: CLOUDFLARE.maxDurationSeconds },
    });
    const metrics = await fetch(`${origin}/metrics`, bounded());
    expect(metrics.status).toBe(501);
    await metrics.body?.cancel();
  });

  it('refuses bus mode', async () => {
    const response = await fetch(`${origin}/api/calls/events?mode=bus`, bounded({ headers: { authorization: `Bearer ${token}` } }));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'bus_unavailable' });
  });
});
