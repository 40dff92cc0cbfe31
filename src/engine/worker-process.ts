/**
 * Entry point of a forked worker process. It speaks a small IPC protocol with the coordinator
 * (src/engine/worker-pool.ts): `start` → `ready`, `collect` → `report`, `stop` → `stopped`.
 */
import { startLoadWorker, type LoadWorker, type LoadWorkerOptions } from './load-worker.js';
import type { WorkerReport } from './recorder.js';

export type ToWorker = { type: 'start'; options: LoadWorkerOptions } | { type: 'collect' } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'started' }
  | { type: 'report'; report: WorkerReport }
  | { type: 'stopped'; report: WorkerReport }
  | { type: 'error'; message: string };

let worker: LoadWorker | undefined;

function send(message: FromWorker): void {
  process.send?.(message);
}

process.on('message', (message: ToWorker) => {
  try {
    if (message.type === 'start') {
      worker = startLoadWorker(message.options);
      send({ type: 'started' });
    } else if (message.type === 'collect' && worker) {
      send({ type: 'report', report: worker.collect() });
    } else if (message.type === 'stop' && worker) {
      void worker.stop().then(
        (report) => {
          send({ type: 'stopped', report });
          process.disconnect?.();
        },
        (error: unknown) => send({ type: 'error', message: String(error) }),
      );
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
