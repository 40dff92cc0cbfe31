/**
 * `streamsoak proxy --upstream URL --profile NAME[,NAME] [--profile-file F] [--port N] [--host H]
 * [--time-scale X] [--delay D]`: the platform simulator in front of an upstream, until Ctrl-C.
 */
import { formatDurationMs } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import type { PlatformProfile } from '../../core/platform-profile.js';
import { resolveProfiles, startPlatformProxy } from '../../platform/index.js';
import { parseArgsOrUsage, parseDurationFlag, parseIntegerFlag, parsePositiveNumberFlag } from '../args.js';
import { EXIT, println, type CliIo } from '../io.js';

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
  --delay D             add D of one-way network delay each way (e.g. 40ms): a remote host on loopback`;

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

  const profiles = await resolveProfiles(names, values['profile-file']);
  const proxy = await startPlatformProxy({
    upstream: values.upstream,
    profiles,
    port,
    ...(values.host === undefined ? {} : { host: values.host }),
    timeScale,
    addedDelayMs,
    signal: io.signal,
  });
  println(io.stdout, `streamsoak proxy: ${proxy.url} → ${values.upstream}${addedDelayMs > 0 ? ` (+${formatDurationMs(addedDelayMs)} each way)` : ''}`);
  println(io.stdout, describeProfile(proxy.profile, timeScale));
  println(io.stdout, 'Ctrl-C to stop.');

  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await proxy.close();
  const stats = proxy.stats();
  println(io.stdout, `streamsoak proxy: stopped after ${stats.requests} requests (${stats.cut} cut by the time limit, ${stats.idleTimeouts} idle timeouts, ${stats.refused} refused)`);
  return EXIT.interrupted;
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
