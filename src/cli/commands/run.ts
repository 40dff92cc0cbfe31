/**
 * `streamsoak run [PLAN] [flags]`: runs a load plan with the Node engine. Flags override the plan
 * file's fields; the merged plan is validated once (exit 2 naming every bad field). Exit codes:
 * 0, 99 when a threshold failed, 3 when a worker process was lost (the run is not trustworthy; it
 * wins over 99), 130 when interrupted (wins over both; results written in every case), 6 when a
 * worker did not even load (src/cli/exit-codes.ts).
 */
import { InvalidConfigError, UsageError } from '../../core/errors.js';
import { createRunId, readPlanFile, parsePlan, runPlan, type Plan, type RunOutcome } from '../../engine/index.js';
import type { MetricsSink } from '../../metrics/snapshot.js';
import { parseArgsOrUsage, parseIntegerFlag } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { finalizeAndPrintFindings } from '../findings.js';
import { println, type CliIo } from '../io.js';
import { createProgressRenderer, formatRunSummary } from '../progress.js';
import { parseRemoteWriteFlags } from '../remote-write-flag.js';

export const RUN_USAGE = `usage: streamsoak run [PLAN.yaml|PLAN.json] [options]

Target and clients (override the plan file):
  --url URL               the events URL, path and query included (target.url), e.g.
                          http://127.0.0.1:8080/sub/room1?x=1; a bare origin means the
                          reference server's paths (/api/calls/events, /api/calls/poll)
  --sse-path PATH         the SSE path beside a bare --url (target.ssePath)
  --poll-path PATH        the polling path (target.pollPath; default /api/calls/poll)
Your own events (events: in a plan; without it, the reference server's {seq, sentAt, stream}):
  --event-time POINTER    JSON pointer to the send time in the event data, e.g. /ts
                          (events.time): epoch s, ms, us or ns, or an ISO-8601 string
  --event-time-unit U     auto|s|ms|us|ns|iso (events.timeUnit; default auto: by magnitude)
  --event-seq id|POINTER  the sequence number, for lost and duplicated events (events.seq)
  --event-seq-pattern RE  read it through a regex with (?<seq>...) (events.seqPattern)
  --event-stream id|event|POINTER  what a sequence belongs to (events.stream)
The harness as the publisher (publish: in a plan), for publish-to-deliver latency:
  --publish URL           POST each message there (publish.url)
  --publish-rate N        messages a second (publish.rate; default 1)
  --publish-body T        the body template (publish.body; default
                          {"id":"{{id}}","seq":{{seq}},"sentAt":{{sentAt}}}); {{id}} is required:
                          subscribers recognise a message by it in the event data
  --sse N                 SSE clients                --ramp-up D   open them over D
  --poll N                polling clients            --poll-interval D (default 3s)
  --duration D            run length, e.g. 30s, 5m (required, at most 24h)
  --token T | --secret S  static token, or mint one per user from the target's JWT secret
                          (--secret defaults to JWT_ACCESS_SECRET when --mint is given)
  --send-as header|cookie|query
  --origin ORIGIN         send Origin; record access-control-allow-origin
  --query k=v             extra query parameter on both endpoints (repeatable), e.g. mode=tick
  --reconnect browser|none|backoff
  --threshold 'metric=expr'  k6 threshold, e.g. 'sse_event_latency=p(95)<500' (repeatable)
  --workers N|auto
  --idle-timeout D        end a stream silent for D as idle_timeout (timeouts.idleMs;
                          default 90s, 0: never)
  --clock auto|same-host|api-time|date-header|none
                          how latency is read across clocks (default auto: same-host on
                          loopback, else the offset from the target's /api/time; without
                          it, latency is reported unknown; date-header: a coarse offset
                          from the HTTP Date header, ± 0.5 s stated beside every figure)
Output:
  --results DIR           parent folder of the run's folder (default results)
  --run-id ID
  --out prometheus-rw[=URL]  also push live metrics (repeatable; URL, else K6_PROMETHEUS_RW_SERVER_URL,
                          else http://127.0.0.1:9090/api/v1/write)
  --quiet                 no live progress

Exit codes:
  0    the run completed and every threshold held
  1    unexpected error
  2    usage error, invalid plan, or a results folder that cannot be written
       (checked before any request reaches the target)
  3    not trustworthy: a worker process died mid-run; its attempts in flight are
       recorded as client_worker_lost and the summary says so (wins over 99)
  6    the harness could not start (a worker process did not load): nothing was measured
  99   a threshold failed
  130  interrupted (Ctrl-C or SIGTERM); results written`;

type Raw = Record<string, unknown>;

function section(raw: Raw, key: string): Raw {
  const value = raw[key];
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Raw;
  const fresh: Raw = {};
  raw[key] = fresh;
  return fresh;
}

export interface ParsedRunArgs {
  plan: Plan;
  resultsDir: string;
  runId: string | undefined;
  remoteWriteUrls: string[];
  quiet: boolean;
}

// Plan fields a flag sets: an error on one names the flag the user typed, not only the field.
const FLAG_FIELDS: ReadonlyArray<readonly [flag: string, field: string]> = [
  ['url', 'target.url'],
  ['sse-path', 'target.ssePath'],
  ['poll-path', 'target.pollPath'],
  ['event-time', 'events.time'],
  ['event-time-unit', 'events.timeUnit'],
  ['event-seq', 'events.seq'],
  ['event-seq-pattern', 'events.seqPattern'],
  ['event-stream', 'events.stream'],
  ['publish', 'publish.url'],
  ['publish-rate', 'publish.rate'],
  ['publish-body', 'publish.body'],
  ['origin', 'target.origin'],
  ['ramp-up', 'sse.rampUpMs'],
  ['reconnect', 'sse.reconnect.policy'],
  ['poll-interval', 'poll.intervalMs'],
  ['duration', 'duration'],
  ['clock', 'clock'],
  ['idle-timeout', 'timeouts.idleMs'],
  ['send-as', 'auth.sendAs'],
];

function parsePlanNamingFlags(raw: Raw, values: Record<string, unknown>): Plan {
  try {
    return parsePlan(raw);
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    const issues = error.issues.map((line) => {
      const flag = FLAG_FIELDS.find(([name, field]) => values[name] !== undefined && line.startsWith(`${field}:`));
      return flag ? `--${flag[0]} (${flag[1]})${line.slice(flag[1].length)}` : line;
    });
    throw new InvalidConfigError('plan', issues, { cause: error });
  }
}

export async function parseRunArgs(args: string[], io: Pick<CliIo, 'env'>): Promise<ParsedRunArgs | 'help'> {
  const { values, positionals } = parseArgsOrUsage(
    {
      args,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        'sse-path': { type: 'string' },
        'poll-path': { type: 'string' },
        'event-time': { type: 'string' },
        'event-time-unit': { type: 'string' },
        'event-seq': { type: 'string' },
        'event-seq-pattern': { type: 'string' },
        'event-stream': { type: 'string' },
        publish: { type: 'string' },
        'publish-rate': { type: 'string' },
        'publish-body': { type: 'string' },
        sse: { type: 'string' },
        'ramp-up': { type: 'string' },
        poll: { type: 'string' },
        'poll-interval': { type: 'string' },
        duration: { type: 'string' },
        token: { type: 'string' },
        secret: { type: 'string' },
        mint: { type: 'boolean' },
        'send-as': { type: 'string' },
        origin: { type: 'string' },
        query: { type: 'string', multiple: true },
        reconnect: { type: 'string' },
        threshold: { type: 'string', multiple: true },
        workers: { type: 'string' },
        clock: { type: 'string' },
        'idle-timeout': { type: 'string' },
        results: { type: 'string' },
        'run-id': { type: 'string' },
        out: { type: 'string', multiple: true },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    RUN_USAGE,
  );
  if (values.help) return 'help';
  if (positionals.length > 1) throw new UsageError(`streamsoak run takes one plan file, got ${positionals.length}: ${positionals.join(' ')}`);
  const raw: Raw = positionals[0] !== undefined ? (((await readPlanFile(positionals[0])) ?? {}) as Raw) : {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError('the plan file must hold an object');

  if (values.url !== undefined) {
    // The flag wins over the plan file's target, whichever of the two forms the file used.
    const target = section(raw, 'target');
    delete target.baseUrl;
    target.url = values.url;
  }
  if (values['sse-path'] !== undefined) section(raw, 'target').ssePath = values['sse-path'];
  if (values['poll-path'] !== undefined) section(raw, 'target').pollPath = values['poll-path'];
  const eventFlags = [
    ['event-time', 'time'],
    ['event-time-unit', 'timeUnit'],
    ['event-seq', 'seq'],
    ['event-seq-pattern', 'seqPattern'],
    ['event-stream', 'stream'],
  ] as const;
  for (const [flag, field] of eventFlags) {
    const value = values[flag];
    if (value !== undefined) section(raw, 'events')[field] = value;
  }
  if (values.publish !== undefined) section(raw, 'publish').url = values.publish;
  if (values['publish-rate'] !== undefined) {
    const rate = Number(values['publish-rate']);
    section(raw, 'publish').rate = Number.isFinite(rate) && values['publish-rate'].trim() !== '' ? rate : values['publish-rate'];
  }
  if (values['publish-body'] !== undefined) section(raw, 'publish').body = values['publish-body'];
  // One message a second unless said: the figure capacity planners compare with Pusher and Ably.
  const publishSection = raw.publish;
  if (typeof publishSection === 'object' && publishSection !== null && !Array.isArray(publishSection) && (publishSection as Raw).rate === undefined) {
    (publishSection as Raw).rate = 1;
  }
  if (values.origin !== undefined) section(raw, 'target').origin = values.origin;
  for (const pair of values.query ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--query: expected key=value, got "${pair}"`);
    section(section(raw, 'target'), 'query')[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (values.sse !== undefined) section(raw, 'sse').clients = parseIntegerFlag('--sse', values.sse);
  if (values['ramp-up'] !== undefined) section(raw, 'sse').rampUpMs = values['ramp-up'];
  if (values.reconnect !== undefined) section(raw, 'sse').reconnect = { policy: values.reconnect };
  if (values.poll !== undefined) section(raw, 'poll').clients = parseIntegerFlag('--poll', values.poll);
  if (values['poll-interval'] !== undefined) section(raw, 'poll').intervalMs = values['poll-interval'];
  if (values.duration !== undefined) raw.duration = values.duration;
  if (values.workers !== undefined) raw.workers = values.workers === 'auto' ? 'auto' : parseIntegerFlag('--workers', values.workers);
  // Validated with the rest of the plan (exit 2 naming the allowed values).
  if (values.clock !== undefined) raw.clock = values.clock;
  if (values['idle-timeout'] !== undefined) section(raw, 'timeouts').idleMs = values['idle-timeout'];
  const secret = values.secret ?? (values.mint ? io.env.JWT_ACCESS_SECRET : undefined);
  if (values.mint && secret === undefined) throw new UsageError('--mint needs --secret or JWT_ACCESS_SECRET');
  if (values.token !== undefined && secret !== undefined) throw new UsageError('--token and --secret/--mint are exclusive');
  if (values.token !== undefined) raw.auth = { token: values.token, ...(values['send-as'] ? { sendAs: values['send-as'] } : {}) };
  else if (secret !== undefined) raw.auth = { secret, ...(values['send-as'] ? { sendAs: values['send-as'] } : {}) };
  else if (values['send-as'] !== undefined) section(raw, 'auth').sendAs = values['send-as'];
  for (const item of values.threshold ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--threshold: expected metric=expression, got "${item}"`);
    const thresholds = section(raw, 'thresholds');
    const metric = item.slice(0, eq).trim();
    const list = Array.isArray(thresholds[metric]) ? (thresholds[metric] as unknown[]) : [];
    thresholds[metric] = [...list, item.slice(eq + 1).trim()];
  }

  return {
    plan: parsePlanNamingFlags(raw, values),
    resultsDir: values.results ?? 'results',
    runId: values['run-id'],
    remoteWriteUrls: parseRemoteWriteFlags(values.out ?? [], { env: io.env }),
    quiet: values.quiet ?? false,
  };
}

/** Builds the remote-write sinks; a failed push is reported once on stderr and never stops the run. */
export async function createRemoteWriteSinks(urls: readonly string[], testid: string, io: CliIo): Promise<MetricsSink[]> {
  if (urls.length === 0) return [];
  const { createRemoteWriteSink } = await import('../../metrics/remote-write.js');
  return urls.map((url) =>
    createRemoteWriteSink({
      url,
      testid,
      engine: 'node',
      signal: io.signal,
      onError: (error) => println(io.stderr, `streamsoak: remote write to ${url} failed (reported once, the run goes on): ${error.message}`),
    }),
  );
}

export function exitCodeOf(outcome: RunOutcome): number {
  if (outcome.interrupted) return EXIT.interrupted;
  // A run that lost part of its load generator measured less than the plan asked for: whatever its
  // thresholds say, CI must not take it as a pass or as a regression of the target.
  if (outcome.summary.harness?.trustworthy === false) return EXIT.untrustworthy;
  return outcome.summary.thresholdsPassed ? EXIT.ok : EXIT.thresholdsFailed;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = await parseRunArgs(args, io);
  if (parsed === 'help') {
    println(io.stdout, RUN_USAGE);
    return EXIT.ok;
  }
  const runId = parsed.runId ?? createRunId();
  const sinks = await createRemoteWriteSinks(parsed.remoteWriteUrls, runId, io);
  const renderer = parsed.quiet ? undefined : createProgressRenderer(io.stdout);
  const outcome = await runPlan(parsed.plan, {
    signal: io.signal,
    resultsDir: parsed.resultsDir,
    runId,
    sinks,
    ...(renderer ? { onProgress: (update) => renderer.update(update) } : {}),
  });
  renderer?.done();
  for (const line of formatRunSummary(outcome.summary, outcome.outDir)) println(io.stdout, line);
  // The summary carries what the diagnosis needs (target.origin, expectedIntervalMs, timeScale).
  await finalizeAndPrintFindings(outcome.outDir, io);
  return exitCodeOf(outcome);
}
