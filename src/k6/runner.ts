/**
 * `streamsoak k6 run`: runs one bundled scenario with the k6 binary, with the settings that make a
 * k6 run land where a Node run lands: the same `testid` and `engine` labels, Prometheus remote write
 * with the percentiles the dashboards read, and `summary.json` in the run's results folder.
 *
 * Settings reach the script through the environment (k6 includes it in `__ENV` by default), not
 * `-e` flags, so a token never shows in the process list.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { TREND_STATS } from '../core/metric-names.js';
import { describeMachine } from '../results/machine.js';
import type { ScenarioName } from './build.js';

/** Where a default Prometheus (docker-compose, `prometheus --web.enable-remote-write-receiver`) takes remote write. */
export const DEFAULT_REMOTE_WRITE_URL = 'http://127.0.0.1:9090/api/v1/write';

export const K6_INSTALL_HELP = [
  'the scenarios need k6 with the xk6-sse extension (k6/x/sse). Any one of:',
  '  - k6 ≥ 1.2 resolves the extensions of its registry by itself on local runs: install k6',
  '    (https://grafana.com/docs/k6/latest/set-up/install-k6/); if it then says k6/x/sse is unknown,',
  '    xk6-sse is not in the registry it reads, and you need one of the next two;',
  '  - build one: go install go.k6.io/xk6/cmd/xk6@latest && xk6 build --with github.com/phymbert/xk6-sse',
  '    (puts ./k6 here; add it to PATH or pass --k6 ./k6);',
  '  - the image: docker build -t streamsoak-k6 -f deploy/k6-operator/Dockerfile . (docker-compose uses it).',
  'The sse-hold and polling scenarios also run on a stock k6.',
].join('\n');

export interface K6RunOptions {
  scenario: ScenarioName;
  /** The bundle to run (dist/k6/<scenario>.js). */
  bundleFile: string;
  target: string;
  resultsDir: string;
  runId: string;
  testid: string;
  /** `true`: remote write to DEFAULT_REMOTE_WRITE_URL; a string: to that URL. */
  prometheusRw?: true | string;
  token?: string;
  vus?: number;
  duration?: string;
  /** More `__ENV` settings (`SSE_PATH`, `POLL_INTERVAL`, ...), and the caller's environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Passed to k6 after ours, before the script. */
  extraArgs?: readonly string[];
}

export interface K6Invocation {
  args: string[];
  env: Record<string, string>;
}

/** The k6 command line and environment for a run (pure: the CLI spawns it, tests read it). */
export function buildK6Invocation(options: K6RunOptions): K6Invocation {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  Object.assign(env, {
    TARGET: options.target,
    STREAMSOAK_RESULTS_DIR: options.resultsDir,
    STREAMSOAK_RUN_ID: options.runId,
    STREAMSOAK_TESTID: options.testid,
    STREAMSOAK_MACHINE: JSON.stringify(describeMachine('k6')),
  });
  if (options.token !== undefined) env.TOKEN = options.token;
  if (options.vus !== undefined) env.VUS = String(options.vus);
  if (options.duration !== undefined) env.DURATION = options.duration;

  const args = ['run', '--tag', `testid=${options.testid}`, '--tag', 'engine=k6'];
  if (options.prometheusRw !== undefined) {
    args.push('--out', 'experimental-prometheus-rw');
    env.K6_PROMETHEUS_RW_SERVER_URL = options.prometheusRw === true ? DEFAULT_REMOTE_WRITE_URL : options.prometheusRw;
    // The same percentiles the Node engine pushes (core/metric-names.ts), so one dashboard reads both.
    env.K6_PROMETHEUS_RW_TREND_STATS = TREND_STATS.join(',');
  }
  args.push(...(options.extraArgs ?? []), options.bundleFile);
  return { args, env };
}


/** The path of an executable on `PATH`, or `undefined`. */
export function findExecutable(name: string, searchPath: string | undefined): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface SpawnK6Options {
  k6Path: string;
  invocation: K6Invocation;
  /** The environment k6 inherits (the caller's), under the run's own settings. */
  baseEnv: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Aborting sends k6 SIGINT: it stops the run, runs handleSummary and exits. */
  signal?: AbortSignal;
}

/** Runs k6 and resolves with its exit code (k6's own: 0, 99 when thresholds failed, ...). */
export function spawnK6(options: SpawnK6Options): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.k6Path, options.invocation.args, {
      cwd: options.cwd,
      env: { ...options.baseEnv, ...options.invocation.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(options.stdout, { end: false });
    child.stderr.pipe(options.stderr, { end: false });
    const onAbort = (): void => {
      child.kill('SIGINT');
    };
    // Interrupted before k6 started (during the build): k6 must stop too, not run the whole plan.
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}
