/**
 * Metric names that exist only in the k6 scenarios, next to the shared contract
 * (src/core/metric-names.ts). Kept apart from lib/metrics.ts so code that only needs the names
 * (thresholds, the summary builder) does not import `k6/metrics`.
 */

/**
 * A Rate with one sample per connection attempt, true when it failed: what streamsoak means by
 * `sse_connect_failures: ['rate<0.01']` (the share of attempts that failed), which a k6 Counter's
 * per-second `rate` is not.
 */
export const CONNECT_FAILURE_RATIO = 'sse_connect_failure_ratio';
