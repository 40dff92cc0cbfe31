/**
 * `compare`, `report` and `plan` through the CLI on REAL runs: two runs of the same plan against the
 * reference server compare clean (exit 0, with the default limits, which must tolerate this machine's
 * noise); a planted regression exits 4, an untrustworthy run 3 (never 1, a crash's code); bad usage
 * and unreadable results exit 2.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlan } from '../../src/engine/index.js';
import { parsePlan } from '../../src/engine/plan.js';
import { summarySchema } from '../../src/results/schema.js';
import { startReferenceServer } from '../../src/server/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const SECRET = 'report-cli-secret';
let workDir: string;
const runs: string[] = [];

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: workDir });
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'streamsoak-report-cli-'));
  // The same plan twice, each against a fresh reference server: what a CI job does on two commits.
  for (let i = 0; i < 2; i++) {
    const server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET });
    try {
      const outcome = await runPlan(
        parsePlan({
          target: { baseUrl: server.url },
          auth: { secret: SECRET },
          sse: { clients: 20 },
          poll: { clients: 5, intervalMs: 500 },
          duration: '5s',
          thresholds: { sse_event_latency: ['p(95)<1000'], sse_connect_failures: ['count==0'] },
        }),
        { resultsDir: join(workDir, 'results'), runId: `run-${i}` },
      );
      runs.push(outcome.outDir);
    } finally {
      await server.close();
    }
  }
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('streamsoak compare on real runs', () => {
  it('exits 0 on two runs of the same plan, with the default limits', async () => {
    const result = await cli(['compare', runs[0] as string, runs[1] as string]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('No regression past the limits.');
    expect(result.code).toBe(0);
  });

  it('exits 4 on a planted regression, naming it, and 0 on the same pair with looser limits', async () => {
    const summary = summarySchema.parse(JSON.parse(await readFile(join(runs[1] as string, 'summary.json'), 'utf8')));
    const latency = summary.metrics.sse_event_latency;
    const connects = summary.metrics.sse_connects;
    if (!latency || !connects) throw new Error('the run recorded no latency or connects');
    // Planted: p99 latency four times worse plus 200 ms, and a fifth of the connects gone.
    latency.values['p(99)'] = (latency.values['p(99)'] ?? 0) * 4 + 200;
    connects.values.count = Math.floor((connects.values.count ?? 0) * 0.8);
    const planted = join(workDir, 'planted');
    await mkdir(planted, { recursive: true });
    await writeFile(join(planted, 'summary.json'), JSON.stringify({ ...summary, runId: 'planted' }));

    const failed = await cli(['compare', runs[0] as string, join(planted, 'summary.json'), '--max-regression', 'sse_event_latency.p99=10%,sse_connects=5%']);
    expect(failed.code).toBe(4);
    expect(failed.stdout).toMatch(/2 regressions past the limits: sse_connects, sse_event_latency\.p99/);
    expect((await cli(['compare', runs[0] as string, planted])).code).toBe(4);
    expect((await cli(['compare', runs[0] as string, planted, '--max-regression', 'sse_drops=0'])).code).toBe(0);
  });

  it('exits 3 when a run is not trustworthy, even with a regression in it', async () => {
    const summary = summarySchema.parse(JSON.parse(await readFile(join(runs[1] as string, 'summary.json'), 'utf8')));
    const lost = join(workDir, 'lost-worker');
    await mkdir(lost, { recursive: true });
    await writeFile(join(lost, 'summary.json'), JSON.stringify({ ...summary, runId: 'lost', harness: { ...summary.harness, workersLost: 1, trustworthy: false } }));
    const untrustworthy = await cli(['compare', runs[0] as string, lost]);
    expect(untrustworthy.code).toBe(3);
    expect(untrustworthy.stdout).toContain('NOT TRUSTWORTHY');
    const connects = summary.metrics.sse_connects;
    if (!connects) throw new Error('the run recorded no connects');
    // Half the connects gone, as a lost worker's clients would be: a regression no one can trust.
    connects.values.count = Math.floor((connects.values.count ?? 0) * 0.5);
    await writeFile(join(lost, 'summary.json'), JSON.stringify({ ...summary, runId: 'lost', harness: { ...summary.harness, workersLost: 1, trustworthy: false } }));
    const both = await cli(['compare', runs[0] as string, lost, '--max-regression', 'sse_connects=5%']);
    expect(both.stdout).toMatch(/1 regression past the limits: sse_connects/);
    expect(both.code).toBe(3);
  });

  it('exits 2 without a stack trace on a corrupt or missing summary.json', async () => {
    const corrupt = join(workDir, 'corrupt');
    await mkdir(corrupt, { recursive: true });
    await writeFile(join(corrupt, 'summary.json'), '{"runId": ');
    const notJson = await cli(['compare', runs[0] as string, corrupt]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/current: .*summary\.json is not valid JSON/);
    await writeFile(join(corrupt, 'summary.json'), JSON.stringify({ runId: 'corrupt' }));
    const wrongShape = await cli(['report', corrupt]);
    expect(wrongShape.code).toBe(2);
    expect(wrongShape.stderr).toMatch(/invalid .*summary\.json:\n {2}- /);
    expect(wrongShape.stderr).not.toMatch(/\n\s+at /);
    // A folder that is not there is the same kind of bad input, for report as for compare.
    const missing = await cli(['report', join(workDir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no results folder or summary\.json at /);
  });

  it('prints the comparison as JSON with --json', async () => {
    const result = await cli(['compare', runs[0] as string, runs[1] as string, '--json']);
    const comparison = JSON.parse(result.stdout) as { regressions: unknown[]; rows: Array<{ key: string }> };
    expect(comparison.regressions).toEqual([]);
    expect(comparison.rows.map((row) => row.key)).toContain('sse_event_latency.p99');
  });

  it('exits 2 on bad usage: a missing folder, one folder, a bad limit, a metric neither run has', async () => {
    expect((await cli(['compare', runs[0] as string, join(workDir, 'nope')])).code).toBe(2);
    expect((await cli(['compare', runs[0] as string])).code).toBe(2);
    const badLimit = await cli(['compare', runs[0] as string, runs[1] as string, '--max-regression', 'sse_event_latency.p99=fast']);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toMatch(/"fast" is not a limit/);
    const typo = await cli(['compare', runs[0] as string, runs[1] as string, '--max-regression', 'sse_conects=5%']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/sse_conects/);
  });
});

describe('streamsoak report and plan on a real run', () => {
  it('rebuilds report.html and junit.xml with one test case per threshold', async () => {
    const result = await cli(['report', runs[0] as string]);
    expect(result.code).toBe(0);
    const html = await readFile(join(runs[0] as string, 'report.html'), 'utf8');
    expect(html).toContain('run-0');
    const junit = await readFile(join(runs[0] as string, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(2);
    expect(junit).toContain('name="sse_event_latency: p(95)&lt;1000"');
  });

  it('plans capacity from the measured run, as JSON', async () => {
    const result = await cli(['plan', '--users', '5000', '--events-per-user-per-minute', '2', '--results', runs[0] as string, '--json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      load: { messagesPerDay: number };
      selfHosting: { runs: Array<{ connectionsHeld: number; latencyThresholdsPassed: boolean | null }>; connectionsPerInstance: number | null };
      managed: Array<{ service: string; verdict: string }>;
    };
    expect(plan.load.messagesPerDay).toBe(5000 * 2 * 1440);
    expect(plan.selfHosting.runs[0]?.connectionsHeld).toBe(20);
    expect(plan.managed.find((service) => service.service === 'Pusher')?.verdict).toBe('does not fit any listed tier');
  });

  it('exits 2 when plan is missing its numbers, naming each', async () => {
    const result = await cli(['plan', '--users', 'many']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--users/);
    expect(result.stderr).toMatch(/--events-per-user-per-minute: required/);
  });
});
