/**
 * HDR histograms of milliseconds, recorded in microseconds so loopback latencies (well under 1 ms)
 * keep their resolution. Encodable (compressed base64) so worker processes send their window each
 * second and the coordinator merges them, as autocannon's `lib/histUtil.js` does.
 */
import * as hdr from 'hdr-histogram-js';
import type { TrendStats } from './snapshot.js';

export type Histogram = hdr.Histogram;

const US_PER_MS = 1_000;

export function createHistogram(): Histogram {
  // 3 significant digits, auto-resizing: no upper bound to guess, memory grows with the range only.
  return hdr.build({ bitBucketSize: 32, autoResize: true, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

/** Records a duration in ms; negative values (clock skew) count as 0. */
export function recordMs(histogram: Histogram, ms: number): void {
  histogram.recordValue(ms > 0 ? Math.round(ms * US_PER_MS) : 0);
}

export function percentileMs(histogram: Histogram, percentile: number): number {
  return histogram.getValueAtPercentile(percentile) / US_PER_MS;
}

export function trendStats(histogram: Histogram): TrendStats | null {
  const count = histogram.totalCount;
  if (count === 0) return null;
  return {
    count,
    min: histogram.getValueAtPercentile(0) / US_PER_MS,
    max: histogram.maxValue / US_PER_MS,
    avg: histogram.mean / US_PER_MS,
    p50: percentileMs(histogram, 50),
    p90: percentileMs(histogram, 90),
    p95: percentileMs(histogram, 95),
    p99: percentileMs(histogram, 99),
  };
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

/** Adds an encoded histogram (from a worker) into `into`. */
export function mergeEncodedHistogram(into: Histogram, encoded: string): void {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false);
  into.add(decoded);
  decoded.destroy();
}
