import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildK6Invocation, findExecutable, spawnK6 } from '../../../src/k6/runner.js';
import { summarySchema } from '../../../src/results/schema.js';
import { buildSummary } from '../../../scenarios/lib/summary.js';
import { runCli, type CliResult } from '../../helpers/cli.js';

/** An empty PATH by default: no k6 is found, whatever this machine has. */
function cli(args: string[], env: NodeJS.ProcessEnv = { PATH: '' }): Promise<CliResult> {
  return runCli(args, { env, cwd: os.tmpdir() });
}

describe('streamsoak k6 run', () => {
  it('says how to get k6 with xk6-sse and exits 2 when k6 is not installed', async () => {
    const result = await cli(['k6', 'run', 'sse-soak', '--target', 'http://127.0.0.1:9']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('k6 is not installed');
    expect(result.stderr).toContain('xk6 build --with github.com/phymbert/xk6-sse');
    expect(result.stderr).toContain('deploy/k6-operator/Dockerfile');
  });

  it.each([
    [['k6', 'run', 'no-such-scenario', '--target', 'http://127.0.0.1:9'], /unknown scenario "no-such-scenario"/],
    [['k6', 'run', 'polling'], /--target URL is required/],
    [['k6', 'run', 'polling', '--target', 'http://127.0.0.1:9', '--out', 'influxdb'], /only prometheus-rw/],
    [['k6', 'run', 'polling', '--target', 'http://127.0.0.1:9', '--vus', 'many'], /--vus many/],
    [['k6', 'run', 'polling', '--target', 'http://127.0.0.1:9', '--duration', 'soon'], /--duration soon/],
    [['k6', 'run', 'polling', '--target', 'http://127.0.0.1:9', '-e', 'NOEQUALS'], /expected KEY=VALUE/],
    [['k6', 'launch'], /unknown k6 command "launch"/],
    [['k6', 'run', 'polling', '--target', 'http://127.0.0.1:9', '--bogus'], /Unknown option '--bogus'[\s\S]*usage:/],
    [['k6', 'build', '--out'], /Option '--out <value>' argument missing[\s\S]*usage:/],
  ])('rejects %j with exit 2', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('streamsoak k6 run with a stand-in for k6', () => {
  /**
   * A "k6" that does what the real one does at its end (handleSummary writes summary.json into
   * STREAMSOAK_RESULTS_DIR) and exits with `exitCode`: enough to see what streamsoak does after k6.
   */
  async function fakeK6(dir: string, summary: unknown, exitCode: number): Promise<string> {
    const file = path.join(dir, 'fake-k6');
    const script = [
      `#!${process.execPath}`,
      `require('node:fs').writeFileSync(process.env.STREAMSOAK_RESULTS_DIR + '/summary.json', ${JSON.stringify(JSON.stringify(summary))});`,
      `process.exit(${exitCode});`,
    ].join('\n');
    await writeFile(file, script);
    await chmod(file, 0o755);
    return file;
  }

  const k6Summary = buildSummary(
    { metrics: { sse_connects: { type: 'counter', contains: 'default', values: { count: 3, rate: 0.75 } } }, state: { testRunDurationMs: 4_000 } },
    {
      scenario: 'sse-soak',
      endedAtMs: Date.parse('2026-12-08T00:00:00Z'),
      version: '0.0.0',
      testid: 'k6-fake',
      runId: 'k6-fake',
      baseUrl: 'http://127.0.0.1:9',
      ssePath: '/api/calls/events?mode=tick&interval=200',
      thresholds: {},
      plan: { vus: 3 },
    },
  );

  it('ends as a Node run ends: diagnosis, report.html and junit.xml, with k6 exit code', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'streamsoak-k6-fake-'));
    try {
      const bundles = path.join(dir, 'bundles');
      await mkdir(bundles);
      await writeFile(path.join(bundles, 'sse-soak.js'), '// a bundle k6 never reads: the stand-in ignores it\n');
      const k6 = await fakeK6(dir, k6Summary, 99);
      const results = path.join(dir, 'results', 'run');
      const result = await cli(['k6', 'run', 'sse-soak', '--target', 'http://127.0.0.1:9', '--k6', k6, '--bundles', bundles, '--results', results]);
      expect(result.code, result.stderr).toBe(99);
      expect((await readdir(results)).sort()).toEqual(['junit.xml', 'report.html', 'summary.json']);
      expect(result.stdout).toContain('diagnosis: no problem found');
      expect(result.stdout).toContain(`report: ${path.join(results, 'report.html')}`);
      const summary = summarySchema.parse(JSON.parse(await readFile(path.join(results, 'summary.json'), 'utf8')));
      expect(summary.engine).toBe('k6');
      expect(summary.findings).toEqual([]);
      // The reference server's ?interval= on the SSE path: what the k6 summary knows of the event rate.
      expect(summary.target.expectedIntervalMs).toBe(200);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('warns and keeps k6 exit code when k6 left a summary.json it cannot read', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'streamsoak-k6-fake-'));
    try {
      const bundles = path.join(dir, 'bundles');
      await mkdir(bundles);
      await writeFile(path.join(bundles, 'polling.js'), '\n');
      const k6 = await fakeK6(dir, { not: 'a summary' }, 0);
      const results = path.join(dir, 'results', 'run');
      const result = await cli(['k6', 'run', 'polling', '--target', 'http://127.0.0.1:9', '--k6', k6, '--bundles', bundles, '--results', results]);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('does not match the summary schema');
      expect(await readdir(results)).toEqual(['summary.json']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('streamsoak k6 build', () => {
  it('writes the named bundles and lists their imports', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'streamsoak-k6-cli-'));
    try {
      const result = await cli(['k6', 'build', '--out', dir, 'polling', 'diagnostic']);
      expect(result.code).toBe(0);
      expect((await readdir(dir)).sort()).toEqual(['diagnostic.js', 'polling.js']);
      expect(result.stdout).toMatch(/polling\.js .*imports k6\/crypto, k6\/encoding, k6\/execution, k6\/http, k6\/metrics/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('buildK6Invocation', () => {
  const base = {
    scenario: 'sse-soak' as const,
    bundleFile: '/b/sse-soak.js',
    target: 'http://127.0.0.1:3000',
    resultsDir: '/r/run-1',
    runId: 'run-1',
    testid: 'nightly-42',
  };

  it('tags every sample with testid and engine=k6 and runs the bundle', () => {
    const { args, env } = buildK6Invocation(base);
    expect(args).toEqual(['run', '--tag', 'testid=nightly-42', '--tag', 'engine=k6', '/b/sse-soak.js']);
    expect(env).toMatchObject({ TARGET: 'http://127.0.0.1:3000', STREAMSOAK_RESULTS_DIR: '/r/run-1', STREAMSOAK_RUN_ID: 'run-1', STREAMSOAK_TESTID: 'nightly-42' });
    expect(JSON.parse(env.STREAMSOAK_MACHINE ?? '{}')).toMatchObject({ runtime: 'k6', cpus: os.cpus().length });
  });

  it('turns on remote write with the percentiles the dashboards read', () => {
    const { args, env } = buildK6Invocation({ ...base, prometheusRw: true, extraArgs: ['--quiet'] });
    expect(args).toEqual(['run', '--tag', 'testid=nightly-42', '--tag', 'engine=k6', '--out', 'experimental-prometheus-rw', '--quiet', '/b/sse-soak.js']);
    expect(env.K6_PROMETHEUS_RW_SERVER_URL).toBe('http://127.0.0.1:9090/api/v1/write');
    expect(env.K6_PROMETHEUS_RW_TREND_STATS).toBe('p(50),p(90),p(95),p(99),max,avg,count');
    expect(buildK6Invocation({ ...base, prometheusRw: 'http://prom:9090/api/v1/write' }).env.K6_PROMETHEUS_RW_SERVER_URL).toBe('http://prom:9090/api/v1/write');
  });

  it('passes the token and sizes through the environment, never on the command line', () => {
    const { args, env } = buildK6Invocation({ ...base, token: 'secret-token', vus: 25, duration: '5m', env: { SSE_PATH: '/sse', UNSET: undefined } });
    expect(args.join(' ')).not.toContain('secret-token');
    expect(env).toMatchObject({ TOKEN: 'secret-token', VUS: '25', DURATION: '5m', SSE_PATH: '/sse' });
    expect('UNSET' in env).toBe(false);
  });
});

describe('findExecutable', () => {
  it('finds a program on PATH and nothing on an empty PATH', () => {
    expect(findExecutable('node', path.dirname(process.execPath))).toBe(process.execPath);
    expect(findExecutable('node', '')).toBeUndefined();
    expect(findExecutable(process.execPath, '')).toBe(process.execPath);
  });
});

describe('spawnK6', () => {
  // A stand-in for k6 that would run for a minute: only the interrupt can end it early.
  const run = (signal: AbortSignal): Promise<number> =>
    spawnK6({
      k6Path: process.execPath,
      invocation: { args: ['-e', 'setTimeout(() => {}, 60_000)'], env: {} },
      baseEnv: {},
      cwd: os.tmpdir(),
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      signal,
    });

  it('interrupts k6 when the run is interrupted while k6 runs', async () => {
    const controller = new AbortController();
    const exited = run(controller.signal);
    setTimeout(() => controller.abort(), 200);
    expect(await exited).toBe(130);
  }, 20_000);

  it('interrupts k6 at once when the run was interrupted before k6 started', async () => {
    const controller = new AbortController();
    controller.abort();
    const started = Date.now();
    expect(await run(controller.signal)).toBe(130);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);
});
