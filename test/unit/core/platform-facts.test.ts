/**
 * The platform facts are the one home of every platform limit the code knows: the simulator's
 * built-in profiles, the diagnosis's platform names and remedies, the report's lifetime marks and
 * the hosting adapters' time limits all read them. The last describe swaps the home for an altered
 * copy and checks that each of them follows: one that kept its own copy would not.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as Facts from '../../../src/core/platform-facts.js';
import {
  PLATFORM_FACTS,
  findLimit,
  findPlatformFacts,
  platformFactsListSchema,
  platformFactsSchema,
  type PlatformFacts,
  type PlatformFactsInput,
} from '../../../src/core/platform-facts.js';
import { BUILT_IN_PROFILES } from '../../../src/core/platform-profile.js';
import type { ConnectionRecord } from '../../../src/results/schema.js';
import { KNOWN_LIMITS_S } from '../../../src/report/html/data.js';
import { CLOUDFLARE, CLOUDFLARE_CPU_MS } from '../../../deploy/cloudflare/platform.js';
import { NETLIFY } from '../../../deploy/netlify/platform.js';
import { NEXTJS } from '../../../deploy/nextjs/lib/streamsoak.js';
import { VERCEL } from '../../../deploy/vercel/platform.js';

const FACTS_MODULE = '../../../src/core/platform-facts.js';

const entry = (overrides: Partial<PlatformFactsInput> = {}): PlatformFactsInput => ({
  name: 'example-host',
  description: 'A host for the test.',
  simulated: false,
  limits: [{ kind: 'max_duration', valueMs: 5_000, label: 'Example', source: { cite: 'its docs', readOn: '2026-11-27' } }],
  ...overrides,
});

describe('the platform facts', () => {
  it('hold the simulator’s six platforms first, then the 2026 platforms of the deploy adapters', () => {
    expect(PLATFORM_FACTS.map((facts) => [facts.name, facts.simulated])).toEqual([
      ['vercel-hobby', true],
      ['vercel-pro', true],
      ['netlify', true],
      ['nginx-default', true],
      ['cdn-buffering', true],
      ['self-hosted', true],
      ['netlify-functions-2026', false],
      ['vercel-hobby-fluid-2026', false],
      ['cloudflare-workers-2026', false],
    ]);
  });

  it('cite a dated source for every limit, and for every entry that has none', () => {
    for (const facts of PLATFORM_FACTS) {
      for (const limit of facts.limits) expect(limit.source.readOn, `${facts.name} ${limit.kind}`).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (facts.limits.length === 0) expect(facts.source?.cite, facts.name).toBeTruthy();
    }
  });

  it('keep the guide’s Netlify 26 s for the simulator beside the 60 s the adapter runs under', () => {
    expect(findLimit('netlify', 'max_duration').valueMs).toBe(26_000);
    expect(findLimit('netlify-functions-2026', 'max_duration').valueMs).toBe(60_000);
    expect(findLimit('vercel-hobby', 'max_duration').valueMs).toBe(10_000);
    expect(findLimit('vercel-hobby-fluid-2026', 'max_duration').valueMs).toBe(300_000);
  });

  it('refuse a limit without the day its source was read, and a kind given twice', () => {
    const undated = entry({ limits: [{ kind: 'max_duration', valueMs: 5_000, label: 'Example', source: { cite: 'its docs' } as never }] });
    expect(platformFactsSchema.safeParse(undated).success).toBe(false);
    const badDate = entry({ limits: [{ kind: 'max_duration', valueMs: 5_000, label: 'Example', source: { cite: 'its docs', readOn: 'last year' } }] });
    expect(platformFactsSchema.safeParse(badDate).success).toBe(false);
    const twice = entry({ limits: [...(entry().limits ?? []), ...(entry().limits ?? [])] });
    expect(platformFactsSchema.safeParse(twice).success).toBe(false);
    expect(platformFactsSchema.safeParse(entry({ limits: [] })).success).toBe(false);
    expect(platformFactsSchema.safeParse(entry()).success).toBe(true);
  });

  it('refuse a list that names one platform twice', () => {
    expect(platformFactsListSchema.safeParse([entry(), entry()]).success).toBe(false);
  });

  it('throw on a name or a limit they do not hold (a typo in code)', () => {
    expect(() => findPlatformFacts('vercel-hobbby')).toThrow(/no platform "vercel-hobbby"/);
    expect(() => findLimit('cdn-buffering', 'max_duration')).toThrow(RangeError);
  });
});

describe('what derives from the platform facts', () => {
  it('the simulator’s built-in profiles: the simulated entries, with their limits', () => {
    const simulated = PLATFORM_FACTS.filter((facts) => facts.simulated);
    expect([...BUILT_IN_PROFILES.keys()]).toEqual(simulated.map((facts) => facts.name));
    for (const facts of simulated) {
      const profile = BUILT_IN_PROFILES.get(facts.name);
      expect(profile?.maxDurationMs).toBe(facts.limits.find((limit) => limit.kind === 'max_duration')?.valueMs);
      expect(profile?.idleTimeoutMs).toBe(facts.limits.find((limit) => limit.kind === 'idle_timeout')?.valueMs);
      expect(profile?.buffering).toEqual(facts.buffering);
      for (const limit of facts.limits) expect(profile?.source).toContain(limit.source.cite);
    }
  });

  it('the report’s lifetime marks: the four limits flagged with a mark, shortest first', () => {
    expect(KNOWN_LIMITS_S).toEqual([
      { seconds: 10, label: 'Vercel Hobby 10 s' },
      { seconds: 26, label: 'Netlify 26 s' },
      { seconds: 60, label: 'nginx proxy_read_timeout 60 s' },
      { seconds: 300, label: 'Vercel Pro maxDuration 300 s' },
    ]);
    const marked = PLATFORM_FACTS.flatMap((facts) => facts.limits).filter((limit) => limit.mark !== undefined);
    expect(KNOWN_LIMITS_S.map((mark) => mark.seconds)).toEqual(marked.map((limit) => limit.valueMs / 1_000).sort((a, b) => a - b));
  });

  it('the deploy adapters’ time limits: the 2026 entries', () => {
    expect(NETLIFY.maxDurationSeconds).toBe(findLimit('netlify-functions-2026', 'max_duration').valueMs / 1_000);
    expect(VERCEL.maxDurationSeconds).toBe(findLimit('vercel-hobby-fluid-2026', 'max_duration').valueMs / 1_000);
    expect(NEXTJS.maxDurationSeconds).toBe(VERCEL.maxDurationSeconds);
    // Workers limit CPU time, not wall-clock time.
    expect(CLOUDFLARE.maxDurationSeconds).toBeNull();
    expect(CLOUDFLARE_CPU_MS).toBe(findLimit('cloudflare-workers-2026', 'cpu_time').valueMs);
  });
});

const T0 = 1_700_000_000_000;

/** `count` streams the target ended `lifeMs` after their request, receiving an event a second until then. */
function cutStreams(count: number, lifeMs: number): ConnectionRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const at = T0 + i * 37;
    const events = Math.floor(lifeMs / 1000);
    return {
      id: `w0-${i}`, client: i, attempt: 1, startedAt: at, openedAt: at + 5, lastByteAt: at + events * 1000, endedAt: at + lifeMs + ((i % 5) - 2) * 20,
      outcome: 'dropped', reason: 'server_closed', status: 200, contentType: 'text/event-stream',
      events, heartbeats: 0, lost: 0, duplicated: 0, eventReads: events, maxEventsPerRead: 1,
    };
  });
}

describe('with the platform facts altered', () => {
  /** Vercel Hobby at 12 s under other names, and the adapters' Netlify at 45 s. */
  function alter(facts: readonly PlatformFacts[]): PlatformFacts[] {
    return facts.map((entry) => {
      if (entry.name === 'vercel-hobby') {
        return { ...entry, limits: entry.limits.map((limit) => ({ ...limit, valueMs: 12_000, label: 'Altered Hobby', mark: 'Altered', remedy: 'the altered remedy' })) };
      }
      if (entry.name === 'netlify-functions-2026') return { ...entry, limits: entry.limits.map((limit) => ({ ...limit, valueMs: 45_000 })) };
      return entry;
    });
  }

  beforeEach(() => {
    // Modules imported from here on (each test imports its own) see the altered facts.
    vi.resetModules();
    vi.doMock(FACTS_MODULE, async (importOriginal) => {
      const actual = await importOriginal<typeof Facts>();
      const altered = alter(actual.PLATFORM_FACTS);
      return {
        ...actual,
        PLATFORM_FACTS: altered,
        findPlatformFacts: (name: string, facts = altered) => actual.findPlatformFacts(name, facts),
        findLimit: (name: string, kind: Facts.LimitKind, facts = altered) => actual.findLimit(name, kind, facts),
      };
    });
  });

  afterEach(() => {
    vi.doUnmock(FACTS_MODULE);
    vi.resetModules();
  });

  it('the simulator’s profiles follow', async () => {
    const { BUILT_IN_PROFILES: profiles } = await import('../../../src/core/platform-profile.js');
    const { resolveProfileNames } = await import('../../../src/platform/profiles.js');
    expect(profiles.get('vercel-hobby')?.maxDurationMs).toBe(12_000);
    expect(resolveProfileNames(['vercel-hobby'])[0]?.maxDurationMs).toBe(12_000);
  });

  it('the diagnosis and the doctor’s matching follow: the cut, the platform’s name and its remedy', async () => {
    const { diagnose } = await import('../../../src/diagnosis/diagnose.js');
    const { matchKnownLimit } = await import('../../../src/diagnosis/signatures.js');
    const [finding] = diagnose({ records: cutStreams(30, 12_000) });
    expect(finding).toMatchObject({ kind: 'time_limit', profile: 'vercel-hobby', remedy: 'the altered remedy' });
    expect(finding?.title).toBe('Streams are cut 12.0 s after they were requested: a 12.0 s function limit, as on Altered Hobby');
    // doctor/checks.ts matches through the same function.
    expect(matchKnownLimit('max_duration', 12_000)?.limit.label).toBe('Altered Hobby');
    expect(matchKnownLimit('max_duration', 10_000)).toBeUndefined();
  });

  it('the report’s lifetime marks follow', async () => {
    const { KNOWN_LIMITS_S: marks } = await import('../../../src/report/html/data.js');
    expect(marks[0]).toEqual({ seconds: 12, label: 'Altered 12 s' });
    expect(marks.map((mark) => mark.seconds)).not.toContain(10);
  });

  it('the hosting adapters’ time limits follow', async () => {
    const { NETLIFY: netlify } = await import('../../../deploy/netlify/platform.js');
    expect(netlify.maxDurationSeconds).toBe(45);
  });
});
