/**
 * Thresholds in k6 syntax, the same expressions a Node-engine plan takes
 * (`sse_event_latency: ['p(95)<500']`, `sse_drops: ['count==0']`), so a k6 run passes or fails on
 * the same terms. `STREAMSOAK_THRESHOLDS` (a JSON object) replaces a metric's list or adds one.
 *
 * k6's end-of-test data holds a submetric (`sse_drops{reason:reset}`) only when a threshold names
 * it, so every reason gets an always-true `count>=0` entry: that is what lets `handleSummary` fill
 * `breakdown.sse_drops.reset`. The summary leaves these markers out of its threshold list.
 */
import type { Options } from 'k6/options';
import { CONNECT_FAILURE_REASONS, DROP_REASONS } from '../../src/core/reasons.js';
import { COUNTERS } from '../../src/core/metric-names.js';
import { readEnv } from './env.js';
import { CONNECT_FAILURE_RATIO } from './k6-only-metrics.js';

export type Thresholds = NonNullable<Options['thresholds']>;

/** The expression of a breakdown marker: it never fails. */
export const BREAKDOWN_MARKER = 'count>=0';

const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'error'] as const;

/** Markers for the labelled counters this scenario records. */
export function breakdownThresholds(kinds: ReadonlyArray<'sse' | 'poll'>): Thresholds {
  const markers: Thresholds = {};
  if (kinds.includes('sse')) {
    for (const reason of CONNECT_FAILURE_REASONS) markers[`${COUNTERS.sseConnectFailures}{reason:${reason}}`] = [BREAKDOWN_MARKER];
    for (const reason of DROP_REASONS) markers[`${COUNTERS.sseDrops}{reason:${reason}}`] = [BREAKDOWN_MARKER];
  }
  if (kinds.includes('poll')) {
    for (const status of STATUS_CLASSES) markers[`${COUNTERS.pollRequests}{status:${status}}`] = [BREAKDOWN_MARKER];
  }
  return markers;
}

/**
 * `base`, with the metrics named in `STREAMSOAK_THRESHOLDS` replaced by the given lists, ready for
 * k6: `rate` thresholds of `sse_connect_failures` move to the Rate that means what streamsoak means
 * by them (the share of attempts that failed; lib/metrics.ts).
 */
export function withEnvThresholds(base: Thresholds): Thresholds {
  return forK6(mergeEnvThresholds(base));
}

function thresholdText(item: Thresholds[string][number]): string {
  return typeof item === 'string' ? item : item.threshold;
}

export function forK6(thresholds: Thresholds): Thresholds {
  const failures = thresholds[COUNTERS.sseConnectFailures];
  if (failures === undefined) return thresholds;
  const rates = failures.filter((item) => /^\s*rate\b/.test(thresholdText(item)));
  if (rates.length === 0) return thresholds;
  const out: Thresholds = { ...thresholds, [CONNECT_FAILURE_RATIO]: [...(thresholds[CONNECT_FAILURE_RATIO] ?? []), ...rates] };
  const rest = failures.filter((item) => !rates.includes(item));
  if (rest.length > 0) out[COUNTERS.sseConnectFailures] = rest;
  else delete out[COUNTERS.sseConnectFailures];
  return out;
}

function mergeEnvThresholds(base: Thresholds): Thresholds {
  const raw = readEnv().STREAMSOAK_THRESHOLDS;
  if (raw === undefined || raw === '') return base;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('STREAMSOAK_THRESHOLDS must be a JSON object such as {"sse_event_latency":["p(95)<500"]}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('STREAMSOAK_THRESHOLDS must be a JSON object of metric → list of expressions');
  }
  const merged: Thresholds = { ...base };
  for (const [metric, list] of Object.entries(parsed as Record<string, unknown>)) {
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
      throw new Error(`STREAMSOAK_THRESHOLDS.${metric} must be a list of expressions`);
    }
    merged[metric] = list as string[];
  }
  return merged;
}

/**
 * The default thresholds, one set per kind of run, in a Node plan's terms (the demo's): p95 event
 * latency under 500 ms, under 1% of connection attempts failed, no lost event (SSE); p95 poll
 * request under 1 s, delivery within two intervals, no 5xx (polling).
 */
export const SSE_THRESHOLDS: Thresholds = {
  sse_event_latency: ['p(95)<500'],
  sse_connect_failures: ['rate<0.01'],
  sse_events_lost: ['count==0'],
};

export function pollThresholds(intervalMs: number): Thresholds {
  return {
    poll_request_duration: ['p(95)<1000'],
    poll_delivery_delay: [`p(95)<${2 * intervalMs}`],
    'poll_requests{status:5xx}': ['count==0'],
  };
}
