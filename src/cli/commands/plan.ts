/**
 * `streamsoak plan --users N --events-per-user-per-minute M [--results DIR ...] [--json]`:
 * capacity planning — the load, what measured runs say one instance holds, which managed-service
 * tier fits and what it costs, and the troubleshooting guide's recommendation.
 */
import { parseDurationMs } from '../../core/duration.js';
import { InvalidConfigError } from '../../core/errors.js';
import { formatCapacityPlan, planCapacity, type MeasuredRun } from '../../report/capacity-plan.js';
import { loadManagedServices } from '../../report/managed-services.js';
import { readSummaryWithExtras } from '../../results/reader.js';
import { parseArgsOrUsage } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { println, type CliIo } from '../io.js';

const USAGE = `usage: streamsoak plan --users N --events-per-user-per-minute M [--results DIR ...] [--json]

options:
  --users N                        users of the app
  --events-per-user-per-minute M   events each user receives a minute
  --online FRACTION                share of users connected at the busiest moment (default 1: all)
  --poll-interval DURATION         polling fallback interval (default 3s, as the guide's fallback)
  --results DIR                    a measured run's results folder (repeatable): what one instance holds
  --services FILE                  a managed-services catalog to use instead of the bundled one
  --json                           print the plan as JSON
  -h, --help                       this help`;

function positiveNumber(name: string, text: string | undefined, issues: string[], allowZero = false): number {
  if (text === undefined) {
    issues.push(`--${name}: required`);
    return NaN;
  }
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) issues.push(`--${name}: expected a ${allowZero ? 'non-negative' : 'positive'} number, got "${text}"`);
  return value;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseArgsOrUsage(
    {
      args,
      options: {
        users: { type: 'string' },
        'events-per-user-per-minute': { type: 'string' },
        online: { type: 'string' },
        'poll-interval': { type: 'string' },
        results: { type: 'string', multiple: true },
        services: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    USAGE,
  );
  const values = parsed.values;
  if (values.help) {
    println(io.stdout, USAGE);
    return EXIT.ok;
  }
  const issues: string[] = [];
  const users = positiveNumber('users', values.users, issues);
  if (Number.isFinite(users) && !Number.isInteger(users)) issues.push(`--users: expected a whole number, got "${values.users}"`);
  const eventsPerUserPerMinute = positiveNumber('events-per-user-per-minute', values['events-per-user-per-minute'], issues, true);
  const online = values.online === undefined ? 1 : positiveNumber('online', values.online, issues);
  if (online > 1) issues.push(`--online: a fraction in (0, 1], got "${values.online}"`);
  const pollIntervalMs = values['poll-interval'] === undefined ? undefined : parseDurationMs(values['poll-interval']);
  if (pollIntervalMs === 0 || (values['poll-interval'] !== undefined && pollIntervalMs === undefined)) issues.push(`--poll-interval: expected a duration such as 3s, got "${values['poll-interval']}"`);
  if (issues.length > 0) throw new InvalidConfigError('plan options', issues);

  const runs: MeasuredRun[] = [];
  for (const dir of values.results ?? []) {
    const { summary, serverPeakRssBytes } = await readSummaryWithExtras(dir);
    runs.push(serverPeakRssBytes === undefined ? { summary, source: dir } : { summary, serverPeakRssBytes, source: dir });
  }
  const catalog = values.services === undefined ? undefined : loadManagedServices(values.services);
  const plan = planCapacity({
    users,
    eventsPerUserPerMinute,
    concurrentFraction: online,
    runs,
    ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
    ...(catalog === undefined ? {} : { catalog }),
  });
  println(io.stdout, values.json ? JSON.stringify(plan, null, 2) : formatCapacityPlan(plan));
  return EXIT.ok;
}
