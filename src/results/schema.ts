/**
 * The results folder's formats (DESIGN.md, "Results folder"), shared by the Node engine, the k6
 * `handleSummary`, the report, `compare`, `doctor` and `plan`. Versioned: a reader checks
 * `schemaVersion` and refuses what it does not know.
 */
import { z } from 'zod';
import { CONNECT_FAILURE_REASONS, DROP_REASONS } from '../core/reasons.js';

export const RESULTS_SCHEMA_VERSION = 1;

const reasonSchema = z.enum([...new Set([...CONNECT_FAILURE_REASONS, ...DROP_REASONS])] as [string, ...string[]]);
const epochMs = z.number().nonnegative();
const count = z.number().int().nonnegative();

/**
 * One line of `connections.ndjson`: one SSE connection attempt, from start to end. Conservation:
 * every attempt the engine starts has exactly one record, written when it ends.
 */
export const connectionRecordSchema = z.object({
  /** Unique within the run (`<worker>-<n>`). */
  id: z.string(),
  /** The virtual user that made the attempt, and which attempt of that user it was (1 = first). */
  client: count,
  attempt: z.number().int().positive(),
  startedAt: epochMs,
  /** Set when the response was 200 with `text/event-stream`: the stream opened. */
  openedAt: epochMs.optional(),
  firstEventAt: epochMs.optional(),
  lastEventAt: epochMs.optional(),
  /** The last byte of any kind (event, heartbeat) from the target: silence before a drop. */
  lastByteAt: epochMs.optional(),
  endedAt: epochMs,
  /** `failed`: never opened; `dropped`: opened and ended by the target; `closed`: ended by the plan. */
  outcome: z.enum(['failed', 'dropped', 'closed']),
  reason: reasonSchema,
  status: z.number().int().optional(),
  contentType: z.string().optional(),
  /** `access-control-allow-origin` of the response when the plan sent an `Origin` (null: absent). */
  corsAllowOrigin: z.string().nullable().optional(),
  error: z.string().optional(),
  events: count,
  heartbeats: count,
  lost: count,
  duplicated: count,
  /** Socket reads that carried at least one event, and the most events one read carried: buffering evidence. */
  eventReads: count,
  maxEventsPerRead: count,
  /** This connection's event latency, when payloads carried `sentAt`. */
  latencyMs: z.object({ min: z.number(), p50: z.number(), max: z.number() }).optional(),
  lastEventId: z.string().optional(),
  /** Source address used (loopback rotation), for harness-side diagnosis. */
  localAddress: z.string().optional(),
});

export type ConnectionRecord = z.infer<typeof connectionRecordSchema>;

/** One metric of the end-of-test summary, shaped like k6's (`metrics.<name>.values["p(95)"]`). */
export const summaryMetricSchema = z.object({
  type: z.enum(['counter', 'gauge', 'trend', 'rate']),
  contains: z.enum(['default', 'time']).default('default'),
  values: z.record(z.string(), z.number()),
  thresholds: z.record(z.string(), z.object({ ok: z.boolean() })).optional(),
});

export const thresholdResultSchema = z.object({
  metric: z.string(),
  expression: z.string(),
  ok: z.boolean(),
  /** The value the expression compared, when there was one. */
  actual: z.number().nullable(),
  abortOnFail: z.boolean().default(false),
});

export const findingSchema = z.object({
  /** Stable identifier: `time_limit`, `buffering`, `idle_timeout`, `connection_cap`, `cors`, ... */
  kind: z.string(),
  severity: z.enum(['info', 'warning', 'problem']),
  title: z.string(),
  evidence: z.string(),
  remedy: z.string(),
  /** The profile whose signature matched, if one did. */
  profile: z.string().optional(),
});

export type Finding = z.infer<typeof findingSchema>;

export const summarySchema = z.object({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('streamsoak'), version: z.string() }),
  engine: z.enum(['node', 'k6']),
  runId: z.string(),
  testid: z.string(),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime(),
  durationMs: z.number().nonnegative(),
  interrupted: z.boolean().default(false),
  /**
   * What was run against, and what the diagnosis needs to read the run: the `Origin` sent, how
   * often the target sends an event per stream, and the time scale of a simulator in front of it.
   * Typed here so no reader digs them out of `plan` by string paths.
   */
  target: z.object({
    baseUrl: z.string(),
    ssePath: z.string().optional(),
    pollPath: z.string().optional(),
    origin: z.string().optional(),
    expectedIntervalMs: z.number().positive().optional(),
    timeScale: z.number().positive().optional(),
  }),
  /**
   * The `events:` mapping the run read the target's own events through (absent: the reference
   * server's `{ seq, sentAt, stream }`), and how many event times were read in each unit (`s`,
   * `ms`, `us`, `ns`, `iso`): what `timeUnit: auto` decided, stated beside the figures it made.
   */
  events: z
    .object({
      mapping: z.record(z.string(), z.string()),
      timeUnitsRead: z.record(z.string(), z.number().int().nonnegative()).default({}),
    })
    .optional(),
  /**
   * A publishing run (a plan's `publish:`): the messages the target accepted, the deliveries to
   * subscribers (`publish_to_deliver` samples), the deliveries missed by subscribers that had a
   * stream open when a message was accepted, and the spread of each message's receipts (last − first).
   */
  publish: z
    .object({
      url: z.string(),
      rate: z.number().positive(),
      messagesAccepted: z.number().int().nonnegative(),
      deliveries: z.number().int().nonnegative(),
      deliveriesMissed: z.number().int().nonnegative(),
      /** deliveries / (deliveries + missed); null when nothing was deliverable. */
      deliveryRatio: z.number().min(0).max(1).nullable(),
      fanOutSpreadMs: z
        .object({ messages: z.number().int().nonnegative(), p50: z.number(), p99: z.number(), max: z.number() })
        .nullable(),
    })
    .optional(),
  /** The validated plan, as run. */
  plan: z.unknown(),
  machine: z.object({
    hostname: z.string().optional(),
    platform: z.string(),
    arch: z.string(),
    cpus: z.number().int().nonnegative(),
    cpuModel: z.string().optional(),
    totalMemoryBytes: z.number().nonnegative().optional(),
    runtime: z.string(),
  }),
  metrics: z.record(z.string(), summaryMetricSchema),
  /** Counts split by the metric's label (`reason`, `status`), e.g. `breakdown.sse_drops.server_closed`. */
  breakdown: z.record(z.string(), z.record(z.string(), count)).default({}),
  thresholds: z.array(thresholdResultSchema).default([]),
  thresholdsPassed: z.boolean(),
  harness: z
    .object({
      workers: z.number().int().nonnegative(),
      eventLoopDelayMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }).optional(),
      cpuPercent: z.object({ avg: z.number(), max: z.number() }).optional(),
      peakRssBytes: z.number().nonnegative().optional(),
      /** True when the harness, not the target, was the bottleneck: latency figures are suspect. */
      bottleneck: z.boolean(),
      /**
       * SSE attempts the workers started: each has exactly one record in `connections.ndjson` (a lost
       * worker's attempts in flight as `client_worker_lost`). Absent in summaries before it existed.
       */
      sseAttempts: count.optional(),
      /** Worker processes that died before the end of the run (their clients stopped with them); absent reads as 0. */
      workersLost: count.optional(),
      /**
       * False when the harness itself failed during the run (a worker was lost): the load was not what
       * the plan asked for, and the exit code is 3. Absent (older summaries, k6 runs) reads as true.
       */
      trustworthy: z.boolean().optional(),
    })
    .optional(),
  /**
   * How event latency was measured across clocks (same host, offset from /api/time, or unknown).
   * `offsetMs` is the target's clock minus the harness's; every latency figure (`sse_event_latency`,
   * `poll_delivery_delay`) is ± `uncertaintyMs`. With `unknown`, no latency was recorded.
   */
  clock: z
    .object({
      method: z.enum(['same-host', 'api-time', 'date-header', 'unknown']),
      offsetMs: z.number().optional(),
      uncertaintyMs: z.number().nonnegative().optional(),
      /** The round trip of the exchange the estimate came from, and how many exchanges answered. */
      roundTripMs: z.number().nonnegative().optional(),
      samples: z.number().int().nonnegative().optional(),
      /** A second estimate at the end of the run, and how far the offset moved (end − start). */
      endOffsetMs: z.number().optional(),
      endUncertaintyMs: z.number().nonnegative().optional(),
      driftMs: z.number().optional(),
      /** What to print beside every latency figure, e.g. "± 0.6 ms (clock offset uncertainty)". */
      note: z.string().optional(),
      /** Why the method is what it is (e.g. why there is no clock reference). */
      detail: z.string().optional(),
    })
    .optional(),
  findings: z.array(findingSchema).default([]),
  warnings: z.array(z.string()).default([]),
});

export type Summary = z.infer<typeof summarySchema>;
export type SummaryInput = z.input<typeof summarySchema>;

const percentiles = z.object({ p50: z.number(), p90: z.number(), p95: z.number(), p99: z.number(), max: z.number() });

/** One second of the run. Counters are per interval (not cumulative); gauges are the value at its end. */
export const timelinePointSchema = z.object({
  /** Seconds since the run started, at the end of the interval. */
  t: z.number().nonnegative(),
  sseOpen: count,
  pollClients: count,
  sseConnects: count,
  sseConnectFailures: z.record(z.string(), count),
  sseDrops: z.record(z.string(), count),
  sseEvents: count,
  sseEventsLost: count,
  sseHeartbeats: count,
  sseReconnects: count,
  pollRequests: count,
  pollEvents: count,
  sseLatencyMs: percentiles.nullable(),
  pollDelayMs: percentiles.nullable(),
  /** A publishing run: publish-to-deliver latency over the window (issue 15). */
  publishToDeliverMs: percentiles.nullable().optional(),
  eventLoopDelayP99Ms: z.number().nullable(),
  cpuPercent: z.number().nullable(),
});

export const timelineSchema = z.object({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  startedAt: epochMs,
  intervalMs: z.number().int().positive(),
  points: z.array(timelinePointSchema),
});

export type TimelinePoint = z.infer<typeof timelinePointSchema>;
export type Timeline = z.infer<typeof timelineSchema>;

export const RESULT_FILES = {
  summary: 'summary.json',
  connections: 'connections.ndjson',
  timeline: 'timeline.json',
  report: 'report.html',
  junit: 'junit.xml',
} as const;
