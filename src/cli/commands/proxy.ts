/**
 * `streamsoak proxy --upstream URL --profile NAME[,NAME] [--profile-file F] [--port N] [--host H]
 * [--time-scale X] [--delay D] [network faults]`: the platform simulator in front of an upstream,
 * until Ctrl-C.
 */
import { formatDurationMs, parseDurationMs } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import type { PlatformProfile } from '../../core/platform-profile.js';
import { MAX_FAULT_MS, formatByteRate, parseByteRate, parseByteSize, resolveProfiles, startPlatformProxy, type NetworkFaults, type NetworkFaultsInput } from '../../platform/index.js';
import { parseArgsOrUsage, parseDurationFlag, parseIntegerFlag, parsePositiveNumberFlag } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { println, type CliIo } from '../io.js';

const HELP = `usage: streamsoak proxy --upstream URL --profile NAME[,NAME] [options]

Runs the platform simulator: an HTTP proxy that streams the upstream through and applies the
profiles' limits (time limit, idle timeout, buffering, connection cap, CORS, stripped headers).
Profiles are listed from the client towards the upstream.

options:
  --upstream URL        the server to proxy (http://127.0.0.1:8080)
  --profile NAMES       vercel-hobby, vercel-pro, netlify, nginx-default, cdn-buffering, self-hosted,
                        or a name from --profile-file; several separated by commas
  --profile-file FILE   custom profiles (YAML or JSON: one profile, a list, or { profiles: [...] })
  --port N              port to listen on (default 8090; 0 picks a free one)
  --host H              address to listen on (default 127.0.0.1)
  --time-scale X        multiply every time limit by X (0.1: vercel-hobby cuts at 1 s)
  --delay D             add D of one-way network delay each way (e.g. 40ms): a remote host on loopback

network faults (towards the client; stall and half-open times follow --time-scale):
  --jitter D            up to D of random extra delay per chunk, chunks still in order (e.g. 20ms)
  --bandwidth RATE      cap each response at RATE (e.g. 10kB/s, 1Mbit/s; a bare number is bytes/s)
  --stall-after D|SIZE  after D (from the request) or SIZE bytes (e.g. 64kB) nothing is forwarded...
  --stall D             ...for D, then the held bytes go on; the connection stays up
  --half-open-after D|SIZE  then nothing more is sent, no FIN, no RST: only the client's idle
                        timeout ends the stream (a dead NAT entry, a pulled cable)
  --fault-ratio X       share of the responses the faults hit, 0 to 1 (default 1; 0.5: every second)
  --fault-seed N        seed of the jitter, to repeat a run`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgsOrUsage(
    {
      args,
      options: {
        upstream: { type: 'string' },
        profile: { type: 'string', multiple: true },
        'profile-file': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'time-scale': { type: 'string' },
        delay: { type: 'string' },
        jitter: { type: 'string' },
        bandwidth: { type: 'string' },
        'stall-after': { type: 'string' },
        stall: { type: 'string' },
        'half-open-after': { type: 'string' },
        'fault-ratio': { type: 'string' },
        'fault-seed': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    },
    HELP,
  );
  if (values.help) {
    println(io.stdout, HELP);
    return EXIT.ok;
  }
  if (values.upstream === undefined) throw new UsageError(`--upstream is required\n\n${HELP}`);
  const names = values.profile ?? [];
  if (names.length === 0 && values['profile-file'] === undefined) throw new UsageError(`--profile is required\n\n${HELP}`);
  const port = values.port === undefined ? 8090 : parseIntegerFlag('--port', values.port, { max: 65535 });
  const timeScale = values['time-scale'] === undefined ? 1 : parsePositiveNumberFlag('--time-scale', values['time-scale']);

  // Ten seconds is far past any network's one-way delay; more is a typo for a time limit.
  const addedDelayMs = values.delay === undefined ? 0 : parseDurationFlag('--delay', values.delay, { maxMs: 10_000 });

  const faults = parseFaultFlags(values);

  const profiles = await resolveProfiles(names, values['profile-file']);
  const proxy = await startPlatformProxy({
    upstream: values.upstream,
    profiles,
    port,
    ...(values.host === undefined ? {} : { host: values.host }),
    timeScale,
    addedDelayMs,
    faults,
    signal: io.signal,
  });
  println(io.stdout, `streamsoak proxy: ${proxy.url} → ${values.upstream}${addedDelayMs > 0 ? ` (+${formatDurationMs(addedDelayMs)} each way)` : ''}`);
  println(io.stdout, describeProfile(proxy.profile, timeScale));
  const faultLines = describeFaults(proxy.faults);
  if (faultLines !== undefined) println(io.stdout, faultLines);
  println(io.stdout, 'Ctrl-C to stop.');

  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await proxy.close();
  const stats = proxy.stats();
  const faulted = faultLines === undefined ? '' : `; faults hit ${stats.faulted}: ${stats.stalls} stalled, ${stats.halfOpen} went half-open`;
  println(io.stdout, `streamsoak proxy: stopped after ${stats.requests} requests (${stats.cut} cut by the time limit, ${stats.idleTimeouts} idle timeouts, ${stats.refused} refused${faulted})`);
  return EXIT.interrupted;
}

type FaultFlags = Partial<Record<'jitter' | 'bandwidth' | 'stall-after' | 'stall' | 'half-open-after' | 'fault-ratio' | 'fault-seed', string>>;

/** The fault flags as proxy options; a bad value is a UsageError naming its flag (exit 2). */
export function parseFaultFlags(values: FaultFlags): NetworkFaultsInput {
  const faults: NetworkFaultsInput = {};
  // Ten seconds of jitter is past any network; more is a typo for a stall.
  if (values.jitter !== undefined) faults.jitterMs = parseDurationFlag('--jitter', values.jitter, { maxMs: 10_000 });
  if (values.bandwidth !== undefined) {
    const rate = parseByteRate(values.bandwidth);
    if (rate === undefined || rate < 1) throw new UsageError(`--bandwidth ${values.bandwidth}: expected a rate of at least 1 byte per second (e.g. 10kB/s, 1Mbit/s, 2000)`);
    faults.bandwidthBytesPerSecond = rate;
  }
  if (values['stall-after'] !== undefined) {
    const after = parseAfterFlag('--stall-after', values['stall-after']);
    if ('bytes' in after) faults.stallAfterBytes = after.bytes;
    else faults.stallAfterMs = after.ms;
  }
  if (values.stall !== undefined) faults.stallMs = parseDurationFlag('--stall', values.stall, { minMs: 1, maxMs: MAX_FAULT_MS });
  if ((faults.stallMs === undefined) !== (values['stall-after'] === undefined)) {
    throw new UsageError(values.stall === undefined ? '--stall-after needs --stall (how long nothing is forwarded)' : '--stall needs --stall-after (when the stall starts)');
  }
  if (values['half-open-after'] !== undefined) {
    const after = parseAfterFlag('--half-open-after', values['half-open-after']);
    if ('bytes' in after) faults.halfOpenAfterBytes = after.bytes;
    else faults.halfOpenAfterMs = after.ms;
  }
  if (values['fault-ratio'] !== undefined) {
    const ratio = Number(values['fault-ratio']);
    if (values['fault-ratio'].trim() === '' || !(ratio >= 0 && ratio <= 1)) throw new UsageError(`--fault-ratio ${values['fault-ratio']}: expected a number from 0 to 1`);
    faults.faultRatio = ratio;
  }
  if (values['fault-seed'] !== undefined) faults.seed = parseIntegerFlag('--fault-seed', values['fault-seed'], { max: 2 ** 32 - 1 });
  return faults;
}

/** `5s` (a duration from the request) or `64kB` (a size: its unit ends in B or bit). */
function parseAfterFlag(flag: string, text: string): { ms: number } | { bytes: number } {
  if (/(B|bit)$/.test(text.trim())) {
    const bytes = parseByteSize(text);
    if (bytes === undefined) throw new UsageError(`${flag} ${text}: expected a duration (e.g. 5s) or a size (e.g. 64kB)`);
    return { bytes };
  }
  const ms = parseDurationMs(text);
  if (ms === undefined || ms > MAX_FAULT_MS) throw new UsageError(`${flag} ${text}: expected a duration up to 24h (e.g. 5s) or a size (e.g. 64kB)`);
  return { ms };
}

/** The faults in force, for the log; `undefined` when there are none. */
export function describeFaults(faults: NetworkFaults): string | undefined {
  const lines: string[] = [];
  if (faults.jitterMs > 0) lines.push(`  jitter        up to ${formatDurationMs(faults.jitterMs)} per chunk, in order`);
  if (faults.bandwidthBytesPerSecond !== undefined) lines.push(`  bandwidth     ${formatByteRate(faults.bandwidthBytesPerSecond)} per response`);
  if (faults.stallMs !== undefined) {
    const after = faults.stallAfterBytes === undefined ? formatDurationMs(faults.stallAfterMs ?? 0) : `${faults.stallAfterBytes} bytes`;
    lines.push(`  stall         ${formatDurationMs(faults.stallMs)} after ${after}`);
  }
  if (faults.halfOpenAfterMs !== undefined) lines.push(`  half-open     after ${formatDurationMs(faults.halfOpenAfterMs)}: no more bytes, no FIN`);
  if (faults.halfOpenAfterBytes !== undefined) lines.push(`  half-open     after ${faults.halfOpenAfterBytes} bytes: no more bytes, no FIN`);
  if (lines.length === 0) return undefined;
  const share = faults.faultRatio === 1 ? 'every response' : `${+(faults.faultRatio * 100).toFixed(2)}% of the responses`;
  return [`network faults (${share}):`, ...lines].join('\n');
}

export function describeProfile(profile: PlatformProfile, timeScale: number): string {
  const scaled = timeScale === 1 ? '' : ` (time scale ×${timeScale})`;
  const buffering =
    profile.buffering === 'none'
      ? 'none'
      : profile.buffering === 'until_close'
        ? 'until the response ends'
        : `until ${profile.buffering.untilBytes} bytes`;
  const lines = [
    `profile ${profile.name}${scaled}:`,
    `  time limit    ${profile.maxDurationMs === undefined ? 'none' : formatDurationMs(profile.maxDurationMs)}`,
    `  idle timeout  ${profile.idleTimeoutMs === undefined ? 'none' : formatDurationMs(profile.idleTimeoutMs)}`,
    `  buffering     ${buffering}${profile.buffering !== 'none' && profile.honourAccelBuffering ? ' (off when the upstream sends X-Accel-Buffering: no)' : ''}`,
    `  connections   ${profile.maxConnections === undefined ? 'no cap' : `${profile.maxConnections}, then ${profile.refusal.status}`}`,
    `  CORS          ${typeof profile.cors === 'string' ? profile.cors : `rewritten to ${profile.cors.allowOrigin}`}`,
  ];
  if (profile.stripResponseHeaders.length > 0) lines.push(`  strips        ${profile.stripResponseHeaders.join(', ')}`);
  lines.push(`  source        ${profile.source}`);
  return lines.join('\n');
}
