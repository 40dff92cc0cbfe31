/**
 * The doctor's checks, one function each, from what the probes saw. Each returns a status, a
 * one-line summary, details worth reading, and findings with the guide's remedy.
 */
import type { Finding } from '../results/schema.js';
import { maxOf, median, minOf } from '../diagnosis/cluster.js';
import {
  BURST_BUFFERING_REMEDY,
  CLOSE_BUFFERING_REMEDY,
  corsRemedy,
  createIdleTimeoutFinding,
  createTimeLimitFinding,
  formatSeconds,
  limitToleranceMs,
  matchKnownLimit,
  scaleNote,
} from '../diagnosis/signatures.js';
import type { CheckId, CheckStatus, DoctorCheck } from './types.js';
import type { StreamProbe } from './probe.js';

export interface CheckContext {
  heldProbe: StreamProbe;
  testProbe: StreamProbe;
  holdMs: number;
  testMessages: number;
  timeScale: number;
  titles: Record<CheckId, string>;
  eventsUrl: string;
  testUrl: string;
  origin: string | undefined;
  token: string | undefined;
}

function check(context: CheckContext, id: CheckId, status: CheckStatus, summary: string, details: string[] = [], findings: Finding[] = []): DoctorCheck {
  return { id, title: context.titles[id], status, summary, details, findings };
}

function isEventStream(probe: StreamProbe): boolean {
  return probe.openedAt !== undefined;
}

function describeAnswer(probe: StreamProbe): string {
  if (probe.status === undefined) return probe.error ?? 'no answer';
  const type = probe.headers['content-type'] ?? 'no content type';
  const body = probe.bodyExcerpt ? `: "${probe.bodyExcerpt.slice(0, 120)}"` : '';
  return `${probe.status} ${type}${body}`;
}

export function analyseStream(context: CheckContext): DoctorCheck {
  const probe = context.heldProbe;
  if (probe.interrupted && probe.status === undefined) return check(context, 'stream', 'skip', 'interrupted before the endpoint answered', [context.eventsUrl]);
  if (isEventStream(probe)) {
    return check(context, 'stream', 'pass', `200 text/event-stream, headers after ${probe.openedAt! - probe.requestedAt} ms`, [context.eventsUrl]);
  }
  if (probe.status === undefined && probe.error?.startsWith('no answer') && isEventStream(context.testProbe)) {
    return check(
      context,
      'stream',
      'warn',
      `no response headers within ${formatSeconds(context.holdMs)}, although the test stream answered: a buffering layer holds the head with the events (see Buffering)`,
      [context.eventsUrl],
    );
  }
  const remedy =
    probe.status === 401 || probe.status === 403
      ? 'send a valid token (`--token`; the reference server reads `Authorization: Bearer`, an `access_token` cookie or a `token` query parameter)'
      : probe.status === undefined
        ? 'nothing answered: check the URL and that the server runs (the guide: "EventSource failed = Connection couldn\'t be established")'
        : 'the URL does not serve an event stream: check the route (the guide\'s is /api/calls/events) and that it answers `Content-Type: text/event-stream`';
  return check(context, 'stream', 'fail', `answered ${describeAnswer(probe)}`, [context.eventsUrl], [
    { kind: 'not_sse', severity: 'problem', title: 'The endpoint does not serve an event stream', evidence: `GET ${context.eventsUrl} answered ${describeAnswer(probe)}`, remedy },
  ]);
}

export function analyseHeaders(context: CheckContext): DoctorCheck {
  const h = context.heldProbe.headers;
  const details: string[] = [];
  const findings: Finding[] = [];
  let status: CheckStatus = 'pass';
  const worse = (next: CheckStatus): void => {
    if (next === 'fail' || (next === 'warn' && status === 'pass')) status = next;
  };

  const type = h['content-type'];
  if (type?.toLowerCase().startsWith('text/event-stream')) details.push(`ok    content-type: ${type}`);
  else {
    details.push(`FAIL  content-type: ${type ?? '(absent)'} — EventSource needs text/event-stream`);
    worse('fail');
  }

  const cacheControl = (h['cache-control'] ?? '').toLowerCase();
  if (cacheControl.includes('no-transform') && cacheControl.includes('no-cache')) details.push(`ok    cache-control: ${h['cache-control']}`);
  else {
    const missing = ['no-cache', 'no-transform'].filter((d) => !cacheControl.includes(d)).join(' and ');
    details.push(`warn  cache-control: ${h['cache-control'] ?? '(absent)'} — lacks ${missing}: a CDN may cache, compress or otherwise transform the stream`);
    worse('warn');
    findings.push({
      kind: 'cache_control',
      severity: 'warning',
      title: `Cache-Control lacks ${missing}`,
      evidence: `cache-control: ${h['cache-control'] ?? '(absent)'}`,
      remedy: 'send `Cache-Control: no-cache, no-transform` with the stream, as the guide’s route does',
    });
  }

  const accel = h['x-accel-buffering'];
  if (accel?.toLowerCase() === 'no') details.push('ok    x-accel-buffering: no');
  else
    details.push(
      `note  x-accel-buffering: ${accel ?? '(absent)'} — an nginx in front would buffer unless told otherwise; nginx also hides this header from clients, so trust the buffering check below`,
    );

  const encoding = h['content-encoding'];
  if (encoding === undefined || ['none', 'identity'].includes(encoding.toLowerCase())) details.push(`ok    content-encoding: ${encoding ?? '(absent)'}`);
  else {
    details.push(`FAIL  content-encoding: ${encoding} — a compressor holds events until its buffer fills`);
    worse('fail');
    findings.push({
      kind: 'compression',
      severity: 'problem',
      title: `The stream is compressed (${encoding})`,
      evidence: `content-encoding: ${encoding}`,
      remedy: 'turn compression off for the SSE path (the guide sends `Content-Encoding: none`; nginx: `gzip off` in that location)',
    });
  }
  const summary = status === 'pass' ? 'as the guide lists them' : status === 'warn' ? 'usable, with warnings' : 'wrong for SSE';
  return check(context, 'headers', status, summary, details, findings);
}

export function analyseTestStream(context: CheckContext): DoctorCheck {
  const probe = context.testProbe;
  const expected = context.testMessages;
  if (probe.status === 404) return check(context, 'test-stream', 'skip', `no test endpoint at ${context.testUrl} (404): not the guide’s server`);
  if (probe.interrupted) return check(context, 'test-stream', 'skip', `interrupted after ${probe.events.length} of ${expected} messages`, [context.testUrl]);
  if (!isEventStream(probe)) {
    return check(context, 'test-stream', 'warn', `answered ${describeAnswer(probe)}`, [context.testUrl]);
  }
  const count = probe.events.length;
  const ageMs = probe.endedAt - (probe.openedAt as number);
  const gaps = probe.events.slice(1).map((e, i) => e.receivedAt - (probe.events[i] as { receivedAt: number }).receivedAt);
  const pace = median(gaps);
  const details = [
    context.testUrl,
    `${count} messages in ${formatSeconds(ageMs)}${pace !== undefined ? `, one every ${formatSeconds(pace)} (median gap)` : ''}, ended ${probe.end === 'ended' ? 'by the server' : probe.end === 'held' ? 'by the doctor (bound reached)' : `with an error: ${probe.error}`}`,
  ];
  if (count >= expected && probe.end === 'ended') {
    return check(context, 'test-stream', 'pass', `${count} of ${expected} messages, then the server ended it`, details);
  }
  const finding = limitFinding(context, probe);
  const summary =
    probe.end === 'held'
      ? `only ${count} of ${expected} messages before the doctor gave up`
      : `stopped after ${formatSeconds(ageMs)} with ${count} of ${expected} messages${expected === 30 ? ' — the guide: "If it stops before 30 seconds, you have a timeout issue"' : ': something cut it'}`;
  return check(context, 'test-stream', 'fail', summary, details, finding ? [finding] : []);
}

export function analyseHeldStream(context: CheckContext): DoctorCheck {
  const probe = context.heldProbe;
  const ageMs = probe.endedAt - (probe.openedAt as number);
  const details = [`${probe.events.length} events and ${probe.comments} comments (heartbeats) in ${formatSeconds(ageMs)}`];
  if (probe.interrupted && probe.end === 'held') {
    return check(context, 'held-stream', 'skip', `interrupted after ${formatSeconds(ageMs)}, still open: no time limit below that`, details);
  }
  if (probe.end === 'held') {
    return check(context, 'held-stream', 'pass', `still open after ${formatSeconds(context.holdMs)}: no time limit below that`, details);
  }
  details.push(`the last byte came ${formatSeconds(probe.endedAt - (probe.lastByteAt ?? (probe.openedAt as number)))} before the end`);
  if (probe.end === 'error') details.push(`error: ${probe.error}`);
  const finding = limitFinding(context, probe);
  return check(context, 'held-stream', 'fail', `ended after ${formatSeconds(ageMs)} (hold was ${formatSeconds(context.holdMs)})`, details, finding ? [finding] : []);
}

/**
 * A stream that ended early: a time limit, or an idle timeout when it was silent until the end. A
 * stream the doctor itself closed (`held`: still open at its bound or at Ctrl-C) was not cut.
 */
function limitFinding(context: CheckContext, probe: StreamProbe): Finding | undefined {
  if (probe.openedAt === undefined || probe.end === 'held') return undefined;
  const requestAgeMs = probe.endedAt - probe.requestedAt;
  const silenceMs = probe.endedAt - (probe.lastByteAt ?? probe.openedAt);
  const timeLimit = matchKnownLimit('max_duration', requestAgeMs, context.timeScale);
  const idleLimit = matchKnownLimit('idle_timeout', silenceMs, context.timeScale);
  // The other stream cut at the same age while it was receiving: a time limit, not a silence.
  const other = probe === context.heldProbe ? context.testProbe : context.heldProbe;
  // The test stream ending after all its messages is its normal end, not a cut.
  const otherCut = other.openedAt !== undefined && other.end !== 'held' && (other === context.heldProbe || other.events.length < context.testMessages);
  const otherAge = otherCut ? other.endedAt - other.requestedAt : undefined;
  const otherBusy = otherAge !== undefined && other.endedAt - (other.lastByteAt ?? other.openedAt!) < 0.5 * otherAge;
  const sameCut = otherAge !== undefined && Math.abs(otherAge - requestAgeMs) <= limitToleranceMs(requestAgeMs) && otherBusy;
  // Quiet: silent for longer than the stream's usual gap between bytes, or silent since it opened.
  const bytes = probe.events.length + probe.comments;
  const usualGapMs = bytes === 0 ? 0 : ((probe.lastByteAt ?? probe.openedAt) - probe.openedAt) / bytes;
  const quiet = silenceMs >= Math.max(250, 1.5 * usualGapMs);
  const isIdle = !sameCut && quiet && (idleLimit !== undefined || timeLimit === undefined);
  const scale = scaleNote(context.timeScale, requestAgeMs);
  if (isIdle) {
    return createIdleTimeoutFinding({
      measuredMs: silenceMs,
      timeScale: context.timeScale,
      match: idleLimit,
      evidence: `${probe.url} ended ${formatSeconds(silenceMs)} after its last byte (${probe.events.length} events, ${probe.comments} heartbeats)${scale}`,
    });
  }
  return createTimeLimitFinding({
    measuredMs: requestAgeMs,
    timeScale: context.timeScale,
    match: timeLimit,
    evidence: `${probe.url} ended ${formatSeconds(requestAgeMs)} after it was requested while still receiving (last byte ${formatSeconds(silenceMs)} before the end)${sameCut ? '; the other stream was cut at the same age' : ''}${scale}`,
  });
}

interface StreamBuffering {
  probe: StreamProbe;
  events: number;
  eventReads: number;
  maxPerRead: number;
  latencySpreadMs?: number;
  maxLatencyMs?: number;
  firstEventWaitMs?: number;
  bursty: boolean;
  atTheEnd: boolean;
}

function bufferingOf(probe: StreamProbe): StreamBuffering | undefined {
  if (probe.openedAt === undefined) return undefined;
  const events = probe.events.length;
  const perRead = new Map<number, number>();
  for (const e of probe.events) perRead.set(e.read, (perRead.get(e.read) ?? 0) + 1);
  const latencies = probe.events.flatMap((e) => (e.sentAt === undefined ? [] : [e.receivedAt - e.sentAt]));
  const spread = latencies.length > 0 ? maxOf(latencies) - minOf(latencies) : undefined;
  const firstEventWaitMs = probe.events[0] ? probe.events[0].receivedAt - probe.openedAt : undefined;
  const eventReads = perRead.size;
  const manyPerRead = events >= 3 && events / Math.max(1, eventReads) >= 3;
  const late = spread !== undefined ? spread >= 500 : (firstEventWaitMs ?? 0) >= 1_000;
  const lastRead = probe.reads - 1;
  return {
    probe,
    events,
    eventReads,
    maxPerRead: Math.max(0, maxOf([...perRead.values()])),
    ...(spread !== undefined ? { latencySpreadMs: spread, maxLatencyMs: maxOf(latencies) } : {}),
    ...(firstEventWaitMs !== undefined ? { firstEventWaitMs } : {}),
    bursty: manyPerRead && late,
    atTheEnd: manyPerRead && late && eventReads === 1 && probe.end !== 'held' && (probe.events.at(-1)?.read ?? -1) >= lastRead - 1,
  };
}

export function analyseBuffering(context: CheckContext): DoctorCheck {
  const streams = [bufferingOf(context.testProbe), bufferingOf(context.heldProbe)].filter((s): s is StreamBuffering => s !== undefined && s.events > 0);
  const held = context.heldProbe;
  // The events stream sent not even its head while the test stream answered: held by a buffer.
  const headHeld = held.status === undefined && held.error?.startsWith('no answer') === true && isEventStream(context.testProbe);
  if (streams.length === 0 && !headHeld) return check(context, 'buffering', 'skip', 'no events arrived to judge by');
  const details = streams.map(
    (s) =>
      `${s.probe.url}: ${s.events} events in ${s.eventReads} socket reads (at most ${s.maxPerRead} in one)` +
      (s.maxLatencyMs !== undefined ? `, up to ${formatSeconds(s.maxLatencyMs)} after they were sent` : '') +
      (s.firstEventWaitMs !== undefined ? `, first after ${formatSeconds(s.firstEventWaitMs)}` : ''),
  );
  const bursty = streams.filter((s) => s.bursty);
  if (headHeld) details.push(`${held.url}: no response headers and no event in ${formatSeconds(context.holdMs)}`);
  if (bursty.length === 0 && !headHeld) return check(context, 'buffering', 'pass', 'events arrive one by one as they are sent', details);
  // Only a stream that flushes before its end tells a size buffer (nginx) from a CDN that holds the
  // whole response; a short or small stream looks the same behind both, and the remedy says both.
  const sizeBuffer = bursty.some((s) => !s.atTheEnd);
  const untilClose = !sizeBuffer;
  const evidence = [
    ...bursty.map(
      (s) =>
        `${s.probe.url}: ${s.events} events arrived in ${s.eventReads} reads${s.maxLatencyMs !== undefined ? `, up to ${formatSeconds(s.maxLatencyMs)} late` : ''}${s.atTheEnd ? ', all when the response ended' : ''}`,
    ),
    ...(headHeld ? [`${held.url}: not even the response headers arrived in ${formatSeconds(context.holdMs)}`] : []),
  ].join('; ');
  return check(context, 'buffering', 'fail', untilClose ? 'events are held until the response ends' : 'events arrive in bursts', details, [
    {
      kind: 'buffering',
      severity: 'problem',
      title: untilClose
        ? 'Events are held back until the response ends: a CDN, or a proxy buffering a small stream'
        : 'Events arrive in bursts: a proxy buffers the stream',
      evidence,
      remedy: untilClose ? `${CLOSE_BUFFERING_REMEDY}; if it is nginx: send \`X-Accel-Buffering: no\` or set \`proxy_buffering off\` for that location` : BURST_BUFFERING_REMEDY,
      profile: untilClose ? 'cdn-buffering' : 'nginx-default',
    },
  ]);
}

export function analyseCors(context: CheckContext, preflight: { status?: number; headers: Record<string, string>; error?: string }): DoctorCheck {
  const origin = context.origin as string;
  const details: string[] = [];
  const problems: string[] = [];
  const allowed = (value: string | undefined): boolean => value === '*' || value === origin;

  if (preflight.status === undefined) problems.push(`the preflight (OPTIONS) failed: ${preflight.error}`);
  else {
    const acao = preflight.headers['access-control-allow-origin'];
    details.push(`preflight OPTIONS → ${preflight.status}, access-control-allow-origin: ${acao ?? '(absent)'}`);
    if (preflight.status >= 300) problems.push(`the preflight answered ${preflight.status}`);
    else if (!allowed(acao)) problems.push(`the preflight allows ${acao ?? 'no origin'}, not ${origin}`);
    if (context.token !== undefined) {
      const allowHeaders = (preflight.headers['access-control-allow-headers'] ?? '').toLowerCase();
      details.push(`preflight access-control-allow-headers: ${allowHeaders || '(absent)'}`);
      if (!allowHeaders.includes('authorization') && allowHeaders !== '*') problems.push('the preflight does not allow the Authorization header');
    }
  }
  const held = context.heldProbe;
  if (held.status !== undefined) {
    const acao = held.headers['access-control-allow-origin'];
    const credentials = held.headers['access-control-allow-credentials'];
    details.push(`GET → access-control-allow-origin: ${acao ?? '(absent)'}, access-control-allow-credentials: ${credentials ?? '(absent)'}`);
    if (!allowed(acao)) problems.push(`the stream answers Access-Control-Allow-Origin ${acao ?? '(absent)'} to Origin ${origin}`);
  }
  if (problems.length === 0) return check(context, 'cors', 'pass', `a front end on ${origin} may read the stream`, details);
  return check(context, 'cors', 'fail', problems[0] as string, details, [
    { kind: 'cors', severity: 'problem', title: `A browser on ${origin} would fail with a CORS error`, evidence: problems.join('; '), remedy: corsRemedy(origin) },
  ]);
}

/** What the response headers tell about the hosting. */
export function platformHints(headers: Record<string, string>): string[] {
  const hints: string[] = [];
  const server = headers.server;
  if (headers['x-vercel-id'] !== undefined || server?.toLowerCase() === 'vercel') hints.push('Vercel (x-vercel-id)');
  if (headers['x-nf-request-id'] !== undefined || server?.toLowerCase() === 'netlify') hints.push('Netlify (x-nf-request-id)');
  if (headers['cf-ray'] !== undefined) hints.push('Cloudflare (cf-ray)');
  if (server !== undefined && !/^(vercel|netlify)$/i.test(server)) hints.push(`server: ${server}`);
  return hints;
}
