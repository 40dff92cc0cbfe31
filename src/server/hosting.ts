/**
 * What every hosting adapter shares: the reference app (app.ts, unchanged) configured from the
 * platform's environment, created on the first request, restricted to `tick` mode where invocations
 * share no memory, and labelled so that /api/health and every response say which adapter served
 * them and which time limit it runs under. Each platform's entry file (deploy/<platform>/) is a few
 * lines that hand its request to `fetch` below in the signature that platform calls, as hono keeps
 * its runtime adapters in the library (src/adapter/<runtime>/).
 *
 * Entry files import this file itself, not the server's index.ts, for the reason this file imports
 * app.ts (below).
 *
 * Environment (set in the platform's dashboard or secret store, never in a file of this repo):
 *   JWT_ACCESS_SECRET           the HS256 secret tokens are verified with (required)
 *   STREAMSOAK_SERVER_OPTIONS   optional JSON object of reference-server options, e.g.
 *                               {"corsOrigins":["https://app.example.com"],"heartbeatMs":15000}
 */
import { InvalidConfigError } from '../core/errors.js';
import { findPlatformFacts, limitOf } from '../core/platform-facts.js';
// app.ts rather than the server's index.ts: a bundler (wrangler's esbuild, Netlify's) follows the
// index's lazy `import('./node-server.js')` into node:http and node:cluster, which a Worker lacks.
import { createReferenceApp, type ReferenceApp } from './app.js';
import { errorResponse } from './http-responses.js';
import type { ReferenceServerOptions } from './options.js';

/** One hosting adapter: the platform it runs on, as /api/health reports it. */
export interface HostingAdapter {
  /** Reported in /api/health (`platform.name`) and in the `x-streamsoak-platform` header. */
  readonly name: string;
  /**
   * Whether every request of a deployment reaches one long-lived process. When false, consecutive
   * requests may run in different instances, so `bus` mode (channels held in memory, the events
   * polling clients read) cannot work: the adapter serves `tick` mode only.
   */
  readonly sharedMemory: boolean;
  /** The wall-clock limit on one invocation (so on one SSE stream), in seconds; null: none. */
  readonly maxDurationSeconds: number | null;
  /** What sets that limit: a field of the platform's config file, or the platform itself. */
  readonly maxDurationSetBy: string;
  /**
   * Whether timers and streams belong to the request that created them (Cloudflare Workers: a
   * promise settled, or a stream written, from another request's context is cancelled). Then each
   * request gets its own app, closed when its response ends, so no timer is shared across requests.
   */
  readonly appPerRequest?: boolean;
}

/** @deprecated Renamed `HostingAdapter` ("platform" also names the simulator and its profiles). */
export type HostingPlatform = HostingAdapter;

/**
 * The wall-clock limit of one invocation on `platformName`, an entry of the platform facts
 * (`core/platform-facts.ts`), in seconds, as an adapter states it; null when the platform has none.
 */
export function maxDurationSecondsOf(platformName: string): number | null {
  const limit = limitOf(findPlatformFacts(platformName), 'max_duration');
  return limit === undefined ? null : limit.valueMs / 1_000;
}

/** The platform's environment: `process.env`, or the `env` a Worker receives (values may be objects there). */
export type PlatformEnv = Readonly<Record<string, unknown>>;

export const SECRET_ENV = 'JWT_ACCESS_SECRET';
export const OPTIONS_ENV = 'STREAMSOAK_SERVER_OPTIONS';

/** Options the environment may not set: the secret has its own variable, and the platform owns the socket. */
const NOT_FROM_OPTIONS_ENV: Readonly<Record<string, string>> = {
  jwtSecret: `the secret comes from ${SECRET_ENV} only`,
  port: 'the platform owns the socket',
  host: 'the platform owns the socket',
  listenBacklog: 'the platform owns the socket',
};

/** The reference server's options for `platform`, from its environment. Throws InvalidConfigError naming every problem. */
export function platformServerOptions(platform: HostingAdapter, env: PlatformEnv): ReferenceServerOptions {
  const issues: string[] = [];
  const secret = env[SECRET_ENV];
  if (typeof secret !== 'string' || secret.length === 0) {
    issues.push(`${SECRET_ENV}: required; set it in the platform's environment (never in a file)`);
  }
  let extra: Record<string, unknown> = {};
  const raw = env[OPTIONS_ENV];
  let parsed: unknown = raw;
  if (typeof raw === 'string') {
    try {
      parsed = raw.trim() === '' ? {} : JSON.parse(raw);
    } catch {
      issues.push(`${OPTIONS_ENV}: not valid JSON`);
      parsed = {};
    }
  }
  if (parsed !== undefined) {
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) extra = { ...(parsed as Record<string, unknown>) };
    else issues.push(`${OPTIONS_ENV}: must be a JSON object of server options`);
  }
  for (const [key, why] of Object.entries(NOT_FROM_OPTIONS_ENV)) {
    if (key in extra) issues.push(`${OPTIONS_ENV}.${key}: not settable here (${why})`);
  }
  if (!platform.sharedMemory && extra.mode !== undefined && extra.mode !== 'tick') {
    issues.push(`${OPTIONS_ENV}.mode: ${platform.name} shares no memory between invocations, so only tick mode is served`);
  }
  if (issues.length > 0) throw new InvalidConfigError(`${platform.name} adapter environment`, issues);
  return {
    ...extra,
    jwtSecret: secret as string,
    mode: platform.sharedMemory ? (extra.mode as ReferenceServerOptions['mode']) ?? 'tick' : 'tick',
    profile: typeof extra.profile === 'string' ? extra.profile : platform.name,
  } as ReferenceServerOptions;
}

export interface PlatformHandler {
  /** Serves one request; `requestEnv` is what the platform passes beside it (a Worker's `env`). */
  fetch(request: Request, requestEnv?: PlatformEnv): Promise<Response>;
  /** The app, once the first request has created it. */
  readonly app: ReferenceApp | undefined;
  /** Ends every stream and timer (tests, or a runtime that tells us it is shutting down). */
  close(): void;
}

/**
 * The app is created on the first request, not at import: a Worker receives its environment only
 * with a request and may not start timers in its global scope, and a misconfigured deployment then
 * answers 500 with the reason instead of failing to load.
 */
export function createPlatformHandler(
  platform: HostingAdapter,
  readEnv: (requestEnv: PlatformEnv | undefined) => PlatformEnv,
): PlatformHandler {
  let shared: ReferenceApp | undefined;

  function createApp(requestEnv: PlatformEnv | undefined): ReferenceApp {
    return createReferenceApp(platformServerOptions(platform, readEnv(requestEnv)), {
      health: () => ({
        platform: {
          name: platform.name,
          sharedMemory: platform.sharedMemory,
          modes: platform.sharedMemory ? ['tick', 'bus'] : ['tick'],
          maxDurationSeconds: platform.maxDurationSeconds,
          maxDurationSetBy: platform.maxDurationSetBy,
        },
      }),
      responseHeaders: { 'x-streamsoak-platform': platform.name },
    });
  }

  return {
    async fetch(request, requestEnv) {
      let app: ReferenceApp;
      try {
        app = platform.appPerRequest ? createApp(requestEnv) : (shared ??= createApp(requestEnv));
      } catch (error) {
        if (!(error instanceof InvalidConfigError)) throw error;
        return jsonError(500, 'invalid_config', error.message, platform.name);
      }
      if (!platform.sharedMemory && new URL(request.url).searchParams.get('mode') === 'bus') {
        if (platform.appPerRequest) app.close();
        return jsonError(
          400,
          'bus_unavailable',
          `${platform.name} shares no memory between invocations: this deployment serves tick mode only`,
          platform.name,
        );
      }
      if (!platform.appPerRequest) return app.fetch(request);
      try {
        return closeWhenDone(await app.fetch(request), () => app.close());
      } catch (error) {
        app.close();
        throw error;
      }
    },
    get app() {
      return shared;
    },
    close() {
      shared?.close();
      shared = undefined;
    },
  };
}

/** Calls `close` once the response body has been read to its end, failed, or been cancelled by the client. */
function closeWhenDone(response: Response, close: () => void): Response {
  if (response.body === null) {
    close();
    return response;
  }
  const reader = response.body.getReader();
  let closed = false;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    close();
  };
  // Pull-driven: each chunk is handed on as soon as the client wants one, so nothing is held back.
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          finish();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        controller.error(error);
        finish();
      }
    },
    async cancel(reason) {
      try {
        await reader.cancel(reason);
      } finally {
        finish();
      }
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** The reference app's JSON error, labelled with the platform like every response of the app. */
function jsonError(status: number, error: string, message: string, platformName: string): Response {
  const response = errorResponse(status, error, message);
  response.headers.set('x-streamsoak-platform', platformName);
  return response;
}
