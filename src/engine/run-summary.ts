/**
 * The summary of a finished run, assembled from what the coordinator gathered (run-plan.ts), the way
 * autocannon keeps `lib/aggregateResult.js` apart from its `lib/run.js` loop: the metrics and
 * thresholds (latency left out when there was no clock reference), whether the harness was the
 * bottleneck, the conservation check, the machine, what the diagnosis needs to know of the target,
 * and the plan without its secrets. It reads and validates; it sends and writes nothing.
 */
import { EVENT_TIME_UNITS, PUBLISH_METRICS, SSE_ATTEMPTS } from '../core/metric-names.js';
import { parseThresholdMetricKey } from '../core/thresholds.js';
import type { RunAggregate } from '../metrics/run-aggregate.js';
import { describeMachine } from '../results/machine.js';
import { round3 } from '../results/round.js';
import { attachThresholds, buildSummaryMetrics, evaluateThresholds } from '../metrics/summary-metrics.js';
import type { SummaryClock } from '../results/clock-note.js';
import { RESULTS_SCHEMA_VERSION, summarySchema, type Summary, type SummaryInput } from '../results/schema.js';
import { VERSION } from '../version.js';
import { CLOCK_DEPENDENT_METRICS, LATENCY_UNKNOWN_THRESHOLD } from './clock-reference.js';
import type { Plan } from './plan.js';

/** Event-loop delay p99 past which the harness, not the target, may be what latency measures. */
const BOTTLENECK_EVENT_LOOP_P99_MS = 50;
const BOTTLENECK_CPU_PERCENT = 90;

/** What the coordinator hands over once every worker has stopped and every observer has ended. */
export interface FinishedRun {
  plan: Plan;
  runId: string;
  /** Epoch ms: the clock started once every worker had loaded, and stopped after the last report. */
  startedAt: number;
  endedAt: number;
  interrupted: boolean;
  /** Why the run bailed out early, if it did. */
  bailedOut: string | undefined;
  aggregate: RunAggregate;
  /** Connection records written, by outcome (`failed`, `dropped`, `closed`). */
  outcomes: Record<string, number>;
  workers: number;
  workersLost: number;
  /** Server clock minus ours; null: no clock reference, so no latency was recorded. */
  clockOffsetMs: number | null;
  clock: SummaryClock;
  /** What the run noted as it went; the summary's own warnings follow them. */
  warnings: readonly string[];
  /** A publishing run: messages the target accepted, and the spread of each message's receipts (ms). */
  published?: { accepted: number; fanOutSpreadsMs: readonly number[] } | undefined;
}

export function createRunSummary(run: FinishedRun): Summary {
  const { plan, aggregate } = run;
  const durationMs = run.endedAt - run.startedAt;
  const warnings = [...run.warnings];
  if (run.bailedOut !== undefined) warnings.push(`bailed out early: ${run.bailedOut}`);
  const latencyUnknown = run.clockOffsetMs === null;
  const { metrics, thresholdResults } = summarizeMetrics(run, durationMs, warnings);
  const harness = aggregate.harness();
  const bottleneck = harness.eventLoopDelayMs.p99 > BOTTLENECK_EVENT_LOOP_P99_MS || harness.busiestProcessCpuAvg > BOTTLENECK_CPU_PERCENT;
  if (bottleneck) {
    warnings.push(
      `the harness may have been the bottleneck (event-loop delay p99 ${harness.eventLoopDelayMs.p99} ms, busiest process at ` +
        `${harness.busiestProcessCpuAvg}% of a core on average): latency figures include the harness's own delay; use more workers or fewer clients`,
    );
  }
  const failuresByReason = aggregate.breakdown('sse_connect_failures');
  const harnessFailures = (failuresByReason.client_fd_limit ?? 0) + (failuresByReason.client_ports_exhausted ?? 0);
  if (harnessFailures > 0) {
    warnings.push(`${harnessFailures} attempts failed on the harness's side (file descriptors or source ports), not the target's`);
  }
  // Conservation, checked rather than assumed: every attempt counted has exactly one record.
  const sseAttempts = aggregate.counter(SSE_ATTEMPTS);
  const recordsWritten = Object.values(run.outcomes).reduce((sum, n) => sum + n, 0);
  if (recordsWritten !== sseAttempts) {
    warnings.push(`conservation broken: ${sseAttempts} SSE attempts counted but ${recordsWritten} connection records written`);
  }
  const events = summaryEvents(plan, aggregate, warnings);
  const publish = summaryPublish(run, warnings);
  // A run that did not publish measured none of these: left out, not shown as zeros.
  if (plan.publish === undefined) for (const name of PUBLISH_METRICS) delete metrics[name];
  if (latencyUnknown) {
    warnings.push(`latency unknown (${run.clock.detail ?? 'no clock reference'}): event latency and polling delivery delay were not recorded; drops, buffering and limits were measured`);
  }
  const summaryInput: SummaryInput = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'streamsoak', version: VERSION },
    engine: 'node',
    runId: run.runId,
    testid: run.runId,
    startedAt: new Date(run.startedAt).toISOString(),
    endedAt: new Date(run.endedAt).toISOString(),
    durationMs,
    interrupted: run.interrupted,
    target: summaryTarget(plan.target),
    ...(events !== undefined ? { events } : {}),
    ...(publish !== undefined ? { publish } : {}),
    plan: redactPlan(plan),
    machine: describeMachine(`node ${process.version}`),
    metrics,
    breakdown: {
      sse_connect_failures: failuresByReason,
      sse_drops: aggregate.breakdown('sse_drops'),
      poll_requests: aggregate.breakdown('poll_requests'),
      sse_outcomes: run.outcomes,
      ...(plan.publish !== undefined ? { publish_failures: aggregate.breakdown('publish_failures') } : {}),
    },
    thresholds: thresholdResults,
    thresholdsPassed: thresholdResults.every((result) => result.ok),
    harness: {
      workers: run.workers,
      eventLoopDelayMs: harness.eventLoopDelayMs,
      cpuPercent: harness.cpuPercent,
      peakRssBytes: harness.peakRssBytes,
      bottleneck,
      sseAttempts,
      workersLost: run.workersLost,
      trustworthy: run.workersLost === 0,
    },
    clock: run.clock,
    findings: [],
    warnings,
  };
  return summarySchema.parse(summaryInput);
}

/** The summary's metrics with their thresholds; a latency threshold without a clock reference fails (and says why in `warnings`). */
function summarizeMetrics(run: FinishedRun, durationMs: number, warnings: string[]) {
  const metrics = buildSummaryMetrics(run.aggregate, durationMs);
  const latencyUnknown = run.clockOffsetMs === null;
  // No clock reference: the latency metrics are left out (as k6 leaves out a metric with no samples)
  // rather than shown with a number that is off by an unknown offset.
  if (latencyUnknown) for (const name of CLOCK_DEPENDENT_METRICS) delete metrics[name];
  const thresholdResults = evaluateThresholds(run.plan.thresholds, metrics, run.aggregate, durationMs).map((result) => {
    if (!latencyUnknown || !isClockDependent(result.metric)) return result;
    // A latency threshold cannot pass on latency nobody measured.
    warnings.push(`threshold ${result.metric}: ${result.expression} failed: ${LATENCY_UNKNOWN_THRESHOLD} (${run.clock.detail ?? 'no /api/time on the target'})`);
    return { ...result, ok: false, actual: null };
  });
  attachThresholds(metrics, thresholdResults);
  return { metrics, thresholdResults };
}

function isClockDependent(metricKey: string): boolean {
  const parsed = parseThresholdMetricKey(metricKey);
  return typeof parsed !== 'string' && (CLOCK_DEPENDENT_METRICS as readonly string[]).includes(parsed.name);
}

/** The publish section: what was published, delivered and missed, and how wide each message's fan-out was. */
function summaryPublish(run: FinishedRun, warnings: string[]): SummaryInput['publish'] {
  const publish = run.plan.publish;
  if (publish === undefined || run.published === undefined) return undefined;
  const { aggregate } = run;
  const deliveries = aggregate.totalStats('publish_to_deliver')?.count ?? 0;
  const missed = aggregate.counter('publish_deliveries_missed');
  const failures = aggregate.counter('publish_failures');
  const spreads = [...run.published.fanOutSpreadsMs].sort((a, b) => a - b);
  const at = (q: number): number => round3(spreads[Math.min(spreads.length - 1, Math.max(0, Math.ceil(q * spreads.length) - 1))] as number);
  if (run.published.accepted === 0) {
    warnings.push(
      `publish: the target accepted none of the ${aggregate.counter('publish_requests')} messages sent to ${publish.url} (${failures} failed): publish-to-deliver latency was not measured`,
    );
  } else if (deliveries === 0) {
    warnings.push(`publish: ${run.published.accepted} messages were accepted but no subscriber received one: check that they publish to the channel the subscribers read, and that the target echoes the message's {{id}} in the event`);
  }
  return {
    url: publish.url,
    rate: publish.rate,
    messagesAccepted: run.published.accepted,
    deliveries,
    deliveriesMissed: missed,
    deliveryRatio: deliveries + missed > 0 ? round3(deliveries / (deliveries + missed)) : null,
    fanOutSpreadMs: spreads.length > 0 ? { messages: spreads.length, p50: at(0.5), p99: at(0.99), max: round3(spreads.at(-1) as number) } : null,
  };
}

/**
 * The `events:` mapping as run and the units its times were read in. A mapping that found no time
 * (or no sequence) in any event says so: "no latency" must not read as "no delay".
 */
function summaryEvents(plan: Plan, aggregate: RunAggregate, warnings: string[]): SummaryInput['events'] {
  if (plan.events === undefined) return undefined;
  const mapping = Object.fromEntries(Object.entries(plan.events).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  const timeUnitsRead = aggregate.breakdown(EVENT_TIME_UNITS);
  const events = aggregate.counter('sse_events');
  const timesRead = Object.values(timeUnitsRead).reduce((sum, n) => sum + n, 0);
  const where = plan.events.time ?? (plan.events.dataPattern !== undefined ? 'the (?<time>) capture of events.dataPattern' : undefined);
  if (where !== undefined && events > 0 && timesRead === 0) {
    warnings.push(`events: none of the ${events} events received had a time at ${where}: event latency was not measured (check events.time against an event's data)`);
  } else if (where !== undefined && timesRead < events) {
    warnings.push(`events: ${events - timesRead} of ${events} events had no readable time at ${where}: latency covers the other ${timesRead}`);
  }
  if (Object.keys(timeUnitsRead).length > 1) {
    warnings.push(`events: times were read in more than one unit (${Object.entries(timeUnitsRead).map(([unit, n]) => `${unit} ×${n}`).join(', ')}): set events.timeUnit if that is not what the target sends`);
  }
  return { mapping, timeUnitsRead };
}

/**
 * The target as the summary types it, so the diagnosis reads it without digging in `plan`. The
 * expected event interval is the plan's, or else the reference server's `?interval=` query (a
 * finite number of ms > 0); each field is left out when unknown.
 */
function summaryTarget(target: Plan['target']): SummaryInput['target'] {
  const queryIntervalMs = Number(target.query.interval);
  const expectedIntervalMs = target.expectedIntervalMs ?? (Number.isFinite(queryIntervalMs) && queryIntervalMs > 0 ? queryIntervalMs : undefined);
  return {
    baseUrl: target.baseUrl,
    ssePath: target.ssePath,
    pollPath: target.pollPath,
    ...(target.origin !== undefined ? { origin: target.origin } : {}),
    ...(expectedIntervalMs !== undefined ? { expectedIntervalMs } : {}),
    ...(target.timeScale !== undefined ? { timeScale: target.timeScale } : {}),
  };
}


/** The plan as run, without secrets: tokens and signing secrets never reach a results folder. */
function redactPlan(plan: Plan): unknown {
  if (!plan.auth) return plan;
  const auth = 'token' in plan.auth ? { ...plan.auth, token: '(redacted)' } : { ...plan.auth, secret: '(redacted)' };
  return { ...plan, auth };
}
