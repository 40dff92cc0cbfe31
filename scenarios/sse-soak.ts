/**
 * SSE soak with xk6-sse: each VU is one EventSource-like client that holds a stream for the whole
 * run, reconnects after a drop with `Last-Event-ID` (kept across iterations, as a browser keeps it
 * across reconnects), and records per-event latency from `sentAt`, lost and duplicated events,
 * heartbeats, the drop reason and the lifetime, under the shared metric names.
 *
 *   k6 run -e TARGET=http://127.0.0.1:3000 -e TOKEN=... -e VUS=100 -e DURATION=10m dist/k6/sse-soak.js
 */
import { sleep } from 'k6';
import type { Options } from 'k6/options';
import sse from 'k6/x/sse';
import { SUMMARY_TREND_STATS, scenarioDeadline, vuToken } from './lib/common.js';
import { envDurationMs, envInt, envString, eventReaderFromEnv, k6Duration, targetBaseUrl } from './lib/env.js';
import { createHandleSummary } from './lib/handle-summary.js';
import { createK6ConnectionSink } from './lib/metrics.js';
import { sleepBeforeRetry } from './lib/retry.js';
import { setupClock, type SetupData } from './lib/setup.js';
import { createStreamState, runSseAttempt } from './lib/sse-connection.js';
import { SSE_THRESHOLDS, breakdownThresholds, withEnvThresholds } from './lib/thresholds.js';
import { authHeaders } from './lib/token.js';

// Read at init: a run without a target fails at once instead of in every iteration.
const BASE_URL = targetBaseUrl();
const VUS = envInt('VUS', 10);
const DURATION_MS = envDurationMs('DURATION', '1m');
const RAMP_MS = Math.min(envDurationMs('RAMP', '0s'), DURATION_MS);
const RECONNECT_DELAY_MS = envDurationMs('RECONNECT_DELAY', '3s');
const SSE_PATH = envString('SSE_PATH', '/api/calls/events');
// The target's own events (EVENT_TIME, EVENT_SEQ...): the same mapping as `streamsoak run --event-time`.
const EVENTS = eventReaderFromEnv();
// A VU ends its stream at the first event or heartbeat after the run's end; k6 waits this long
// for that before it interrupts the VU (and an interrupted iteration records nothing).
const GRACEFUL_STOP = envString('GRACEFUL_STOP', '20s');

const thresholds = withEnvThresholds({ ...breakdownThresholds(['sse']), ...SSE_THRESHOLDS });

export const options: Options = {
  scenarios: {
    sse_soak:
      RAMP_MS > 0
        ? {
            executor: 'ramping-vus',
            startVUs: 0,
            stages: [
              { duration: k6Duration(RAMP_MS), target: VUS },
              { duration: k6Duration(Math.max(DURATION_MS - RAMP_MS, 1000)), target: VUS },
            ],
            gracefulRampDown: GRACEFUL_STOP,
            gracefulStop: GRACEFUL_STOP,
          }
        : { executor: 'constant-vus', vus: VUS, duration: k6Duration(DURATION_MS), gracefulStop: GRACEFUL_STOP },
  },
  thresholds,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

const sink = createK6ConnectionSink();
// Module state is per VU in k6: this is the client's memory across iterations.
const state = createStreamState();

export const setup = setupClock;

export default function (data: SetupData): void {
  const deadline = scenarioDeadline(DURATION_MS);
  if (state.stopReconnecting) {
    // The server said 204 ("stop"): an EventSource stays closed. Idle until the run ends.
    sleep(Math.max(0, deadline - Date.now()) / 1000);
    return;
  }
  const result = runSseAttempt(sse.open, {
    url: `${BASE_URL}${SSE_PATH}`,
    headers: authHeaders(vuToken(DURATION_MS)),
    sink,
    state,
    closeAtMs: deadline,
    clockOffsetMs: data.clock.offsetMs,
    ...(EVENTS ? { readEvent: EVENTS.reader } : {}),
  });
  if (result.outcome !== 'closed') {
    // "wait a delay equal to the reconnection time of the event source" before reconnecting.
    sleepBeforeRetry(RECONNECT_DELAY_MS, deadline);
  }
}

export const handleSummary = createHandleSummary(() => ({
  scenario: 'sse-soak',
  baseUrl: BASE_URL,
  ssePath: SSE_PATH,
  thresholds,
  plan: { vus: VUS, durationMs: DURATION_MS, rampMs: RAMP_MS, reconnectDelayMs: RECONNECT_DELAY_MS },
}));
