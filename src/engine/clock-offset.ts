/**
 * Measuring the clock offset to a target's `GET /api/time` over undici, so event latency can be
 * measured across two machines' clocks (issue 8). The estimate itself (Cristian's algorithm, the
 * resolution correction, the error bound) is `core/clock.ts`, shared with the k6 scenarios; it is
 * re-exported here, where the engine and the public API have always found it.
 */
import { Client } from 'undici';
import { estimateClockOffset, parseServerNowMs, type ClockEstimate, type ClockSample } from '../core/clock.js';
import { nowMs } from './time.js';

export { estimateClockOffset, SERVER_CLOCK_RESOLUTION_MS } from '../core/clock.js';
export type { ClockEstimate, ClockSample } from '../core/clock.js';

export interface MeasureClockOptions {
  baseUrl: string;
  /** Default `/api/time`. */
  path?: string;
  headers?: Record<string, string>;
  /** Exchanges to make (default 12). */
  samples?: number;
  /** Pause between exchanges (default 25 ms): spaced a little, so one burst of queueing does not spoil them all. */
  spacingMs?: number;
  /** Per exchange (default 5 s). */
  timeoutMs?: number;
  /**
   * `api-time` (default): the target's `{ now }` at `path`. `date-header`: the HTTP `Date` header of
   * any answer to `GET /` (RFC 9110: whole seconds), for a target without `/api/time`: a coarse
   * clock, whose estimate says so in its uncertainty (± 0.5 s + half the round trip).
   */
  source?: 'api-time' | 'date-header';
  signal?: AbortSignal;
}

export type ClockMeasurement = { ok: true; estimate: ClockEstimate } | { ok: false; reason: string };

/**
 * Makes the exchanges over one keep-alive connection (the first pays for the TCP and TLS handshakes
 * and is filtered out by its round trip). A target without a usable `/api/time` (404, not JSON, no
 * numeric `now`, an error) gives `{ ok: false, reason }`: the caller reports latency as unknown.
 */
export async function measureClockOffset(options: MeasureClockOptions): Promise<ClockMeasurement> {
  const count = options.samples ?? 12;
  const spacingMs = options.spacingMs ?? 25;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const source = options.source ?? 'api-time';
  const path = source === 'date-header' ? '/' : (options.path ?? '/api/time');
  const client = new Client(options.baseUrl, { pipelining: 1, connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const samples: ClockSample[] = [];
  try {
    for (let i = 0; i < count; i++) {
      if (options.signal?.aborted) break;
      if (i > 0) await sleep(spacingMs);
      const t0Ms = nowMs();
      let status: number;
      let text: string;
      let dateHeader: string | undefined;
      try {
        const response = await client.request({
          path,
          method: 'GET',
          headers: { accept: 'application/json', 'cache-control': 'no-cache', ...options.headers },
          ...(options.signal ? { signal: options.signal } : {}),
        });
        status = response.statusCode;
        const date = response.headers.date;
        dateHeader = typeof date === 'string' ? date : undefined;
        text = await response.body.text();
      } catch (error) {
        return { ok: false, reason: `GET ${path} failed: ${(error as Error).message}` };
      }
      const t1Ms = nowMs();
      if (source === 'date-header') {
        // Any status carries a Date (RFC 9110, 6.6.1: an origin server with a clock must send it).
        const serverNowMs = dateHeader === undefined ? Number.NaN : Date.parse(dateHeader);
        if (!Number.isFinite(serverNowMs)) return { ok: false, reason: `GET ${path} answered without a usable Date header` };
        samples.push({ t0Ms, t1Ms, serverNowMs });
        continue;
      }
      if (status !== 200) return { ok: false, reason: `GET ${path} answered ${status}` };
      const serverNowMs = parseServerNowMs(text);
      if (serverNowMs === undefined) return { ok: false, reason: `GET ${path} did not answer JSON with a numeric "now"` };
      samples.push({ t0Ms, t1Ms, serverNowMs });
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  // `nowMs` reads `performance.now()` (sub-microsecond): the client's resolution is the default 0.
  const estimate = estimateClockOffset(samples, source === 'date-header' ? DATE_HEADER_RESOLUTION_MS : undefined);
  return estimate ? { ok: true, estimate } : { ok: false, reason: `GET ${path}: no exchange completed` };
}

/** The HTTP Date header has whole seconds (IMF-fixdate): the server's clock is somewhere in that second. */
export const DATE_HEADER_RESOLUTION_MS = 1_000;

// Not unref()ed: a few tens of ms, and the run is waiting on it (nothing else may hold the process yet).
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
