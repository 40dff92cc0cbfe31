/**
 * Clock-offset estimation against a target's `GET /api/time` (`{ now }`, the server's epoch ms), so
 * event latency can be measured across two machines' clocks (issue 8).
 *
 * Cristian's algorithm, as NTP uses it per exchange: the client stamps `t0` before the request and
 * `t1` after the answer; the server read its clock somewhere in between, so with the client clock
 * `C` and the server clock `S = C + offset`,
 *
 *   offset = serverNow − (t0 + rtt/2)    rtt = t1 − t0    |error| ≤ rtt/2
 *
 * The error bound holds whatever the asymmetry of the two directions: it is the width of the window
 * the server's reading must have come from. Several exchanges are made and the one with the
 * lowest round trip is kept: it has the narrowest window (NTP's clock filter does the same).
 * The server's clock is read in whole milliseconds (`Date.now()`), so the reading stands for any
 * instant in [now, now + 1): half that resolution is added to the centre and to the uncertainty.
 */
import { Client } from 'undici';
import { round3 } from '../results/round.js';
import { nowMs } from './sse-attempt.js';

/** One exchange, all in epoch ms: `t0`/`t1` on the client's clock, `serverNowMs` on the server's. */
export interface ClockSample {
  t0Ms: number;
  t1Ms: number;
  serverNowMs: number;
}

export interface ClockEstimate {
  /** Server clock minus client clock: an event stamped `sentAt` by the server left at `sentAt − offsetMs` here. */
  offsetMs: number;
  /** Half the kept exchange's round trip (plus half the server clock's resolution). */
  uncertaintyMs: number;
  /** Round trip of the kept exchange. */
  roundTripMs: number;
  /** Exchanges that answered. */
  samples: number;
}

/** `Date.now()` on the server: whole milliseconds. */
export const SERVER_CLOCK_RESOLUTION_MS = 1;

/**
 * The estimate from the lowest-round-trip sample; undefined when there is none. Pure: the unit tests
 * feed it fake samples.
 */
export function estimateClockOffset(samples: readonly ClockSample[], resolutionMs = SERVER_CLOCK_RESOLUTION_MS): ClockEstimate | undefined {
  let best: ClockSample | undefined;
  for (const sample of samples) {
    const rtt = sample.t1Ms - sample.t0Ms;
    // A negative round trip means the client clock stepped: that sample says nothing.
    if (!Number.isFinite(rtt) || rtt < 0 || !Number.isFinite(sample.serverNowMs)) continue;
    if (best === undefined || rtt < best.t1Ms - best.t0Ms) best = sample;
  }
  if (best === undefined) return undefined;
  const roundTripMs = best.t1Ms - best.t0Ms;
  const offsetMs = best.serverNowMs + resolutionMs / 2 - (best.t0Ms + roundTripMs / 2);
  return {
    offsetMs: round3(offsetMs),
    uncertaintyMs: round3((roundTripMs + resolutionMs) / 2),
    roundTripMs: round3(roundTripMs),
    samples: samples.length,
  };
}

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
  const path = options.path ?? '/api/time';
  const client = new Client(options.baseUrl, { pipelining: 1, connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const samples: ClockSample[] = [];
  try {
    for (let i = 0; i < count; i++) {
      if (options.signal?.aborted) break;
      if (i > 0) await sleep(spacingMs);
      const t0Ms = nowMs();
      let status: number;
      let text: string;
      try {
        const response = await client.request({
          path,
          method: 'GET',
          headers: { accept: 'application/json', 'cache-control': 'no-cache', ...options.headers },
          ...(options.signal ? { signal: options.signal } : {}),
        });
        status = response.statusCode;
        text = await response.body.text();
      } catch (error) {
        return { ok: false, reason: `GET ${path} failed: ${(error as Error).message}` };
      }
      const t1Ms = nowMs();
      if (status !== 200) return { ok: false, reason: `GET ${path} answered ${status}` };
      const serverNowMs = readNow(text);
      if (serverNowMs === undefined) return { ok: false, reason: `GET ${path} did not answer JSON with a numeric "now"` };
      samples.push({ t0Ms, t1Ms, serverNowMs });
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  const estimate = estimateClockOffset(samples);
  return estimate ? { ok: true, estimate } : { ok: false, reason: `GET ${path}: no exchange completed` };
}

function readNow(text: string): number | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body !== 'object' || body === null) return undefined;
    const now = (body as { now?: unknown }).now;
    return typeof now === 'number' && Number.isFinite(now) && now > 0 ? now : undefined;
  } catch {
    return undefined;
  }
}

// Not unref()ed: a few tens of ms, and the run is waiting on it (nothing else may hold the process yet).
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
