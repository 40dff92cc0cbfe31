/**
 * Issue 9: Ctrl-C. `streamsoak run` with two forked workers is spawned in its own process group, as a
 * terminal runs it, and the signal goes to the whole group (the workers get it too, as they would
 * from a terminal). It must exit 130 with summary.json, connections.ndjson and report.html written,
 * one record per attempt, and no process of the group left behind. SIGTERM (a service manager, `kill`,
 * `timeout`) is handled the same way: exit 130. And when the coordinator itself is SIGKILLed (nothing
 * can be written then), its workers must not go on loading the target.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarySchema } from '../../src/results/schema.js';
import { startReferenceServer } from '../../src/server/index.js';
import type { RunningServer } from '../../src/server/node-server.js';
import { readConnectionRecords } from '../helpers/results.js';
import { waitFor } from '../helpers/wait.js';
import { childrenOf, isAlive, killQuietly, sleep, spawnCli, workerPidsOf } from './harness-processes.js';

const SECRET = 'harness-interrupt-secret';
const CLIENTS = 100;

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-interrupt-'));
  server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET, mode: 'tick', tickIntervalMs: 250 });
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function openOnServer(): Promise<number> {
  const body = (await (await fetch(`${server.url}/api/health`)).json()) as { connections: number };
  return body.connections;
}

describe.each(['SIGINT', 'SIGTERM'] as const)('streamsoak run with 2 workers, %s to its process group', (signal) => {
  it('exits 130 with every result written, one record per attempt, and no process left behind', async () => {
    const results = join(dir, signal);
    const run = spawnCli(
      ['run', '--url', server.url, '--secret', SECRET, '--sse', String(CLIENTS), '--poll', '4', '--duration', '2m', '--workers', '2', '--results', results, '--quiet'],
      { detached: true },
    );
    const coordinator = run.child.pid as number;
    let group: number[] = [];
    try {
      const workers = await waitFor('two worker processes', async () => {
        const found = workerPidsOf(coordinator);
        return found.length === 2 ? found : undefined;
      }, { timeoutMs: 30_000, intervalMs: 100 });
      await waitFor('every stream open', async () => ((await openOnServer()) >= CLIENTS ? true : undefined), { timeoutMs: 30_000, intervalMs: 200 });
      await sleep(1_000);
      group = [coordinator, ...childrenOf(coordinator)];
      // As a terminal does: the signal reaches every process of the foreground group.
      process.kill(-coordinator, signal);
      const signalledAt = Date.now();

      const exit = await run.exited;
      const exitMs = Date.now() - signalledAt;
      expect(exit.code, run.output()).toBe(130);
      // No process of the run outlives it (the workers stop over IPC; give the kernel a moment).
      await waitFor('every process of the run gone', async () => (group.every((pid) => !isAlive(pid)) ? true : undefined), { timeoutMs: 5_000, intervalMs: 100 });
      for (const pid of workers) expect(isAlive(pid)).toBe(false);

      const [runId] = await readdir(results);
      const outDir = join(results, runId as string);
      expect(await readdir(outDir)).toEqual(expect.arrayContaining(['summary.json', 'connections.ndjson', 'timeline.json', 'report.html', 'junit.xml']));
      const summary = summarySchema.parse(JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8')));
      expect(summary.interrupted).toBe(true);
      expect(summary.harness?.workers).toBe(2);
      expect(summary.harness?.workersLost ?? 0).toBe(0);
      const records = await readConnectionRecords(outDir);
      expect(new Set(records.map((record) => record.id)).size).toBe(records.length);
      expect(records.length).toBe(summary.harness?.sseAttempts);
      expect(records.length).toBeGreaterThanOrEqual(CLIENTS);
      // Ended by the plan (the interruption), not lost: both workers handed over their last records.
      const closed = records.filter((record) => record.reason === 'client_closed');
      expect(new Set(closed.map((record) => record.client)).size).toBe(CLIENTS);
      expect(new Set(closed.map((record) => record.id.split('-')[0]))).toEqual(new Set(['0', '1']));
      expect(records.some((record) => record.reason === 'client_worker_lost')).toBe(false);
      console.info(`${signal}: exit ${exit.code} ${exitMs} ms after the signal, ${records.length} records = ${summary.harness?.sseAttempts} attempts, ${group.length} processes all gone`);
      // The server saw every stream go.
      await waitFor('the server to see every stream closed', async () => ((await openOnServer()) === 0 ? true : undefined), { timeoutMs: 5_000, intervalMs: 100 });
    } finally {
      for (const pid of [coordinator, ...group]) killQuietly(pid);
    }
  });
});

describe('streamsoak run with 2 workers, its coordinator SIGKILLed', () => {
  it('leaves no worker behind: each stops its streams and exits when its IPC channel closes', async () => {
    const results = join(dir, 'SIGKILL');
    const run = spawnCli(['run', '--url', server.url, '--secret', SECRET, '--sse', String(CLIENTS), '--duration', '2m', '--workers', '2', '--results', results, '--quiet']);
    const coordinator = run.child.pid as number;
    let workers: number[] = [];
    try {
      workers = await waitFor('two worker processes', async () => {
        const found = workerPidsOf(coordinator);
        return found.length === 2 ? found : undefined;
      }, { timeoutMs: 30_000, intervalMs: 100 });
      await waitFor('every stream open', async () => ((await openOnServer()) >= CLIENTS ? true : undefined), { timeoutMs: 30_000, intervalMs: 200 });
      process.kill(coordinator, 'SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');
      const killedAt = Date.now();
      await waitFor('both workers gone', async () => (workers.every((pid) => !isAlive(pid)) ? true : undefined), { timeoutMs: 5_000, intervalMs: 100 });
      // Nothing keeps loading the target after the run is gone.
      await waitFor('the server to see every stream closed', async () => ((await openOnServer()) === 0 ? true : undefined), { timeoutMs: 5_000, intervalMs: 100 });
      console.info(`coordinator SIGKILLed: both workers gone and every stream closed within ${Date.now() - killedAt} ms`);
    } finally {
      killQuietly(coordinator);
      for (const pid of workers) killQuietly(pid);
    }
  });
});
