/**
 * `streamsoak doctor URL [--origin O] [--token T] [--hold 330s]`: the guide's checks on one SSE
 * endpoint and its decision tree. Exit 0 healthy, 5 problems found, 2 bad usage (not 1: that is a
 * crash's code, and a job that runs the doctor must tell an unhealthy endpoint from a broken tool).
 */
import { formatDurationMs } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { DEFAULT_HOLD_MS, formatDoctorReport, runDoctor } from '../../doctor/doctor.js';
import { parseArgsOrUsage, parseDurationFlag, parseIntegerFlag, parsePositiveNumberFlag } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { println, type CliIo } from '../io.js';

const HELP = `usage: streamsoak doctor URL [options]

Runs the troubleshooting guide's checks on one SSE endpoint: the response headers, the test stream
(URL/test: did every message arrive, one a second?), a stream held open to find a time limit,
buffering, CORS for --origin; then walks the guide's decision tree.

URL is the site's base URL (https://app.example → /api/calls/events) or the events URL itself.

options:
  --origin O          check CORS as a front end on origin O would meet it
  --token T           sent as Authorization: Bearer T (default: $STREAMSOAK_TOKEN)
  --hold D            hold the events stream open this long (default 330s, past Vercel Pro's 300 s)
  --test-path P       the test stream's path (default: the events path + /test)
  --test-messages N   messages the test stream sends (default 30, the guide's; for servers set otherwise)
  --time-scale X      the target runs behind 'streamsoak proxy --time-scale X': match limits at that scale

exit codes: 0 healthy, 5 problems found, 2 bad usage, 130 interrupted`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgsOrUsage(
    {
      args,
      allowPositionals: true,
      options: {
        origin: { type: 'string' },
        token: { type: 'string' },
        hold: { type: 'string' },
        'test-path': { type: 'string' },
        'test-messages': { type: 'string' },
        'time-scale': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    },
    HELP,
  );
  if (values.help) {
    println(io.stdout, HELP);
    return EXIT.ok;
  }
  const [url, ...extra] = positionals;
  if (url === undefined) throw new UsageError(`doctor needs a URL\n\n${HELP}`);
  if (extra.length > 0) throw new UsageError(`doctor takes one URL, got also: ${extra.join(' ')}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`not a URL: "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`the URL must be http:// or https://, got ${parsed.protocol}`);
  const holdMs = values.hold === undefined ? DEFAULT_HOLD_MS : parseDurationFlag('--hold', values.hold, { minMs: 1_000, maxMs: 3_600_000 });
  const testMessages = values['test-messages'] === undefined ? undefined : parseIntegerFlag('--test-messages', values['test-messages'], { min: 1 });
  const timeScale = values['time-scale'] === undefined ? undefined : parsePositiveNumberFlag('--time-scale', values['time-scale']);
  if (values.origin !== undefined) {
    try {
      new URL(values.origin);
    } catch {
      throw new UsageError(`--origin must be an origin such as https://app.example, got "${values.origin}"`);
    }
  }
  const token = values.token ?? io.env.STREAMSOAK_TOKEN;

  println(io.stderr, `streamsoak doctor: checking ${url} (holding a stream for up to ${formatDurationMs(holdMs)}; Ctrl-C to stop early)`);
  const result = await runDoctor({
    url,
    holdMs,
    signal: io.signal,
    ...(values.origin !== undefined ? { origin: values.origin } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(values['test-path'] !== undefined ? { testPath: values['test-path'] } : {}),
    ...(testMessages !== undefined ? { testMessages } : {}),
    ...(timeScale !== undefined ? { timeScale } : {}),
    onStep(step) {
      if (step.phase === 'start') println(io.stderr, `  … ${step.title}`);
    },
  });
  println(io.stdout, formatDoctorReport(result));
  if (io.signal.aborted) return EXIT.interrupted;
  return result.healthy ? EXIT.ok : EXIT.problemsFound;
}
