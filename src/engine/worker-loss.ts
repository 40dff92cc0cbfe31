/**
 * A forked worker process can die mid-run (killed, out of memory, a crash). Its records are sent only
 * when attempts end, so without this its attempts in flight would simply vanish from
 * `connections.ndjson` and the run would look cleaner than it was. The coordinator keeps, per worker,
 * the attempts started and not yet ended (from the per-second reports: a few numbers per attempt,
 * never per-event data), and when the worker is lost writes one `client_worker_lost` record for each.
 * Attempts the worker started after its last report cannot be known: the summary says so.
 */
import type { ConnectionRecord } from '../results/schema.js';
import { round3 } from '../results/round.js';
import type { StartedAttempt, WorkerReport } from './recorder.js';
import type { WorkerLoss } from './worker-pool.js';

export interface InFlightTracker {
  /** Reads a report's started and opened attempts, then its ended records. */
  absorb(report: WorkerReport): void;
  /** The worker's attempts still in flight, as `client_worker_lost` records ended when the loss was seen; forgets them. */
  lose(worker: number, loss: WorkerLoss): ConnectionRecord[];
}

export function createInFlightTracker(): InFlightTracker {
  const byWorker = new Map<number, Map<string, StartedAttempt>>();
  return {
    absorb(report) {
      // An in-process worker reports none of this: it cannot be lost without its coordinator.
      if (report.started === undefined) return;
      let inFlight = byWorker.get(report.worker);
      if (!inFlight) {
        inFlight = new Map();
        byWorker.set(report.worker, inFlight);
      }
      // Started before opened before ended: an attempt may do all three within one report.
      for (const attempt of report.started) inFlight.set(attempt.id, attempt);
      for (const { id, openedAt } of report.opened ?? []) {
        const attempt = inFlight.get(id);
        if (attempt) attempt.openedAt = openedAt;
      }
      for (const record of report.records) inFlight.delete(record.id);
    },
    lose(worker, loss) {
      const inFlight = byWorker.get(worker);
      byWorker.delete(worker);
      if (!inFlight) return [];
      const error = `worker ${worker} ${describeLoss(loss)}`;
      return [...inFlight.values()].map((attempt) => lostRecord(attempt, loss.at, error));
    },
  };
}

function lostRecord(attempt: StartedAttempt, lostAt: number, error: string): ConnectionRecord {
  const record: ConnectionRecord = {
    id: attempt.id,
    client: attempt.client,
    attempt: attempt.attempt,
    startedAt: attempt.startedAt,
    endedAt: round3(Math.max(lostAt, attempt.openedAt ?? attempt.startedAt)),
    // Opened (as of the worker's last report): a stream the harness dropped; else a connect that never finished.
    outcome: attempt.openedAt === undefined ? 'failed' : 'dropped',
    reason: 'client_worker_lost',
    // What the stream received went into the run's counters with each report; its per-record counts died with the worker.
    events: 0,
    heartbeats: 0,
    lost: 0,
    duplicated: 0,
    eventReads: 0,
    maxEventsPerRead: 0,
    error,
  };
  if (attempt.openedAt !== undefined) record.openedAt = attempt.openedAt;
  return record;
}

/** `(pid 123) was killed by SIGKILL`, `(pid 123) exited with code 1 before its last report`. */
export function describeLoss(loss: WorkerLoss): string {
  const how = loss.signal !== null ? `was killed by ${loss.signal}` : `exited with code ${loss.code ?? 'unknown'} before its last report`;
  return loss.pid === undefined ? how : `(pid ${loss.pid}) ${how}`;
}
