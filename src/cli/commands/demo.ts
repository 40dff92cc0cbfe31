/**
 * `streamsoak demo` (`npm run demo`): the embedded default. Starts the reference server on loopback,
 * by default behind the `vercel-hobby` platform simulator (a 10 s function limit), runs a bounded
 * mixed SSE + polling run (25 s), writes `results/<run>/`, prints the diagnosis and where the results
 * are. Everything stays on 127.0.0.1 and stops by itself.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { checkResultsFolder } from '../../results/writer.js';
import { createRunId, parsePlan, runPlan } from '../../engine/index.js';
import { parseArgsOrUsage, parseDurationFlag, parseIntegerFlag } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { finalizeAndPrintFindings } from '../findings.js';
import { println, type CliIo } from '../io.js';
import { createProgressRenderer, formatRunSummary } from '../progress.js';

const USAGE = `usage: streamsoak demo [--profile NAME|none] [--duration D] [--sse N] [--poll N] [--results DIR] [--quiet]

Starts the reference server on 127.0.0.1 behind a simulated hosting platform (default vercel-hobby:
streams are cut after 10 s), runs SSE and polling clients against it (default 25 s, 200 SSE clients,
50 polling clients), writes results/<run>/ and prints the diagnosis.`;

/** The demo's bound: under a minute, whatever the flags say. */
const MAX_DEMO_MS = 60_000;
const MAX_DEMO_CLIENTS = 5_000;
const DEMO_ORIGIN = 'http://localhost:3000';
const DEMO_PUBLISH_INTERVAL_MS = 1_000;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgsOrUsage(
    {
      args,
      options: {
        profile: { type: 'string', default: 'vercel-hobby' },
        duration: { type: 'string', default: '25s' },
        sse: { type: 'string', default: '200' },
        poll: { type: 'string', default: '50' },
        results: { type: 'string', default: 'results' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    USAGE,
  );
  if (values.help) {
    println(io.stdout, USAGE);
    return EXIT.ok;
  }
  // A run is at least 1 ms long (the plan's bound), and a demo at most a minute.
  const durationMs = parseDurationFlag('--duration', values.duration, { minMs: 1, maxMs: MAX_DEMO_MS });
  const sse = parseIntegerFlag('--sse', values.sse, { max: MAX_DEMO_CLIENTS });
  const poll = parseIntegerFlag('--poll', values.poll, { max: MAX_DEMO_CLIENTS });

  // Before the server starts: a folder that cannot be written fails the demo at once (exit 2).
  const runId = createRunId();
  await checkResultsFolder(resolve(values.results, runId));
  const jwtSecret = randomBytes(24).toString('base64url');
  const { startReferenceServer } = await import('../../server/index.js');
  const server = await startReferenceServer({
    port: 0,
    host: '127.0.0.1',
    jwtSecret,
    mode: 'bus',
    publishIntervalMs: DEMO_PUBLISH_INTERVAL_MS,
    heartbeatMs: 5_000,
    corsOrigins: [DEMO_ORIGIN],
    profile: values.profile,
  });
  // The seam for the platform simulator: the clients talk to `targetUrl`, which is the proxy's
  // address when a profile is given and the server's otherwise.
  let proxy: { url: string; close(): Promise<void> } | undefined;
  try {
    if (values.profile !== 'none') {
      const { startPlatformProxy } = await import('../../platform/index.js');
      proxy = await startPlatformProxy({ upstream: server.url, profiles: [values.profile], host: '127.0.0.1', port: 0, signal: io.signal });
    }
    const targetUrl = proxy?.url ?? server.url;
    println(io.stdout, `streamsoak demo: reference server ${server.url}${proxy ? `, behind ${values.profile} at ${proxy.url}` : ''}`);
    println(io.stdout, `  ${sse} SSE clients (browser reconnect rules) and ${poll} polling clients (every 3 s) for ${values.duration}`);

    const plan = parsePlan({
      name: `demo (${values.profile})`,
      // The server publishes one event a second to every user channel (bus mode, above): the
      // summary carries it, so the diagnosis can tell a silent stream from a sparse one.
      target: { baseUrl: targetUrl, origin: DEMO_ORIGIN, expectedIntervalMs: DEMO_PUBLISH_INTERVAL_MS },
      auth: { secret: jwtSecret, sendAs: 'header' },
      sse: { clients: sse, rampUpMs: Math.min(2_000, durationMs / 4), reconnect: { policy: 'browser', defaultRetryMs: 3_000, jitterMs: 500 } },
      poll: { clients: poll, intervalMs: 3_000 },
      duration: durationMs,
      workers: 1,
      thresholds: { sse_event_latency: ['p(95)<500'], sse_connect_failures: ['rate<0.01'] },
    });
    const renderer = values.quiet ? undefined : createProgressRenderer(io.stdout);
    const outcome = await runPlan(plan, {
      signal: io.signal,
      resultsDir: values.results,
      runId,
      ...(renderer ? { onProgress: (update) => renderer.update(update) } : {}),
    });
    renderer?.done();
    for (const line of formatRunSummary(outcome.summary, outcome.outDir)) println(io.stdout, line);
    await finalizeAndPrintFindings(outcome.outDir, io);
    // A demo shows; it does not judge its thresholds: only an interruption, or a harness that failed
    // during the run (exit 3, as `run`), changes its exit code.
    if (outcome.interrupted) return EXIT.interrupted;
    return outcome.summary.harness?.trustworthy === false ? EXIT.untrustworthy : EXIT.ok;
  } finally {
    await proxy?.close();
    await server.close();
  }
}
