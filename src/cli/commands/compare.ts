/**
 * `streamsoak compare BASELINE CURRENT [--max-regression LIMITS] [--json]`: what got better and
 * worse between two runs. Exit 1 on a regression past the limits (or a run whose harness lost a
 * worker: not trustworthy), 0 otherwise, 2 on bad usage
 * (including a missing or unreadable results folder: a CI job must not read that as a regression).
 */
import { StreamsoakError, UsageError } from '../../core/errors.js';
import { DEFAULT_REGRESSION_LIMITS, compareRuns, defaultRegressionLimits, formatComparison, parseRegressionLimits } from '../../report/compare.js';
import { readSummary } from '../../results/reader.js';
import { parseArgsOrUsage } from '../args.js';
import { EXIT, println, type CliIo } from '../io.js';

const USAGE = `usage: streamsoak compare BASELINE CURRENT [--max-regression LIMITS] [--json]

BASELINE and CURRENT are results folders or summary.json files. Prints what got better and worse;
exits 1 when a metric got worse past its limit or a run is not trustworthy (its harness lost a
worker), 0 otherwise, 2 on bad usage.

options:
  --max-regression LIMITS  comma-separated METRIC[.STAT]=LIMIT, replacing the defaults. A LIMIT is
                           relative (10%), absolute in the metric's unit (5ms, 3), or both (10%/5ms:
                           worse by more than 10 % and by more than 5 ms). Directions are known:
                           latency up, drops up and connects down are worse.
                           default (a percentile is gated only with 10/(1-q) samples
                           in both runs: 200 for p95, 1,000 for p99):
                             ${DEFAULT_REGRESSION_LIMITS.split(',').join(',\n                             ')}
  --json                   print the comparison as JSON
  -h, --help               this help`;

async function load(target: string, role: string): Promise<Awaited<ReturnType<typeof readSummary>>> {
  try {
    return await readSummary(target);
  } catch (error) {
    if (error instanceof StreamsoakError) throw new UsageError(`${role}: ${error.message}`);
    throw error;
  }
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseArgsOrUsage(
    {
      args,
      allowPositionals: true,
      options: { 'max-regression': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    },
    USAGE,
  );
  if (parsed.values.help) {
    println(io.stdout, USAGE);
    return EXIT.ok;
  }
  if (parsed.positionals.length !== 2) throw new UsageError(`compare takes two results folders (BASELINE CURRENT)\n\n${USAGE}`);
  const given = parsed.values['max-regression'];
  const limits = given === undefined ? defaultRegressionLimits() : parseRegressionLimits(given);
  const [baselinePath, currentPath] = parsed.positionals as [string, string];
  const baseline = await load(baselinePath, 'baseline');
  const current = await load(currentPath, 'current');
  const comparison = compareRuns(baseline, current, limits);
  // Only limits the user wrote: the defaults name poll metrics that an SSE-only run never records.
  if (given !== undefined && comparison.unmatchedLimits.length > 0) {
    throw new UsageError(`--max-regression names metrics neither run recorded: ${comparison.unmatchedLimits.join(', ')}`);
  }
  println(io.stdout, parsed.values.json ? JSON.stringify(comparison, null, 2) : formatComparison(comparison));
  // A run whose harness lost a worker measured less load than planned: it can pass nothing.
  return comparison.regressions.length > 0 || comparison.untrustworthy.length > 0 ? EXIT.error : EXIT.ok;
}
