/**
 * `runPlan`: the coordinator of a run. It starts the workers (in this process, or forked), merges
 * their reports every second (HDR histograms, counters, gauges, harness health), streams records and
 * the timeline to the results folder, pushes a snapshot to each metrics sink, reports progress,
 * applies the bail-out, and writes `summary.json` at the end. Before the start it settles the clock
 * (clock-reference.ts): one offset to the target's clock, measured here and handed to every worker,
 * so every latency is read on one corrected clock. Failures of the target are data:
 * this function throws only for failures of the harness itself (a results folder it cannot write,
 * checked before anything reaches the target). A forked worker that dies mid-run is not restarted
 * (that would change the load mid-run): its attempts in flight get `client_worker_lost` records
 * (worker-loss.ts), the others go on to the end, and the summary says the run is not trustworthy.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { resolve } from 'node:path';
import { counterKey, createRunAggregate, SSE_ATTEMPTS, type RunAggregate } from '../metrics/run-aggregate.js';
import { checkResultsFolder, createResultsWriter } from '../results/writer.js';
import { RESULTS_SCHEMA_VERSION, summarySchema, type Summary, type SummaryInput } from '../results/schema.js';
import type { MetricsSink } from '../metrics/snapshot.js';
import { attachThresholds, buildSummaryMetrics, evaluateThresholds } from '../metrics/summary-metrics.js';
import { VERSION } from '../version.js';
import { parseThresholdMetricKey } from '../core/thresholds.js';
import { CLOCK_DEPENDENT_METRICS, LATENCY_UNKNOWN_THRESHOLD, resolveClockReference, withEndEstimate } from './clock-reference.js';
import { resolveLocalAddresses } from './dispatchers.js';
import { maxSseClients, type Plan } from './plan.js';
import type { ProgressUpdate } from './progress-update.js';
import type { WorkerReport } from './recorder.js';
import { sseStages, targetAt } from './stages.js';
import { createInFlightTracker, describeLoss } from './worker-loss.js';
import { createInProcessWorker, spawnWorker, type WorkerHandle } from './worker-pool.js';

export { planSchema, parsePlan, loadPlanFile, readPlanFile, maxSseClients, MAX_RUN_DURATION_MS } from './plan.js';
export type { Plan, PlanInput } from './plan.js';
export type { ProgressUpdate } from './progress-update.js';

export interface RunPlanOptions {
  /** Aborting ends the run early: open streams end as `client_closed`, files are written. */
  signal?: AbortSignal;
  /** Parent folder of the run's folder (default `results`). */
  resultsDir?: string;
  runId?: string;
  sinks?: MetricsSink[];
  onProgress?: (update: ProgressUpdate) => void;
}

export interface RunOutcome {
  summary: Summary;
  outDir: string;
  interrupted: boolean;
}

const INTERVAL_MS = 1_000;
/** Connections per worker process when `workers: auto` (the per-process file limit here is 20,000). */
export const CONNECTIONS_PER_WORKER = 9_000;
/** Event-loop delay p99 past which the harness, not the target, may be what latency measures. */
const BOTTLENECK_EVENT_LOOP_P99_MS = 50;
const BOTTLENECK_CPU_PERCENT = 90;

export function createRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export function resolveWorkerCount(setting: Plan['workers'], connections: number): number {
  if (setting !== 'auto') return setting;
  return Math.max(1, Math.ceil(connections / CONNECTIONS_PER_WORKER));
}

function sleepUntil(at: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolveSleep) => {
    if (signal?.aborted) return resolveSleep();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolveSleep();
    };
    const timer = setTimeout(done, Math.max(0, at - Date.now()));
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function runPlan(plan: Plan, options: RunPlanOptions = {}): Promise<RunOutcome> {
  const { signal, sinks = [], onProgress } = options;
  const runId = options.runId ?? createRunId();
  const outDir = resolve(options.resultsDir ?? 'results', runId);
  // Before the clock exchange and the workers: a run whose records cannot be kept sends nothing.
  await checkResultsFolder(outDir);
  const totalConnections = maxSseClients(plan) + plan.poll.clients;
  const workerCount = resolveWorkerCount(plan.workers, totalConnections);
  const localAddresses = resolveLocalAddresses(plan.localAddresses, plan.target.baseUrl, totalConnections);
  const warnings: string[] = [];
  const problems = new Set<string>();
  const onProblem = (message: string): void => {
    if (!problems.has(message)) warnings.push(message);
    problems.add(message);
  };
  // The coordinator measures the clock offset once and every worker applies the same one; it is
  // measured while the workers load (their start-up is not run time either).
  const [clockReference, handles] = await Promise.all([
    resolveClockReference(plan, signal ? { signal } : {}),
    workerCount === 1
      ? Promise.resolve<WorkerHandle[]>([createInProcessWorker(0)])
      : Promise.all(Array.from({ length: workerCount }, (_, worker) => spawnWorker(worker, onProblem))),
  ]);
  const clockOffsetMs = clockReference.offsetMs;
  // The clock starts once every worker has loaded: process start-up is not run time.
  const startedAt = Date.now();
  const writer = await createResultsWriter(outDir, { startedAt, intervalMs: INTERVAL_MS }).catch(async (error: unknown) => {
    // The folder was writable a moment ago (checkResultsFolder): whatever changed, no worker may outlive this.
    await Promise.all(handles.map((handle) => handle.stop()));
    throw error;
  });
  const aggregate: RunAggregate = createRunAggregate();
  const outcomes: Record<string, number> = { failed: 0, dropped: 0, closed: 0 };
  const stages = sseStages(plan.sse);
  const inFlight = createInFlightTracker();
  const lostWorkers = new Set<number>();

  const absorb = (reports: readonly WorkerReport[]): void => {
    for (const report of reports) {
      inFlight.absorb(report);
      aggregate.add(report);
      writer.writeRecords(report.records);
      for (const record of report.records) outcomes[record.outcome] = (outcomes[record.outcome] ?? 0) + 1;
    }
  };
  // A worker gone before its last report: what it still held is recorded as lost on the harness side.
  const accountForLostWorkers = async (): Promise<void> => {
    for (const handle of handles) {
      const loss = handle.loss;
      if (loss === undefined || lostWorkers.has(handle.index)) continue;
      lostWorkers.add(handle.index);
      // Reports it got out before it died come first, or their attempts would be recorded twice.
      absorb(await handle.collect());
      const records = inFlight.lose(handle.index, loss);
      writer.writeRecords(records);
      const dropped = records.filter((record) => record.outcome === 'dropped').length;
      const failed = records.length - dropped;
      outcomes.dropped = (outcomes.dropped ?? 0) + dropped;
      outcomes.failed = (outcomes.failed ?? 0) + failed;
      const counters: Record<string, number> = {};
      if (dropped > 0) counters[counterKey('sse_drops', 'client_worker_lost')] = dropped;
      if (failed > 0) counters[counterKey('sse_connect_failures', 'client_worker_lost')] = failed;
      aggregate.loseWorker(handle.index, counters);
      const atSeconds = Math.max(0, (loss.at - startedAt) / 1000).toFixed(1);
      warnings.push(
        `worker ${handle.index} ${describeLoss(loss)} at ${atSeconds} s: ${records.length} attempts in flight recorded as client_worker_lost ` +
          `(${dropped} open streams, ${failed} connecting); up to one second of attempts it started after its last report may be missing; ` +
          `its clients did not run to the end (a lost worker is not restarted: that would change the load mid-run), so this run is not trustworthy`,
      );
    }
  };
  const pushToSinks = (at: number): void => {
    // A snapshot reads every whole-run histogram: not worth doing for nobody.
    if (sinks.length === 0) return;
    const snapshot = aggregate.snapshot({ testid: runId, at, elapsedMs: at - startedAt });
    for (const sink of sinks) {
      try {
        sink.push(snapshot);
      } catch (error) {
        // A sink must never stop the run (snapshot.ts): note it once and go on.
        onProblem(`metrics sink ${sink.name} failed: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(handles.map((handle) => handle.start({ plan, worker: handle.index, workers: workerCount, startedAt, localAddresses, clockOffsetMs })));

  let interrupted = false;
  let bailedOut: string | undefined;
  const endAt = startedAt + plan.duration;
  let lastEvents = 0;
  let lastPolls = 0;
  let lastProgressMs = 0;
  const progress = (tMs: number, point: ReturnType<RunAggregate['closeWindow']>, final: boolean): void => {
    if (!onProgress) return;
    const events = aggregate.counter('sse_events');
    const polls = aggregate.counter('poll_requests');
    const windowSeconds = Math.max(0.001, (tMs - lastProgressMs) / 1000);
    // tMs is wall-clock time since the start: when the process was late, the window was longer.
    onProgress({
      elapsedMs: tMs,
      durationMs: plan.duration,
      sseOpen: point.sseOpen,
      sseTarget: final ? 0 : targetAt(stages, tMs),
      pollClients: point.pollClients,
      eventsPerSecond: (events - lastEvents) / windowSeconds,
      pollRequestsPerSecond: (polls - lastPolls) / windowSeconds,
      eventsTotal: events,
      connects: aggregate.counter('sse_connects'),
      reconnects: aggregate.counter('sse_reconnects'),
      eventsLost: aggregate.counter('sse_events_lost'),
      drops: aggregate.breakdown('sse_drops'),
      connectFailures: aggregate.breakdown('sse_connect_failures'),
      latencyP99Ms: point.sseLatencyMs?.p99 ?? null,
      pollDelayP99Ms: point.pollDelayMs?.p99 ?? null,
      eventLoopDelayP99Ms: point.eventLoopDelayP99Ms,
      cpuPercent: point.cpuPercent,
      final,
    });
    lastEvents = events;
    lastPolls = polls;
    lastProgressMs = tMs;
  };

  const abortOnFail = Object.entries(plan.thresholds).flatMap(([metric, inputs]) =>
    inputs
      .filter((input) => typeof input !== 'string' && input.abortOnFail)
      .map((input) => ({ metric, input, delayMs: typeof input === 'string' ? 0 : (input.delayAbortEval ?? 0) })),
  );

  for (let tick = 1; ; tick++) {
    await sleepUntil(Math.min(startedAt + tick * INTERVAL_MS, endAt), signal);
    if (signal?.aborted) {
      interrupted = true;
      break;
    }
    if (Date.now() >= endAt) break;
    absorb((await Promise.all(handles.map((handle) => handle.collect()))).flat());
    await accountForLostWorkers();
    const point = aggregate.closeWindow(tick);
    writer.writePoint(point);
    pushToSinks(Date.now());
    progress(Date.now() - startedAt, point, false);

    const connectFailures = aggregate.counter('sse_connect_failures');
    const drops = aggregate.counter('sse_drops');
    if (plan.bailout.connectFailures !== undefined && connectFailures >= plan.bailout.connectFailures) {
      bailedOut = `${connectFailures} connect failures reached the bail-out of ${plan.bailout.connectFailures}`;
    } else if (plan.bailout.drops !== undefined && drops >= plan.bailout.drops) {
      bailedOut = `${drops} drops reached the bail-out of ${plan.bailout.drops}`;
    } else if (abortOnFail.length > 0) {
      const elapsedMs = Date.now() - startedAt;
      const due = abortOnFail.filter((entry) => elapsedMs >= entry.delayMs);
      if (due.length > 0) {
        const metrics = buildSummaryMetrics(aggregate, elapsedMs);
        const failed = evaluateThresholds(
          Object.fromEntries(due.map((entry) => [entry.metric, [entry.input]])),
          metrics,
          aggregate,
          elapsedMs,
        ).find((result) => !result.ok);
        if (failed) bailedOut = `threshold ${failed.metric}: ${failed.expression} failed (abortOnFail) at ${failed.actual}`;
      }
    }
    if (bailedOut !== undefined) break;
    // With every worker gone there is no load left to measure.
    if (lostWorkers.size === handles.length) break;
  }

  // The end: every user closes (open streams are `client_closed`), the last reports come in.
  absorb((await Promise.all(handles.map((handle) => handle.stop()))).flat());
  // A worker that died in the last second, or while stopping.
  await accountForLostWorkers();
  const endedAt = Date.now();
  const durationMs = endedAt - startedAt;
  // A second estimate at the end shows whether the two clocks drifted apart during the run.
  let clock = clockReference.clock;
  if (clockReference.measure && !signal?.aborted) {
    const ended = withEndEstimate(clock, await clockReference.measure());
    clock = ended.clock;
    if (ended.warning) warnings.push(ended.warning);
  }
  const lastPoint = aggregate.closeWindow(Math.round(durationMs) / 1000);
  writer.writePoint(lastPoint);
  pushToSinks(endedAt);
  progress(durationMs, lastPoint, true);
  for (const sink of sinks) {
    try {
      await sink.close();
    } catch (error) {
      warnings.push(`metrics sink ${sink.name} failed to close: ${(error as Error).message}`);
    }
  }

  if (bailedOut !== undefined) warnings.push(`bailed out early: ${bailedOut}`);
  const metrics = buildSummaryMetrics(aggregate, durationMs);
  const latencyUnknown = clockOffsetMs === null;
  // No clock reference: the latency metrics are left out (as k6 leaves out a metric with no samples)
  // rather than shown with a number that is off by an unknown offset.
  if (latencyUnknown) for (const name of CLOCK_DEPENDENT_METRICS) delete metrics[name];
  const thresholdResults = evaluateThresholds(plan.thresholds, metrics, aggregate, durationMs).map((result) => {
    if (!latencyUnknown || !isClockDependent(result.metric)) return result;
    // A latency threshold cannot pass on latency nobody measured.
    warnings.push(`threshold ${result.metric}: ${result.expression} failed: ${LATENCY_UNKNOWN_THRESHOLD} (${clock.detail ?? 'no /api/time on the target'})`);
    return { ...result, ok: false, actual: null };
  });
  attachThresholds(metrics, thresholdResults);
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
  const recordsWritten = Object.values(outcomes).reduce((sum, n) => sum + n, 0);
  if (recordsWritten !== sseAttempts) {
    warnings.push(`conservation broken: ${sseAttempts} SSE attempts counted but ${recordsWritten} connection records written`);
  }
  if (latencyUnknown) {
    warnings.push(`latency unknown (${clock.detail ?? 'no clock reference'}): event latency and polling delivery delay were not recorded; drops, buffering and limits were measured`);
  }
  const cpus = os.cpus();
  const summaryInput: SummaryInput = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'streamsoak', version: VERSION },
    engine: 'node',
    runId,
    testid: runId,
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    durationMs,
    interrupted,
    target: { baseUrl: plan.target.baseUrl, ssePath: plan.target.ssePath, pollPath: plan.target.pollPath },
    plan: redactPlan(plan),
    machine: {
      hostname: os.hostname(),
      platform: os.platform(),
      arch: os.arch(),
      cpus: cpus.length,
      ...(cpus[0] ? { cpuModel: cpus[0].model } : {}),
      totalMemoryBytes: os.totalmem(),
      runtime: `node ${process.version}`,
    },
    metrics,
    breakdown: {
      sse_connect_failures: failuresByReason,
      sse_drops: aggregate.breakdown('sse_drops'),
      poll_requests: aggregate.breakdown('poll_requests'),
      sse_outcomes: outcomes,
    },
    thresholds: thresholdResults,
    thresholdsPassed: thresholdResults.every((result) => result.ok),
    harness: {
      workers: workerCount,
      eventLoopDelayMs: harness.eventLoopDelayMs,
      cpuPercent: harness.cpuPercent,
      peakRssBytes: harness.peakRssBytes,
      bottleneck,
      sseAttempts,
      workersLost: lostWorkers.size,
      trustworthy: lostWorkers.size === 0,
    },
    clock,
    findings: [],
    warnings,
  };
  const summary = summarySchema.parse(summaryInput);
  await writer.finish(summary);
  aggregate.destroy();
  return { summary, outDir, interrupted };
}

function isClockDependent(metricKey: string): boolean {
  const parsed = parseThresholdMetricKey(metricKey);
  return typeof parsed !== 'string' && (CLOCK_DEPENDENT_METRICS as readonly string[]).includes(parsed.name);
}

/** The plan as run, without secrets: tokens and signing secrets never reach a results folder. */
function redactPlan(plan: Plan): unknown {
  if (!plan.auth) return plan;
  const auth = 'token' in plan.auth ? { ...plan.auth, token: '(redacted)' } : { ...plan.auth, secret: '(redacted)' };
  return { ...plan, auth };
}
