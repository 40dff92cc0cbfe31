/** Finding the value most samples sit at: drop times clustered at a limit. */

export interface Cluster {
  /** Median of the samples in the cluster. */
  centerMs: number;
  /** Largest distance of a member from the center. */
  spreadMs: number;
  count: number;
  /** Indices (into the input) of the members. */
  members: number[];
}

/**
 * The densest window of width `2 × tolerance(value)`: the samples that sit at one value. `undefined`
 * for no samples.
 */
export function densestCluster(values: readonly number[], tolerance: (valueMs: number) => number): Cluster | undefined {
  if (values.length === 0) return undefined;
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  let bestStart = 0;
  let bestEnd = 0;
  let end = 0;
  for (let start = 0; start < order.length; start++) {
    const low = (order[start] as { value: number }).value;
    const width = 2 * tolerance(low);
    if (end < start) end = start;
    while (end + 1 < order.length && (order[end + 1] as { value: number }).value - low <= width) end++;
    if (end - start > bestEnd - bestStart) {
      bestStart = start;
      bestEnd = end;
    }
  }
  const members = order.slice(bestStart, bestEnd + 1);
  const middle = members[Math.floor(members.length / 2)] as { value: number };
  const centerMs = members.length % 2 === 1 ? middle.value : ((members[members.length / 2 - 1] as { value: number }).value + middle.value) / 2;
  const spreadMs = maxOf(members.map((m) => Math.abs(m.value - centerMs)));
  return { centerMs, spreadMs, count: members.length, members: members.map((m) => m.index) };
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/*
 * `Math.max(...values)` and `Math.min(...values)` pass every value as an argument: past about
 * 120,000 (a long soak's drops) that overflows the call stack. These take arrays of any length.
 */

/** The largest value (`-Infinity` for none, as `Math.max()`). */
export function maxOf(values: readonly number[]): number {
  let max = -Infinity;
  for (const value of values) if (value > max) max = value;
  return max;
}

/** The smallest value (`Infinity` for none, as `Math.min()`). */
export function minOf(values: readonly number[]): number {
  let min = Infinity;
  for (const value of values) if (value < min) min = value;
  return min;
}
