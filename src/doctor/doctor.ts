/**
 * `streamsoak doctor`: the troubleshooting guide's checks on one SSE endpoint, in one command — the
 * response headers, the 30-second test stream, a held stream to find a time limit, buffering, CORS
 * for an origin — then the guide's decision tree. Everything runs at once, so a doctor takes as long
 * as its longest step (the held stream, bounded by `holdMs`).
 */
import type { Finding } from '../results/schema.js';
import { analyseBuffering, analyseCors, analyseHeaders, analyseHeldStream, analyseStream, analyseTestStream, platformHints } from './checks.js';
import { decide } from './decision.js';
import { probeRequest, probeStream, type StreamProbe } from './probe.js';
import type { CheckId, DoctorCheck, DoctorOptions, DoctorResult } from './types.js';

export const DEFAULT_HOLD_MS = 330_000;
export const DEFAULT_TEST_MESSAGES = 30;

export type { CheckId, CheckStatus, DecisionStep, DoctorCheck, DoctorOptions, DoctorResult, DoctorStep } from './types.js';

/** The events URL and the test URL for what the user typed. */
export function resolveDoctorUrls(url: string, testPath?: string): { eventsUrl: string; testUrl: string } {
  const given = new URL(url);
  const events = new URL(given);
  if (given.pathname === '' || given.pathname === '/') events.pathname = '/api/calls/events';
  const test = new URL(events);
  if (testPath !== undefined) {
    const relative = new URL(testPath, events);
    test.pathname = relative.pathname;
    if (relative.search !== '') test.search = relative.search;
  } else {
    test.pathname = `${events.pathname.replace(/\/+$/, '')}/test`;
  }
  return { eventsUrl: events.toString(), testUrl: test.toString() };
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorResult> {
  const started = Date.now();
  const holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
  const testMessages = options.testMessages ?? DEFAULT_TEST_MESSAGES;
  const timeScale = options.timeScale ?? 1;
  const { eventsUrl, testUrl } = resolveDoctorUrls(options.url, options.testPath);
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.origin !== undefined) headers.origin = options.origin;
  const step = options.onStep ?? (() => {});
  const signal = options.signal;

  const titles: Record<CheckId, string> = {
    stream: 'SSE endpoint',
    headers: 'Response headers',
    'test-stream': 'Test stream',
    'held-stream': 'Held stream (time limit)',
    buffering: 'Buffering',
    cors: 'CORS',
  };
  const begin = (id: CheckId): void => step({ phase: 'start', id, title: titles[id] });

  begin('held-stream');
  const held = probeStream(eventsUrl, { headers, holdMs, ...(signal ? { signal } : {}) });
  begin('test-stream');
  // The guide's test stream sends one message a second: half as slow again, plus slack, bounds it.
  const test = probeStream(testUrl, { headers, holdMs: Math.max(testMessages * 1_500 + 5_000, 10_000), ...(signal ? { signal } : {}) });
  let preflight: Awaited<ReturnType<typeof probeRequest>> | undefined;
  if (options.origin !== undefined) {
    begin('cors');
    const preflightHeaders: Record<string, string> = {
      origin: options.origin,
      'access-control-request-method': 'GET',
    };
    if (options.token !== undefined) preflightHeaders['access-control-request-headers'] = 'authorization';
    preflight = await probeRequest(eventsUrl, { method: 'OPTIONS', headers: preflightHeaders, ...(signal ? { signal } : {}) });
  }
  const testProbe = await test;
  const heldProbe: StreamProbe = await held;

  const context = { heldProbe, testProbe, holdMs, testMessages, timeScale, titles, eventsUrl, testUrl, origin: options.origin, token: options.token };
  const checks: DoctorCheck[] = [analyseStream(context)];
  if (heldProbe.status !== undefined) checks.push(analyseHeaders(context));
  checks.push(analyseTestStream(context));
  if (heldProbe.openedAt !== undefined) checks.push(analyseHeldStream(context));
  checks.push(analyseBuffering(context));
  checks.push(options.origin !== undefined && preflight ? analyseCors(context, preflight) : { id: 'cors', title: titles.cors, status: 'skip', summary: 'no --origin given: a same-origin front end needs no CORS headers', details: [], findings: [] });
  for (const check of checks) step({ phase: 'done', id: check.id, title: check.title, status: check.status, summary: check.summary });

  const findings = dedupeFindings(checks.flatMap((c) => c.findings));
  const hints = platformHints(heldProbe.headers);
  const { decision, outcome } = decide({ checks, findings, hints, testMessages });
  return {
    url: options.url,
    eventsUrl,
    testUrl,
    ...(options.origin !== undefined ? { origin: options.origin } : {}),
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    holdMs,
    platformHints: hints,
    checks,
    findings,
    decision,
    outcome,
    healthy: checks.every((c) => c.status !== 'fail'),
  };
}

/** The held stream and the test stream may both see the same limit: report it once. */
function dedupeFindings(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    if (seen.has(f.kind)) return false;
    seen.add(f.kind);
    return true;
  });
}

export { formatDoctorReport } from './format.js';
