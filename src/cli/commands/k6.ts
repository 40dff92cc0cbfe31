/**
 * `streamsoak k6 build` bundles the k6 scenarios; `streamsoak k6 run NAME` runs one with k6 and the
 * same outputs as a Node run (testid/engine labels, remote write, results/<run>/summary.json, and
 * the same finalize step: the diagnosis, report.html and junit.xml).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MissingToolError, UsageError } from '../../core/errors.js';
import { DEFAULT_BUNDLE_DIR, SCENARIO_NAMES, buildScenarios, isScenarioName, type ScenarioName } from '../../k6/build.js';
import { DEFAULT_REMOTE_WRITE_URL, K6_INSTALL_HELP, buildK6Invocation, findExecutable, spawnK6 } from '../../k6/runner.js';
import { RESULT_FILES, summarySchema } from '../../results/schema.js';
import { checkResultsFolder } from '../../results/writer.js';
import { VERSION } from '../../version.js';
import { parseArgsOrUsage, parseDurationFlag, parseIntegerFlag } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { finalizeAndPrintFindings } from '../findings.js';
import { println, type CliIo } from '../io.js';
import { parseRemoteWriteFlag } from '../remote-write-flag.js';

const USAGE = `usage:
  streamsoak k6 build [--out DIR] [--sourcemap] [NAME...]
  streamsoak k6 run NAME --target URL [--out prometheus-rw[=URL]] [--token T] [--vus N]
                         [--duration D] [--results DIR] [--testid ID] [--k6 PATH] [--bundles DIR]
                         [-e KEY=VALUE]... [-- k6 options]

scenarios: ${SCENARIO_NAMES.join(', ')}

build   bundles scenarios/*.ts into DIR/<name>.js (default dist/k6) for k6 1.x
run     runs one scenario with k6 (xk6-sse build for sse-soak, connection-limit, diagnostic):
  --target URL        the target's base URL (required)
  --out prometheus-rw[=URL]  remote write (URL, else K6_PROMETHEUS_RW_SERVER_URL, else
                      ${DEFAULT_REMOTE_WRITE_URL})
  --token T           bearer token (else TOKEN, or JWT_ACCESS_SECRET to mint one per VU)
  --vus N, --duration D      sizes (k6 durations: 30s, 5m)
  --results DIR       results folder (default results/<run-id>)
  --testid ID         the testid label (default the run id)
  --k6 PATH           the k6 binary (default: $K6_BINARY, else k6 on PATH)
  --bundles DIR       where the bundles are (default dist/k6; a missing one is built)
  -e KEY=VALUE        more scenario settings (SSE_PATH, POLL_INTERVAL, RECONNECT_DELAY, ...)`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    println(sub === undefined ? io.stderr : io.stdout, USAGE);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub === 'build') return runBuild(rest, io);
  if (sub === 'run') return runScenario(rest, io);
  throw new UsageError(`unknown k6 command "${sub}": use build or run\n\n${USAGE}`);
}

function scenarioNames(values: readonly string[]): ScenarioName[] {
  for (const value of values) {
    if (!isScenarioName(value)) throw new UsageError(`unknown scenario "${value}": one of ${SCENARIO_NAMES.join(', ')}`);
  }
  return values as ScenarioName[];
}

async function runBuild(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgsOrUsage(
    {
      args,
      allowPositionals: true,
      options: { out: { type: 'string' }, sourcemap: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    },
    USAGE,
  );
  if (values.help) {
    println(io.stdout, USAGE);
    return EXIT.ok;
  }
  const names = positionals.length > 0 ? scenarioNames(positionals) : undefined;
  const outDir = values.out === undefined ? DEFAULT_BUNDLE_DIR : path.resolve(io.cwd, values.out);
  const built = await buildScenarios({ outDir, version: VERSION, sourcemap: values.sourcemap, ...(names ? { names } : {}) });
  for (const bundle of built) {
    println(io.stdout, `${path.relative(io.cwd, bundle.file) || bundle.file}  ${(bundle.bytes / 1024).toFixed(1)} KiB  imports ${bundle.imports.join(', ')}`);
  }
  return EXIT.ok;
}

async function isValidSummary(file: string): Promise<boolean> {
  try {
    return summarySchema.safeParse(JSON.parse(await readFile(file, 'utf8'))).success;
  } catch {
    // Not JSON (k6 stopped mid-write): as unreadable as a summary of the wrong shape.
    return false;
  }
}

function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`-e ${pair}: expected KEY=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

async function runScenario(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgsOrUsage(
    {
      args,
      allowPositionals: true,
      options: {
        target: { type: 'string' },
        out: { type: 'string' },
        token: { type: 'string' },
        vus: { type: 'string' },
        duration: { type: 'string' },
        results: { type: 'string' },
        testid: { type: 'string' },
        k6: { type: 'string' },
        bundles: { type: 'string' },
        env: { type: 'string', short: 'e', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h' },
      },
    },
    USAGE,
  );
  if (values.help) {
    println(io.stdout, USAGE);
    return EXIT.ok;
  }
  // Everything after `--` goes to k6 untouched (parseArgs keeps it among the positionals).
  const dashDash = args.indexOf('--');
  const extraArgs = dashDash === -1 ? [] : args.slice(dashDash + 1);
  const ownPositionals = dashDash === -1 ? positionals : positionals.slice(0, positionals.length - extraArgs.length);
  if (ownPositionals.length !== 1) throw new UsageError(`k6 run takes one scenario name: ${SCENARIO_NAMES.join(', ')}`);
  const [scenario] = scenarioNames(ownPositionals);
  if (scenario === undefined) throw new UsageError('k6 run: missing scenario');

  const target = values.target;
  if (target === undefined || !/^https?:\/\/[^\s/]+/.test(target)) throw new UsageError('--target URL is required: the base URL of the target, e.g. http://127.0.0.1:3000');
  const vus = values.vus === undefined ? undefined : parseIntegerFlag('--vus', values.vus, { min: 1 });
  // Checked here so a typo exits 2 before k6 starts; k6 is given the text as written.
  if (values.duration !== undefined) parseDurationFlag('--duration', values.duration, { minMs: 1 });
  const prometheusRw = values.out === undefined ? undefined : parseRemoteWriteFlag(values.out, { env: io.env, otherOutputsHint: 'other k6 outputs go after --' });
  const extraEnv = parseEnvPairs(values.env);

  // Before any work: without k6 there is nothing to run.
  const k6Name = values.k6 ?? io.env.K6_BINARY ?? 'k6';
  const k6Path = findExecutable(k6Name, io.env.PATH);
  if (k6Path === undefined) throw new MissingToolError(k6Name, K6_INSTALL_HELP);

  const bundleDir = values.bundles === undefined ? DEFAULT_BUNDLE_DIR : path.resolve(io.cwd, values.bundles);
  const bundleFile = path.join(bundleDir, `${scenario}.js`);
  if (!existsSync(bundleFile)) {
    println(io.stderr, `building ${path.relative(io.cwd, bundleFile) || bundleFile} ...`);
    await buildScenarios({ outDir: bundleDir, names: [scenario], version: VERSION });
  }

  // The run is named after its results folder: `results/k6-<scenario>-<UTC time>` unless --results.
  const resultsDir = path.resolve(io.cwd, values.results ?? path.join('results', `k6-${scenario}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`));
  const runId = path.basename(resultsDir);
  // As `run` does: a folder that cannot be written fails before k6 sends anything (exit 2).
  await checkResultsFolder(resultsDir);
  const invocation = buildK6Invocation({
    scenario,
    bundleFile,
    target,
    resultsDir,
    runId,
    testid: values.testid ?? runId,
    ...(prometheusRw === undefined ? {} : { prometheusRw }),
    ...(values.token === undefined ? {} : { token: values.token }),
    ...(vus === undefined ? {} : { vus }),
    ...(values.duration === undefined ? {} : { duration: values.duration }),
    env: extraEnv,
    extraArgs,
  });
  println(io.stderr, `k6 ${invocation.args.join(' ')}`);
  const code = await spawnK6({ k6Path, invocation, baseEnv: io.env, cwd: io.cwd, stdout: io.stdout, stderr: io.stderr, signal: io.signal });

  const summaryFile = path.join(resultsDir, RESULT_FILES.summary);
  if (!existsSync(summaryFile)) {
    println(io.stderr, `warning: k6 wrote no ${RESULT_FILES.summary} into ${resultsDir}`);
  } else if (!(await isValidSummary(summaryFile))) {
    // k6's own exit code still says how the run went: a summary we cannot read is only a warning.
    println(io.stderr, `warning: ${summaryFile} does not match the summary schema`);
  } else {
    println(io.stderr, `results: ${path.relative(io.cwd, resultsDir) || resultsDir}`);
    // As a Node run ends (src/report/finalize.ts): diagnosis, report.html, junit.xml. A k6 run has
    // no connection records, so its diagnosis reads the summary alone.
    await finalizeAndPrintFindings(resultsDir, io);
  }
  // Ctrl-C: k6 stopped the run and wrote its summary; say "interrupted" the way every command does.
  return io.signal.aborted ? EXIT.interrupted : code;
}
