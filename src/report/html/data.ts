/**
 * What the HTML report's plots need, boiled down from a results folder: per-second series from
 * `timeline.json`, and from `connections.ndjson` only a lifetime per ended stream and counts by
 * reason (a digest fed one record at a time, so 30,000+ records never sit in memory as objects).
 */
import { formatLimitValue, PLATFORM_FACTS, type PlatformFacts } from '../../core/platform-facts.js';
import { isConnectFailureReason, isDropReason, reasonSide, type ReasonSide } from '../../core/reasons.js';
import type { ConnectionRecord, Timeline, TimelinePoint } from '../../results/schema.js';

/**
 * The platform limits drawn as dashed lines on the lifetime histogram, shortest first: the limits of
 * the platform facts flagged with a `mark` (Vercel Hobby, Netlify, nginx, Vercel Pro; each cites its source there).
 */
export const KNOWN_LIMITS_S: ReadonlyArray<{ seconds: number; label: string }> = createLifetimeMarks(PLATFORM_FACTS);

export function createLifetimeMarks(facts: readonly PlatformFacts[]): Array<{ seconds: number; label: string }> {
  return facts
    .flatMap((entry) => entry.limits)
    .flatMap((limit) => (limit.mark === undefined ? [] : [{ seconds: limit.valueMs / 1_000, label: `${limit.mark} ${formatLimitValue(limit)}` }]))
    .sort((a, b) => a.seconds - b.seconds);
}

/** Bin widths a person reads easily, in seconds. */
const NICE_BIN_WIDTHS_S = [0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600];
const MAX_BINS = 80;

export interface ReasonCount {
  reason: string;
  count: number;
  side: ReasonSide;
}

export interface LifetimeHistogram {
  binWidthS: number;
  /** Bin centres in seconds. */
  centersS: number[];
  /** Streams ended by the target (dropped), per bin. */
  dropped: number[];
  /** Every ended stream (dropped + closed by the plan), per bin: drawn behind `dropped`. */
  ended: number[];
  xMaxS: number;
  limits: Array<{ seconds: number; label: string }>;
  droppedTotal: number;
  closedTotal: number;
}

export interface TimelineSeries {
  t: number[];
  sseOpen: number[];
  pollClients: number[];
  sseLatencyMs: Record<'p50' | 'p90' | 'p95' | 'p99' | 'max', Array<number | null>>;
  pollDelayMs: Record<'p50' | 'p90' | 'p95' | 'p99' | 'max', Array<number | null>>;
  /** A publishing run only: publish-to-deliver percentiles per window (null where none arrived). */
  publishToDeliverMs?: Record<'p50' | 'p90' | 'p95' | 'p99' | 'max', Array<number | null>>;
  dropsByReason: Record<string, number[]>;
  failuresByReason: Record<string, number[]>;
  eventLoopDelayP99Ms: Array<number | null>;
  cpuPercent: Array<number | null>;
  sseEvents: number[];
  sseHeartbeats: number[];
  sseEventsLost: number[];
}

export interface RecordDigest {
  attempts: number;
  opened: number;
  outcomes: { failed: number; dropped: number; closed: number };
  drops: ReasonCount[];
  failures: ReasonCount[];
  eventsLost: number;
  eventsDuplicated: number;
  lifetime: LifetimeHistogram;
}

export interface RecordDigester {
  add(record: ConnectionRecord): void;
  finish(): RecordDigest;
}

/** Counts by reason, most first, each with its side (a reason the enum does not know is the target's). */
export function sortedCounts(counts: Iterable<[string, number]>): ReasonCount[] {
  return [...counts]
    .map(([reason, count]) => ({ reason, count, side: isConnectFailureReason(reason) || isDropReason(reason) ? reasonSide(reason) : ('target' as const) }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/** The smallest nice bin width that keeps the histogram within MAX_BINS bins. */
export function chooseBinWidthS(xMaxS: number): number {
  for (const width of NICE_BIN_WIDTHS_S) if (xMaxS / width <= MAX_BINS) return width;
  return Math.ceil(xMaxS / MAX_BINS);
}

/**
 * The x range shown: up to the longest lifetime, stretched to the next known limit above it, so a
 * reader sees whether streams ended short of a platform limit or at it. A lifetime just past a limit
 * (within 5 %: a cut lands a little after the limit) counts as at it.
 */
export function lifetimeAxisMaxS(longestS: number): number {
  const next = KNOWN_LIMITS_S.find((limit) => limit.seconds * 1.05 >= longestS);
  const edge = next ? Math.max(next.seconds, longestS) : longestS;
  return Math.max(1, edge * 1.08);
}

export function buildLifetimeHistogram(droppedS: ArrayLike<number>, closedS: ArrayLike<number>): LifetimeHistogram {
  let longest = 0;
  for (let i = 0; i < droppedS.length; i++) longest = Math.max(longest, droppedS[i] as number);
  for (let i = 0; i < closedS.length; i++) longest = Math.max(longest, closedS[i] as number);
  const xMaxS = lifetimeAxisMaxS(longest);
  const binWidthS = chooseBinWidthS(xMaxS);
  const bins = Math.max(1, Math.ceil(xMaxS / binWidthS));
  const dropped = new Array<number>(bins).fill(0);
  const ended = new Array<number>(bins).fill(0);
  const binOf = (seconds: number): number => Math.min(bins - 1, Math.max(0, Math.floor(seconds / binWidthS)));
  for (let i = 0; i < droppedS.length; i++) {
    const bin = binOf(droppedS[i] as number);
    dropped[bin] = (dropped[bin] as number) + 1;
    ended[bin] = (ended[bin] as number) + 1;
  }
  for (let i = 0; i < closedS.length; i++) {
    const bin = binOf(closedS[i] as number);
    ended[bin] = (ended[bin] as number) + 1;
  }
  const centersS = Array.from({ length: bins }, (_, i) => round((i + 0.5) * binWidthS, 3));
  return {
    binWidthS,
    centersS,
    dropped,
    ended,
    xMaxS: round(xMaxS, 3),
    limits: KNOWN_LIMITS_S.filter((limit) => limit.seconds <= xMaxS).map((limit) => ({ ...limit })),
    droppedTotal: droppedS.length,
    closedTotal: closedS.length,
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function createRecordDigester(): RecordDigester {
  let attempts = 0;
  let opened = 0;
  const outcomes = { failed: 0, dropped: 0, closed: 0 };
  const drops = new Map<string, number>();
  const failures = new Map<string, number>();
  let eventsLost = 0;
  let eventsDuplicated = 0;
  // Plain number arrays of lifetimes (seconds): 8 bytes a stream, the only per-record state kept.
  const droppedS: number[] = [];
  const closedS: number[] = [];

  return {
    add(record) {
      attempts++;
      eventsLost += record.lost;
      eventsDuplicated += record.duplicated;
      outcomes[record.outcome]++;
      if (record.outcome === 'failed') {
        failures.set(record.reason, (failures.get(record.reason) ?? 0) + 1);
        return;
      }
      if (record.openedAt !== undefined) opened++;
      const lifetimeS = record.openedAt === undefined ? 0 : Math.max(0, record.endedAt - record.openedAt) / 1000;
      if (record.outcome === 'dropped') {
        drops.set(record.reason, (drops.get(record.reason) ?? 0) + 1);
        droppedS.push(lifetimeS);
      } else {
        closedS.push(lifetimeS);
      }
    },
    finish() {
      return {
        attempts,
        opened,
        outcomes: { ...outcomes },
        drops: sortedCounts(drops),
        failures: sortedCounts(failures),
        eventsLost,
        eventsDuplicated,
        lifetime: buildLifetimeHistogram(droppedS, closedS),
      };
    },
  };
}

function reasonSeries(
  points: readonly TimelinePoint[],
  pick: (point: TimelinePoint) => Record<string, number>,
  exclude: readonly string[] = [],
): Record<string, number[]> {
  const reasons = new Set<string>();
  for (const point of points) for (const reason of Object.keys(pick(point))) if (!exclude.includes(reason)) reasons.add(reason);
  const series: Record<string, number[]> = {};
  for (const reason of [...reasons].sort()) series[reason] = points.map((point) => pick(point)[reason] ?? 0);
  return series;
}

const PERCENTILE_KEYS = ['p50', 'p90', 'p95', 'p99', 'max'] as const;

export function buildTimelineSeries(timeline: Timeline): TimelineSeries {
  const points = timeline.points;
  const percentileSeries = (pick: (point: TimelinePoint) => TimelinePoint['sseLatencyMs']) =>
    Object.fromEntries(PERCENTILE_KEYS.map((key) => [key, points.map((point) => pick(point)?.[key] ?? null)])) as TimelineSeries['sseLatencyMs'];
  return {
    t: points.map((point) => point.t),
    sseOpen: points.map((point) => point.sseOpen),
    pollClients: points.map((point) => point.pollClients),
    sseLatencyMs: percentileSeries((point) => point.sseLatencyMs),
    pollDelayMs: percentileSeries((point) => point.pollDelayMs),
    ...(points.some((point) => point.publishToDeliverMs !== undefined)
      ? { publishToDeliverMs: percentileSeries((point) => point.publishToDeliverMs ?? null) }
      : {}),
    // Streams the plan itself closed (mostly all at once, at the end) would flatten every real drop.
    dropsByReason: reasonSeries(points, (point) => point.sseDrops, ['client_closed']),
    failuresByReason: reasonSeries(points, (point) => point.sseConnectFailures),
    eventLoopDelayP99Ms: points.map((point) => point.eventLoopDelayP99Ms),
    cpuPercent: points.map((point) => point.cpuPercent),
    sseEvents: points.map((point) => point.sseEvents),
    sseHeartbeats: points.map((point) => point.sseHeartbeats),
    sseEventsLost: points.map((point) => point.sseEventsLost),
  };
}
