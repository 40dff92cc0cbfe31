/**
 * `runPlan`: the coordinator of a run. It starts the workers (in this process, or forked), merges
 * their reports every second (HDR histograms, counters, gauges, harness health), streams the records
 * to the results folder, closes a window each second and hands it to every observer (the timeline,
 * metrics sinks, progress: run-observer.ts), applies the bail-out, and at the end hands what it
 * gathered to the summary assembly (run-summary.ts) and writes `summary.json`. Before the start it
 * settles the clock (clock-reference.ts): one offset to the target's clock, measured here and handed
 * to every worker, so every latency is read on one corrected clock. Failures of the target are data:
 * this function throws only for failures of the harness itself (a results folder it cannot write,
 * checked before anything reaches the target). A forked worker that dies mid-run is not restarted
 * (that would change the load mid-run): its attempts in flight get `client_worker_lost` records
 * (worker-loss.ts), the others go on to the end, and the summary says the run is not trustworthy.
 */
import { mergeFanOut, type FanOutEntry } from './deliveries.js';
import type { AcceptedMessage } from './publisher.js';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { counterKey, createRunAggregate, type RunAggregate } from '../metrics/run-aggregate.js';
import type { MetricsSink } from '../metrics/snapshot.js';
import { buildSummaryMetrics, evaluateThresholds } from '../metrics/summary-metrics.js';
import type { Summary } from '../results/schema.js';
import { checkResultsFolder, createResultsWriter, type ResultsWriter } from '../results/writer.js';
import { resolveClockReference, withEndEstimate } from './clock-reference.js';
import { resolveLocalAddresses } from './dispatchers.js';
import { maxSseClients, type Plan } from './plan.js';
import { createProgressObserver, type ProgressUpdate } from './progress-update.js';
import type { WorkerReport } from './recorder.js';
import { createObserverGroup, createRunWindow, createSinkObserver, createTimelineObserver, type ObserverGroup, type RunObserver } from './run-observer.js';
import { createRunSummary } from './run-summary.js';
import { sseStages } from './stages.js';
import { createInFlightTracker, describeLoss } from './worker-loss.js';
import { createInProcessWorker, spawnWorker, type WorkerHandle } from './worker-pool.js';

export interface RunPlanOptions {
  /** Aborting ends the run early: open streams end as `client_closed`, files are written. */
  signal?: AbortSignal;
  /** Parent folder of the run's folder (default `results`). */
  resultsDir?: string;
  runId?: string;
  /** Each gets every window's snapshot, then `close` (as an observer: run-observer.ts). */
  sinks?: MetricsSink[];
  onProgress?: (update: ProgressUpdate) => void;
  /** More outputs of the run's windows, after the timeline and the sinks and before progress. */
  observers?: readonly RunObserver[];
}

export interface RunOutcome {
  summary: Summary;
  outDir: string;
  interrupted: boolean;
}

const INTERVAL_MS = 1_000;
/** Connections per worker process when `workers: auto` (the per-process file limit here is 20,000). */
export const CONNECTIONS_PER_WORKER = 9_000;

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
  const aggregate = createRunAggregate();
  const ledger = createRunLedger({ handles, aggregate, writer, startedAt, warnings });
  const observers = createObserverGroup(
    [
      createTimelineObserver(writer),
      ...sinks.map(createSinkObserver),
      ...(options.observers ?? []),
      ...(onProgress ? [createProgressObserver(onProgress, { durationMs: plan.duration, stages: sseStages(plan.sse) })] : []),
    ],
    onProblem,
  );
  // A publishing run's message ids carry this tag, so a subscriber tells this run's messages from anything else.
  const publishTag = plan.publish !== undefined ? randomBytes(4).toString('hex') : undefined;
  await Promise.all(
    handles.map((handle) =>
      handle.start({ plan, worker: handle.index, workers: workerCount, startedAt, localAddresses, clockOffsetMs, ...(publishTag ? { publishTag } : {}) }),
    ),
  );

  const { interrupted, bailedOut } = await runWindows({ plan, runId, startedAt, signal, handles, aggregate, ledger, observers });

  // The end: every user closes (open streams are `client_closed`), the last reports come in.
  // The messages accepted so far go with the stop: each user counts those it missed while open.
  const accepted = plan.publish !== undefined ? [...ledger.accepted] : undefined;
  ledger.absorb((await Promise.all(handles.map((handle) => handle.stop(accepted)))).flat());
  // A worker that died in the last second, or while stopping.
  await ledger.accountForLostWorkers();
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
  observers.window(createRunWindow(aggregate, { runId, startedAt, point: lastPoint, at: endedAt, final: true }));
  warnings.push(...(await observers.end()));

  const summary = createRunSummary({
    plan,
    published: plan.publish !== undefined ? { accepted: ledger.accepted.length, fanOutSpreadsMs: mergeFanOut(ledger.fanOut) } : undefined,
    runId,
    startedAt,
    endedAt,
    interrupted,
    bailedOut,
    aggregate,
    outcomes: ledger.outcomes,
    workers: workerCount,
    workersLost: ledger.lostWorkers.size,
    clockOffsetMs,
    clock,
    warnings,
  });
  await writer.finish(summary);
  aggregate.destroy();
  return { summary, outDir, interrupted };
}

/** The per-second loop, from the start to the planned end, an abort, a bail-out, or the last worker lost. */
async function runWindows(run: {
  plan: Plan;
  runId: string;
  startedAt: number;
  signal: AbortSignal | undefined;
  handles: readonly WorkerHandle[];
  aggregate: RunAggregate;
  ledger: RunLedger;
  observers: ObserverGroup;
}): Promise<{ interrupted: boolean; bailedOut: string | undefined }> {
  const { plan, runId, startedAt, signal, handles, aggregate, ledger, observers } = run;
  const endAt = startedAt + plan.duration;
  const checkBailout = createBailout(plan);
  for (let tick = 1; ; tick++) {
    await sleepUntil(Math.min(startedAt + tick * INTERVAL_MS, endAt), signal);
    if (signal?.aborted) return { interrupted: true, bailedOut: undefined };
    if (Date.now() >= endAt) return { interrupted: false, bailedOut: undefined };
    ledger.absorb((await Promise.all(handles.map((handle) => handle.collect()))).flat());
    await ledger.accountForLostWorkers();
    const point = aggregate.closeWindow(tick);
    observers.window(createRunWindow(aggregate, { runId, startedAt, point, at: Date.now(), final: false }));
    const bailedOut = checkBailout(aggregate, Date.now() - startedAt);
    if (bailedOut !== undefined) return { interrupted: false, bailedOut };
    // With every worker gone there is no load left to measure.
    if (ledger.lostWorkers.size === handles.length) return { interrupted: false, bailedOut: undefined };
  }
}

/** The plan's bail-out: counts that end the run, then `abortOnFail` thresholds once their delay has passed. */
function createBailout(plan: Plan): (aggregate: RunAggregate, elapsedMs: number) => string | undefined {
  const abortOnFail = Object.entries(plan.thresholds).flatMap(([metric, inputs]) =>
    inputs
      .filter((input) => typeof input !== 'string' && input.abortOnFail)
      .map((input) => ({ metric, input, delayMs: typeof input === 'string' ? 0 : (input.delayAbortEval ?? 0) })),
  );
  return (aggregate, elapsedMs) => {
    const connectFailures = aggregate.counter('sse_connect_failures');
    const drops = aggregate.counter('sse_drops');
    if (plan.bailout.connectFailures !== undefined && connectFailures >= plan.bailout.connectFailures) {
      return `${connectFailures} connect failures reached the bail-out of ${plan.bailout.connectFailures}`;
    }
    if (plan.bailout.drops !== undefined && drops >= plan.bailout.drops) {
      return `${drops} drops reached the bail-out of ${plan.bailout.drops}`;
    }
    const due = abortOnFail.filter((entry) => elapsedMs >= entry.delayMs);
    if (due.length === 0) return undefined;
    const metrics = buildSummaryMetrics(aggregate, elapsedMs);
    const failed = evaluateThresholds(
      Object.fromEntries(due.map((entry) => [entry.metric, [entry.input]])),
      metrics,
      aggregate,
      elapsedMs,
    ).find((result) => !result.ok);
    return failed ? `threshold ${failed.metric}: ${failed.expression} failed (abortOnFail) at ${failed.actual}` : undefined;
  };
}

/** What the coordinator keeps of the workers' reports besides the aggregate: records by outcome, lost workers. */
interface RunLedger {
  /** Connection records written, by outcome. */
  readonly outcomes: Record<string, number>;
  readonly lostWorkers: ReadonlySet<number>;
  /** A publishing run: the messages the target accepted, and each worker's fan-out of their receipts. */
  readonly accepted: readonly AcceptedMessage[];
  readonly fanOut: ReadonlyArray<readonly FanOutEntry[]>;
  absorb(reports: readonly WorkerReport[]): void;
  /** Records what each newly lost worker still held, and says so in `warnings`. */
  accountForLostWorkers(): Promise<void>;
}

function createRunLedger(run: {
  handles: readonly WorkerHandle[];
  aggregate: RunAggregate;
  writer: ResultsWriter;
  startedAt: number;
  warnings: string[];
}): RunLedger {
  const { handles, aggregate, writer, startedAt, warnings } = run;
  const outcomes: Record<string, number> = { failed: 0, dropped: 0, closed: 0 };
  const inFlight = createInFlightTracker();
  const lostWorkers = new Set<number>();
  const accepted: AcceptedMessage[] = [];
  const fanOut: FanOutEntry[][] = [];
  const absorb = (reports: readonly WorkerReport[]): void => {
    for (const report of reports) {
      if (report.accepted) accepted.push(...report.accepted);
      if (report.fanOut) fanOut.push(report.fanOut);
      inFlight.absorb(report);
      aggregate.add(report);
      writer.writeRecords(report.records);
      for (const record of report.records) outcomes[record.outcome] = (outcomes[record.outcome] ?? 0) + 1;
    }
  };
  return {
    outcomes,
    lostWorkers,
    accepted,
    fanOut,
    absorb,
    // A worker gone before its last report: what it still held is recorded as lost on the harness side.
    async accountForLostWorkers() {
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
    },
  };
}
