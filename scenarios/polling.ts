/**
 * The guide's polling fallback ("Poll every 3 seconds"): CLIENTS polling clients, one request per
 * client per interval, scheduled by k6's constant-arrival-rate executor so requests start on time
 * whatever the target's speed (a slow server cannot hide its delay by slowing the clients down: no
 * coordinated omission; k6 counts starts it could not make as `dropped_iterations`).
 *
 * Each VU is one client (its own user, its own `since` cursor). The executor hands iterations to
 * whichever VU is free, so one client's polls are not exactly one interval apart; the total rate is.
 *
 *   k6 run -e TARGET=http://127.0.0.1:3000 -e JWT_ACCESS_SECRET=... -e VUS=500 -e DURATION=5m dist/k6/polling.js
 */
import http from 'k6/http';
import type { Options } from 'k6/options';
import { statusClass } from '../src/core/reasons.js';
import type { SequenceTracker } from '../src/core/event-payload.js';
import { SUMMARY_TREND_STATS, vuToken } from './lib/common.js';
import { envDurationMs, envInt, envString, k6Duration, targetBaseUrl } from './lib/env.js';
import { createHandleSummary } from './lib/handle-summary.js';
import { recordPoll, scenarioMetrics } from './lib/metrics.js';
import { parsePollBody } from './lib/poll-body.js';
import { observeSequence } from './lib/sequences.js';
import { setupClock, type SetupData } from './lib/setup.js';
import { breakdownThresholds, pollThresholds, withEnvThresholds } from './lib/thresholds.js';
import { authHeaders } from './lib/token.js';

// Read at init: a run without a target fails at once instead of in every iteration.
const BASE_URL = targetBaseUrl();
const CLIENTS = envInt('VUS', 10);
const DURATION_MS = envDurationMs('DURATION', '1m');
const INTERVAL_MS = envDurationMs('POLL_INTERVAL', '3s');
const POLL_PATH = envString('POLL_PATH', '/api/calls/poll');

const thresholds = withEnvThresholds({ ...breakdownThresholds(['poll']), ...pollThresholds(INTERVAL_MS) });

export const options: Options = {
  scenarios: {
    polling: {
      executor: 'constant-arrival-rate',
      rate: Math.max(1, CLIENTS),
      timeUnit: k6Duration(INTERVAL_MS),
      duration: k6Duration(DURATION_MS),
      preAllocatedVUs: Math.max(1, CLIENTS),
      // Room for slow responses: more VUs so starts stay on schedule, up to a bound.
      maxVUs: Math.max(1, CLIENTS * 2),
      gracefulStop: '10s',
    },
  },
  thresholds,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

const metrics = scenarioMetrics();
let since = '';
let polledBefore = false;
const trackers = new Map<string, SequenceTracker>();

export const setup = setupClock;

export default function (data: SetupData): void {
  // The iteration starts at its scheduled time: measure from here, not from the send.
  const intendedAt = Date.now();
  metrics.pollClients.add(CLIENTS);
  const query = since === '' ? '' : `${POLL_PATH.includes('?') ? '&' : '?'}since=${encodeURIComponent(since)}`;
  const res = http.get(`${BASE_URL}${POLL_PATH}${query}`, {
    headers: { Accept: 'application/json', ...authHeaders(vuToken(DURATION_MS)) },
    // One series for every poll, whatever its `since`: labels stay low-cardinality.
    tags: { name: POLL_PATH },
  });
  const receivedAt = Date.now();
  recordPoll(metrics, statusClass(res.status || undefined), receivedAt - intendedAt);
  if (res.status !== 200 || typeof res.body !== 'string') return;

  const events = parsePollBody(res.body) ?? [];
  // A client's first poll returns what was queued before it existed: not a delivery it waited for.
  const measureDelay = polledBefore;
  polledBefore = true;
  for (const event of events) {
    if (event.id !== undefined) since = event.id;
    const payload = event.payload;
    if (payload === undefined) {
      metrics.pollEvents.add(1);
      continue;
    }
    // A replayed event (the cursor lagged) is not delivered twice.
    if (observeSequence(trackers, payload) === 'duplicate') continue;
    metrics.pollEvents.add(1);
    if (measureDelay) metrics.pollDeliveryDelay.add(receivedAt - (payload.sentAt - data.clock.offsetMs));
  }
}

export const handleSummary = createHandleSummary(() => ({
  scenario: 'polling',
  baseUrl: BASE_URL,
  pollPath: POLL_PATH,
  thresholds,
  plan: { clients: CLIENTS, durationMs: DURATION_MS, intervalMs: INTERVAL_MS, executor: 'constant-arrival-rate' },
}));
