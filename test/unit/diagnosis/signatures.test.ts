import { describe, expect, it } from 'vitest';
import { findLimit } from '../../../src/core/platform-facts.js';
import {
  createIdleTimeoutFinding,
  createTimeLimitFinding,
  idleTimeoutRemedy,
  matchKnownLimit,
  TIME_LIMIT_REMEDY,
} from '../../../src/diagnosis/signatures.js';

describe('matchKnownLimit', () => {
  it.each([
    ['max_duration', 10_030, 1, 'vercel-hobby'],
    ['max_duration', 26_000 * 0.05, 0.05, 'netlify'],
    ['max_duration', 299_000, 1, 'vercel-pro'],
    ['idle_timeout', 60_400, 1, 'nginx-default'],
  ] as const)('reads a %s of %i ms (×%d) as %s', (kind, observedMs, timeScale, platform) => {
    expect(matchKnownLimit(kind, observedMs, timeScale)?.platform).toBe(platform);
  });

  it('matches only the simulator’s platforms, never the adapters’ 2026 ones (Netlify’s 60 s)', () => {
    expect(matchKnownLimit('max_duration', 60_000)).toBeUndefined();
    expect(matchKnownLimit('max_duration', 17_000)).toBeUndefined();
  });
});

describe('the time-limit finding', () => {
  it('names the cut from the request, the platform and its remedy as the platform facts give them', () => {
    const finding = createTimeLimitFinding({ measuredMs: 10_020, timeScale: 1, match: matchKnownLimit('max_duration', 10_020), evidence: 'e' });
    expect(finding).toEqual({
      kind: 'time_limit',
      severity: 'problem',
      title: 'Streams are cut 10.0 s after they were requested: a 10.0 s function limit, as on Vercel Hobby',
      evidence: 'e',
      remedy: findLimit('vercel-hobby', 'max_duration').remedy,
      profile: 'vercel-hobby',
    });
  });

  it('says the full-scale limit of a time-scaled cut', () => {
    const finding = createTimeLimitFinding({ measuredMs: 1_300, timeScale: 0.05, match: matchKnownLimit('max_duration', 1_300, 0.05), evidence: 'e' });
    expect(finding.title).toBe('Streams are cut 1.30 s after they were requested: a 26.0 s function limit, as on Netlify');
  });

  it('gives the general remedy, and no platform, for a cut at no known limit', () => {
    const finding = createTimeLimitFinding({ measuredMs: 17_000, timeScale: 1, match: undefined, evidence: 'e' });
    expect(finding.title).toBe('Streams are cut 17.0 s after they were requested: a 17.0 s time limit');
    expect(finding.remedy).toBe(TIME_LIMIT_REMEDY);
    expect(finding).not.toHaveProperty('profile');
  });
});

describe('the idle-timeout finding', () => {
  it("names nginx's default proxy_read_timeout with its value from the platform facts", () => {
    const finding = createIdleTimeoutFinding({ measuredMs: 1_200, timeScale: 0.02, match: matchKnownLimit('idle_timeout', 1_200, 0.02), evidence: 'e' });
    expect(finding).toEqual({
      kind: 'idle_timeout',
      severity: 'problem',
      title: "Streams are cut after 1.20 s without a byte: an idle timeout, as nginx's default proxy_read_timeout (60 s)",
      evidence: 'e',
      remedy: idleTimeoutRemedy(60_000),
      profile: 'nginx-default',
    });
  });

  it('names no platform for a silence at no known limit', () => {
    const finding = createIdleTimeoutFinding({ measuredMs: 3_000, timeScale: 1, match: undefined, evidence: 'e' });
    expect(finding.title).toBe('Streams are cut after 3.0 s without a byte: an idle timeout');
    expect(finding).not.toHaveProperty('profile');
  });
});
