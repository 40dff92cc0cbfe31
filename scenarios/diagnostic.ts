/**
 * The guide's diagnostic as a k6 check: one client reads `/api/calls/events/test` (one JSON message
 * a second for 30 seconds, then the server ends it) and says whether the stream lasted, and whether
 * the messages came one by one or in bursts (buffering).
 *
 *   k6 run -e TARGET=https://your-domain.example dist/k6/diagnostic.js
 */
import { check } from 'k6';
import type { Options } from 'k6/options';
import sse from 'k6/x/sse';
import { SUMMARY_TREND_STATS } from './lib/common.js';
import { envDurationMs, envInt, envString, targetBaseUrl } from './lib/env.js';
import { evaluateDiagnostic } from './lib/diagnostic-verdict.js';
import { createHandleSummary } from './lib/handle-summary.js';
import { createK6ConnectionSink } from './lib/metrics.js';
import { createStreamState, runSseAttempt } from './lib/sse-connection.js';
import { breakdownThresholds, withEnvThresholds } from './lib/thresholds.js';
import { authHeaders, tokenFor } from './lib/token.js';

// Read at init: a run without a target fails at once instead of in every iteration.
const BASE_URL = targetBaseUrl();
const TEST_PATH = envString('SSE_PATH', '/api/calls/events/test');
const EXPECT_MESSAGES = envInt('EXPECT_MESSAGES', 30);
const EXPECT_INTERVAL_MS = envDurationMs('EXPECT_INTERVAL', '1s');
// Past the expected length plus slack, the client ends the stream itself (at the next message).
const LIMIT_MS = EXPECT_MESSAGES * EXPECT_INTERVAL_MS + 15_000;

const thresholds = withEnvThresholds({ ...breakdownThresholds(['sse']), checks: ['rate==1'] });

export const options: Options = {
  scenarios: {
    diagnostic: { executor: 'shared-iterations', vus: 1, iterations: 1, maxDuration: `${Math.ceil(LIMIT_MS / 1000) + 15}s` },
  },
  thresholds,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

const sink = createK6ConnectionSink();

export default function (): void {
  const arrivals: number[] = [];
  const result = runSseAttempt(sse.open, {
    url: `${BASE_URL}${TEST_PATH}`,
    // The test endpoint needs no token; one is sent when given, for targets that ask for it.
    headers: authHeaders(tokenFor('k6-diagnostic')),
    sink,
    state: createStreamState(),
    closeAtMs: Date.now() + LIMIT_MS,
    onEvent: (_event, receivedAt) => arrivals.push(receivedAt),
  });
  const diagnosis = evaluateDiagnostic({
    opened: result.outcome !== 'failed',
    failureReason: result.reason,
    arrivals,
    ...(result.openedAt === undefined ? {} : { openedAt: result.openedAt }),
    endedAt: result.endedAt,
    expectedMessages: EXPECT_MESSAGES,
    expectedIntervalMs: EXPECT_INTERVAL_MS,
  });
  check(diagnosis, {
    'the test stream opened': (d) => d.verdict !== 'no_stream',
    [`the test stream lasted ${(EXPECT_MESSAGES * EXPECT_INTERVAL_MS) / 1000} s`]: (d) => d.verdict !== 'cut_short' && d.verdict !== 'no_stream',
    'messages arrived one by one (not buffered)': (d) => d.verdict === 'ok',
  });
  console.log(`diagnostic: ${diagnosis.verdict}: ${diagnosis.advice}`);
}

export const handleSummary = createHandleSummary(() => ({
  scenario: 'diagnostic',
  baseUrl: BASE_URL,
  ssePath: TEST_PATH,
  thresholds,
  plan: { expectMessages: EXPECT_MESSAGES, expectIntervalMs: EXPECT_INTERVAL_MS },
}));
