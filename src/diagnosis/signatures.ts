/**
 * The failures the troubleshooting guide describes, as signatures the diagnosis and `doctor` match
 * measurements against, with the guide's remedy for each (our words, its facts).
 */
import { BUILT_IN_PROFILES, type PlatformProfile } from '../core/platform-profile.js';

/** How far a measured cut may sit from a profile's limit and still be that limit. */
export function limitToleranceMs(limitMs: number): number {
  // Wide enough for connection set-up and a busy event loop on a shared load machine; the
  // platforms it tells apart (10 s, 26 s, 60 s, 300 s) are far wider apart.
  return Math.max(250, limitMs * 0.04);
}

/** The built-in profile whose (time-scaled) limit of `kind` the measured time matches, if any. */
export function matchLimitProfile(kind: 'maxDurationMs' | 'idleTimeoutMs', observedMs: number, timeScale = 1): PlatformProfile | undefined {
  let best: { profile: PlatformProfile; distance: number } | undefined;
  for (const profile of BUILT_IN_PROFILES.values()) {
    const limit = profile[kind];
    if (limit === undefined) continue;
    const scaled = limit * timeScale;
    const distance = Math.abs(observedMs - scaled);
    if (distance <= limitToleranceMs(scaled) && (best === undefined || distance < best.distance)) best = { profile, distance };
  }
  return best?.profile;
}

/** The platform a matched time limit belongs to, as findings name it (`as on Vercel Hobby`). */
export function limitPlatformName(profileName: string | undefined): string | undefined {
  switch (profileName) {
    case 'vercel-hobby':
      return 'Vercel Hobby';
    case 'vercel-pro':
      return 'Vercel Pro with maxDuration = 300';
    case 'netlify':
      return 'Netlify';
    default:
      return undefined;
  }
}

/** What a time-scaled measurement is at full scale: ` (time scale ×0.1: 10.0 s on the real platform)`. */
export function scaleNote(timeScale: number, ms: number): string {
  return timeScale === 1 ? '' : ` (time scale ×${timeScale}: ${formatSeconds(ms / timeScale)} on the real platform)`;
}

const WEBSOCKET_SERVICES = 'a managed WebSocket service (Pusher, Ably, Supabase Realtime)';

/** The guide's remedy for a time limit, by the platform it matches (Issue 1 and the decision tree). */
export function timeLimitRemedy(profileName: string | undefined): string {
  switch (profileName) {
    case 'vercel-hobby':
      return `Vercel Hobby will not hold an SSE stream: upgrade to Vercel Pro and export \`maxDuration\` (up to 300 s) from the route, self-host the stream on a VPS, or move to ${WEBSOCKET_SERVICES}`;
    case 'vercel-pro':
      return `this is Vercel Pro's \`maxDuration\` ceiling (300 s): clients must reconnect, so keep EventSource's automatic reconnect and replay missed events from \`Last-Event-ID\`; for streams that must stay open, self-host or use ${WEBSOCKET_SERVICES}`;
    case 'netlify':
      return `Netlify functions stop after 26 s: the guide recommends ${WEBSOCKET_SERVICES}, or self-hosting the stream`;
    default:
      return `something ends responses at a fixed age (a function time limit or a proxy's): raise that limit if the platform allows it (Vercel Pro: \`maxDuration\`), make sure clients reconnect with \`Last-Event-ID\`, self-host the stream, or move to ${WEBSOCKET_SERVICES}`;
  }
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
