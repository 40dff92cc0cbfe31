/**
 * Where does the target stop taking connections? VUs ramp from 0 to VUS over DURATION, each holding
 * one SSE stream (xk6-sse) until the run ends; every refusal is classified by the shared reasons
 * (`http_503` shows as `http_5xx`, a full accept queue as `refused` or `connect_timeout`, a limit of
 * this machine as `client_fd_limit` / `client_ports_exhausted`). The connection count when failures
 * start is the limit: read it off `sse_connects` against `sse_connect_failures` over time.
 *
 *   k6 run -e TARGET=http://127.0.0.1:3000 -e JWT_ACCESS_SECRET=... -e VUS=5000 -e DURATION=5m dist/k6/connection-limit.js
 *
 * STOP_AT_FIRST_FAILURE=1 ends the run at the first failure (abortOnFail).
 */
import type { Options } from 'k6/options';
import sse from 'k6/x/sse';
import { SUMMARY_TREND_STATS, scenarioDeadline, vuToken } from './lib/common.js';
import { envDurationMs, envInt, envString, k6Duration, targetBaseUrl } from './lib/env.js';
import { createHandleSummary } from './lib/handle-summary.js';
import { createK6ConnectionSink } from './lib/metrics.js';
import { sleepBeforeRetry } from './lib/retry.js';
import { createStreamState, runSseAttempt } from './lib/sse-connection.js';
import { breakdownThresholds, withEnvThresholds } from './lib/thresholds.js';
import { authHeaders } from './lib/token.js';

// Read at init: a run without a target fails at once instead of in every iteration.
const BASE_URL = targetBaseUrl();
const VUS = envInt('VUS', 1000);
const DURATION_MS = envDurationMs('DURATION', '2m');
// Hold the peak for a while after the ramp, so late failures (a cap that bites after a delay) show.
const HOLD_MS = Math.min(envDurationMs('HOLD', '15s'), DURATION_MS / 2);
const RETRY_DELAY_MS = envDurationMs('RECONNECT_DELAY', '3s');
const SSE_PATH = envString('SSE_PATH', '/api/calls/events');
const STOP_AT_FIRST_FAILURE = envString('STOP_AT_FIRST_FAILURE', '') === '1';

const thresholds = withEnvThresholds({
  ...breakdownThresholds(['sse']),
  sse_connect_failures: [{ threshold: 'count==0', abortOnFail: STOP_AT_FIRST_FAILURE, delayAbortEval: '1s' }],
});

export const options: Options = {
  scenarios: {
    connection_limit: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: k6Duration(DURATION_MS - HOLD_MS), target: VUS },
        { duration: k6Duration(HOLD_MS), target: VUS },
      ],
      gracefulRampDown: '20s',
      gracefulStop: '20s',
    },
  },
  thresholds,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

const sink = createK6ConnectionSink();
const state = createStreamState();

export default function (): void {
  const deadline = scenarioDeadline(DURATION_MS);
  const result = runSseAttempt(sse.open, {
    url: `${BASE_URL}${SSE_PATH}`,
    headers: authHeaders(vuToken(DURATION_MS)),
    sink,
    state,
    closeAtMs: deadline,
  });
  // A refused VU tries again after a pause: a cap that frees up later shows as recovered connects.
  if (result.outcome !== 'closed') sleepBeforeRetry(RETRY_DELAY_MS, deadline);
}

export const handleSummary = createHandleSummary(() => ({
  scenario: 'connection-limit',
  baseUrl: BASE_URL,
  ssePath: SSE_PATH,
  thresholds,
  plan: { vus: VUS, durationMs: DURATION_MS, holdMs: HOLD_MS, stopAtFirstFailure: STOP_AT_FIRST_FAILURE },
}));
