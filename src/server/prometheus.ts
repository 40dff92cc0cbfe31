/**
 * `/metrics`: the server's counters in the Prometheus exposition format, with prom-client and a
 * Registry of its own (never the global one: several servers may live in one process, as in tests).
 * Names carry the `streamsoak_server_` prefix and end in their unit (`_total`, `_bytes_total`), as
 * the exposition conventions ask; the Grafana dashboards query exactly these names.
 *
 * prom-client is loaded on the first scrape, not at import, so runtimes without Node's modules
 * (Cloudflare Workers without nodejs_compat) can still import the app; there /metrics answers 501.
 */
import type { ServerStats, StreamKind } from './server-stats.js';

export const SERVER_METRIC_NAMES = {
  connections: 'streamsoak_server_sse_connections',
  connectionsOpened: 'streamsoak_server_sse_connections_opened_total',
  eventsSent: 'streamsoak_server_events_sent_total',
  eventsReplayed: 'streamsoak_server_events_replayed_total',
  bytesSent: 'streamsoak_server_sse_sent_bytes_total',
  heartbeatsSent: 'streamsoak_server_heartbeats_sent_total',
  slowConsumerDisconnects: 'streamsoak_server_slow_consumer_disconnects_total',
  connectionsRefused: 'streamsoak_server_sse_connections_refused_total',
  pollRequests: 'streamsoak_server_poll_requests_total',
  emitRequests: 'streamsoak_server_emit_requests_total',
  authFailures: 'streamsoak_server_auth_failures_total',
} as const;

export interface MetricsRenderer {
  contentType: string;
  render(): Promise<string>;
}

const KINDS: readonly StreamKind[] = ['tick', 'bus', 'test'];

/** `read` is called at every scrape: this process's stats, or a cluster's totals. */
export async function createMetricsRenderer(read: () => ServerStats, labels: Record<string, string>): Promise<MetricsRenderer> {
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  registry.setDefaultLabels(labels);
  const names = SERVER_METRIC_NAMES;

  // Each metric reads the plain counters at scrape time (collect), so the hot path never touches prom-client.
  function counter(name: string, help: string, read: () => number): void {
    new prom.Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }
  function counterByKind(name: string, help: string, read: (kind: StreamKind) => number): void {
    new prom.Counter({
      name,
      help,
      labelNames: ['stream'],
      registers: [registry],
      collect() {
        this.reset();
        for (const kind of KINDS) this.inc({ stream: kind }, read(kind));
      },
    });
  }

  new prom.Gauge({
    name: names.connections,
    help: 'Open SSE responses (event streams and test streams).',
    registers: [registry],
    collect() {
      this.set(read().connections);
    },
  });
  counterByKind(names.connectionsOpened, 'SSE responses opened, by stream kind.', (kind) => read().connectionsOpened[kind]);
  counterByKind(names.eventsSent, 'SSE events written, by stream kind (replays included).', (kind) => read().eventsSent[kind]);
  counter(names.eventsReplayed, 'Events sent again after Last-Event-ID.', () => read().eventsReplayed);
  counter(names.bytesSent, 'Bytes queued on SSE responses.', () => read().bytesSent);
  counter(names.heartbeatsSent, 'Comment heartbeats written.', () => read().heartbeatsSent);
  counter(names.slowConsumerDisconnects, 'Streams cut because the client left more than maxBufferedBytes unsent.', () => read().slowConsumerDisconnects);
  counter(names.connectionsRefused, 'Streams refused with 503 because maxConnections streams were open.', () => read().connectionsRefused);
  counter(names.pollRequests, 'GET /api/calls/poll requests answered 200.', () => read().pollRequests);
  counter(names.emitRequests, 'POST /api/calls/emit requests accepted.', () => read().emitRequests);
  counter(names.authFailures, 'Requests refused with 401.', () => read().authFailures);

  return { contentType: registry.contentType, render: () => registry.metrics() };
}
