/**
 * Issue 13: a run on two forked workers that ends normally, with thousands of streams, is never
 * reported as lost workers. Before the fix each worker queued its last report (every record still
 * unsent: thousands, hundreds of kilobytes) and closed its IPC channel at once, so the report never
 * arrived and every stream read as `client_worker_lost`, exit 3. Real processes: the reference
 * server in a child process and `streamsoak run` spawned with `--workers 2`.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarySchema, type Summary } from '../../src/results/schema.js';
import { readConnectionRecords } from '../helpers/results.js';
import { spawnCli } from './harness-processes.js';
import { SECRET, startServerProcess, type ServerProcess } from './server-process.js';

// 2,000 records a worker: several times what one IPC write holds, and more than one part of the
// last report (FINAL_RECORDS_PER_PART), so both the lost send and the parts are exercised.
const CLIENTS = 5_000;
const DURATION_S = 12;

let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-clean-end-'));
  server = await startServerProcess(['--host', '127.0.0.1', '--mode', 'tick', '--interval', '1s', '--heartbeat', '5s']);
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a clean run on two workers', () => {
  it('ends with exit 0, every worker handed over, and exactly one record per attempt', async () => {
    const results = join(dir, 'results');
    const run = spawnCli([
      'run', '--url', server.url, '--secret', SECRET, '--sse', String(CLIENTS), '--ramp-up', '4s', '--duration', `${DURATION_S}s`,
      '--workers', '2', '--results', results, '--quiet',
    ]);
    const exit = await run.exited;
    const [runId] = await readdir(results);
    const outDir = join(results, runId as string);
    const summary: Summary = summarySchema.parse(JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8')));
    const records = await readConnectionRecords(outDir);

    expect(exit.code, run.output()).toBe(0);
    expect(run.output()).not.toMatch(/LOST|not trustworthy/);
    expect(summary.harness?.workersLost).toBe(0);
    expect(summary.harness?.trustworthy).toBe(true);
    expect(summary.warnings.filter((line) => /worker \d/.test(line))).toEqual([]);
    // Every stream opened and was closed by the plan at its end: nothing lost, on either side.
    expect(records.some((record) => record.reason === 'client_worker_lost')).toBe(false);
    expect(summary.breakdown.sse_drops?.client_worker_lost).toBeUndefined();
    expect(records.filter((record) => record.reason === 'client_closed').length).toBe(CLIENTS);
    // Both workers' records arrived (ids are `<worker>-<client>-<attempt>`).
    expect(records.filter((record) => record.id.startsWith('0-')).length).toBe(CLIENTS / 2);
    expect(records.filter((record) => record.id.startsWith('1-')).length).toBe(CLIENTS / 2);
    // Conservation: one record per attempt counted, every id once.
    expect(new Set(records.map((record) => record.id)).size).toBe(records.length);
    expect(records.length).toBe(summary.harness?.sseAttempts);
    expect(summary.warnings.some((line) => line.startsWith('conservation broken'))).toBe(false);
    console.info(`clean end: ${records.length} records = ${summary.harness?.sseAttempts} attempts on 2 workers; exit ${exit.code}`);
  });
});
