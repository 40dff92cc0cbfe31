/**
 * Remote measurement (issue 8): the engine against a reference server whose clock is deliberately
 * offset, behind the platform simulator with added network delay. The engine estimates the offset
 * from /api/time and corrects every latency with it; the corrected latency must land within the
 * stated uncertainty of the one-way delay — without the correction it would be off by the offset.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRunSummary } from '../../src/cli/progress.js';
import { runPlan } from '../../src/engine/index.js';
import { parsePlan } from '../../src/engine/plan.js';
import { startPlatformProxy } from '../../src/platform/index.js';
import { writeHtmlReport } from '../../src/report/html/html-report.js';
import { startReferenceServer } from '../../src/server/index.js';

const SECRET = 'clock-offset-secret';
const ONE_WAY_DELAY_MS = 40;
// Server-side queueing, the proxy's hop and our receive path, on top of the one-way delay: loopback
// on a shared 2-core machine, so generous, but three orders of magnitude below the offsets tested.
const PROCESSING_SLACK_MS = 40;
let resultsDir: string;

beforeAll(async () => {
  resultsDir = await mkdtemp(join(tmpdir(), 'streamsoak-clock-'));
});
afterAll(async () => {
  await rm(resultsDir, { recursive: true, force: true });
});

/**
 * The true offset between the server's clock and the engine's: the server reads `Date.now()` and adds
 * its `clockOffsetMs`; the engine reads `performance.timeOrigin + performance.now()`, which may sit a
 * little apart from `Date.now()` in a long-lived process. Same process here, so that gap is known.
 */
function trueOffsetMs(clockOffsetMs: number): number {
  return clockOffsetMs + (Date.now() - (performance.timeOrigin + performance.now()));
}

describe('engine clock-offset correction across a delayed link', () => {
  for (const { clockOffsetMs, workers } of [
    { clockOffsetMs: 2_500, workers: 1 },
    { clockOffsetMs: -1_500, workers: 2 },
  ]) {
    it(`estimates a ${clockOffsetMs} ms server clock within its uncertainty and corrects latency to the one-way delay (${workers} worker${workers === 1 ? '' : 's'})`, async () => {
      const server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET, mode: 'bus', publishIntervalMs: 200, heartbeatMs: 0, clockOffsetMs });
      const proxy = await startPlatformProxy({ upstream: server.url, profiles: ['self-hosted'], addedDelayMs: ONE_WAY_DELAY_MS });
      try {
        const outcome = await runPlan(
          parsePlan({
            target: { baseUrl: proxy.url },
            auth: { secret: SECRET },
            // Loopback would be `same-host` under `auto`: the test asks for the remote method.
            clock: 'api-time',
            sse: { clients: 8 },
            poll: { clients: 4, intervalMs: 500 },
            duration: '3s',
            workers,
          }),
          { resultsDir },
        );
        const summary = outcome.summary;
        const clock = summary.clock;
        const truth = trueOffsetMs(clockOffsetMs);
        expect(clock?.method).toBe('api-time');
        const offset = clock?.offsetMs as number;
        const uncertainty = clock?.uncertaintyMs as number;
        // The best exchange crossed the delayed link both ways: its round trip is at least 2 × 40 ms.
        expect(clock?.roundTripMs).toBeGreaterThanOrEqual(2 * ONE_WAY_DELAY_MS - 1);
        expect(uncertainty).toBeGreaterThanOrEqual(ONE_WAY_DELAY_MS - 1);
        expect(uncertainty).toBeLessThan(ONE_WAY_DELAY_MS + 60);
        // The contract: the true offset lies within the stated uncertainty of the estimate.
        expect(Math.abs(offset - truth)).toBeLessThanOrEqual(uncertainty);
        expect(clock?.driftMs).toBeDefined();
        expect(Math.abs(clock?.driftMs as number)).toBeLessThanOrEqual(2 * uncertainty);
        expect(clock?.note).toMatch(/^± \d+(\.\d)? ms \(clock offset uncertainty\)$/);

        // Corrected latency ≈ one-way delay (+ processing), within the offset's uncertainty.
        const latency = summary.metrics.sse_event_latency?.values ?? {};
        expect(latency.count).toBe(summary.metrics.sse_events?.values.count);
        expect(latency.count).toBeGreaterThan(8 * 5 * 3 * 0.5);
        const p50 = latency.med as number;
        expect(p50).toBeGreaterThanOrEqual(ONE_WAY_DELAY_MS - uncertainty);
        expect(p50).toBeLessThanOrEqual(ONE_WAY_DELAY_MS + PROCESSING_SLACK_MS + uncertainty);
        // Uncorrected, every figure would be off by the whole offset (2.5 s or −1.5 s).
        expect(Math.abs(p50 + offset - ONE_WAY_DELAY_MS)).toBeGreaterThan(1_000);
        // Polling delivery delay is read against the same corrected clock: between the one-way delay
        // and one interval plus the round trip, never negative or seconds long.
        const pollDelay = summary.metrics.poll_delivery_delay?.values ?? {};
        expect(pollDelay.count).toBeGreaterThan(0);
        expect(pollDelay.min).toBeGreaterThanOrEqual(ONE_WAY_DELAY_MS - uncertainty);
        expect(pollDelay.max).toBeLessThan(500 + 4 * ONE_WAY_DELAY_MS + PROCESSING_SLACK_MS + uncertainty);
        expect(summary.metrics.sse_events_lost?.values.count).toBe(0);

        // The report and the terminal summary carry the uncertainty beside the latency figures.
        const html = await readFile(await writeHtmlReport(outcome.outDir), 'utf8');
        expect(html).toContain(clock?.note as string);
        expect(formatRunSummary(summary, outcome.outDir).find((line) => line.startsWith('  latency'))).toContain(clock?.note as string);
        console.log(
          `clock ${clockOffsetMs} ms (true ${truth.toFixed(3)}): estimated ${offset} ± ${uncertainty} ms (rtt ${clock?.roundTripMs} ms, drift ${clock?.driftMs} ms); ` +
            `corrected latency p50 ${p50} ms, p95 ${latency['p(95)']} ms; poll delay p50 ${pollDelay.med} ms`,
        );
      } finally {
        await proxy.close();
        await server.close();
      }
    });
  }
});

/** Someone else's SSE server: sequence-numbered events, streams cut after 600 ms, and no usable /api/time. */
async function startForeignServer(timeAnswer: 'missing' | 'not-json'): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/time') {
      if (timeAnswer === 'missing') {
        res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>');
      } else {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>it is time</html>');
      }
      return;
    }
    if (url.pathname !== '/events') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    let seq = Number(req.headers['last-event-id'] ?? '0');
    // Its clock is an hour off: had latency been reported, it would be wildly wrong.
    const timer = setInterval(() => {
      seq++;
      res.write(`id: ${seq}\ndata: ${JSON.stringify({ seq, sentAt: Date.now() + 3_600_000, stream: 'foreign' })}\n\n`);
    }, 100);
    const cut = setTimeout(() => res.end(), 600);
    res.on('close', () => {
      clearInterval(timer);
      clearTimeout(cut);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('engine against a target without /api/time', () => {
  for (const timeAnswer of ['missing', 'not-json'] as const) {
    it(`reports latency as unknown (${timeAnswer === 'missing' ? '404' : 'not JSON'}), fails latency thresholds clearly, and still counts drops`, async () => {
      const foreign = await startForeignServer(timeAnswer);
      try {
        const outcome = await runPlan(
          parsePlan({
            target: { baseUrl: foreign.url, ssePath: '/events' },
            clock: 'api-time',
            sse: { clients: 4, reconnect: { policy: 'browser', defaultRetryMs: 100, jitterMs: 0 } },
            duration: '2s',
            workers: 1,
            thresholds: { sse_event_latency: ['p(95)<60000'], sse_events: ['count>0'] },
          }),
          { resultsDir },
        );
        const summary = outcome.summary;
        expect(summary.clock?.method).toBe('unknown');
        expect(summary.clock?.note).toBe('latency unknown (no /api/time on the target)');
        expect(summary.clock?.detail).toMatch(timeAnswer === 'missing' ? /answered 404/ : /numeric "now"/);
        // Latency is kept out rather than reported an hour wrong...
        expect(summary.metrics.sse_event_latency).toBeUndefined();
        expect(summary.metrics.poll_delivery_delay).toBeUndefined();
        const latencyThreshold = summary.thresholds.find((result) => result.metric === 'sse_event_latency');
        expect(latencyThreshold).toMatchObject({ ok: false, actual: null });
        expect(summary.thresholds.find((result) => result.metric === 'sse_events')?.ok).toBe(true);
        expect(summary.thresholdsPassed).toBe(false);
        expect(summary.warnings.some((warning) => warning.includes('latency unknown: no clock reference'))).toBe(true);
        // ...while events, drops and reconnects are measured as ever: each stream is cut at 600 ms.
        expect(summary.metrics.sse_events?.values.count).toBeGreaterThan(4 * 5);
        expect(summary.breakdown.sse_drops?.server_closed).toBeGreaterThanOrEqual(4);
        expect(summary.metrics.sse_reconnects?.values.count).toBeGreaterThanOrEqual(4);
        expect(summary.metrics.sse_events_lost?.values.count).toBe(0);
        const timeline = JSON.parse(await readFile(join(outcome.outDir, 'timeline.json'), 'utf8')) as { points: Array<{ sseLatencyMs: unknown }> };
        expect(timeline.points.every((point) => point.sseLatencyMs === null)).toBe(true);

        const html = await readFile(await writeHtmlReport(outcome.outDir), 'utf8');
        expect(html).toContain('latency unknown (no /api/time on the target)');
        expect(formatRunSummary(summary, outcome.outDir)).toContain('  latency  latency unknown (no /api/time on the target)');
      } finally {
        await foreign.close();
      }
    });
  }
});
