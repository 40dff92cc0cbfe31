/**
 * The server's own view, as plain counters (no Node API, no npm: every runtime can keep them).
 * `/metrics` renders them with prom-client (prometheus.ts); `/api/health` reads the gauge.
 */

export type StreamKind = 'tick' | 'bus' | 'test';

export interface ServerStats {
  /** Open SSE responses (events and test streams): the guide's `getSubscriberCount()`. */
  connections: number;
  connectionsOpened: Record<StreamKind, number>;
  eventsSent: Record<StreamKind, number>;
  /** Bytes queued on SSE responses (frames, heartbeats, retry lines). */
  bytesSent: number;
  heartbeatsSent: number;
  slowConsumerDisconnects: number;
  /** Streams refused with 503 because `maxConnections` streams were open. */
  connectionsRefused: number;
  /** Events that were sent again after Last-Event-ID (replay), counted in eventsSent too. */
  eventsReplayed: number;
  pollRequests: number;
  emitRequests: number;
  authFailures: number;
}

export function createServerStats(): ServerStats {
  return {
    connections: 0,
    connectionsOpened: { tick: 0, bus: 0, test: 0 },
    eventsSent: { tick: 0, bus: 0, test: 0 },
    bytesSent: 0,
    heartbeatsSent: 0,
    slowConsumerDisconnects: 0,
    connectionsRefused: 0,
    eventsReplayed: 0,
    pollRequests: 0,
    emitRequests: 0,
    authFailures: 0,
  };
}

/** Adds up the stats of several processes (a cluster's workers): one view of the whole server. */
export function sumServerStats(all: Iterable<ServerStats>): ServerStats {
  const total = createServerStats();
  for (const stats of all) {
    total.connections += stats.connections;
    for (const kind of ['tick', 'bus', 'test'] as const) {
      total.connectionsOpened[kind] += stats.connectionsOpened[kind];
      total.eventsSent[kind] += stats.eventsSent[kind];
    }
    total.bytesSent += stats.bytesSent;
    total.heartbeatsSent += stats.heartbeatsSent;
    total.slowConsumerDisconnects += stats.slowConsumerDisconnects;
    total.connectionsRefused += stats.connectionsRefused;
    total.eventsReplayed += stats.eventsReplayed;
    total.pollRequests += stats.pollRequests;
    total.emitRequests += stats.emitRequests;
    total.authFailures += stats.authFailures;
  }
  return total;
}
