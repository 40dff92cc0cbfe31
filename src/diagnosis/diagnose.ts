/**
 * The diagnosis: from a run's connection records, the guide's production failures with evidence and
 * remedy — streams cut at a fixed age (a function time limit), after a fixed silence (an idle
 * timeout), events held back (buffering), refusals past a count (a connection cap), missing CORS
 * headers — and failures of the harness itself, never blamed on the target. A healthy run gives no
 * finding: streams the plan ended (`client_closed`) are never evidence of a limit.
 */
import { z } from 'zod';
import { reasonSide, type Reason } from '../core/reasons.js';
import type { ConnectionRecord, Finding, Summary } from '../results/schema.js';
import { maxOf, median } from './cluster.js';
import { countBy, formatCounts, type Context } from './context.js';
import { diagnoseDrops, diagnoseSilentStreams } from './drops.js';
import { BURST_BUFFERING_REMEDY, CLOSE_BUFFERING_REMEDY, CONNECTION_CAP_REMEDY, HARNESS_REMEDY, corsRemedy, formatSeconds, percent } from './signatures.js';

export interface DiagnoseInput {
  records: Iterable<ConnectionRecord>;
  /** The run's summary: its `target` says the origin, expected event interval and time scale. */
  summary?: Summary;
  /**
   * A plan in the shape summaries held before `summary.target` carried what the diagnosis needs
   * (defaults to `summary.plan`): read only for what `summary.target` does not say (`legacyTargetOf`).
   */
  plan?: unknown;
  /** How often the target sends an event on each stream, when known: silent streams then count. */
  expectedIntervalMs?: number;
  /** The run went through a time-scaled simulator: limits are matched at this scale (0.1: 10 s → 1 s). */
  timeScale?: number;
  /** The `Origin` the run sent (defaults to the summary's `target.origin`). */
  origin?: string;
}

/** What the diagnosis reads about the target: the summary's typed fields. */
type DiagnosisTarget = Pick<Summary['target'], 'origin' | 'expectedIntervalMs' | 'timeScale'>;

export function diagnose(input: DiagnoseInput): Finding[] {
  const records = [...input.records];
  const target = diagnosisTargetOf(input);
  const context: Context = {
    records,
    timeScale: input.timeScale ?? target.timeScale ?? 1,
    expectedIntervalMs: input.expectedIntervalMs ?? target.expectedIntervalMs,
    origin: input.origin ?? target.origin,
  };
  const findings: Finding[] = [];
  findings.push(...diagnoseHarness(context));
  findings.push(...diagnoseDrops(context));
  findings.push(...diagnoseSilentStreams(context));
  findings.push(...diagnoseProtocolErrors(context));
  findings.push(...diagnoseBuffering(context));
  findings.push(...diagnoseRefusals(context));
  findings.push(...diagnoseCors(context));
  findings.push(...diagnoseConnectFailures(context));
  if (input.summary?.harness?.bottleneck) {
    findings.push({
      kind: 'harness_bottleneck',
      severity: 'warning',
      title: 'The harness, not the target, was the bottleneck',
      evidence: describeHarness(input.summary),
      remedy: 'latency figures of this run are suspect: run fewer clients per process, more workers, or a bigger load machine',
    });
  }
  return findings;
}

function diagnoseHarness({ records }: Context): Finding[] {
  const findings: Finding[] = [];
  // A worker process that died took its attempts with it: the run is not trustworthy, whatever the target did.
  const lost = records.filter((r) => r.reason === 'client_worker_lost');
  if (lost.length > 0) {
    const workers = new Set(lost.map((r) => r.id.split('-')[0]));
    findings.push({
      kind: 'harness_worker_lost',
      severity: 'problem',
      title: 'A worker process of the load generator died mid-run (not a failure of the target)',
      evidence: `${lost.length} of ${records.length} attempts ended as client_worker_lost when worker ${[...workers].join(', ')} died (${lost.filter((r) => r.outcome === 'dropped').length} open streams); its clients stopped for the rest of the run`,
      remedy: 'the load was less than the plan asked for: see the summary warning for the signal (SIGKILL is often the out-of-memory killer), give the load machine more memory or run fewer clients per worker, and run again',
    });
  }
  const harness = records.filter((r) => r.reason !== 'client_worker_lost' && reasonSide(r.reason as Reason) === 'harness');
  if (harness.length === 0) return findings;
  const byReason = countBy(harness, (r) => r.reason);
  findings.push({
    kind: 'harness_limit',
    severity: 'warning',
    title: 'The load generator ran out of resources (not a limit of the target)',
    evidence: `${harness.length} of ${records.length} attempts failed on the harness side: ${formatCounts(byReason)} (client_fd_limit: EMFILE, too many open files; client_ports_exhausted: EADDRNOTAVAIL, no free source port)`,
    remedy: HARNESS_REMEDY,
  });
  return findings;
}

/** Streams the engine ended because the target sent what no event stream may (the parser's caps). */
function diagnoseProtocolErrors({ records }: Context): Finding[] {
  const errors = records.filter((r) => r.reason === 'protocol_error');
  if (errors.length === 0) return [];
  const opened = records.filter((r) => r.openedAt !== undefined).length;
  const byError = countBy(errors, (r) => r.error ?? 'no message');
  return [
    {
      kind: 'protocol_error',
      severity: 'problem',
      title: 'The target sent a stream no client can read: lines or events that never end',
      evidence: `${errors.length} of ${opened} open streams were ended by the harness as protocol_error: ${formatCounts(byError)}`,
      remedy:
        'end every line with a newline and every event with a blank line (`data: ...\\n\\n`); a body that is not an event stream ' +
        'behind a `text/event-stream` header (an HTML error page, binary or compressed bytes: send `Content-Encoding: none`) reads as one endless line',
    },
  ];
}

function diagnoseBuffering(context: Context): Finding[] {
  const opened = context.records.filter((r) => r.openedAt !== undefined);
  const interval = context.expectedIntervalMs;
  // Bursts: several events per socket read, and a latency spread no steady stream shows.
  const eligible = opened.filter((r) => r.events >= 3);
  const minimumSpreadMs = Math.max(500, 2 * (interval ?? 0));
  const bursty = eligible.filter((r) => {
    const perRead = r.events / Math.max(1, r.eventReads);
    if (perRead < 3) return false;
    return r.latencyMs === undefined ? perRead >= 5 : r.latencyMs.max - r.latencyMs.min >= minimumSpreadMs;
  });
  // Starved: open long enough for three events, none arrived (held until the response ends).
  // A buffering layer may hold the response head too (nginx does): streams the plan closed before
  // they ever opened count as starved as well.
  const starved =
    interval === undefined
      ? []
      : context.records.filter(
          (r) =>
            r.events === 0 &&
            (r.openedAt !== undefined || r.outcome === 'closed') &&
            r.endedAt - (r.openedAt ?? r.startedAt) >= 3 * interval + 500,
        );
  const buffered = bursty.length + starved.length;
  const considered = eligible.length + starved.length;
  if (buffered < Math.max(1, considered / 2) || considered === 0) return [];

  const onlyAtTheEnd = bursty.filter((r) => r.eventReads <= 1).length + starved.length;
  const untilClose = onlyAtTheEnd >= buffered / 2;
  const perRead = bursty.map((r) => r.events / Math.max(1, r.eventReads));
  const spreads = bursty.flatMap((r) => (r.latencyMs ? [r.latencyMs.max] : []));
  const parts: string[] = [];
  if (bursty.length > 0) {
    parts.push(
      `in ${bursty.length} of ${eligible.length} streams events arrived in bursts: ${(median(perRead) ?? 0).toFixed(1)} events per socket read (median; at most ${maxOf(bursty.map((r) => r.maxEventsPerRead))})` +
        (spreads.length > 0 ? `, up to ${formatSeconds(maxOf(spreads))} late` : ''),
    );
  }
  if (starved.length > 0) {
    const unopened = starved.filter((r) => r.openedAt === undefined).length;
    parts.push(
      `${starved.length} streams waited ${formatSeconds(median(starved.map((r) => r.endedAt - (r.openedAt ?? r.startedAt))) ?? 0)} (median) and received no event although one was due every ${formatSeconds(interval as number)}` +
        (unopened > 0 ? ` (${unopened} of them never even received the response headers)` : ''),
    );
  }
  if (interval !== undefined) parts.push(`the target sends one event every ${formatSeconds(interval)} on each stream`);
  return [
    {
      kind: 'buffering',
      severity: 'problem',
      title: untilClose
        ? 'Events are held back until the response ends: a CDN or optimiser buffers the stream'
        : 'Events arrive in bursts: a proxy buffers the stream',
      evidence: `${parts.join('; ')}`,
      remedy: untilClose ? CLOSE_BUFFERING_REMEDY : BURST_BUFFERING_REMEDY,
      profile: untilClose ? 'cdn-buffering' : 'nginx-default',
    },
  ];
}

function diagnoseRefusals({ records }: Context): Finding[] {
  const refused = records.filter((r) => r.outcome === 'failed' && (r.reason === 'http_429' || r.reason === 'http_5xx') && r.status !== undefined);
  if (refused.length === 0) return [];
  const opened = records.filter((r) => r.openedAt !== undefined);
  // A platform counts a connection from its request, so streams count from `startedAt`, and a
  // refusal at the moment it came back. Open at t: the streams started by t less those ended by t
  // (a stream ends after it starts), two binary searches instead of a pass over every stream.
  const starts = opened.map((r) => r.startedAt).sort((a, b) => a - b);
  const ends = opened.map((r) => r.endedAt).sort((a, b) => a - b);
  const openAt = (t: number): number => countAtMost(starts, t) - countAtMost(ends, t);
  const sample = refused.length > 500 ? refused.filter((_, i) => i % Math.ceil(refused.length / 500) === 0) : refused;
  const openAtRefusal = sample.map((r) => openAt(r.endedAt));
  const typical = median(openAtRefusal) ?? 0;
  let peak = 0;
  for (const r of opened) peak = Math.max(peak, openAt(r.openedAt as number));
  const statuses = countBy(refused, (r) => String(r.status));
  const looksLikeCap = typical > 0 && peak <= Math.max(...openAtRefusal) + 1;
  return [
    {
      kind: 'connection_cap',
      severity: 'problem',
      title: looksLikeCap ? `Connections are refused past about ${typical} open streams: a connection cap` : 'Connection attempts are refused',
      evidence:
        `${refused.length} of ${records.length} attempts were refused (${formatCounts(statuses, 'HTTP ')}) while ${typical} streams were open (median at the time of refusal); ` +
        `never more than ${peak} were open at once`,
      remedy: CONNECTION_CAP_REMEDY,
    },
  ];
}

/** How many of the ascending `sorted` are at most `value`. */
function countAtMost(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as number) <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

function diagnoseCors({ records, origin }: Context): Finding[] {
  const checked = records.filter((r) => r.openedAt !== undefined && r.corsAllowOrigin !== undefined);
  if (checked.length === 0) return [];
  const bad = checked.filter((r) => r.corsAllowOrigin === null || (r.corsAllowOrigin !== '*' && origin !== undefined && r.corsAllowOrigin !== origin));
  if (bad.length === 0) return [];
  const values = countBy(bad, (r) => (r.corsAllowOrigin === null ? '(absent)' : r.corsAllowOrigin as string));
  return [
    {
      kind: 'cors',
      severity: 'problem',
      title: `A browser on ${origin ?? 'another origin'} would fail with a CORS error`,
      evidence: `${bad.length} of ${checked.length} streams answered the Origin ${origin ?? '(the plan’s)'} with Access-Control-Allow-Origin ${formatCounts(values)}`,
      remedy: corsRemedy(origin),
    },
  ];
}

const CONNECT_FAILURE_REMEDIES: Readonly<Record<string, string>> = {
  http_401: 'the target refused the token: check that it is sent (header, `access_token` cookie or `token` query), not expired, and signed with the server’s JWT_ACCESS_SECRET',
  bad_content_type: 'the URL does not answer `text/event-stream`: a wrong path, an error or login page, or a proxy that rewrites the response',
  http_204: 'the server answered 204: EventSource stops reconnecting for good — only send it to clients that must stop',
  http_4xx: 'the target rejected the request: check the path, method and query of the SSE endpoint',
  refused: 'nothing accepted the connection: check the address and that the server is running',
  connect_timeout: 'connections could not be established in time: the target or the network is saturated',
  headers_timeout:
    'the target accepted connections but sent no response headers in time: it is overloaded, its stream never starts, or a buffering proxy holds the head with the events (nginx with proxy_buffering on does) — see the buffering remedy: `X-Accel-Buffering: no`',
  reset: 'the target reset connections before answering',
};

function diagnoseConnectFailures({ records }: Context): Finding[] {
  const failed = records.filter(
    (r) => r.outcome === 'failed' && reasonSide(r.reason as Reason) === 'target' && r.reason !== 'http_429' && r.reason !== 'http_5xx',
  );
  if (failed.length === 0) return [];
  const byReason = countBy(failed, (r) => r.reason);
  const [top] = [...byReason.entries()].sort((a, b) => b[1] - a[1]);
  const topReason = top?.[0] ?? 'reset';
  return [
    {
      kind: 'connect_failures',
      severity: 'problem',
      title: `${percent(failed.length, records.length)} of connection attempts never opened a stream`,
      evidence: `${failed.length} of ${records.length} attempts failed before the stream opened: ${formatCounts(byReason)}`,
      remedy: CONNECT_FAILURE_REMEDIES[topReason] ?? 'see the failures by reason in connections.ndjson',
    },
  ];
}

function describeHarness(summary: Summary): string {
  const h = summary.harness;
  const parts: string[] = [];
  if (h?.eventLoopDelayMs) parts.push(`event-loop delay p99 ${Math.round(h.eventLoopDelayMs.p99)} ms`);
  if (h?.cpuPercent) parts.push(`harness CPU ${Math.round(h.cpuPercent.max)}% at its peak`);
  return parts.length > 0 ? parts.join(', ') : 'the run flagged itself as harness-bound';
}

/** The summary's typed target, each field it lacks taken from the plan the old way. */
function diagnosisTargetOf(input: DiagnoseInput): DiagnosisTarget {
  const typed = input.summary?.target;
  const plan = input.plan ?? input.summary?.plan;
  const legacy = plan === undefined ? {} : legacyTargetOf(plan);
  const origin = typed?.origin ?? legacy.origin;
  const expectedIntervalMs = typed?.expectedIntervalMs ?? legacy.expectedIntervalMs;
  const timeScale = typed?.timeScale ?? legacy.timeScale;
  return {
    ...(origin === undefined ? {} : { origin }),
    ...(expectedIntervalMs === undefined ? {} : { expectedIntervalMs }),
    ...(timeScale === undefined ? {} : { timeScale }),
  };
}

const positiveNumber = z
  .union([z.number(), z.string().trim().min(1).transform(Number)])
  .pipe(z.number().positive().finite())
  .optional()
  .catch(undefined);

/**
 * The plan as far as the diagnosis read it before the summary's `target` was typed: the `Origin`
 * sent, the reference server's `?interval=` query (a string there) and a simulator's time scale.
 * Each field that is missing or malformed is unknown (`.catch`), never an error.
 */
const legacyPlanSchema = z.object({
  target: z
    .object({
      origin: z.string().min(1).optional().catch(undefined),
      query: z.object({ interval: positiveNumber }).optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
  platform: z.object({ timeScale: positiveNumber }).optional().catch(undefined),
  timeScale: positiveNumber,
});

/**
 * The one fallback for summaries written before `summary.target` carried `origin`,
 * `expectedIntervalMs` and `timeScale` (results folders already on disk): they said them only in
 * the plan, as `target.origin`, `target.query.interval` and `platform.timeScale` or `timeScale`, so
 * these folders diagnose as they did.
 */
export function legacyTargetOf(plan: unknown): DiagnosisTarget {
  const parsed = legacyPlanSchema.safeParse(plan);
  if (!parsed.success) return {};
  const { target, platform, timeScale } = parsed.data;
  const expectedIntervalMs = target?.query?.interval;
  const scale = platform?.timeScale ?? timeScale;
  return {
    ...(target?.origin === undefined ? {} : { origin: target.origin }),
    ...(expectedIntervalMs === undefined ? {} : { expectedIntervalMs }),
    ...(scale === undefined ? {} : { timeScale: scale }),
  };
}
