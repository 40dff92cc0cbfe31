/**
 * The platform simulator: an HTTP proxy that streams any upstream through and does to each response
 * what a hosting plan, proxy or CDN does (a composed `PlatformProfile`): cuts it at the function's
 * time limit, ends it after a silence, buffers it, refuses connections past a cap, strips or
 * rewrites CORS and other headers; optionally it adds a one-way network delay each way
 * (`addedDelayMs`, a remote host on loopback) and network faults on the way to the client (jitter,
 * a bandwidth cap, a stall, a half-open connection: `network-faults.ts`, `link.ts`). Loopback by
 * default; every timer dies with its response, and every socket, even a half-open one, is closed
 * when its client gives up or the proxy closes.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { PlatformProfile } from '../core/platform-profile.js';
import { InvalidConfigError } from '../core/errors.js';
import { createRandom } from '../core/random.js';
import { createLink, type LinkOptions } from './link.js';
import { createFaultSelector, hasFaults, parseNetworkFaults, scaleFaults, type NetworkFaults, type NetworkFaultsInput } from './network-faults.js';
import { composeProfiles, resolveProfileNames, scaleProfile } from './profiles.js';

export interface PlatformProxyOptions {
  /** Base URL of the upstream, e.g. `http://127.0.0.1:8080`. Request paths are appended to it. */
  upstream: string;
  /** Built-in profile names (or `a,b`), or profiles. Read from the client towards the upstream. */
  profiles: ReadonlyArray<string | PlatformProfile>;
  port?: number;
  host?: string;
  /** Multiplies every time limit (0.1: a 10 s limit cuts at 1 s). */
  timeScale?: number;
  /**
   * One-way network delay added in each direction (a remote host, issue 8): the request reaches the
   * upstream this much later, and the response head and every chunk reach the client this much
   * after they left the upstream, in order and without buffering. Time limits still run on the
   * platform's clock (the cut leaves the platform on time and arrives this much later). Default 0.
   */
  addedDelayMs?: number;
  /**
   * Network faults on the way to the client, for `faultRatio` of the responses (default none). The
   * stall and half-open times are scaled by `timeScale` like the profile's limits.
   */
  faults?: NetworkFaultsInput;
  signal?: AbortSignal;
}

/** What the proxy did, for the CLI's log and for tests. */
export interface PlatformProxyStats {
  requests: number;
  active: number;
  /** Requests refused by the connection cap. */
  refused: number;
  /** Responses ended by the time limit. */
  cut: number;
  /** Responses ended by the idle timeout. */
  idleTimeouts: number;
  /** Responses the network faults were applied to. */
  faulted: number;
  /** Responses a stall held back. */
  stalls: number;
  /** Responses that went half-open: bytes held back for good, no FIN, no RST. */
  halfOpen: number;
  /** Client sockets open now (half-open ones included): 0 once every client has gone. */
  sockets: number;
}

export interface PlatformProxy {
  url: string;
  port: number;
  /** The composed, time-scaled profile the proxy applies. */
  profile: PlatformProfile;
  /** The time-scaled network faults it applies (to `faultRatio` of the responses). */
  faults: NetworkFaults;
  stats(): PlatformProxyStats;
  close(): Promise<void>;
}

// RFC 9110 §7.6.1: hop-by-hop fields are meant for one connection and must not be forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

export async function startPlatformProxy(options: PlatformProxyOptions): Promise<PlatformProxy> {
  let upstream: URL;
  try {
    upstream = new URL(options.upstream);
  } catch {
    throw new InvalidConfigError('proxy options', [`upstream: not a URL: "${options.upstream}"`]);
  }
  if (upstream.protocol !== 'http:') throw new InvalidConfigError('proxy options', [`upstream: only http: is supported, got ${upstream.protocol}`]);

  // Names and profiles may be mixed: ['nginx-default', customProfile].
  const layers = options.profiles.flatMap((layer) => (typeof layer === 'string' ? resolveProfileNames([layer]) : [layer]));
  const profile = scaleProfile(composeProfiles(layers), options.timeScale ?? 1);
  const addedDelayMs = options.addedDelayMs ?? 0;
  if (!Number.isFinite(addedDelayMs) || addedDelayMs < 0) {
    throw new InvalidConfigError('proxy options', [`addedDelayMs: must be a duration of 0 ms or more, got ${addedDelayMs}`]);
  }
  const faults = scaleFaults(parseNetworkFaults(options.faults), options.timeScale ?? 1);
  const faultsOn = hasFaults(faults);
  const selectFaulted = createFaultSelector(faults.faultRatio);
  const random = createRandom(faults.seed);
  const upstreamBase = upstream.pathname.replace(/\/+$/, '');
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const stats: Omit<PlatformProxyStats, 'sockets'> = { requests: 0, active: 0, refused: 0, cut: 0, idleTimeouts: 0, faulted: 0, stalls: 0, halfOpen: 0 };
  const sockets = new Set<Socket>();

  const server = http.createServer({ noDelay: true, requestTimeout: 0 }, (req, res) => {
    stats.requests++;
    if (profile.maxConnections !== undefined && stats.active >= profile.maxConnections) {
      stats.refused++;
      const body = profile.refusal.body;
      res.writeHead(profile.refusal.status, { 'content-length': Buffer.byteLength(body), ...profile.refusal.headers });
      res.end(body);
      return;
    }
    stats.active++;
    handle(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let done = false;
    let maxDurationTimer: NodeJS.Timeout | undefined;
    let idleTimer: NodeJS.Timeout | undefined;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let buffering: PlatformProfile['buffering'] = profile.buffering;
    let upstreamReq: http.ClientRequest | undefined;
    let upstreamRes: http.IncomingMessage | undefined;
    let forwardTimer: NodeJS.Timeout | undefined;
    const faulted = faultsOn && selectFaulted();
    if (faulted) stats.faulted++;
    // Everything towards the client goes through the link (immediate when there is no delay and no
    // fault), so `headStarted` — not `res.headersSent` — says whether a head is on its way.
    const down = createLink({
      delayMs: addedDelayMs,
      ...(faulted ? linkFaults(faults) : {}),
      random,
      onStall: () => stats.stalls++,
      onHalfOpen: () => stats.halfOpen++,
      // TCP's back-pressure: while the client's path holds bytes back, the upstream is not read.
      onDrain: () => upstreamRes?.resume(),
    });
    let headStarted = false;
    const out = {
      head(status: number, message: string | undefined, headers: http.OutgoingHttpHeaders): void {
        headStarted = true;
        down.push(() => {
          if (res.destroyed || res.headersSent) return;
          res.writeHead(status, message, headers);
          res.flushHeaders();
        });
      },
      write(chunk: Buffer): void {
        down.write(chunk, (slice) => {
          if (!res.destroyed) res.write(slice);
        });
        if (down.congested()) upstreamRes?.pause();
      },
      end(body?: string): void {
        down.push(() => {
          if (!res.destroyed) res.end(body);
        });
      },
      destroy(): void {
        down.push(() => res.destroy());
      },
      endSocket(): void {
        down.push(() => res.socket?.end());
      },
    };

    const finish = (): void => {
      if (done) return;
      done = true;
      stats.active--;
      clearTimeout(maxDurationTimer);
      clearTimeout(idleTimer);
      clearTimeout(forwardTimer);
      upstreamReq?.destroy();
    };
    // While buffering, nginx holds the response head with the body: nothing reaches the client
    // until the first flush (measured against Debian's nginx 1.22 with proxy_buffering on).
    let pendingHead: { status: number; message: string | undefined; headers: http.OutgoingHttpHeaders } | undefined;
    const sendHead = (): void => {
      if (pendingHead === undefined || headStarted) return;
      out.head(pendingHead.status, pendingHead.message, pendingHead.headers);
      pendingHead = undefined;
    };
    const flush = (): void => {
      sendHead();
      if (pendingBytes === 0) return;
      out.write(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
    };
    /** Ends the response the way a platform does when a limit is hit. */
    const endForLimit = (status: number, message: string): void => {
      if (done) return;
      if (!headStarted && pendingHead === undefined) {
        out.head(status, undefined, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(message) });
        out.end(message);
      } else {
        // What the platform had gathered still reaches the client, then the response ends: an SSE
        // client sees the stream close, as when a function is stopped mid-stream.
        flush();
        out.end();
      }
      finish();
    };
    const armIdle = (): void => {
      if (profile.idleTimeoutMs === undefined) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        stats.idleTimeouts++;
        if (done) return;
        if (!headStarted && pendingHead === undefined) {
          endForLimit(504, 'upstream timed out (idle timeout of the simulated platform)\n');
          return;
        }
        // nginx's "upstream timed out ... while reading upstream": what it holds goes out, then the
        // connection closes without the response's end (no final chunk), so the client sees an error.
        flush();
        out.endSocket();
        finish();
      }, profile.idleTimeoutMs);
      idleTimer.unref();
    };

    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'host') headers[name] = value;
    }
    headers.host = upstream.host;

    const forward = (): void => {
      if (done) return;
      upstreamReq = http.request(
        { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, path: upstreamBase + (req.url ?? '/'), method: req.method, headers, agent },
        (response) => {
          upstreamRes = response;
          if (done) {
            upstreamRes.destroy();
            return;
          }
          armIdle();
          // nginx: "Buffering can also be enabled or disabled by passing “yes” or “no” in the
          // X-Accel-Buffering response header field" (ngx_http_proxy_module, proxy_buffering).
          if (buffering !== 'none' && profile.honourAccelBuffering && String(upstreamRes.headers['x-accel-buffering']).toLowerCase() === 'no') {
            buffering = 'none';
          }
          pendingHead = { status: upstreamRes.statusCode ?? 502, message: upstreamRes.statusMessage, headers: responseHeaders(upstreamRes.headers, profile) };
          if (buffering === 'none') sendHead();
          upstreamRes.on('data', (chunk: Buffer) => {
            armIdle();
            if (buffering === 'none') {
              out.write(chunk);
              return;
            }
            pending.push(chunk);
            pendingBytes += chunk.length;
            if (buffering !== 'until_close' && pendingBytes >= buffering.untilBytes) flush();
          });
          upstreamRes.on('end', () => {
            if (done) return;
            flush();
            out.end();
            finish();
          });
          upstreamRes.on('error', () => {
            if (done) return;
            out.destroy();
            finish();
          });
        },
      );
      upstreamReq.on('error', (error) => {
        if (done) return;
        if (!headStarted) {
          const message = `bad gateway: ${error.message}\n`;
          out.head(502, undefined, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(message) });
          out.end(message);
        } else {
          out.destroy();
        }
        finish();
      });
      req.pipe(upstreamReq);
    };

    if (profile.maxDurationMs !== undefined) {
      // The invocation's clock starts when the request reaches the platform, not at the first byte.
      maxDurationTimer = setTimeout(() => {
        stats.cut++;
        endForLimit(504, 'function invocation timed out (time limit of the simulated platform)\n');
      }, profile.maxDurationMs);
      maxDurationTimer.unref();
    }
    armIdle();
    res.on('close', () => {
      // The client is gone: what was still on its way has nowhere to go.
      down.clear();
      finish();
    });
    // The request travels up with the same added delay (and jitter) as the response comes down.
    const upDelayMs = addedDelayMs + (faulted && faults.jitterMs > 0 ? random() * faults.jitterMs : 0);
    if (upDelayMs > 0) {
      forwardTimer = setTimeout(forward, upDelayMs);
      forwardTimer.unref();
    } else {
      forward();
    }
  }

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const onAbort = (): void => void close();
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      options.signal?.removeEventListener('abort', onAbort);
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
      agent.destroy();
    });
    return closing;
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) await close();

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    profile,
    faults,
    stats: () => ({ ...stats, sockets: sockets.size }),
    close,
  };
}

/** The faults as the link takes them. */
function linkFaults(faults: NetworkFaults): LinkOptions {
  const link: LinkOptions = { jitterMs: faults.jitterMs };
  if (faults.bandwidthBytesPerSecond !== undefined) link.bytesPerSecond = faults.bandwidthBytesPerSecond;
  if (faults.stallMs !== undefined) {
    link.stall = {
      durationMs: faults.stallMs,
      ...(faults.stallAfterMs === undefined ? {} : { afterMs: faults.stallAfterMs }),
      ...(faults.stallAfterBytes === undefined ? {} : { afterBytes: faults.stallAfterBytes }),
    };
  }
  if (faults.halfOpenAfterMs !== undefined) link.halfOpen = { afterMs: faults.halfOpenAfterMs };
  else if (faults.halfOpenAfterBytes !== undefined) link.halfOpen = { afterBytes: faults.halfOpenAfterBytes };
  return link;
}

/** The upstream's response headers as the platform passes them on. */
export function responseHeaders(upstreamHeaders: http.IncomingHttpHeaders, profile: PlatformProfile): http.OutgoingHttpHeaders {
  const strip = new Set(profile.stripResponseHeaders.map((h) => h.toLowerCase()));
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstreamHeaders)) {
    if (value === undefined || HOP_BY_HOP.has(name) || strip.has(name)) continue;
    if (profile.cors !== 'pass' && name.startsWith('access-control-')) continue;
    out[name] = value;
  }
  if (typeof profile.cors === 'object') {
    out['access-control-allow-origin'] = profile.cors.allowOrigin;
    if (profile.cors.allowCredentials) out['access-control-allow-credentials'] = 'true';
  }
  return out;
}
