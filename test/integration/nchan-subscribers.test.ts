/**
 * nchan, nginx's pub/sub module (Debian's libnginx-mod-nchan, C, used in production), as the
 * third-party target of issue 15: real nginx on loopback with `nchan_subscriber eventsource` and
 * `nchan_publisher`. The engine subscribes with the events URL nchan gives (`/sub/<channel>`) and
 * reads nchan's messages through an `events:` mapping; this test publishes `{ n, ts }` messages
 * with plain HTTP POSTs to `/pub/<channel>`. Every subscriber must get every message published
 * while it was subscribed, with a plausible latency, and a reconnect with nchan's `Last-Event-ID`
 * must lose nothing.
 *
 * The first two tests publish on their own schedule; the last makes the harness the publisher
 * (`--publish`): publish-to-deliver latency on the harness's one clock.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNginx, startPlatformProxy, type RunningNginx } from '../../src/platform/index.js';
import type { Summary } from '../../src/results/schema.js';
import { runToResults } from '../helpers/cli.js';
import { readConnectionRecords } from '../helpers/results.js';
import { NCHAN, NGINX, hasTools } from '../helpers/tools.js';

const hasNchan = hasTools('nchan-subscribers.test.ts', NGINX, NCHAN);
const SUBSCRIBERS = 20;
const PUBLISH_INTERVAL_MS = 200;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-nchan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Publishes `{ n, ts }` to the channel every PUBLISH_INTERVAL_MS until stopped; resolves with how many nchan accepted. */
function publishEvery(nchan: RunningNginx, channel: string): { stop: () => Promise<number> } {
  let n = 0;
  let accepted = 0;
  let pending = Promise.resolve();
  const timer = setInterval(() => {
    const body = JSON.stringify({ n: ++n, ts: Date.now() });
    pending = pending.then(async () => {
      const response = await fetch(`${nchan.url}/pub/${channel}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      await response.arrayBuffer();
      if (response.status === 201 || response.status === 202) accepted++;
    });
  }, PUBLISH_INTERVAL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      return accepted;
    },
  };
}

/** One worker unless the args say otherwise (the last --workers wins). */
const run = (name: string, args: string[]) => runToResults(['--workers', '1', ...args], join(dir, name), dir);

const count = (summary: Summary, metric: string): number => summary.metrics[metric]?.values.count ?? 0;

describe.skipIf(!hasNchan)('nchan as the target (real nginx + libnginx-mod-nchan on loopback)', () => {
  it('delivers every published message to every subscriber, with latency read from the message', async () => {
    const nchan = await startNginx({ template: 'nchan' });
    try {
      // Publishing starts once the subscribers are up (the ramp is instant), and stops before the run ends.
      const running = run('steady', [
        '--url', `${nchan.url}/sub/room1`, '--sse', String(SUBSCRIBERS), '--duration', '5s', '--event-time', '/ts', '--event-seq', '/n',
      ]);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const publisher = publishEvery(nchan, 'room1');
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const accepted = await publisher.stop();
      const { code, out, summary } = await running;
      expect(code, out).toBe(0);
      expect(accepted).toBeGreaterThanOrEqual(10);
      // Every subscriber held its stream the whole run and got every message: messages × subscribers.
      expect(count(summary, 'sse_connects')).toBe(SUBSCRIBERS);
      expect(count(summary, 'sse_events')).toBe(accepted * SUBSCRIBERS);
      expect(count(summary, 'sse_event_latency')).toBe(accepted * SUBSCRIBERS);
      expect(count(summary, 'sse_events_lost')).toBe(0);
      const latency = summary.metrics.sse_event_latency?.values ?? {};
      expect(latency.min).toBeGreaterThan(-5);
      expect(latency['p(99)']).toBeLessThan(500);
      console.info(`nchan: ${accepted} messages × ${SUBSCRIBERS} subscribers = ${count(summary, 'sse_events')} events; latency p50 ${latency['p(50)'] ?? latency.med} ms, p99 ${latency['p(99)']} ms`);
    } finally {
      await nchan.close();
    }
  });

  it("resumes after each cut of a 10 s function limit with nchan's Last-Event-ID, losing nothing", async () => {
    // nchan behind the simulator's vercel-hobby profile at ×0.1: every stream is cut after 1 s; the
    // client reconnects with the last id it saw (`<time>:<tag>`) and nchan replays from its buffer
    // what was published in between.
    const nchan = await startNginx({ template: 'nchan', messageBuffer: 200 });
    const platform = await startPlatformProxy({ upstream: nchan.url, profiles: ['vercel-hobby'], timeScale: 0.1 });
    try {
      const running = run('resume', [
        '--url', `${platform.url}/sub/room2`, '--sse', '5', '--duration', '6s', '--event-time', '/ts', '--event-seq', '/n',
        '--reconnect', 'backoff', '--idle-timeout', '0',
      ]);
      await new Promise((resolve) => setTimeout(resolve, 800));
      const publisher = publishEvery(nchan, 'room2');
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      const accepted = await publisher.stop();
      const { summary, outDir, out } = await running;
      expect(count(summary, 'sse_reconnects'), out).toBeGreaterThanOrEqual(5 * 2);
      // Every reconnect after the first carried nchan's id (`<time>:<tag>`), and nchan replayed from it.
      const records = await readConnectionRecords(outDir);
      expect(records.filter((record) => record.attempt > 1).length).toBeGreaterThanOrEqual(5 * 2);
      expect(count(summary, 'sse_events_lost')).toBe(0);
      expect(count(summary, 'sse_events_duplicated')).toBe(0);
      expect(count(summary, 'sse_events')).toBe(accepted * 5);
      expect(summary.breakdown.sse_drops?.server_closed ?? 0).toBeGreaterThanOrEqual(5 * 2);
    } finally {
      await platform.close();
      await nchan.close();
    }
  });

  it('publishes through the harness: publish_to_deliver for every message × subscriber, none missed, with the fan-out spread', async () => {
    const nchan = await startNginx({ template: 'nchan' });
    try {
      const { code, out, summary } = await run('publish', [
        '--url', `${nchan.url}/sub/room3`, '--sse', String(SUBSCRIBERS), '--duration', '5s',
        '--publish', `${nchan.url}/pub/room3`, '--publish-rate', '5', '--threshold', 'publish_to_deliver=p(99)<500',
      ]);
      expect(code, out).toBe(0);
      const publish = summary.publish;
      // 5 a second from 0.5 s to 1 s before the end: about 17 messages.
      expect(publish?.messagesAccepted).toBeGreaterThanOrEqual(12);
      expect(count(summary, 'publish_requests')).toBe(publish?.messagesAccepted);
      // The count the issue asks for: messages × subscribers, minus those reported missed.
      expect(count(summary, 'publish_to_deliver')).toBe((publish?.messagesAccepted ?? 0) * SUBSCRIBERS - (publish?.deliveriesMissed ?? 0));
      expect(publish?.deliveriesMissed).toBe(0);
      expect(publish?.deliveryRatio).toBe(1);
      expect(publish?.fanOutSpreadMs?.messages).toBe(publish?.messagesAccepted);
      const latency = summary.metrics.publish_to_deliver?.values ?? {};
      expect(latency.min).toBeGreaterThan(0);
      expect(latency['p(99)']).toBeLessThan(500);
      expect(summary.thresholds.find((t) => t.metric === 'publish_to_deliver')?.ok).toBe(true);
      expect(out).toMatch(/publish {2}\d+ sent, \d+ accepted \(0 failed\); \d+ deliveries, 0 missed \(100% delivered\)/);
      console.info(`nchan publish: ${publish?.messagesAccepted} messages × ${SUBSCRIBERS}; publish→deliver p50 ${latency['p(50)'] ?? latency.med} ms, p99 ${latency['p(99)']} ms; fan-out spread p50 ${publish?.fanOutSpreadMs?.p50} ms`);
    } finally {
      await nchan.close();
    }
  });

  it('counts deliveries across two worker processes, and every delivery missed when the messages go to another channel', async () => {
    const nchan = await startNginx({ template: 'nchan' });
    try {
      // Two forked workers: worker 0 publishes, both recognise the run's ids; the stop hands the accepted list to each.
      const { code, out, summary: two } = await run('publish-2', [
        '--url', `${nchan.url}/sub/room4`, '--sse', '10', '--duration', '4s', '--publish', `${nchan.url}/pub/room4`, '--publish-rate', '4', '--workers', '2',
      ]);
      expect(code, out).toBe(0);
      expect(two.harness?.workers).toBe(2);
      expect(count(two, 'publish_to_deliver')).toBe((two.publish?.messagesAccepted ?? 0) * 10);
      expect(two.publish?.deliveriesMissed).toBe(0);

      // Subscribers on room5, messages to room6: every subscriber was open for every message and got none.
      const { summary } = await run('publish-missed', [
        '--url', `${nchan.url}/sub/room5`, '--sse', '5', '--duration', '4s', '--publish', `${nchan.url}/pub/room6`, '--publish-rate', '4',
      ]);
      const accepted = summary.publish?.messagesAccepted ?? 0;
      expect(accepted).toBeGreaterThanOrEqual(6);
      expect(count(summary, 'publish_to_deliver')).toBe(0);
      expect(summary.publish?.deliveriesMissed).toBe(accepted * 5);
      expect(summary.publish?.deliveryRatio).toBe(0);
      expect(summary.warnings.some((line) => line.startsWith(`publish: ${accepted} messages were accepted but no subscriber received one`))).toBe(true);
    } finally {
      await nchan.close();
    }
  });
});
