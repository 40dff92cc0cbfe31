/**
 * The failures the troubleshooting guide describes, as signatures the diagnosis and `doctor` match
 * measurements against, with the guide's remedy for each (our words, its facts). What a platform's
 * limit is called and what to do about it come from the platform facts; the findings for a time
 * limit and an idle timeout are built here, once, for both.
 */
import { formatLimitValue, PLATFORM_FACTS, WEBSOCKET_SERVICES, type PlatformFacts, type PlatformLimit } from '../core/platform-facts.js';
import type { Finding } from '../results/schema.js';

/** How far a measured cut may sit from a profile's limit and still be that limit. */
export function limitToleranceMs(limitMs: number): number {
  // Wide enough for connection set-up and a busy event loop on a shared load machine; the
  // platforms it tells apart (10 s, 26 s, 60 s, 300 s) are far wider apart.
  return Math.max(250, limitMs * 0.04);
}

/** A simulated platform's limit that a measurement matched: `platform` is its profile name. */
export interface KnownLimit {
  platform: string;
  limit: PlatformLimit;
}

/** The simulated platform whose (time-scaled) limit of `kind` the measured time matches, if any. */
export function matchKnownLimit(
  kind: 'max_duration' | 'idle_timeout',
  observedMs: number,
  timeScale = 1,
  facts: readonly PlatformFacts[] = PLATFORM_FACTS,
): KnownLimit | undefined {
  let best: { match: KnownLimit; distance: number } | undefined;
  for (const entry of facts) {
    if (!entry.simulated) continue;
    const limit = entry.limits.find((candidate) => candidate.kind === kind);
    if (limit === undefined) continue;
    const scaled = limit.valueMs * timeScale;
    const distance = Math.abs(observedMs - scaled);
    if (distance <= limitToleranceMs(scaled) && (best === undefined || distance < best.distance)) {
      best = { match: { platform: entry.name, limit }, distance };
    }
  }
  return best?.match;
}

/** What a time-scaled measurement is at full scale: ` (time scale ×0.1: 10.0 s on the real platform)`. */
export function scaleNote(timeScale: number, ms: number): string {
  return timeScale === 1 ? '' : ` (time scale ×${timeScale}: ${formatSeconds(ms / timeScale)} on the real platform)`;
}

/** The guide's remedy for a time limit that matches no known platform (Issue 1 and the decision tree). */
export const TIME_LIMIT_REMEDY = `something ends responses at a fixed age (a function time limit or a proxy's): raise that limit if the platform allows it (Vercel Pro: \`maxDuration\`), make sure clients reconnect with \`Last-Event-ID\`, self-host the stream, or move to ${WEBSOCKET_SERVICES}`;

export interface LimitFindingInput {
  /** The measured time (time-scaled when the run was): the age at the cut, or the silence before it. */
  measuredMs: number;
  timeScale: number;
  /** The known limit it matched, if any. */
  match: KnownLimit | undefined;
  /** What was measured, in the caller's words (a cluster of streams, or one probe). */
  evidence: string;
}

/**
 * Streams cut at one age: a time limit. The age is measured from the request, since a platform's
 * clock starts when the request reaches it.
 */
export function createTimeLimitFinding({ measuredMs, timeScale, match, evidence }: LimitFindingInput): Finding {
  const real = formatSeconds(measuredMs / timeScale);
  const platform = match ? `a ${real} function limit, as on ${match.limit.label}` : `a ${real} time limit`;
  return {
    kind: 'time_limit',
    severity: 'problem',
    title: `Streams are cut ${formatSeconds(measuredMs)} after they were requested: ${platform}`,
    evidence,
    remedy: match?.limit.remedy ?? TIME_LIMIT_REMEDY,
    ...(match ? { profile: match.platform } : {}),
  };
}

/** Streams cut after one silence, whatever their age: an idle timeout. */
export function createIdleTimeoutFinding({ measuredMs, timeScale, match, evidence }: LimitFindingInput): Finding {
  return {
    kind: 'idle_timeout',
    severity: 'problem',
    title: `Streams are cut after ${formatSeconds(measuredMs)} without a byte: an idle timeout${match ? `, as ${match.limit.label} (${formatLimitValue(match.limit)})` : ''}`,
    evidence,
    remedy: match?.limit.remedy ?? idleTimeoutRemedy(measuredMs / timeScale),
    ...(match ? { profile: match.platform } : {}),
  };
}

export function idleTimeoutRemedy(silenceMs: number): string {
  return (
    `send an SSE comment heartbeat (a line such as \`: ping\`) more often than every ${formatSeconds(silenceMs)} — the reference server sends one every 15 s — ` +
    'or raise the timeout of the layer that cuts (nginx: `proxy_read_timeout` in the location of the stream)'
  );
}

export const BURST_BUFFERING_REMEDY =
  'a proxy is buffering the stream: send `X-Accel-Buffering: no` (nginx honours it) and `Cache-Control: no-cache, no-transform` from the SSE route, ' +
  'or set `proxy_buffering off` for that location; check that no layer strips the header on the way (a CDN, another proxy)';

export const CLOSE_BUFFERING_REMEDY =
  'a CDN or optimiser holds the response until it ends: bypass the cache for the SSE path (Cloudflare: a cache rule that bypasses /api/calls/events, and Rocket Loader off; other CDNs: a cache bypass rule), ' +
  'and send `Cache-Control: no-cache, no-transform` and no `Content-Encoding`';

export const CONNECTION_CAP_REMEDY =
  'the platform caps concurrent connections: open one stream per user (share it between tabs and components), close streams that have been idle for 5 minutes, ' +
  `raise the plan's concurrency limit, or move high-traffic apps to ${WEBSOCKET_SERVICES}`;

export function corsRemedy(origin: string | undefined): string {
  return (
    `answer the stream (and its OPTIONS preflight) with \`Access-Control-Allow-Origin: ${origin ?? 'https://your-frontend-domain.com'}\` ` +
    'and `Access-Control-Allow-Credentials: true` when the front end sends cookies; a `*` origin is refused with credentials; check that no proxy strips these headers'
  );
}

export const HARNESS_REMEDY =
  'this is the load generator, not the target: raise the open-file limit (`ulimit -n`), run more worker processes, or spread connections over more loopback source addresses';

/** `10.0 s`, `1.00 s` below 2 s (time-scaled runs), `250 ms` below 1 s. */
export function formatSeconds(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1_000).toFixed(ms < 2_000 ? 2 : 1)} s`;
}

/** `10.0 ± 0.1 s` */
export function formatSecondsSpread(centerMs: number, spreadMs: number): string {
  if (centerMs < 1_000) return `${Math.round(centerMs)} ± ${Math.max(1, Math.round(spreadMs))} ms`;
  const digits = centerMs < 2_000 ? 2 : 1;
  const minimum = 10 ** -digits;
  return `${(centerMs / 1_000).toFixed(digits)} ± ${Math.max(minimum, spreadMs / 1_000).toFixed(digits)} s`;
}

export function percent(part: number, whole: number): string {
  if (whole === 0) return '0%';
  const value = (100 * part) / whole;
  return `${value >= 99.5 && part < whole ? 99 : Math.round(value)}%`;
}
