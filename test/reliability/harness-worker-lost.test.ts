/**
 * Issue 9: a worker process SIGKILLed mid-run. Its attempts in flight are recorded on the harness's
 * side (`client_worker_lost`), the other worker runs to the end, the summary says so and the exit
 * code is 3 (not trustworthy). Real processes: `streamsoak run` spawned with 2 forked workers against
 * the reference server, one worker found through /proc and killed.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarySchema, type Summary } from '../../src/results/schema.js';
import { startReferenceServer } from '../../src/server/index.js';
import type { RunningServer } from '../../src/server/node-server.js';
import { readConnectionRecords } from '../helpers/results.js';
import { waitFor } from '../helpers/wait.js';
import { isAlive, killQuietly, sleep, spawnCli, workerPidsOf } from './harness-processes.js';

const SECRET = 'harness-worker-lost-secret';
const CLIENTS = 200;
const DURATION_S = 12;
const KILL_AT_MS = 4_000;

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-worker-lost-'));
  server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET, mode: 'tick', tickIntervalMs: 250, heartbeatMs: 1_000 });
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a worker process killed mid-run', () => {
  it('records its attempts in flight as client_worker_lost, lets the other worker finish, and exits 3', async () => {
    const results = join(dir, 'results');
    const run = spawnCli([
      'run', '--url', server.url, '--secret', SECRET, '--sse', String(CLIENTS), '--ramp-up', '1s', '--duration', `${DURATION_S}s`,
      '--workers', '2', '--reconnect', 'backoff', '--threshold', 'sse_events=count>0', '--results', results, '--quiet',
    ]);
    const coordinator = run.child.pid as number;
    let workers: number[] = [];
    try {
      workers = await waitFor('two worker processes', async () => {
        const children = workerPidsOf(coordinator);
        return children.length === 2 ? children : undefined;
      }, { timeoutMs: 30_000, intervalMs: 100 });
      // The run starts once both workers have loaded: wait for the streams to be up, then some more.
      await waitFor('streams open on the server', async () => ((await health()).connections >= CLIENTS * 0.9 ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      await sleep(KILL_AT_MS - 1_500);
      const victim = workers[0] as number;
      const survivor = workers[1] as number;
      process.kill(victim, 'SIGKILL');
      const killedAt = Date.now();

      // The survivor's half stays connected while the run goes on.
      await sleep(3_000);
      expect(isAlive(survivor)).toBe(true);
      const held = (await health()).connections;
      expect(held).toBeGreaterThanOrEqual(CLIENTS / 2 - 5);
      expect(held).toBeLessThanOrEqual(CLIENTS / 2 + 5);

      const exit = await run.exited;
      expect(exit.code, run.output()).toBe(3);
      const [runId] = await readdir(results);
      const outDir = join(results, runId as string);
      const summary: Summary = summarySchema.parse(JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8')));
      const records = await readConnectionRecords(outDir);

      // The summary says so: the field, and a warning naming the worker, its pid, the signal and the count.
      expect(summary.harness?.workersLost).toBe(1);
      expect(summary.harness?.trustworthy).toBe(false);
      // ...and so do the terminal and the report.
      expect(run.output()).toMatch(/1 WORKER LOST: not trustworthy/);
      expect(await readFile(join(outDir, 'report.html'), 'utf8')).toContain('1 lost mid-run: NOT TRUSTWORTHY');
      const warning = summary.warnings.find((line) => line.includes('client_worker_lost')) ?? '';
      const named = /^worker (\d) \(pid (\d+)\) was killed by SIGKILL at [\d.]+ s: (\d+) attempts in flight/.exec(warning);
      expect(named, summary.warnings.join('\n')).not.toBeNull();
      expect(Number(named?.[2])).toBe(victim);
      expect(warning).toMatch(/up to one second of attempts/);
      const lostWorker = named?.[1] as string;

      // Conservation: one record per attempt counted, every id once, the lost ones included.
      expect(new Set(records.map((record) => record.id)).size).toBe(records.length);
      expect(records.length).toBe(summary.harness?.sseAttempts);
      expect(summary.warnings.some((line) => line.startsWith('conservation broken'))).toBe(false);
      const lost = records.filter((record) => record.reason === 'client_worker_lost');
      expect(lost.length).toBe(Number(named?.[3]));
      // Every stream of the dead worker was open (the ramp ended seconds before): about half the clients.
      expect(lost.length).toBeGreaterThanOrEqual(CLIENTS / 2 - 5);
      expect(lost.length).toBeLessThanOrEqual(CLIENTS / 2 + 5);
      for (const record of lost) {
        expect(record.id.startsWith(`${lostWorker}-`)).toBe(true);
        expect(record.outcome).toBe('dropped');
        expect(record.openedAt).toBeDefined();
        expect(Math.abs(record.endedAt - killedAt)).toBeLessThan(3_000);
      }
      // Summary and records agree on the lost ones.
      const lostDrops = summary.breakdown.sse_drops?.client_worker_lost ?? 0;
      const lostFailures = summary.breakdown.sse_connect_failures?.client_worker_lost ?? 0;
      expect(lostDrops + lostFailures).toBe(lost.length);
      expect(lostDrops).toBe(lost.filter((record) => record.outcome === 'dropped').length);
      // The open gauge fell with the worker and ended at zero.
      expect(summary.metrics.sse_open_connections?.values.value).toBe(0);

      // The other worker's clients ran to the end of the run: closed by the plan, long after the kill.
      const survivorWorker = lostWorker === '0' ? '1' : '0';
      const survivors = records.filter((record) => record.id.startsWith(`${survivorWorker}-`));
      const closedAtEnd = survivors.filter((record) => record.reason === 'client_closed' && record.endedAt > killedAt + 4_000);
      expect(closedAtEnd.length).toBeGreaterThanOrEqual(CLIENTS / 2 - 5);
      expect(survivors.some((record) => record.reason === 'client_worker_lost')).toBe(false);
      // The dead worker's clients held nothing after the kill: none of its records ended later than the loss was seen.
      const victimRecords = records.filter((record) => record.id.startsWith(`${lostWorker}-`));
      expect(victimRecords.every((record) => record.endedAt < killedAt + 3_000)).toBe(true);

      console.info(
        `worker lost: ${lost.length} attempts in flight recorded as client_worker_lost (${lostDrops} open), ${closedAtEnd.length} streams of the other worker held to the end; ` +
          `${records.length} records = ${summary.harness?.sseAttempts} attempts; exit ${exit.code}`,
      );
      // The diagnosis names it as the harness's failure.
      expect(run.output()).toMatch(/A worker process of the load generator died mid-run/);
      expect(run.output()).toMatch(/not trustworthy/);
    } finally {
      killQuietly(coordinator);
      for (const pid of workers) killQuietly(pid);
    }
  });
});

async function health(): Promise<{ connections: number }> {
  const body = (await (await fetch(`${server.url}/api/health`)).json()) as Record<string, unknown>;
  return { connections: Number(body.connections) };
}
