/**
 * Messages between the cluster primary and its workers (`serve --workers N`). The primary is the bus:
 * workers forward every publish to it, it assigns the sequence numbers and sends each event to every
 * worker, so a user's ids are the same on every worker and a client can reconnect to any of them.
 */
import type { BusEvent } from './bus-channels.js';
import type { PublishRequest, PublishResult } from './bus.js';
import type { ServerStats } from './server-stats.js';

/** The env var carrying the (already validated) options to the workers, as JSON. */
export const OPTIONS_ENV = 'STREAMSOAK_SERVER_OPTIONS';
export const WORKER_ID_ENV = 'STREAMSOAK_WORKER_ID';
/** How often a worker tells the primary which of its users are active. */
export const ACTIVITY_REPORT_MS = 1_000;

export type WorkerToPrimary =
  | { ss: 'listening'; port: number }
  | { ss: 'publish'; requestId: number; request: PublishRequest }
  /** Users active on this worker (subscribed, or polled recently), and its open streams. */
  | { ss: 'active'; users: string[]; stats?: ServerStats }
  | { ss: 'failed'; message: string };

export type PrimaryToWorker =
  | { ss: 'events'; events: Array<[userId: string, event: BusEvent]> }
  | ({ ss: 'published'; requestId: number } & PublishResult)
  /** The whole cluster's stats, so any worker's /metrics answers for all of them. */
  | { ss: 'totals'; stats: ServerStats }
  | { ss: 'drop' }
  | { ss: 'shutdown' };

export function isWorkerMessage(value: unknown): value is WorkerToPrimary {
  return typeof value === 'object' && value !== null && typeof (value as { ss?: unknown }).ss === 'string';
}

export function isPrimaryMessage(value: unknown): value is PrimaryToWorker {
  return typeof value === 'object' && value !== null && typeof (value as { ss?: unknown }).ss === 'string';
}
