/**
 * Network faults of the platform simulator (issue 9): what a bad network does to a stream between
 * the platform and the client — jitter, a bandwidth cap, a stall of some seconds, a half-open
 * connection (bytes stop, no FIN, no RST) — applied to a share of the responses.
 *
 * They are proxy options, not profile fields: a profile is a host's documented limits, composed
 * layer by layer and matched by the diagnosis against its signature; a fault is a property of the
 * path to one client, random and hitting only some connections, and has no signature to match.
 */
import { z } from 'zod';
import { InvalidConfigError } from '../core/errors.js';
import { parseOrThrow } from '../core/validate.js';

/** A fault time past a day is a typo: every run is bounded by 24 h. */
export const MAX_FAULT_MS = 86_400_000;

const ms = z.number().min(0).max(MAX_FAULT_MS);
const bytes = z.number().int().min(0);

export const networkFaultsSchema = z
  .object({
    /** Up to this much random extra delay per chunk towards the client (and on the request), order kept. */
    jitterMs: z.number().min(0).max(10_000).default(0),
    /** Bytes per second towards the client, per response (a token bucket). */
    bandwidthBytesPerSecond: z.number().int().min(1).optional(),
    /** The stall starts this long after the request reached the platform... */
    stallAfterMs: ms.optional(),
    /** ...or once this many body bytes have left towards the client. */
    stallAfterBytes: bytes.optional(),
    /** For how long nothing leaves; then the bytes held back leave, in order. */
    stallMs: z.number().positive().max(MAX_FAULT_MS).optional(),
    /** From this long after the request, nothing more leaves: no bytes, no FIN, no RST... */
    halfOpenAfterMs: ms.optional(),
    /** ...or once this many body bytes have left. */
    halfOpenAfterBytes: bytes.optional(),
    /** The share of responses the faults above hit (each SSE stream is one response); 1: all. */
    faultRatio: z.number().min(0).max(1).default(1),
    /** Seeds the jitter, so a run can be repeated. */
    seed: z.number().int().optional(),
  })
  .strict()
  .superRefine((faults, ctx) => {
    const stallAfter = faults.stallAfterMs !== undefined || faults.stallAfterBytes !== undefined;
    if (faults.stallAfterMs !== undefined && faults.stallAfterBytes !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['stallAfterBytes'], message: 'give stallAfterMs or stallAfterBytes, not both' });
    }
    if (stallAfter && faults.stallMs === undefined) ctx.addIssue({ code: 'custom', path: ['stallMs'], message: 'required with stallAfterMs or stallAfterBytes (how long the stall lasts)' });
    if (!stallAfter && faults.stallMs !== undefined) ctx.addIssue({ code: 'custom', path: ['stallAfterMs'], message: 'stallMs needs stallAfterMs or stallAfterBytes (when the stall starts)' });
    if (faults.halfOpenAfterMs !== undefined && faults.halfOpenAfterBytes !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['halfOpenAfterBytes'], message: 'give halfOpenAfterMs or halfOpenAfterBytes, not both' });
    }
  });

export type NetworkFaults = z.infer<typeof networkFaultsSchema>;
export type NetworkFaultsInput = z.input<typeof networkFaultsSchema>;

export function parseNetworkFaults(input: unknown): NetworkFaults {
  return parseOrThrow(networkFaultsSchema, input ?? {}, 'network faults');
}

/** Whether any fault is set (a ratio alone hits nothing). */
export function hasFaults(faults: NetworkFaults): boolean {
  return (
    faults.jitterMs > 0 ||
    faults.bandwidthBytesPerSecond !== undefined ||
    faults.stallMs !== undefined ||
    faults.halfOpenAfterMs !== undefined ||
    faults.halfOpenAfterBytes !== undefined
  );
}

/**
 * The fault times scaled like the profile's limits (`--time-scale 0.1`: a stall after 50 s for 100 s
 * becomes one after 5 s for 10 s). Jitter, a property of the network rather than a scenario's time,
 * is not scaled, as `addedDelayMs` is not; bytes and rates are not times.
 */
export function scaleFaults(faults: NetworkFaults, timeScale: number): NetworkFaults {
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new InvalidConfigError('time scale', [`timeScale: must be a positive number, got ${timeScale}`]);
  }
  if (timeScale === 1) return faults;
  const scale = (value: number | undefined): number | undefined => (value === undefined ? undefined : Math.round(value * timeScale));
  const scaled: NetworkFaults = { ...faults };
  const stallAfterMs = scale(faults.stallAfterMs);
  const stallMs = scale(faults.stallMs);
  const halfOpenAfterMs = scale(faults.halfOpenAfterMs);
  if (stallAfterMs !== undefined) scaled.stallAfterMs = stallAfterMs;
  if (stallMs !== undefined) scaled.stallMs = Math.max(1, stallMs);
  if (halfOpenAfterMs !== undefined) scaled.halfOpenAfterMs = halfOpenAfterMs;
  return scaled;
}

/**
 * Picks which responses the faults hit: exactly `ratio` of them, spread evenly in arrival order
 * (with 0.5, every second response), so a run is repeatable without a seed.
 */
export function createFaultSelector(ratio: number): () => boolean {
  let seen = 0;
  // The epsilon keeps 0.3 × 10 from reading as 2.999…
  const hits = (n: number): number => Math.floor(n * ratio + 1e-9);
  return () => {
    seen++;
    return hits(seen) > hits(seen - 1);
  };
}


const SIZE_UNITS: Readonly<Record<string, number>> = { B: 1, kB: 1_000, KB: 1_000, KiB: 1_024, MB: 1_000_000, MiB: 1_048_576, kbit: 125, Mbit: 125_000 };
const SIZE = /^(\d+(?:\.\d+)?)\s*(B|kB|KB|KiB|MB|MiB|kbit|Mbit)?$/;

/** `4096`, `512B`, `64kB`, `1MiB`, `2Mbit`: whole bytes, or `undefined` when it is not a size. */
export function parseByteSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]) * (SIZE_UNITS[match[2] ?? 'B'] as number);
  return Number.isFinite(value) ? Math.round(value) : undefined;
}

/** `10kB/s`, `1Mbit/s`, `2000` (bytes per second; the `/s` may be left off). */
export function parseByteRate(text: string): number | undefined {
  return parseByteSize(text.trim().replace(/\/s$/, ''));
}

/** `10kB/s`, for logs. */
export function formatByteRate(bytesPerSecond: number): string {
  if (bytesPerSecond >= 1_000_000) return `${+(bytesPerSecond / 1_000_000).toFixed(2)}MB/s`;
  if (bytesPerSecond >= 1_000) return `${+(bytesPerSecond / 1_000).toFixed(2)}kB/s`;
  return `${bytesPerSecond}B/s`;
}
