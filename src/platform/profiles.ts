/**
 * Finding, loading, composing and time-scaling platform profiles (the built-ins are the simulated
 * entries of `core/platform-facts.ts`). A list of profiles reads from the client towards the
 * upstream: `--profile cdn-buffering,vercel-hobby` is a CDN in front of a Vercel Hobby function.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { InvalidConfigError } from '../core/errors.js';
import { BUILT_IN_PROFILES, platformProfileSchema, type PlatformProfile } from '../core/platform-profile.js';
import { formatIssues } from '../core/validate.js';

const profileFileSchema = z.union([
  platformProfileSchema,
  z.array(platformProfileSchema).min(1),
  z.object({ profiles: z.array(platformProfileSchema).min(1) }).strict(),
]);

/**
 * Reads custom profiles from a YAML or JSON file: one profile, a list, or `{ profiles: [...] }`.
 * Throws `InvalidConfigError` naming every bad field.
 */
export async function loadProfileFile(path: string): Promise<PlatformProfile[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidConfigError(`profile file ${path}`, [`cannot be read: ${(error as Error).message}`], { cause: error });
  }
  return parseProfileFile(text, path);
}

export function parseProfileFile(text: string, where = 'profile file'): PlatformProfile[] {
  let value: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    value = parseYamlStrictly(text);
  } catch (error) {
    throw new InvalidConfigError(where, [`not YAML or JSON: ${(error as Error).message}`], { cause: error });
  }
  const parsed = profileFileSchema.safeParse(value);
  if (!parsed.success) {
    // The union's error is hard to read; report against the shape the file seems to use.
    const shape = Array.isArray(value)
      ? z.array(platformProfileSchema)
      : typeof value === 'object' && value !== null && 'profiles' in value
        ? z.object({ profiles: z.array(platformProfileSchema) }).strict()
        : platformProfileSchema;
    const again = shape.safeParse(value);
    throw new InvalidConfigError(where, again.success ? formatIssues(parsed.error) : formatIssues(again.error));
  }
  const data = parsed.data;
  return Array.isArray(data) ? data : 'profiles' in data ? data.profiles : [data];
}

/**
 * Looks profiles up by name among the built-ins and, when given, a custom file (whose profiles win
 * over a built-in of the same name). Names may be given as `a,b` in one string.
 */
export async function resolveProfiles(names: readonly string[], customFile?: string): Promise<PlatformProfile[]> {
  const custom = customFile === undefined ? [] : await loadProfileFile(customFile);
  return resolveProfileNames(names, custom);
}

export function resolveProfileNames(names: readonly string[], custom: readonly PlatformProfile[] = []): PlatformProfile[] {
  const known = new Map(BUILT_IN_PROFILES);
  for (const profile of custom) known.set(profile.name, profile);
  const wanted = names.flatMap((name) => name.split(',')).map((name) => name.trim()).filter((name) => name.length > 0);
  const unknown = wanted.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new InvalidConfigError(
      'profile',
      unknown.map((name) => `"${name}" is not a profile; known: ${[...known.keys()].join(', ')}`),
    );
  }
  if (wanted.length === 0 && custom.length > 0) return [...custom];
  return wanted.map((name) => known.get(name) as PlatformProfile);
}

/**
 * Several layers as one profile: the tightest limits win, the strongest buffering wins, the header
 * strips add up, and the layer nearest the client decides CORS (it acts last on the response). An
 * upstream `X-Accel-Buffering: no` still turns buffering off only if every buffering layer honours
 * it and no layer between it and the upstream strips the header first.
 *
 * The result's name joins the layers' names with `+`; it is not a valid profile name on purpose,
 * so a composition is never mistaken for a built-in.
 */
export function composeProfiles(profiles: readonly PlatformProfile[]): PlatformProfile {
  if (profiles.length === 0) return BUILT_IN_PROFILES.get('self-hosted') as PlatformProfile;
  if (profiles.length === 1) return profiles[0] as PlatformProfile;

  const minOf = (values: Array<number | undefined>): number | undefined => {
    const defined = values.filter((v): v is number => v !== undefined);
    return defined.length === 0 ? undefined : Math.min(...defined);
  };

  let buffering: PlatformProfile['buffering'] = 'none';
  for (const profile of profiles) {
    const b = profile.buffering;
    if (b === 'until_close' || buffering === 'until_close') buffering = 'until_close';
    else if (b !== 'none') buffering = buffering === 'none' ? b : { untilBytes: Math.min(buffering.untilBytes, b.untilBytes) };
  }

  let honourAccelBuffering = buffering !== 'none';
  profiles.forEach((profile, index) => {
    if (profile.buffering === 'none') return;
    const strippedUpstream = profiles
      .slice(index + 1)
      .some((nearer) => nearer.stripResponseHeaders.some((h) => h.toLowerCase() === 'x-accel-buffering'));
    if (!profile.honourAccelBuffering || strippedUpstream) honourAccelBuffering = false;
  });

  const capped = profiles.filter((p) => p.maxConnections !== undefined);
  const tightest = capped.reduce<PlatformProfile | undefined>(
    (best, p) => (best === undefined || (p.maxConnections as number) < (best.maxConnections as number) ? p : best),
    undefined,
  );

  const cors = profiles.find((p) => p.cors !== 'pass')?.cors ?? 'pass';
  const strip = [...new Set(profiles.flatMap((p) => p.stripResponseHeaders.map((h) => h.toLowerCase())))];
  const maxDurationMs = minOf(profiles.map((p) => p.maxDurationMs));
  const idleTimeoutMs = minOf(profiles.map((p) => p.idleTimeoutMs));

  return {
    name: profiles.map((p) => p.name).join('+'),
    description: profiles.map((p) => p.description).join(' Then: '),
    source: profiles.map((p) => `${p.name}: ${p.source}`).join(' | '),
    ...(maxDurationMs === undefined ? {} : { maxDurationMs }),
    ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
    buffering,
    honourAccelBuffering,
    ...(tightest === undefined ? {} : { maxConnections: tightest.maxConnections }),
    refusal: (tightest ?? (profiles[0] as PlatformProfile)).refusal,
    cors,
    stripResponseHeaders: strip,
  };
}

/**
 * Shrinks every time limit by `timeScale` (0.1: Vercel Hobby's 10 s becomes 1 s) so that long
 * limits can be tested in seconds. Byte thresholds and connection caps are not times: unchanged.
 */
export function scaleProfile(profile: PlatformProfile, timeScale: number): PlatformProfile {
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new InvalidConfigError('time scale', [`timeScale: must be a positive number, got ${timeScale}`]);
  }
  if (timeScale === 1) return profile;
  const scale = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.max(1, Math.round(ms * timeScale)));
  const maxDurationMs = scale(profile.maxDurationMs);
  const idleTimeoutMs = scale(profile.idleTimeoutMs);
  return {
    ...profile,
    ...(maxDurationMs === undefined ? {} : { maxDurationMs }),
    ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
  };
}

/**
 * YAML (and so JSON), where a warning is an error too: an unknown tag (`!custom`) would otherwise
 * be read as a plain string, and printed by the yaml package as a process warning.
 */
function parseYamlStrictly(text: string): unknown {
  const document = parseDocument(text);
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem) throw problem;
  return document.toJS();
}
