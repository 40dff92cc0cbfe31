/**
 * The real k6, when it is on PATH, running the bundled scenarios against the reference server on
 * loopback through `streamsoak k6 run`, and the summary.json it leaves behind. k6 cannot be
 * installed on the machines this project is built on, so here this file usually skips, and says so.
 *
 * Scenarios that need xk6-sse run only when `k6 version` lists it: automatic extension resolution
 * (k6 ≥ 1.2) would download a binary, which a loopback-only test must not do, so it is turned off.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { findExecutable } from '../../src/k6/runner.js';
import { summarySchema } from '../../src/results/schema.js';
import { startReferenceServer, type RunningServer } from '../../src/server/index.js';
import { captureStream } from '../helpers/cli.js';

const k6Path = findExecutable('k6', process.env.PATH);
const k6Version = k6Path === undefined ? '' : execFileSync(k6Path, ['version'], { encoding: 'utf8', timeout: 10_000 });
const hasSse = /xk6-sse/.test(k6Version);

if (k6Path === undefined) {
  console.warn('k6-run.test.ts: SKIPPED: k6 is not on PATH (install k6 with xk6-sse to run the real k6 against the reference server)');
} else if (!hasSse) {
  console.warn(`k6-run.test.ts: the SSE scenarios are SKIPPED: ${k6Path} has no xk6-sse (xk6 build --with github.com/phymbert/xk6-sse)`);
}

const SECRET = 'k6-run-test-secret';
let server: RunningServer;
let workDir: string;

async function streamsoak(args: string[]): Promise<{ code: number; output: string }> {
  // One stream for both: the output reads in the order k6 and streamsoak wrote it.
  const out = captureStream();
  const env = { ...process.env, K6_AUTO_EXTENSION_RESOLUTION: 'false', K6_NO_USAGE_REPORT: 'true' };
  const code = await main(args, { stdout: out.stream, stderr: out.stream, env, cwd: workDir, signal: AbortSignal.timeout(90_000) });
  return { code, output: out.text() };
}

async function readSummary(dir: string): Promise<ReturnType<typeof summarySchema.parse>> {
  return summarySchema.parse(JSON.parse(await readFile(path.join(dir, 'summary.json'), 'utf8')));
}

describe.skipIf(k6Path === undefined)('streamsoak k6 run with the real k6', () => {
  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'streamsoak-k6-run-'));
    server = await startReferenceServer({
      port: 0,
      host: '127.0.0.1',
      jwtSecret: SECRET,
      mode: 'bus',
      publishIntervalMs: 200,
      tickIntervalMs: 200,
      heartbeatMs: 1_000,
      testStreamMessages: 3,
      testStreamIntervalMs: 300,
    });
  });

  afterAll(async () => {
    await server?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('runs the polling scenario and writes a summary.json the schema accepts', async () => {
    const results = path.join(workDir, 'polling');
    const { code, output } = await streamsoak([
      'k6', 'run', 'polling', '--target', server.url, '--vus', '2', '--duration', '4s', '--results', results,
      '-e', `JWT_ACCESS_SECRET=${SECRET}`, '-e', 'POLL_INTERVAL=1s',
    ]);
    expect(code, output).toBe(0);
    const summary = await readSummary(results);
    expect(summary.engine).toBe('k6');
    expect(summary.metrics.poll_requests?.values.count).toBeGreaterThanOrEqual(6);
    expect(summary.breakdown.poll_requests?.['2xx']).toBe(summary.metrics.poll_requests?.values.count);
  });

  it.skipIf(!hasSse)('runs the diagnostic scenario (xk6-sse) and passes on the reference server', async () => {
    const results = path.join(workDir, 'diagnostic');
    const { code, output } = await streamsoak([
      'k6', 'run', 'diagnostic', '--target', server.url, '--results', results, '-e', 'EXPECT_MESSAGES=3', '-e', 'EXPECT_INTERVAL=300ms',
    ]);
    expect(code, output).toBe(0);
    const summary = await readSummary(results);
    expect(summary.metrics.sse_events?.values.count).toBe(3);
    expect(summary.breakdown.sse_drops).toEqual({ server_closed: 1 });
  });

  it.skipIf(!hasSse)('runs sse-soak (xk6-sse): events with latency, every stream closed by the plan', async () => {
    const results = path.join(workDir, 'sse-soak');
    const { code, output } = await streamsoak([
      'k6', 'run', 'sse-soak', '--target', server.url, '--vus', '3', '--duration', '4s', '--results', results,
      '-e', `JWT_ACCESS_SECRET=${SECRET}`, '-e', 'SSE_PATH=/api/calls/events?mode=tick&interval=200&heartbeat=300',
    ]);
    expect(code, output).toBe(0);
    const summary = await readSummary(results);
    expect(summary.metrics.sse_connects?.values.count).toBe(3);
    expect(summary.metrics.sse_events?.values.count).toBeGreaterThanOrEqual(3 * 10);
    expect(summary.metrics.sse_event_latency?.values['p(95)']).toBeLessThan(500);
    expect(summary.breakdown.sse_drops).toEqual({ client_closed: 3 });
  });
});
