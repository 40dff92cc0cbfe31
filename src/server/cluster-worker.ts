/**
 * A cluster worker's entry (`serve --workers N`): the reference app on the shared port, with a bus
 * that publishes through the primary (cluster-protocol.ts). Started by cluster.ts; it does nothing
 * when imported anywhere else.
 */
import cluster from 'node:cluster';
import type { BusChannels } from './bus-channels.js';
import { POLL_ACTIVE_WINDOW_MS, type EventBus, type PublishResult } from './bus.js';
import { ACTIVITY_REPORT_MS, isPrimaryMessage, OPTIONS_ENV, WORKER_ID_ENV, type WorkerToPrimary } from './cluster-protocol.js';
import { startReferenceServer, type RunningServer } from './node-server.js';
import type { ReferenceServerOptions } from './options.js';
import { createServerStats, type ServerStats } from './server-stats.js';

// Set once the server is up: the activity reports carry the worker's stats.
let readStats: () => ServerStats | undefined = () => undefined;
// The cluster's totals, as the primary last sent them.
let clusterTotals: ServerStats | undefined;

function send(message: WorkerToPrimary): void {
  process.send?.(message);
}

function createWorkerBus(channels: BusChannels): EventBus {
  let nextRequestId = 1;
  const pending = new Map<number, (result: PublishResult) => void>();
  const onMessage = (message: unknown): void => {
    if (!isPrimaryMessage(message)) return;
    if (message.ss === 'events') {
      for (const [userId, event] of message.events) channels.append(userId, event);
    } else if (message.ss === 'totals') {
      clusterTotals = message.stats;
    } else if (message.ss === 'published') {
      pending.get(message.requestId)?.({ published: message.published });
      pending.delete(message.requestId);
    }
  };
  process.on('message', onMessage);
  // Users the primary already knows active (the last report, and notes since): a poll or stream of
  // theirs needs no message of its own, the next report covers it (one IPC message per poll otherwise).
  let reported = new Set<string>();
  const report = setInterval(() => {
    const stats = readStats();
    const users = channels.activeUsers(POLL_ACTIVE_WINDOW_MS);
    reported = new Set(users);
    send({ ss: 'active', users, ...(stats ? { stats } : {}) });
  }, ACTIVITY_REPORT_MS);
  report.unref();
  return {
    publish(request) {
      const requestId = nextRequestId++;
      return new Promise((resolve) => {
        pending.set(requestId, resolve);
        send({ ss: 'publish', requestId, request });
      });
    },
    noteActive(userId) {
      // A user new to the primary is told at once, so the built-in publisher and broadcasts reach them.
      if (reported.has(userId)) return;
      reported.add(userId);
      send({ ss: 'active', users: [userId] });
    },
    close() {
      clearInterval(report);
      process.off('message', onMessage);
      for (const resolve of pending.values()) resolve({ published: 0 });
      pending.clear();
    },
  };
}

export async function runClusterWorker(): Promise<void> {
  const workerId = process.env[WORKER_ID_ENV] ?? String(cluster.worker?.id ?? 0);
  const options = JSON.parse(process.env[OPTIONS_ENV] ?? '{}') as ReferenceServerOptions;
  let server: RunningServer;
  try {
    server = await startReferenceServer(options, {
      createBus: createWorkerBus,
      // This worker's own streams are `connections`; the whole cluster's, as last reported, beside them.
      health: () => ({ worker: workerId, ...(clusterTotals ? { clusterConnections: clusterTotals.connections } : {}) }),
      // Scrapes of the shared port land on any worker: each answers with the cluster's totals
      // (at most a couple of seconds old), its own stats until the first totals arrive.
      metricsStats: () => clusterTotals ?? server.app?.stats ?? createServerStats(),
      responseHeaders: { 'x-streamsoak-worker': workerId },
    });
  } catch (error) {
    send({ ss: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.disconnect?.();
    return;
  }
  readStats = () => server.app?.stats;
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await server.close();
    // Leaving the IPC channel lets the process end once nothing else holds it.
    if (process.connected) process.disconnect();
  };
  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    if (message.ss === 'drop') server.dropAllStreams();
    if (message.ss === 'shutdown') void stop();
  });
  // A terminal's Ctrl-C reaches the whole process group: the primary coordinates shutdown.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop());
  send({ ss: 'listening', port: server.port });
}

if (cluster.isWorker && process.env[OPTIONS_ENV] !== undefined) await runClusterWorker();
