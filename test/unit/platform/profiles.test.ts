import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../src/core/errors.js';
import { BUILT_IN_PROFILES, type PlatformProfile } from '../../../src/core/platform-profile.js';
import { composeProfiles, loadProfileFile, parseProfileFile, resolveProfiles, scaleProfile } from '../../../src/platform/index.js';

const builtIn = (name: string): PlatformProfile => BUILT_IN_PROFILES.get(name) as PlatformProfile;

describe('built-in profiles', () => {
  it.each([
    ['vercel-hobby', 10_000],
    ['vercel-pro', 300_000],
    ['netlify', 26_000],
  ])('%s cuts streams at %i ms and cites where that comes from', (name, limit) => {
    expect(builtIn(name).maxDurationMs).toBe(limit);
    expect(builtIn(name).source).toMatch(/guide/);
  });

  it('models stock nginx: 4 KiB buffering that X-Accel-Buffering: no turns off, and a 60 s read timeout', () => {
    expect(builtIn('nginx-default')).toMatchObject({ idleTimeoutMs: 60_000, buffering: { untilBytes: 4096 }, honourAccelBuffering: true });
  });
});

describe('composeProfiles', () => {
  it('keeps the tightest limits and the strongest buffering', () => {
    const composed = composeProfiles([builtIn('cdn-buffering'), builtIn('vercel-hobby'), builtIn('nginx-default')]);
    expect(composed).toMatchObject({ name: 'cdn-buffering+vercel-hobby+nginx-default', maxDurationMs: 10_000, idleTimeoutMs: 60_000, buffering: 'until_close' });
    // The CDN does not honour X-Accel-Buffering, so the composition does not either.
    expect(composed.honourAccelBuffering).toBe(false);
  });

  it('keeps the cap and refusal of the tightest capped layer', () => {
    const a = { ...builtIn('self-hosted'), name: 'a', maxConnections: 50, refusal: { status: 429, body: 'a', headers: {} } };
    const b = { ...builtIn('self-hosted'), name: 'b', maxConnections: 10, refusal: { status: 503, body: 'b', headers: {} } };
    expect(composeProfiles([a, b])).toMatchObject({ maxConnections: 10, refusal: { status: 503, body: 'b' } });
  });

  it('lets the layer nearest the client decide CORS', () => {
    const strip = { ...builtIn('self-hosted'), name: 'strip', cors: 'strip' as const };
    const rewrite = { ...builtIn('self-hosted'), name: 'rewrite', cors: { allowOrigin: 'https://a.example', allowCredentials: false } };
    expect(composeProfiles([strip, rewrite]).cors).toBe('strip');
    expect(composeProfiles([rewrite, strip]).cors).toEqual(rewrite.cors);
  });
});

describe('scaleProfile', () => {
  it('shrinks time limits and leaves byte thresholds alone', () => {
    expect(scaleProfile(builtIn('vercel-hobby'), 0.1).maxDurationMs).toBe(1_000);
    expect(scaleProfile(builtIn('nginx-default'), 0.01)).toMatchObject({ idleTimeoutMs: 600, buffering: { untilBytes: 4096 } });
  });

  it('rejects a time scale that is not a positive number', () => {
    expect(() => scaleProfile(builtIn('netlify'), 0)).toThrow(InvalidConfigError);
  });
});

describe('resolveProfiles and loadProfileFile', () => {
  it('resolves comma-separated built-in names in order', async () => {
    const profiles = await resolveProfiles(['cdn-buffering,vercel-hobby']);
    expect(profiles.map((p) => p.name)).toEqual(['cdn-buffering', 'vercel-hobby']);
  });

  it('names the unknown profile and lists the known ones', async () => {
    await expect(resolveProfiles(['vercel-hobbby'])).rejects.toThrow(/"vercel-hobbby" is not a profile; known: vercel-hobby/);
  });

  it('loads custom profiles from a YAML file and lets them be used by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'streamsoak-profiles-'));
    const file = join(dir, 'p.yaml');
    await writeFile(file, 'profiles:\n  - name: render-free\n    description: Render free tier\n    source: my notes\n    maxDurationMs: 100000\n    maxConnections: 5\n');
    const [profile] = await resolveProfiles(['render-free', 'netlify'], file);
    expect(profile).toMatchObject({ name: 'render-free', maxDurationMs: 100_000, maxConnections: 5, buffering: 'none' });
    expect((await loadProfileFile(file)).length).toBe(1);
  });

  it('names every bad field of an invalid custom profile', () => {
    try {
      parseProfileFile(JSON.stringify({ name: 'Bad Name', description: 'x', source: 'y', maxDurationMs: -1, buffering: 'sometimes' }));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidConfigError);
      const issues = (error as InvalidConfigError).issues.join('\n');
      expect(issues).toMatch(/^name:/m);
      expect(issues).toMatch(/^maxDurationMs:/m);
      expect(issues).toMatch(/^buffering:/m);
    }
  });

  it('reports a file that cannot be read as invalid config', async () => {
    await expect(loadProfileFile('/nonexistent/streamsoak.yaml')).rejects.toThrow(InvalidConfigError);
  });
});
