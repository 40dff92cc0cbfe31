/**
 * Clock-offset estimation against a target's `GET /api/time` (`{ now }`, the server's epoch ms), so
 * event latency can be measured across two machines' clocks (issue 8). One estimate for both
 * clients: the Node engine (`engine/clock-offset.ts`, which makes the exchanges over undici) and the
 * k6 scenarios (`scenarios/lib/clock.ts`, over `k6/http`). Pure and runtime-free: it is bundled into
 * k6 scripts.
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
 *
 * Both clocks are read at a finite resolution, and that widens the window. The server's clock is
 * read in whole milliseconds (`Date.now()`), so the reading stands for any instant in
 * [now, now + 1): half that resolution is added to the centre and to the uncertainty. The client's
 * stamps are truncated the same way when they come from `Date.now()` (k6: an ECMAScript time value
 * is a whole number of milliseconds, ECMA-262 §21.4.1.1 "Time Values and Time Range"): the true
 * `t0`, `t1` lie in [t0, t0 + r), [t1, t1 + r), which moves the centre back by r/2 and widens the
 * window by r. The Node engine stamps with `performance.now()` (sub-microsecond): r = 0.
 *
 * This correction, and rounding to the microsecond, were the engine's; the k6 scenarios used to take
 * the bare midpoint rounded to a whole millisecond and half the round trip as the uncertainty. The
 * engine's way is the one kept: without the correction the estimate sits half a millisecond off on
 * average and the stated uncertainty can be exceeded (test/unit/engine/clock-offset.test.ts proves
 * the bound for any delays); rounding to whole milliseconds throws away up to 0.5 ms that no
 * uncertainty accounts for, which is most of the error on a LAN. Microseconds are also what every
 * other duration in a results folder keeps (`results/round.ts`).
 */

/** One exchange, all in epoch ms: `t0`/`t1` on the client's clock, `serverNowMs` on the server's. */
export interface ClockSample {
  t0Ms: number;
  t1Ms: number;
  serverNowMs: number;
}

export interface ClockEstimate {
  /** Server clock minus client clock: an event stamped `sentAt` by the server left at `sentAt − offsetMs` here. */
  offsetMs: number;
  /** Half the kept exchange's round trip (plus half the resolution of each clock). */
  uncertaintyMs: number;
  /** Round trip of the kept exchange. */
  roundTripMs: number;
  /** Exchanges that answered. */
  samples: number;
}

/** `Date.now()` on the server: whole milliseconds. */
export const SERVER_CLOCK_RESOLUTION_MS = 1;

/**
 * The estimate from the lowest-round-trip sample; undefined when there is none. `clientResolutionMs`
 * is the resolution of the clock `t0Ms`/`t1Ms` were read on: 0 for `performance.now()`, 1 for
 * `Date.now()`.
 */
export function estimateClockOffset(
  samples: readonly ClockSample[],
  resolutionMs = SERVER_CLOCK_RESOLUTION_MS,
  clientResolutionMs = 0,
): ClockEstimate | undefined {
  let best: ClockSample | undefined;
  for (const sample of samples) {
    const rtt = sample.t1Ms - sample.t0Ms;
    // A negative round trip means the client clock stepped: that sample says nothing.
    if (!Number.isFinite(rtt) || rtt < 0 || !Number.isFinite(sample.serverNowMs)) continue;
    if (best === undefined || rtt < best.t1Ms - best.t0Ms) best = sample;
  }
  if (best === undefined) return undefined;
  const roundTripMs = best.t1Ms - best.t0Ms;
  const offsetMs = best.serverNowMs + (resolutionMs - clientResolutionMs) / 2 - (best.t0Ms + roundTripMs / 2);
  return {
    offsetMs: roundToMicroseconds(offsetMs),
    uncertaintyMs: roundToMicroseconds((roundTripMs + resolutionMs + clientResolutionMs) / 2),
    roundTripMs: roundToMicroseconds(roundTripMs),
    samples: samples.length,
  };
}

/**
 * The server's clock from a `GET /api/time` body (`{ "now": <epoch ms> }`); undefined when the body
 * is not JSON or has no positive, finite `now` (the caller reports latency as unknown).
 */
export function parseServerNowMs(text: string): number | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body !== 'object' || body === null) return undefined;
    const now = (body as { now?: unknown }).now;
    return typeof now === 'number' && Number.isFinite(now) && now > 0 ? now : undefined;
  } catch {
    return undefined;
  }
}

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/**
 * A host on this machine, where the target's clock is ours: `localhost` (RFC 6761 §6.3), 127.0.0.0/8
 * (RFC 1122 §3.2.1.3) or `::1` (RFC 4291 §2.5.3), with or without the URL's brackets. A name that merely
 * starts with `127.` (`127.example.com`) is a DNS name like any other.
 */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOST.test(hostname);
}

/**
 * `isLoopbackHost` of a base URL's host, read without `URL` (k6 has no WHATWG URL global): the
 * authority after `http(s)://`, up to the port or path, brackets kept for IPv6.
 */
export function isLoopbackUrl(baseUrl: string): boolean {
  const host = /^https?:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^/:?#]+)/i.exec(baseUrl)?.[1] ?? '';
  return isLoopbackHost(host);
}

// The same rounding as `results/round.ts` `round3`, which core may not import (it sits below results/).
function roundToMicroseconds(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
