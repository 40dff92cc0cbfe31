/**
 * The platform simulator: an HTTP proxy that streams any upstream through and does to each response
 * what a hosting plan, proxy or CDN does (a composed `PlatformProfile`): cuts it at the function's
 * time limit, ends it after a silence, buffers it, refuses connections past a cap, strips or
 * rewrites CORS and other headers. Loopback by default; every timer dies with its response.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { PlatformProfile } from '../core/platform-profile.js';
import { InvalidConfigError } from '../core/errors.js';
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
}

export interface PlatformProxy {
  url: string;
  port: number;
  /** The composed, time-scaled profile the proxy applies. */
  profile: PlatformProfile;
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
  const upstreamBase = upstream.pathname.replace(/\/+$/, '');
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const stats: PlatformProxyStats = { requests: 0, active: 0, refused: 0, cut: 0, idleTimeouts: 0 };
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

    const finish = (): void => {
      if (done) return;
      done = true;
      stats.active--;
      clearTimeout(maxDurationTimer);
      clearTimeout(idleTimer);
      upstreamReq.destroy();
    };
    // While buffering, nginx holds the response head with the body: nothing reaches the client
    // until the first flush (measured against Debian's nginx 1.22 with proxy_buffering on).
    let pendingHead: { status: number; message: string | undefined; headers: http.OutgoingHttpHeaders } | undefined;
    const sendHead = (): void => {
      if (pendingHead === undefined || res.headersSent) return;
      res.writeHead(pendingHead.status, pendingHead.message, pendingHead.headers);
      res.flushHeaders();
      pendingHead = undefined;
    };
    const flush = (): void => {
      sendHead();
      if (pendingBytes === 0 || res.destroyed) return;
      res.write(pending.length === 1 ? pending[0] : Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
    };
    /** Ends the response the way a platform does when a limit is hit. */
    const endForLimit = (status: number, message: string): void => {
      if (done) return;
      if (!res.headersSent && pendingHead === undefined) {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(message) });
        res.end(message);
      } else {
        // What the platform had gathered still reaches the client, then the response ends: an SSE
        // client sees the stream close, as when a function is stopped mid-stream.
        flush();
        res.end();
      }
      finish();
    };
    const armIdle = (): void => {
      if (profile.idleTimeoutMs === undefined) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        stats.idleTimeouts++;
        if (done) return;
        if (!res.headersSent && pendingHead === undefined) {
          endForLimit(504, 'upstream timed out (idle timeout of the simulated platform)\n');
          return;
        }
        // nginx's "upstream timed out ... while reading upstream": what it holds goes out, then the
        // connection closes without the response's end (no final chunk), so the client sees an error.
        flush();
        res.socket?.end();
        finish();
      }, profile.idleTimeoutMs);
      idleTimer.unref();
    };

    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'host') headers[name] = value;
    }
    headers.host = upstream.host;

    const upstreamReq = http.request(
      { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, path: upstreamBase + (req.url ?? '/'), method: req.method, headers, agent },
      (upstreamRes) => {
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
            res.write(chunk);
            return;
          }
          pending.push(chunk);
          pendingBytes += chunk.length;
          if (buffering !== 'until_close' && pendingBytes >= buffering.untilBytes) flush();
        });
        upstreamRes.on('end', () => {
          if (done) return;
          flush();
          res.end();
          finish();
        });
        upstreamRes.on('error', () => {
          if (done) return;
          res.destroy();
          finish();
        });
      },
    );
    upstreamReq.on('error', (error) => {
      if (done) return;
      if (!res.headersSent) {
        const message = `bad gateway: ${error.message}\n`;
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(message) });
        res.end(message);
      } else {
        res.destroy();
      }
      finish();
    });

    if (profile.maxDurationMs !== undefined) {
      // The invocation's clock starts when the request reaches the platform, not at the first byte.
      maxDurationTimer = setTimeout(() => {
        stats.cut++;
        endForLimit(504, 'function invocation timed out (time limit of the simulated platform)\n');
      }, profile.maxDurationMs);
      maxDurationTimer.unref();
    }
    armIdle();
    res.on('close', finish);
    req.pipe(upstreamReq);
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
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
      agent.destroy();
    });
    return closing;
  };
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  if (options.signal?.aborted) await close();

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    profile,
    stats: () => ({ ...stats }),
    close,
  };
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
