/**
 * The Node runner: serves the reference app with @hono/node-server on a plain `http.Server` that we
 * listen on ourselves, for the large backlog that bursts of thousands of connects need.
 */
import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReferenceApp, type ReferenceApp, type ReferenceAppHooks } from './app.js';
import type { ReferenceServerOptions } from './options.js';

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
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // Long-lived responses are the point: no per-request time limit.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
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
