/**
 * Issue 9: the target SIGKILLed mid-run and restarted on the same port. The reference server runs as
 * a child process (`streamsoak serve`); the run (`streamsoak run`, in this process) holds 50 SSE
 * clients and a few polling clients with a backoff reconnect policy. Every open stream must end with
 * a drop reason, the attempts while the server is down fail `refused`, every client holds a stream
 * again after the restart, the run completes, and `connections.ndjson` keeps one record per attempt.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarySchema } from '../../src/results/schema.js';
import { freePort } from '../../src/platform/free-port.js';
import { runCli } from '../helpers/cli.js';
import { readConnectionRecords } from '../helpers/results.js';
import { waitFor } from '../helpers/wait.js';
import { killQuietly, sleep, spawnCli, type Spawned } from './harness-processes.js';

const SECRET = 'harness-target-killed-secret';
const SSE_CLIENTS = 50;
const POLL_CLIENTS = 4;

let dir: string;
let port: number;
const servers: Spawned[] = [];

function startServer(): Spawned {
  const server = spawnCli(['serve', '--port', String(port), '--mode', 'tick', '--interval', '250ms', '--heartbeat', '1s', '--retry', '500ms'], {
    env: { JWT_ACCESS_SECRET: SECRET },
  });
  servers.push(server);
  return server;
}

async function health(): Promise<{ connections: number } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/health`);
    return response.ok ? ((await response.json()) as { connections: number }) : undefined;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-target-killed-'));
  port = await freePort();
});
afterAll(async () => {
  for (const server of servers) killQuietly(server.child.pid);
  await rm(dir, { recursive: true, force: true });
});

describe('the target killed mid-run and restarted', () => {
  it('records every drop with its reason, fails attempts `refused` while it is down, reconnects after, keeps one record per attempt', async () => {
    const first = startServer();
    await waitFor(`streamsoak serve (${first.output()})`, health, { timeoutMs: 30_000, intervalMs: 100 });
    const planFile = join(dir, 'plan.json');
    await writeFile(
      planFile,
      JSON.stringify({
        target: { baseUrl: `http://127.0.0.1:${port}` },
        auth: { secret: SECRET },
        sse: { clients: SSE_CLIENTS, rampUpMs: '500ms', reconnect: { policy: 'backoff', initialMs: '250ms', maxMs: '1s', factor: 2, jitterMs: '100ms' } },
        poll: { clients: POLL_CLIENTS, intervalMs: '500ms' },
        duration: '15s',
        workers: 1,
        thresholds: { sse_events: ['count>0'] },
      }),
    );
    const results = join(dir, 'results');
    const running = runCli(['run', planFile, '--results', results, '--quiet']);

    // Kill once every client holds its stream (about 4 s into the run), restart 2 s later.
    await waitFor('every stream open', async () => ((await health())?.connections === SSE_CLIENTS ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    await sleep(2_500);
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    await sleep(2_000);
    const second = startServer();
    await waitFor(`the restarted server (${second.output()})`, health, { timeoutMs: 30_000, intervalMs: 50 });
    const restartedAt = Date.now();

    const { code, stdout } = await running;
    expect(code, stdout).toBe(0);
    const [runId] = await readdir(results);
    const outDir = join(results, runId as string);
    const summary = summarySchema.parse(JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8')));
    const records = await readConnectionRecords(outDir);

    // One record per attempt: ids unique, as many as the attempts counted, nothing lost to the harness.
    expect(new Set(records.map((record) => record.id)).size).toBe(records.length);
    expect(records.length).toBe(summary.harness?.sseAttempts);
    expect(summary.harness?.trustworthy).toBe(true);
    expect(records.some((record) => record.reason === 'client_worker_lost')).toBe(false);

    // Every stream open at the kill dropped, with the target-side reason of a dead peer.
    const atKill = records.filter((record) => record.openedAt !== undefined && record.openedAt < killedAt - 500 && record.endedAt > killedAt - 500);
    expect(atKill).toHaveLength(SSE_CLIENTS);
    for (const record of atKill) {
      expect(record.outcome).toBe('dropped');
      expect(['reset', 'server_closed']).toContain(record.reason);
      expect(record.endedAt - killedAt).toBeLessThan(1_500);
    }
    expect(new Set(atKill.map((record) => record.client)).size).toBe(SSE_CLIENTS);

    // While it was down, attempts were refused (a margin on both sides for the kill and the listen).
    const whileDown = records.filter((record) => record.startedAt > killedAt + 200 && record.endedAt < restartedAt - 1_000);
    expect(whileDown.length).toBeGreaterThanOrEqual(SSE_CLIENTS);
    for (const record of whileDown) {
      expect(record.outcome).toBe('failed');
      expect(record.reason).toBe('refused');
    }
    expect(summary.breakdown.sse_connect_failures?.refused).toBeGreaterThanOrEqual(whileDown.length);

    // After the restart every client held a stream again, to the end of the run.
    const held = records.filter((record) => record.openedAt !== undefined && record.openedAt > killedAt && record.reason === 'client_closed');
    expect(new Set(held.map((record) => record.client)).size).toBe(SSE_CLIENTS);
    for (const record of held) expect(record.attempt).toBeGreaterThan(1);
    expect(summary.metrics.sse_reconnects?.values.count).toBeGreaterThanOrEqual(SSE_CLIENTS * 2);

    // Counters and records agree.
    const drops = summary.breakdown.sse_drops ?? {};
    expect((drops.reset ?? 0) + (drops.server_closed ?? 0)).toBe(records.filter((r) => r.reason === 'reset' || r.reason === 'server_closed').filter((r) => r.outcome === 'dropped').length);
    expect(summary.breakdown.sse_outcomes?.closed).toBe(records.filter((record) => record.outcome === 'closed').length);

    const reconnectedMs = Math.max(...held.map((record) => (record.openedAt as number) - restartedAt));
    console.info(
      `target killed: ${atKill.length} streams dropped (${JSON.stringify(drops)}), ${whileDown.length} attempts refused while down ` +
        `(${summary.breakdown.sse_connect_failures?.refused ?? 0} in all), every client held a stream again ${Math.round(reconnectedMs)} ms after the restart was up; ` +
        `${records.length} records = ${summary.harness?.sseAttempts} attempts`,
    );
    // The polling clients saw the outage as errors and recovered.
    expect(summary.breakdown.poll_requests?.error ?? 0).toBeGreaterThan(0);
    expect(summary.breakdown.poll_requests?.['2xx'] ?? 0).toBeGreaterThan(POLL_CLIENTS * 10);
  });
});
