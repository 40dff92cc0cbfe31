/**
 * The Node runner: serves the reference app with @hono/node-server on a plain `http.Server` that we
 * listen on ourselves, for the large backlog that bursts of thousands of connects need.
 */
import { createAdaptorServer } from '@hono/node-server';
import type { Server, ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createReferenceApp, type ReferenceApp, type ReferenceAppHooks } from './app.js';
import type { ReferenceServerOptions, ResolvedServerOptions } from './options.js';

export interface RunningServer {
  /** `http://127.0.0.1:PORT` (IPv6 hosts in brackets). */
  url: string;
  port: number;
  host: string;
  /** Ends every stream cleanly, then closes the listener and every socket. */
  close(): Promise<void>;
  subscriberCount(): number;
  /** Test hook: ends every open stream as a platform cutting it would; the server keeps serving. */
  dropAllStreams(): void;
  /** The app (single process only; undefined for a cluster's primary). */
  app?: ReferenceApp;
}

/** How long shutdown waits for ended streams to flush before it destroys what is left. */
const SHUTDOWN_GRACE_MS = 2_000;

export async function startReferenceServer(options: ReferenceServerOptions, hooks: ReferenceAppHooks = {}): Promise<RunningServer> {
  const app = createReferenceApp(options, {
    ...hooks,
    health: () => {
      const memory = process.memoryUsage();
      return { pid: process.pid, memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed }, ...hooks.health?.() };
    },
  });
  const { host, port, listenBacklog } = app.options;
  const server = createAdaptorServer({ fetch: app.fetch, serverOptions: timeoutOptions(app.options) }) as Server;
  server.on('clientError', answerClientError);
  await listen(server, { host, port, backlog: listenBacklog }).catch((error: unknown) => {
    app.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  return {
    url: formatUrl(host, address.port),
    port: address.port,
    host,
    subscriberCount: () => app.subscriberCount(),
    dropAllStreams: () => app.dropAllStreams(),
    app,
    close: () => closeServer(server, () => app.close()),
  };
}

/**
 * Node's limits on receiving a request. `requestTimeout` covers the request only (head and body),
 * never the response, so streams may last as long as they like. Node enforces both from a sweep every
 * `connectionsCheckingInterval` (30 s by default, which would let a slowloris client hold its socket
 * for up to twice headersTimeout): a sweep every fifth of the timeout, between 250 ms and 1 s.
 */
export function timeoutOptions(options: Pick<ResolvedServerOptions, 'headersTimeoutMs' | 'requestTimeoutMs'>): ServerOptions {
  return {
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, Math.max(250, Math.round(options.headersTimeoutMs / 5))),
  };
}

/** The statuses Node itself would send for a request it could not take (its socketOnError). */
const CLIENT_ERROR_STATUS: Readonly<Record<string, string>> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
};
/** How long a refused client may keep sending before its socket is destroyed. */
const CLIENT_ERROR_LINGER_MS = 1_000;

/**
 * A request Node could not take (a head that came too slowly or too big, bytes that are not HTTP):
 * the same status Node would send, but closed gracefully. Node's own answer destroys the socket at
 * once, and a client still sending (a slowloris trickle, a huge header) then gets a reset that can
 * discard the status before it reads it; a half-close lets it read the status first (RFC 9112 §9.6),
 * and the socket is destroyed a second later whatever the client does.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (socket.writableEnded || socket.destroyed) return;
  // A response already under way on this socket (Node's own test): no second status can follow it.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
}

export function listen(server: Server, options: { host: string; port: number; backlog: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export async function closeServer(server: Server, endStreams: () => void): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  endStreams();
  // Ended streams leave keep-alive sockets behind once their last bytes flush: close them as they go idle.
  server.closeIdleConnections();
  const sweeper = setInterval(() => server.closeIdleConnections(), 50);
  const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  sweeper.unref();
  timer.unref();
  await closed;
  clearInterval(sweeper);
  clearTimeout(timer);
}

export function formatUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}
