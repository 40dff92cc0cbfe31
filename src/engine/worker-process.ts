/**
 * Entry point of a forked worker process. It speaks a small IPC protocol with the coordinator
 * (src/engine/worker-pool.ts): `start` → `ready`, `collect` → `report`, `stop` → `records`… then
 * `stopped`.
 *
 * The last report holds every record still unsent, thousands of them at scale (about 300 bytes
 * each). `process.send` only queues a message: a worker that disconnected right after it lost the
 * report whenever it did not fit the pipe at once, and every clean end above a few thousand streams
 * read as lost workers (issue 13). So the last report goes out in parts of at most
 * `FINAL_RECORDS_PER_PART` records, each one written before the next is queued, and the channel
 * closes only after the `stopped` message itself has been written.
 */
import { startLoadWorker, type LoadWorker, type LoadWorkerOptions } from './load-worker.js';
import type { AcceptedMessage } from './publisher.js';
import type { WorkerReport } from './recorder.js';
import type { ConnectionRecord } from '../results/schema.js';

export type ToWorker =
  | { type: 'start'; options: LoadWorkerOptions }
  | { type: 'collect' }
  /** `accepted`: the run's published messages the target accepted (a publishing run). */
  | { type: 'stop'; accepted?: AcceptedMessage[] };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'started' }
  | { type: 'report'; report: WorkerReport }
  /** A part of the last report's records; the coordinator keeps them until `stopped` completes the report. */
  | { type: 'records'; records: ConnectionRecord[] }
  | { type: 'stopped'; report: WorkerReport }
  | { type: 'error'; message: string };

/** Records per IPC message of the last report: about 600 KB serialized, a few milliseconds to decode. */
export const FINAL_RECORDS_PER_PART = 2_000;

let worker: LoadWorker | undefined;

function send(message: FromWorker): void {
  process.send?.(message);
}

/** Sends and resolves once the message is written to the channel (or the channel is gone). */
function sendWritten(message: FromWorker): Promise<void> {
  return new Promise((resolveSent) => {
    if (!process.send || !process.connected) return resolveSent();
    process.send(message, undefined, {}, () => resolveSent());
  });
}

/** Hands over the last report in parts, then closes the channel: nothing is still queued when it closes. */
async function handOver(report: WorkerReport): Promise<void> {
  const { records } = report;
  let at = 0;
  while (records.length - at > FINAL_RECORDS_PER_PART) {
    await sendWritten({ type: 'records', records: records.slice(at, at + FINAL_RECORDS_PER_PART) });
    at += FINAL_RECORDS_PER_PART;
  }
  await sendWritten({ type: 'stopped', report: { ...report, records: records.slice(at) } });
  process.disconnect?.();
}

process.on('message', (message: ToWorker) => {
  try {
    if (message.type === 'start') {
      worker = startLoadWorker(message.options);
      send({ type: 'started' });
    } else if (message.type === 'collect' && worker) {
      send({ type: 'report', report: worker.collect() });
    } else if (message.type === 'stop' && worker) {
      void worker.stop(message.accepted ? { accepted: message.accepted } : {}).then(handOver, (error: unknown) => send({ type: 'error', message: String(error) }));
    }
  } catch (error) {
    send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});

// The coordinator owns the run: if it goes away, so do we (no orphaned load generators).
process.on('disconnect', () => {
  if (worker) void worker.stop().finally(() => process.exitCode = 0);
});
// Ctrl-C (and a SIGTERM sent to the whole process group, as `kill -- -PGID` or a service manager
// does) reaches every worker too: the coordinator decides how the run ends and stops us over IPC, so
// every attempt still gets its record. A worker whose coordinator is gone stops on 'disconnect' above.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
// Loaded: the coordinator may start the run's clock.
send({ type: 'ready' });
