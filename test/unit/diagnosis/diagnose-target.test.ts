/**
 * What the diagnosis knows of the target — the Origin sent, the expected event interval, a
 * simulator's time scale — comes from the summary's typed `target`; explicit inputs override it,
 * and summaries written before it carried them still diagnose from their plan, as they did.
 */
import { describe, expect, it } from 'vitest';
import { diagnose, legacyTargetOf } from '../../../src/diagnosis/diagnose.js';
import { summarySchema, type ConnectionRecord, type Summary } from '../../../src/results/schema.js';
import { makeFixtureRun } from '../../fixtures/results/make-results.js';

const T0 = 1_700_000_000_000;

function record(i: number, lifeMs: number, overrides: Partial<ConnectionRecord> = {}): ConnectionRecord {
  return {
    id: `w0-${i}`,
    client: i,
    attempt: 1,
    startedAt: T0 + i * 13,
    openedAt: T0 + i * 13 + 5,
    lastByteAt: T0 + i * 13 + 5,
    endedAt: T0 + i * 13 + lifeMs,
    outcome: 'closed',
    reason: 'client_closed',
    status: 200,
    contentType: 'text/event-stream',
    events: 0,
    heartbeats: 0,
    lost: 0,
    duplicated: 0,
    eventReads: 0,
    maxEventsPerRead: 0,
    ...overrides,
  };
}

/** Open 8 s, no event: starved only if one was due (the expected interval is known). */
const starved = Array.from({ length: 10 }, (_, i) => record(i, 8_000));
/** Answered with another origin's CORS header: wrong only if the run's Origin is known. */
const otherOrigin = Array.from({ length: 4 }, (_, i) => record(i, 5_000, { corsAllowOrigin: 'https://other.example', events: 5, eventReads: 5, maxEventsPerRead: 1 }));
/** Cut at 1 s: Vercel Hobby's 10 s at time scale 0.1. */
const cutAtOneSecond = Array.from({ length: 20 }, (_, i) => record(i, 1_000 + (i % 3) * 10, { outcome: 'dropped', reason: 'server_closed', events: 1, eventReads: 1, maxEventsPerRead: 1 }));

const BASE = summarySchema.parse(makeFixtureRun().summary);

/** A summary whose `target` says `target` and whose plan says `plan`. */
function summaryWith(target: Partial<Summary['target']>, plan: unknown = { target: { baseUrl: BASE.target.baseUrl } }): Summary {
  return { ...structuredClone(BASE), harness: undefined, target: { baseUrl: BASE.target.baseUrl, ...target }, plan };
}

const kinds = (records: ConnectionRecord[], input: Omit<Parameters<typeof diagnose>[0], 'records'>): string[] => diagnose({ records, ...input }).map((f) => f.kind);

describe('diagnose reads the target from the summary', () => {
  it('takes the expected event interval from summary.target.expectedIntervalMs', () => {
    expect(kinds(starved, { summary: summaryWith({}) })).toEqual([]);
    expect(kinds(starved, { summary: summaryWith({ expectedIntervalMs: 1_000 }) })).toEqual(['buffering']);
  });

  it('takes the Origin the run sent from summary.target.origin', () => {
    expect(kinds(otherOrigin, { summary: summaryWith({}) })).toEqual([]);
    const [finding] = diagnose({ records: otherOrigin, summary: summaryWith({ origin: 'https://app.example' }) });
    expect(finding).toMatchObject({ kind: 'cors' });
    expect(finding?.title).toContain('on https://app.example');
  });

  it('takes the time scale from summary.target.timeScale', () => {
    expect(diagnose({ records: cutAtOneSecond, summary: summaryWith({}) })[0]?.profile).not.toBe('vercel-hobby');
    const [finding] = diagnose({ records: cutAtOneSecond, summary: summaryWith({ timeScale: 0.1 }) });
    expect(finding).toMatchObject({ kind: 'time_limit', profile: 'vercel-hobby' });
    expect(finding?.evidence).toContain('time scale ×0.1');
  });

  it('lets explicit inputs override the summary', () => {
    const summary = summaryWith({ expectedIntervalMs: 1_000, origin: 'https://app.example', timeScale: 0.1 });
    expect(kinds(starved, { summary, expectedIntervalMs: 60_000 })).toEqual([]);
    expect(kinds(otherOrigin, { summary, origin: 'https://other.example' })).toEqual([]);
    expect(diagnose({ records: cutAtOneSecond, summary, timeScale: 1 })[0]?.profile).not.toBe('vercel-hobby');
  });
});

describe('summaries written before summary.target carried these (results folders on disk)', () => {
  const oldPlan = { target: { baseUrl: 'http://127.0.0.1:3000', origin: 'https://app.example', query: { interval: '1000' } }, platform: { timeScale: 0.1 } };

  it('diagnose from the plan as before', () => {
    const summary = summaryWith({}, oldPlan);
    expect(kinds(starved, { summary })).toEqual(['buffering']);
    expect(kinds(otherOrigin, { summary })).toEqual(['cors']);
    expect(diagnose({ records: cutAtOneSecond, summary })[0]).toMatchObject({ kind: 'time_limit', profile: 'vercel-hobby' });
  });

  it('read the plan only for what summary.target does not say', () => {
    const summary = summaryWith({ expectedIntervalMs: 60_000, origin: 'https://other.example' }, oldPlan);
    expect(kinds(starved, { summary })).toEqual([]);
    expect(kinds(otherOrigin, { summary })).toEqual([]);
    // timeScale is not in this summary's target: the plan's 0.1 still applies.
    expect(diagnose({ records: cutAtOneSecond, summary })[0]).toMatchObject({ kind: 'time_limit', profile: 'vercel-hobby' });
  });
});

describe('legacyTargetOf', () => {
  it('reads target.origin, target.query.interval and platform.timeScale or timeScale', () => {
    expect(legacyTargetOf({ target: { origin: 'https://a.example', query: { interval: '250' } }, platform: { timeScale: 0.5 } })).toEqual({
      origin: 'https://a.example',
      expectedIntervalMs: 250,
      timeScale: 0.5,
    });
    expect(legacyTargetOf({ target: { query: { interval: 250 } }, timeScale: '0.2' })).toEqual({ expectedIntervalMs: 250, timeScale: 0.2 });
  });

  it.each([undefined, null, 'plan', 42, [], {}, { target: 'x' }, { target: { origin: '', query: { interval: 'fast' } } }, { target: { query: { interval: '-5' } }, timeScale: 0 }])(
    'knows nothing from %j',
    (plan) => {
      expect(legacyTargetOf(plan)).toEqual({});
    },
  );

  it('keeps what is well formed when a sibling is not', () => {
    expect(legacyTargetOf({ target: { origin: 5, query: { interval: '1000' } }, platform: 'vercel' })).toEqual({ expectedIntervalMs: 1000 });
  });
});
