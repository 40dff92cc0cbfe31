/**
 * `streamsoak serve`: runs the reference server until SIGINT/SIGTERM, then ends every stream
 * cleanly. `--workers N` runs N processes on one port (node:cluster).
 */
import { InvalidConfigError, UsageError } from '../../core/errors.js';
import type { ReferenceServerOptions, ResolvedServerOptions, RunningServer } from '../../server/index.js';
import { parseArgsOrUsage, parseDurationFlag, parseIntegerFlag } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { println, type CliIo } from '../io.js';

const HELP = `usage: streamsoak serve [options]

Runs the reference server (the guide's SSE endpoints). Tokens are verified with JWT_ACCESS_SECRET.
  --port N                 listen port (default 8080; 0 = any free port)
  --host H                 listen address (default 127.0.0.1)
  --mode tick|bus          event source of /api/calls/events (default tick)
  --interval D             tick interval (default 1s; 10ms..60s)
  --heartbeat D            comment heartbeat interval (default 15s; 0 = off)
  --retry D                retry: sent at stream start (default 3s)
  --publish-interval D     bus mode: one event per active user every D (default 1s; 0 = only POST /emit)
  --replay-buffer N        events kept per user channel for Last-Event-ID and polling (default 100)
  --max-buffered-bytes N   unsent bytes per stream before a slow consumer is cut (default 524288)
  --max-body-bytes N       POST /api/calls/emit body limit (default 65536)
  --cors-origin O          allow this origin with credentials (repeatable; * = any origin,
                           without credentials)
  --max-connections N      open streams per process past which new ones get 503 + Retry-After
                           (default 10000; 0 = no cap)
  --headers-timeout D      a client must send its request head within D, or gets 408 (default 10s)
  --request-timeout D      the whole request (head and body) within D; never limits a stream's
                           response (default 30s; 0 = off)
  --clock-offset=D         shift the server clock by D to simulate a remote machine's clock
                           (--clock-offset=250ms, --clock-offset=-1s: use = before a negative value)
  --profile NAME           label reported by /api/health (default local)
  --test-stream-interval D /api/calls/events/test interval (default 1s)
  --test-stream-messages N /api/calls/events/test message count (default 30)
  --workers N              processes sharing the port (default 1)`;

/** Schema fields and the flags that set them, so validation errors name what the user typed. */
const FLAG_OF: Readonly<Record<string, string>> = {
  port: '--port',
  host: '--host',
  mode: '--mode',
  tickIntervalMs: '--interval',
  heartbeatMs: '--heartbeat',
  retryMs: '--retry',
  publishIntervalMs: '--publish-interval',
  replayBufferSize: '--replay-buffer',
  maxBufferedBytes: '--max-buffered-bytes',
  maxBodyBytes: '--max-body-bytes',
  corsOrigins: '--cors-origin',
  clockOffsetMs: '--clock-offset',
  profile: '--profile',
  testStreamIntervalMs: '--test-stream-interval',
  testStreamMessages: '--test-stream-messages',
  maxConnections: '--max-connections',
  headersTimeoutMs: '--headers-timeout',
  requestTimeoutMs: '--request-timeout',
  jwtSecret: 'JWT_ACCESS_SECRET',
};

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgsOrUsage(
    {
      args,
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        mode: { type: 'string' },
        interval: { type: 'string' },
        heartbeat: { type: 'string' },
        retry: { type: 'string' },
        'publish-interval': { type: 'string' },
        'replay-buffer': { type: 'string' },
        'max-buffered-bytes': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'cors-origin': { type: 'string', multiple: true },
        'clock-offset': { type: 'string' },
        profile: { type: 'string' },
        'test-stream-interval': { type: 'string' },
        'test-stream-messages': { type: 'string' },
        'max-connections': { type: 'string' },
        'headers-timeout': { type: 'string' },
        'request-timeout': { type: 'string' },
        workers: { type: 'string', default: '1' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    },
    HELP,
  );
  if (values.help) {
    println(io.stdout, HELP);
    return EXIT.ok;
  }

  const secret = io.env.JWT_ACCESS_SECRET;
  if (secret === undefined || secret.length === 0) {
    throw new UsageError('JWT_ACCESS_SECRET is not set: the server verifies tokens with it (e.g. export JWT_ACCESS_SECRET=$(openssl rand -hex 32))');
  }
  const options: ReferenceServerOptions = {
    jwtSecret: secret,
    port: parseIntegerFlag('--port', values.port),
    host: values.host,
    ...(values.mode !== undefined ? { mode: values.mode as 'tick' | 'bus' } : {}),
    ...optional('tickIntervalMs', values.interval, (text) => duration('--interval', text)),
    ...optional('heartbeatMs', values.heartbeat, (text) => duration('--heartbeat', text)),
    ...optional('retryMs', values.retry, (text) => duration('--retry', text)),
    ...optional('publishIntervalMs', values['publish-interval'], (text) => duration('--publish-interval', text)),
    ...optional('replayBufferSize', values['replay-buffer'], (text) => parseIntegerFlag('--replay-buffer', text)),
    ...optional('maxBufferedBytes', values['max-buffered-bytes'], (text) => parseIntegerFlag('--max-buffered-bytes', text)),
    ...optional('maxBodyBytes', values['max-body-bytes'], (text) => parseIntegerFlag('--max-body-bytes', text)),
    ...optional('clockOffsetMs', values['clock-offset'], (text) => signedDuration('--clock-offset', text)),
    ...optional('testStreamIntervalMs', values['test-stream-interval'], (text) => duration('--test-stream-interval', text)),
    ...optional('testStreamMessages', values['test-stream-messages'], (text) => parseIntegerFlag('--test-stream-messages', text)),
    ...optional('maxConnections', values['max-connections'], (text) => parseIntegerFlag('--max-connections', text)),
    ...optional('headersTimeoutMs', values['headers-timeout'], (text) => duration('--headers-timeout', text)),
    ...optional('requestTimeoutMs', values['request-timeout'], (text) => duration('--request-timeout', text)),
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
    ...(values['cors-origin'] !== undefined ? { corsOrigins: values['cors-origin'] } : {}),
  };
  const workers = parseIntegerFlag('--workers', values.workers, { min: 1, max: 256 });

  const { parseReferenceServerOptions, startReferenceServer, startClusteredServer } = await import('../../server/index.js');
  let resolved: ResolvedServerOptions;
  try {
    resolved = parseReferenceServerOptions(options);
  } catch (error) {
    if (error instanceof InvalidConfigError) {
      const issues = error.issues.map((issue) => {
        const field = issue.slice(0, issue.indexOf(':')).split('.')[0] ?? '';
        return FLAG_OF[field] ? `${FLAG_OF[field]}${issue.slice(field.length)}` : issue;
      });
      throw new InvalidConfigError('serve options', issues);
    }
    throw error;
  }

  const server: RunningServer = workers > 1 ? await startClusteredServer({ ...options, workers }) : await startReferenceServer(options);
  println(io.stdout, `streamsoak serve: listening on ${server.url} (mode ${resolved.mode}, ${workers} worker${workers === 1 ? '' : 's'})`);
  println(io.stdout, `  stream:  ${server.url}/api/calls/events?token=$(streamsoak token --user u1)`);
  println(io.stdout, `  test:    ${server.url}/api/calls/events/test`);
  println(io.stdout, `  health:  ${server.url}/api/health   metrics: ${server.url}/metrics`);

  await new Promise<void>((resolve) => {
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  println(io.stdout, 'streamsoak serve: stopping (ending every stream)');
  await server.close();
  println(io.stdout, 'streamsoak serve: stopped');
  return EXIT.ok;
}

function optional<K extends string, V>(key: K, text: string | undefined, parse: (text: string) => V): Partial<Record<K, V>> {
  return text === undefined ? {} : ({ [key]: parse(text) } as Record<K, V>);
}

/** Whole milliseconds: the server options are integers. */
const duration = (flag: string, text: string): number => Math.round(parseDurationFlag(flag, text));

function signedDuration(flag: string, text: string): number {
  const trimmed = text.trim();
  const negative = trimmed.startsWith('-');
  const ms = duration(flag, negative || trimmed.startsWith('+') ? trimmed.slice(1) : trimmed);
  return negative ? -ms : ms;
}
