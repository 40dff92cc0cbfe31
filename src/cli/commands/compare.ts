/**
 * `streamsoak compare BASELINE CURRENT [--max-regression LIMITS] [--json]`: what got better and
 * worse between two runs. Exit 4 on a regression past the limits, 3 when a run is not trustworthy
 * (its harness lost a worker; wins over 4), 0 otherwise, 2 on bad usage (including a missing or
 * unreadable results folder: a CI job must not read that as a regression). 1 is left to crashes.
 */
import { StreamsoakError, UsageError } from '../../core/errors.js';
import {
  DEFAULT_REGRESSION_LIMITS,
  compareRuns,
  comparisonOutcome,
  defaultRegressionLimits,
  formatComparison,
  parseRegressionLimits,
  type ComparisonOutcome,
} from '../../report/compare.js';
import { readSummary } from '../../results/reader.js';
import { parseArgsOrUsage } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { println, type CliIo } from '../io.js';

const USAGE = `usage: streamsoak compare BASELINE CURRENT [--max-regression LIMITS] [--json]

BASELINE and CURRENT are results folders or summary.json files. Prints what got better and worse.

exit codes:
  0   no regression past the limits
  2   bad usage, or a results folder that is missing or cannot be read
  3   a run is not trustworthy (its harness lost a worker): rerun it (wins over 4)
  4   a metric got worse than the baseline past its limit

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

const EXIT_OF_OUTCOME: Readonly<Record<ComparisonOutcome, number>> = {
  pass: EXIT.ok,
  regression: EXIT.regression,
  untrustworthy: EXIT.untrustworthy,
};

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
  // One exit code per outcome: a CI job tells a regression of the target from a run to repeat.
  return EXIT_OF_OUTCOME[comparisonOutcome(comparison)];
}

