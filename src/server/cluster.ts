/**
 * `serve --workers N`: several processes on one port (node:cluster), so the target side is not held
 * to one process's file-descriptor limit. The primary serves no HTTP: it forks the workers, is their
 * bus (it assigns every user's sequence numbers and sends each event to every worker, so bus events
 * reach streams on any worker with the same ids), and runs the built-in publisher for the users the
 * workers report active.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { BusEvent } from './bus-channels.js';
import { busEventOf, createPublisher, publishTargets, type PublishRequest, type PublishResult } from './bus.js';
import { ACTIVITY_REPORT_MS, isWorkerMessage, OPTIONS_ENV, WORKER_ID_ENV, type PrimaryToWorker } from './cluster-protocol.js';
import { formatUrl, type RunningServer } from './node-server.js';
import { parseReferenceServerOptions, type ReferenceServerOptions } from './options.js';
import { sumServerStats, type ServerStats } from './server-stats.js';

export type ClusteredServerOptions = ReferenceServerOptions & { workers: number };

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export async function startClusteredServer(input: ClusteredServerOptions): Promise<RunningServer> {
  const { workers: count, ...rest } = input;
  if (!Number.isInteger(count) || count < 1 || count > 256) throw new RangeError('workers must be an integer from 1 to 256');
  // Validate here, once, so a bad option fails before any fork.
  const options = parseReferenceServerOptions(rest);
  if (!cluster.isPrimary) throw new Error('startClusteredServer must run in the primary process');

  const entry = new URL(import.meta.url.endsWith('.ts') ? './cluster-worker.ts' : './cluster-worker.js', import.meta.url);
  // Under vitest or tsx the sources are TypeScript: the workers need the same loader.
  const execArgv = import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : process.execArgv;
  cluster.setupPrimary({ exec: fileURLToPath(entry), execArgv, args: [] });

  const sequencer = createSequencer();
  const workers: Worker[] = [];
  const workerStats = new Map<Worker, ServerStats>();
  const broadcast = (message: PrimaryToWorker): void => {
    for (const worker of workers) if (worker.isConnected()) worker.send(message);
  };
  const publish = (requests: PublishRequest[]): PublishResult => {
    const events: Array<[string, BusEvent]> = [];
    for (const request of requests) sequencer.assign(request, events);
    if (events.length > 0) broadcast({ ss: 'events', events });
    return { published: events.length };
  };
  const publisher = createPublisher({
    intervalMs: options.publishIntervalMs,
    clockOffsetMs: options.clockOffsetMs,
    activeUsers: () => sequencer.activeUsers(ACTIVITY_REPORT_MS * 3),
    publish: (requests) => void publish(requests),
  });

  let port = 0;
  const started: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    // Workers listening on the same port, 0 included, share one listening socket held by the primary
    // (node:cluster keys it by address and port), so port 0 gives every worker the same free port.
    const worker = cluster.fork({ [OPTIONS_ENV]: JSON.stringify(options), [WORKER_ID_ENV]: String(i + 1) });
    workers.push(worker);
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      if (message.ss === 'publish') {
        const result = publish([message.request]);
        if (worker.isConnected()) worker.send({ ss: 'published', requestId: message.requestId, ...result } satisfies PrimaryToWorker);
      } else if (message.ss === 'active') {
        sequencer.touch(message.users);
        if (message.stats !== undefined) workerStats.set(worker, message.stats);
      }
    });
    worker.on('exit', () => workerStats.delete(worker));
    started.push(waitForListening(worker).then((p) => void (port = p)));
  }
  const totals = setInterval(() => broadcast({ ss: 'totals', stats: sumServerStats(workerStats.values()) }), ACTIVITY_REPORT_MS);
  totals.unref();
  try {
    await Promise.all(started);
  } catch (error) {
    clearInterval(totals);
    publisher.close();
    await stopWorkers(workers);
    throw error;
  }

  return {
    url: formatUrl(options.host, port),
    port,
    host: options.host,
    subscriberCount: () => sumServerStats(workerStats.values()).connections,
    dropAllStreams: () => broadcast({ ss: 'drop' }),
    close: async () => {
      clearInterval(totals);
      publisher.close();
      await stopWorkers(workers);
    },
  };
}

function waitForListening(worker: Worker): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${worker.id} did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const onMessage = (message: unknown): void => {
      if (!isWorkerMessage(message)) return;
      if (message.ss === 'listening') finish(() => resolve(message.port));
      if (message.ss === 'failed') finish(() => reject(new Error(`worker ${worker.id} failed to start: ${message.message}`)));
    };
    const onExit = (code: number | null): void => finish(() => reject(new Error(`worker ${worker.id} exited (${code}) before listening`)));
    function finish(then: () => void): void {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      then();
    }
    worker.on('message', onMessage);
    worker.on('exit', onExit);
  });
}

async function stopWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          if (worker.isConnected()) worker.send({ ss: 'shutdown' } satisfies PrimaryToWorker);
          else worker.process.kill('SIGTERM');
        }),
    ),
  );
}

/** The primary's view of the bus: every user's sequence head and when a worker last saw them active. */
function createSequencer() {
  const heads = new Map<string, number>();
  const lastActive = new Map<string, number>();
  return {
    assign(request: PublishRequest, into: Array<[string, BusEvent]>): void {
      for (const userId of publishTargets(request, () => [...new Set([...heads.keys(), ...lastActive.keys()])])) {
        const seq = (heads.get(userId) ?? 0) + 1;
        heads.set(userId, seq);
        into.push([userId, busEventOf(request, seq)]);
      }
    },
    touch(users: readonly string[]): void {
      const now = Date.now();
      for (const userId of users) lastActive.set(userId, now);
    },
    activeUsers(windowMs: number): string[] {
      const since = Date.now() - windowMs;
      const active: string[] = [];
      for (const [userId, at] of lastActive) if (at >= since) active.push(userId);
      return active;
    },
  };
}
