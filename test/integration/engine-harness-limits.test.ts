import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMisbehavingServer, type MisbehavingServer } from './fixtures/misbehaving-server.js';

const PRLIMIT = '/usr/bin/prlimit';
const hasPrlimit = existsSync(PRLIMIT);
if (!hasPrlimit) console.warn('skipping the file-descriptor limit test: /usr/bin/prlimit (util-linux) is not installed');

const engineEntry = fileURLToPath(new URL('../../src/engine/index.ts', import.meta.url));
let server: MisbehavingServer;
let dir: string;

beforeAll(async () => {
  server = await startMisbehavingServer();
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-fd-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!hasPrlimit)('harness limits', () => {
  it('records running out of file descriptors as client_fd_limit, a harness-side reason, never as the target refusing', async () => {
    // The engine runs in a child whose open-file limit is far below its client count.
    const script = `
      const { parsePlan, runPlan } = await import(${JSON.stringify(engineEntry)});
      const plan = parsePlan({ target: { baseUrl: ${JSON.stringify(server.url)} }, sse: { clients: 150, reconnect: { policy: 'none' } }, duration: '1500ms', workers: 1 });
      const { summary } = await runPlan(plan, { resultsDir: ${JSON.stringify(dir)} });
      console.log(JSON.stringify({ breakdown: summary.breakdown, warnings: summary.warnings }));`;
    const child = spawnSync(PRLIMIT, ['--nofile=100:100', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const { breakdown, warnings } = JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as {
      breakdown: Record<string, Record<string, number>>;
      warnings: string[];
    };
    const failures = breakdown.sse_connect_failures ?? {};
    expect(failures.client_fd_limit).toBeGreaterThan(0);
    expect(Object.keys(failures).filter((reason) => reason !== 'client_fd_limit')).toEqual([]);
    expect((failures.client_fd_limit ?? 0) + (breakdown.sse_outcomes?.closed ?? 0)).toBe(150);
    expect(warnings.join('\n')).toMatch(/harness's side/);
  });
});
