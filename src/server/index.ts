/**
 * The reference server: the guide's SSE endpoints as a web-standard fetch handler (Hono), a Node
 * runner, a cluster runner, and what hosting adapters share (hosting.ts). The Node runners are
 * loaded on first use only, so importing this file pulls in no Node-only module; the adapters'
 * entry files import hosting.ts itself, which a bundler reads without following those lazy imports.
 */
import type { ReferenceAppHooks } from './app.js';
import type { ClusteredServerOptions } from './cluster.js';
import type { RunningServer } from './node-server.js';
import type { ReferenceServerOptions } from './options.js';

export { createReferenceApp } from './app.js';
export type { ReferenceApp, ReferenceAppHooks } from './app.js';
export { referenceServerOptionsSchema, parseReferenceServerOptions } from './options.js';
export type { ReferenceServerOptions, ResolvedServerOptions } from './options.js';
export type { RunningServer } from './node-server.js';
export type { ClusteredServerOptions } from './cluster.js';
export { SERVER_METRIC_NAMES } from './prometheus.js';
export type { ServerStats } from './server-stats.js';
export { parseTickId, formatTickId } from './tick-ids.js';
export { createPlatformHandler, platformServerOptions, maxDurationSecondsOf } from './hosting.js';
export type { HostingAdapter, PlatformEnv, PlatformHandler } from './hosting.js';

/** Serves the reference app on Node (`@hono/node-server`), on `options.host:options.port` (0: any free port). */
export async function startReferenceServer(options: ReferenceServerOptions, hooks?: ReferenceAppHooks): Promise<RunningServer> {
  const { startReferenceServer: start } = await import('./node-server.js');
  return start(options, hooks);
}

/** `serve --workers N`: N processes on one port, bus events published through the primary. */
export async function startClusteredServer(options: ClusteredServerOptions): Promise<RunningServer> {
  const { startClusteredServer: start } = await import('./cluster.js');
  return start(options);
}
