/** What every detector of the diagnosis reads, and the counting helpers they share. */
import type { ConnectionRecord } from '../results/schema.js';

export interface Context {
  records: ConnectionRecord[];
  timeScale: number;
  expectedIntervalMs: number | undefined;
  origin: string | undefined;
}

/** Fewer drops than this are not a pattern. */
export const MIN_PATTERN = 2;

export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

export function formatCounts(counts: Map<string, number>, prefix = ''): string {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([key, n]) => `${prefix}${key} ×${n}`)
    .join(', ');
}
