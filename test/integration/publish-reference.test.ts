/**
 * Issue 15, part 3, against the reference server in bus mode: the harness publishes to
 * `POST /api/calls/emit` (a broadcast, which needs the admin token the harness mints from the
 * secret), through the platform simulator, and every subscriber's stream carries the message with
 * its `{{id}}`. The same run records the subscribers' event latency (the server's `sentAt`), so
 * the two figures can be read side by side.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformProxy, type PlatformProxy } from '../../src/platform/index.js';
import type { Summary } from '../../src/results/schema.js';
import { runToResults } from '../helpers/cli.js';
import { startReferenceServer, type RunningServer } from '../../src/server/index.js';

const SECRET = 'publish-reference-secret';
const SUBSCRIBERS = 12;

let dir: string;
let server: RunningServer;
let platform: PlatformProxy;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-publish-ref-'));
  server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET, mode: 'bus', heartbeatMs: 1_000 });
  platform = await startPlatformProxy({ upstream: server.url, profiles: ['self-hosted'] });
});
afterAll(async () => {
  await platform?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const run = (name: string, args: string[]) => runToResults(args, join(dir, name), dir);

const count = (summary: Summary, metric: string): number => summary.metrics[metric]?.values.count ?? 0;

describe('the harness publishing to the reference server in bus mode, through the simulator', () => {
  it('broadcasts with a minted admin token and measures publish-to-deliver beside event latency', async () => {
    const { code, out, summary } = await run('broadcast', [
      '--url', platform.url, '--secret', SECRET, '--sse', String(SUBSCRIBERS), '--duration', '4s', '--workers', '1',
      '--publish', `${platform.url}/api/calls/emit`, '--publish-rate', '4',
      '--publish-body', '{"broadcast":true,"type":"chat","data":{"id":"{{id}}","n":{{seq}}}}',
    ]);
    expect(code, out).toBe(0);
    const publish = summary.publish;
    expect(publish?.messagesAccepted).toBeGreaterThanOrEqual(6);
    expect(summary.breakdown.publish_failures).toEqual({});
    expect(count(summary, 'publish_to_deliver')).toBe((publish?.messagesAccepted ?? 0) * SUBSCRIBERS - (publish?.deliveriesMissed ?? 0));
    expect(publish?.deliveriesMissed).toBe(0);
    // The server stamps the same broadcast events with sentAt: the subscribers' event latency is there too.
    expect(count(summary, 'sse_event_latency')).toBeGreaterThanOrEqual(count(summary, 'publish_to_deliver'));
    const toDeliver = summary.metrics.publish_to_deliver?.values ?? {};
    const eventLatency = summary.metrics.sse_event_latency?.values ?? {};
    expect(toDeliver['p(99)']).toBeLessThan(1_000);
    console.info(
      `reference bus: ${publish?.messagesAccepted} messages × ${SUBSCRIBERS}: publish→deliver p50 ${toDeliver['p(50)'] ?? toDeliver.med} ms, p99 ${toDeliver['p(99)']} ms; ` +
        `event latency p50 ${eventLatency['p(50)'] ?? eventLatency.med} ms, p99 ${eventLatency['p(99)']} ms; publish request p50 ${summary.metrics.publish_request_duration?.values.med} ms`,
    );
  });

  it('records the refusals of a publish the target will not take, and says nothing was measured', async () => {
    // A token the server cannot verify: every publish (and every subscriber) is answered 401.
    const { summary } = await run('refused', [
      '--url', platform.url, '--token', 'not-a-valid-token', '--sse', '2', '--duration', '3s', '--workers', '1', '--reconnect', 'none',
      '--publish', `${platform.url}/api/calls/emit`, '--publish-rate', '2', '--publish-body', '{"broadcast":true,"data":{"id":"{{id}}"}}',
    ]);
    expect(summary.publish?.messagesAccepted).toBe(0);
    expect(Object.keys(summary.breakdown.publish_failures ?? {})).toEqual(['http_401']);
    expect(count(summary, 'publish_failures')).toBe(count(summary, 'publish_requests'));
    expect(summary.metrics.publish_to_deliver?.values.count ?? 0).toBe(0);
    expect(summary.warnings.some((line) => /^publish: the target accepted none of the \d+ messages/.test(line))).toBe(true);
  });
});
