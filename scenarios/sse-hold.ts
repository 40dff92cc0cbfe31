/**
 * SSE hold with stock k6 (no extension), for places where extensions are not allowed (a managed k6
 * that runs only stock binaries). k6's HTTP client hands a body over only when it ends, so each VU
 * holds one stream with a long `http.get` and measures when the target ended it, then parses the
 * whole body with the shared SSE parser: events, heartbeats, lost and duplicated events.
 *
 * What it cannot measure, by construction: per-event latency and time to first event (every byte
 * arrives in JavaScript at the same moment), and the events of a stream that outlived the run (k6
 * drops the body of a request that times out). Use sse-soak for those.
 *
 *   k6 run -e TARGET=http://127.0.0.1:3000 -e TOKEN=... -e VUS=50 -e DURATION=2m dist/k6/sse-hold.js
 */
import { check, sleep } from 'k6';
import http from 'k6/http';
import type { Options } from 'k6/options';
import { SUMMARY_TREND_STATS, scenarioDeadline, vuToken } from './lib/common.js';
import { envDurationMs, envInt, envString, k6Duration, targetBaseUrl } from './lib/env.js';
import { createHandleSummary } from './lib/handle-summary.js';
import { createK6ConnectionSink, scenarioMetrics } from './lib/metrics.js';
import { sleepBeforeRetry } from './lib/retry.js';
import { createStreamState } from './lib/sse-connection.js';
import { readHeldBody, classifyHeldResponse } from './lib/held-stream.js';
import { breakdownThresholds, withEnvThresholds } from './lib/thresholds.js';
import { authHeaders } from './lib/token.js';

// Read at init: a run without a target fails at once instead of in every iteration.
const BASE_URL = targetBaseUrl();
const VUS = envInt('VUS', 10);
const DURATION_MS = envDurationMs('DURATION', '1m');
const RECONNECT_DELAY_MS = envDurationMs('RECONNECT_DELAY', '3s');
const SSE_PATH = envString('SSE_PATH', '/api/calls/events');

// No latency threshold: this scenario cannot measure latency (see above).
const thresholds = withEnvThresholds({
  ...breakdownThresholds(['sse']),
  sse_events_lost: ['count==0'],
  sse_connect_failures: ['count==0'],
});

export const options: Options = {
  scenarios: {
    sse_hold: { executor: 'constant-vus', vus: VUS, duration: k6Duration(DURATION_MS), gracefulStop: '10s' },
  },
  thresholds,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

const metrics = scenarioMetrics();
const sink = createK6ConnectionSink(metrics);
const state = createStreamState();

export default function (): void {
  const deadline = scenarioDeadline(DURATION_MS);
  const remainingMs = deadline - Date.now();
  if (remainingMs < 1000) {
    sleep(Math.max(0, remainingMs) / 1000);
    return;
  }
  state.attempts++;
  sink.attempt(state.attempts > 1);
  const headers: Record<string, string> = { Accept: 'text/event-stream', ...authHeaders(vuToken(DURATION_MS)) };
  if (state.lastEventId !== '') headers['Last-Event-ID'] = state.lastEventId;

  const startedAt = Date.now();
  // The request's own timeout ends the hold at the run's end: a stream still open then has
  // outlived the run, which is what a soak wants to see.
  const res = http.get(`${BASE_URL}${SSE_PATH}`, { headers, timeout: remainingMs, tags: { name: SSE_PATH } });
  const endedAt = Date.now();

  const verdict = classifyHeldResponse(res);
  if (verdict.kind === 'failed') {
    sink.connectFailed(verdict.reason);
  } else {
    sink.connected(verdict.connectTimeMs);
    if (verdict.kind === 'outlived') {
      sink.dropped('client_closed', undefined);
    } else {
      // The body's counts in one sample each: the sink's per-event calls would add them one by one.
      const body = readHeldBody(typeof res.body === 'string' ? res.body : '', state);
      metrics.events.add(body.events);
      metrics.heartbeats.add(body.heartbeats);
      sink.lost(body.lost);
      if (body.duplicated > 0) metrics.eventsDuplicated.add(body.duplicated);
      // A body past the parser's caps was not an event stream the harness could keep reading.
      sink.dropped(body.protocolError !== undefined ? 'protocol_error' : 'server_closed', endedAt - startedAt - verdict.connectTimeMs);
    }
  }
  check(verdict, { 'the stream opened': (v) => v.kind !== 'failed' });
  if (verdict.kind !== 'outlived') sleepBeforeRetry(RECONNECT_DELAY_MS, deadline);
}

export const handleSummary = createHandleSummary(() => ({
  scenario: 'sse-hold',
  baseUrl: BASE_URL,
  ssePath: SSE_PATH,
  thresholds,
  plan: { vus: VUS, durationMs: DURATION_MS, reconnectDelayMs: RECONNECT_DELAY_MS, client: 'k6/http (stock k6)' },
}));
