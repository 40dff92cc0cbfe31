/**
 * The coordinator's handles on its workers: the run's share in this process (one worker), or forked
 * processes (several), behind one interface. Source files (.ts, in tests) are forked through tsx;
 * compiled files (.js, in dist/) with plain node. A forked worker that ends before it has handed over
 * its last report (killed, crashed, IPC gone) is *lost*: its handle says when and how, and the
 * coordinator accounts for its attempts in flight (src/engine/run-plan.ts).
 */
import type { AcceptedMessage } from './publisher.js';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HarnessError } from '../core/errors.js';
import { startLoadWorker, type LoadWorker, type LoadWorkerOptions } from './load-worker.js';
import type { ConnectionRecord } from '../results/schema.js';
import type { WorkerReport } from './recorder.js';
import type { FromWorker, ToWorker } from './worker-process.js';

/** How a forked worker ended before the coordinator stopped it. */
export interface WorkerLoss {
  /** Epoch ms when the coordinator saw the process gone (its IPC channel closed too: no report is still in transit). */
  at: number;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerHandle {
  readonly index: number;
  /** The worker's process id (forked workers). */
  readonly pid?: number | undefined;
  /** Set once a forked worker has ended without handing over its last report. */
  readonly loss?: WorkerLoss | undefined;
  /** Starts the worker's share of the run (the clock is shared: `options.startedAt`). */
  start(options: LoadWorkerOptions): Promise<void>;
  /** The reports that arrived since the last call (normally one; none when the worker is late). */
  collect(): Promise<WorkerReport[]>;
  /** Stops the worker and returns its remaining reports. */
  stop(accepted?: readonly AcceptedMessage[]): Promise<WorkerReport[]>;
}

export function createInProcessWorker(index: number): WorkerHandle {
  let worker: LoadWorker | undefined;
  return {
    index,
    async start(options) {
      // Same process: if it dies, the coordinator dies with it, so there is nothing to track.
      worker = startLoadWorker({ ...options, trackInFlight: false });
    },
    // Same process: histograms are handed over, not encoded and decoded again.
    collect: async () => (worker ? [worker.collect({ encode: false })] : []),
    stop: async (accepted) => (worker ? [await worker.stop({ encode: false, ...(accepted ? { accepted } : {}) })] : []),
  };
}

// A worker that does not answer a collect in this long is reported missing for that second.
const COLLECT_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 30_000;

/** Forks a worker process and waits until it has loaded, so process start-up is not run time. */
export async function spawnWorker(index: number, onProblem: (message: string) => void): Promise<WorkerHandle> {
  const isSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(isSource ? './worker-process.ts' : './worker-process.js', import.meta.url));
  const child: ChildProcess = fork(file, [], {
    execArgv: isSource ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const waiting: Waiting = new Map();
  let exited = false;
  let handedOver = false;
  let loss: WorkerLoss | undefined;
  let closed = false;
  const gone = new Promise<void>((resolveGone) => child.once('close', () => resolveGone()));
  const settleAll = (): void => {
    for (const queue of waiting.values()) for (const resolve of queue.splice(0)) resolve(undefined);
  };
  // Reports are data, not answers: one that arrives late is kept for the next collect, never lost.
  const reports: WorkerReport[] = [];
  // The last report arrives in parts (worker-process.ts): its records first, then `stopped` with the
  // rest. Parts count only once `stopped` completes them; a worker lost between the two leaves its
  // attempts in flight, recorded once as lost, never twice.
  let finalParts: ConnectionRecord[][] = [];
  let lastMessageAt = Date.now();
  child.on('message', (message: FromWorker) => {
    lastMessageAt = Date.now();
    if (message.type === 'error') {
      onProblem(`worker ${index}: ${message.message}`);
      return;
    }
    if (message.type === 'records') {
      finalParts.push(message.records);
      return;
    }
    if (message.type === 'report') reports.push(message.report);
    if (message.type === 'stopped') {
      reports.push({ ...message.report, records: [...finalParts.flat(), ...message.report.records] });
      finalParts = [];
      handedOver = true;
    }
    waiting.get(message.type)?.shift()?.(message);
  });
  child.on('exit', (code) => {
    exited = true;
    // After its last report an odd exit costs nothing but is still worth a line; before it, the
    // coordinator writes the loss (with the count of attempts it took with it).
    if (handedOver && code !== 0 && code !== null) onProblem(`worker ${index} exited with ${code} after its last report`);
    settleAll();
  });
  // 'close' comes after both the exit and the end of the IPC channel: every report the worker got
  // out has been read by then, so what is still in flight is known.
  child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
    closed = true;
    if (!handedOver) loss = { at: Date.now(), pid: child.pid, code, signal };
  });

  const request = createRequester(child, waiting, () => exited);

  const ready = await waitUntilReady(waiting, 30_000);
  if (!ready) {
    child.kill();
    throw new HarnessError(`worker ${index} did not load`);
  }
  return {
    index,
    pid: child.pid,
    get loss() {
      return loss;
    },
    async start(options) {
      const started = await request({ type: 'start', options: { ...options, trackInFlight: true } }, 'started', 30_000);
      if (!started) onProblem(`worker ${index} did not start`);
    },
    async collect() {
      await request({ type: 'collect' }, 'report', COLLECT_TIMEOUT_MS);
      return reports.splice(0);
    },
    async stop(accepted) {
      const answer = await request({ type: 'stop', ...(accepted ? { accepted: [...accepted] } : {}) }, 'stopped', STOP_TIMEOUT_MS, () => lastMessageAt);
      if (answer === undefined && !exited && !handedOver) {
        onProblem(
          `worker ${index} sent no part of its last report for ${STOP_TIMEOUT_MS / 1000} s after it was asked to stop: ` +
            'the coordinator gave up waiting and killed it (its attempts in flight are recorded as client_worker_lost)',
        );
      }
      if (!closed) {
        // A worker that does not go within 5 s of its last report (or of no answer) is killed: it
        // must not outlive the run. Killed before its report, it is lost like any other.
        const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
        kill.unref();
        await gone;
        clearTimeout(kill);
      }
      return reports.splice(0);
    },
  };
}

/** The replies the coordinator waits for, by type; a waiter gets `undefined` when the worker goes first. */
type Waiting = Map<FromWorker['type'], Array<(message: FromWorker | undefined) => void>>;

type Request = (message: ToWorker, reply: FromWorker['type'], timeoutMs: number, progressAt?: () => number) => Promise<FromWorker | undefined>;

function createRequester(child: ChildProcess, waiting: Waiting, hasExited: () => boolean): Request {
  /**
   * Sends `message` and waits for `reply`, at most `timeoutMs`; with `progressAt`, the wait is
   * measured from the last sign of progress instead (a worker still handing over parts is not late).
   */
  return function request(message, reply, timeoutMs, progressAt) {
    if (hasExited() || !child.connected) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const sentAt = Date.now();
      const expire = (): void => {
        const since = Math.max(sentAt, progressAt?.() ?? sentAt);
        if (Date.now() - since < timeoutMs) {
          timer = setTimeout(expire, since + timeoutMs - Date.now());
          timer.unref();
          return;
        }
        const queue = waiting.get(reply);
        const at = queue?.indexOf(done) ?? -1;
        if (at >= 0) queue?.splice(at, 1);
        resolve(undefined);
      };
      let timer = setTimeout(expire, timeoutMs);
      timer.unref();
      const done = (answer: FromWorker | undefined): void => {
        clearTimeout(timer);
        resolve(answer);
      };
      const queue = waiting.get(reply) ?? [];
      queue.push(done);
      waiting.set(reply, queue);
      child.send(message);
    });
  };
}

/** Resolves true on the worker's `ready`, false when it exits first or takes longer than `timeoutMs`. */
function waitUntilReady(waiting: Waiting, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolveReady) => {
    const timer = setTimeout(() => resolveReady(false), timeoutMs);
    timer.unref();
    waiting.set('ready', [
      (message) => {
        clearTimeout(timer);
        resolveReady(message !== undefined);
      },
    ]);
  });
}
