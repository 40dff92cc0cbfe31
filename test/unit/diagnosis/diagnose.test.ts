import { describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../../src/results/schema.js';
import { diagnose } from '../../../src/diagnosis/diagnose.js';

const T0 = 1_700_000_000_000;
let nextId = 0;

/** A stream that opened at `at` ms and ended `lifeMs` later, one event a second on one read each. */
function stream(at: number, lifeMs: number, overrides: Partial<ConnectionRecord> = {}): ConnectionRecord {
  const events = Math.floor(lifeMs / 1000);
  return {
    id: `w0-${nextId++}`,
    client: nextId,
    attempt: 1,
    startedAt: T0 + at,
    openedAt: T0 + at + 5,
    firstEventAt: events > 0 ? T0 + at + 1000 : undefined,
    lastEventAt: events > 0 ? T0 + at + events * 1000 : undefined,
    lastByteAt: events > 0 ? T0 + at + events * 1000 : T0 + at + 5,
    endedAt: T0 + at + lifeMs,
    outcome: 'dropped',
    reason: 'server_closed',
    status: 200,
    contentType: 'text/event-stream',
    events,
    heartbeats: 0,
    lost: 0,
    duplicated: 0,
    eventReads: events,
    maxEventsPerRead: events > 0 ? 1 : 0,
    latencyMs: events > 0 ? { min: 1, p50: 2, max: 5 } : undefined,
    ...overrides,
  };
}

const closedByPlan = (at: number, lifeMs: number, overrides: Partial<ConnectionRecord> = {}) =>
  stream(at, lifeMs, { outcome: 'closed', reason: 'client_closed', ...overrides });

describe('diagnose', () => {
  it('finds nothing in a healthy run whose streams the plan closed', () => {
    const records = Array.from({ length: 50 }, (_, i) => closedByPlan(i * 10, 30_000 - i * 10));
    expect(diagnose({ records, expectedIntervalMs: 1000 })).toEqual([]);
  });

  it('never reads streams the plan closed at one moment as a time limit', () => {
    // Every stream opened together and the plan ended them all 20 s later: a perfect cluster.
    const records = Array.from({ length: 40 }, () => closedByPlan(0, 20_000));
    expect(diagnose({ records })).toEqual([]);
  });

  it('recognises a 10 s cut as the Vercel Hobby limit, with the evidence and the remedy', () => {
    const records = [
      ...Array.from({ length: 47 }, (_, i) => stream(i * 37, 10_000 + ((i % 5) - 2) * 20)),
      ...Array.from({ length: 3 }, (_, i) => stream(i * 50, 4_000 + i * 1_500, { reason: 'reset' })),
    ];
    const [finding, ...rest] = diagnose({ records });
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ kind: 'time_limit', severity: 'problem', profile: 'vercel-hobby' });
    expect(finding?.title).toContain('as on Vercel Hobby');
    expect(finding?.evidence).toMatch(/^94% of the streams that reached that age \(47 of 50\) ended 10\.0 ± 0\.1 s after they were requested/);
    expect(finding?.remedy).toMatch(/Vercel Pro.*maxDuration.*self-host.*WebSocket/);
  });

  it.each([
    ['vercel-pro', 300_000, 1],
    ['netlify', 26_000, 1],
    ['vercel-hobby', 10_000, 0.1],
    ['netlify', 26_000, 0.05],
  ])('matches a %s cut of %i ms at time scale %d', (profile, limitMs, timeScale) => {
    const cut = limitMs * timeScale;
    const records = Array.from({ length: 20 }, (_, i) => stream(i * 13, cut + (i % 3) * 10));
    const [finding] = diagnose({ records, timeScale });
    expect(finding).toMatchObject({ kind: 'time_limit', profile });
    if (timeScale !== 1) expect(finding?.evidence).toContain(`time scale ×${timeScale}`);
  });

  it('does not call a cut a limit when other streams outlived it', () => {
    const records = [
      ...Array.from({ length: 6 }, (_, i) => stream(i * 10, 10_000)),
      ...Array.from({ length: 20 }, (_, i) => closedByPlan(i * 10, 40_000)),
    ];
    const findings = diagnose({ records });
    expect(findings.map((f) => f.kind)).toEqual(['drops']);
    expect(findings[0]?.evidence).toContain('6 of 26 open streams ended on the target');
  });

  it('reports drops at scattered times as drops, not as a limit', () => {
    const records = [3_100, 7_900, 12_400, 18_800, 25_300].map((life, i) => stream(i * 10, life, { reason: 'reset' }));
    const [finding, ...rest] = diagnose({ records });
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ kind: 'drops', severity: 'problem' });
    expect(finding?.evidence).toContain('reset ×5');
  });

  it('reads drops after a fixed silence as an idle timeout, whatever the streams’ age', () => {
    // Streams got events for a while, then the target went quiet: each ended 3 s after its last byte.
    const records = Array.from({ length: 20 }, (_, i) => {
      const lastByte = 2_000 + i * 700;
      return stream(i * 10, lastByte + 3_000 + (i % 3) * 15, { lastByteAt: T0 + i * 10 + lastByte, reason: 'reset' });
    });
    const [finding, ...rest] = diagnose({ records, expectedIntervalMs: 1000 });
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ kind: 'idle_timeout', severity: 'problem' });
    expect(finding?.evidence).toMatch(/ended 3\.0 ± 0\.\d s after the last byte/);
    expect(finding?.remedy).toMatch(/heartbeat/);
  });

  it("reads streams silent from open and cut at nginx's scaled 60 s as an idle timeout, not a time limit", () => {
    const records = Array.from({ length: 10 }, (_, i) =>
      stream(i * 100, 3_000 + (i % 2) * 12, { events: 0, eventReads: 0, maxEventsPerRead: 0, lastByteAt: T0 + i * 100 + 5, latencyMs: undefined }),
    );
    const [finding] = diagnose({ records, timeScale: 0.05, expectedIntervalMs: 10_000 });
    expect(finding).toMatchObject({ kind: 'idle_timeout', profile: 'nginx-default' });
  });

  it('finds burst buffering from events per read and their latency spread', () => {
    const records = Array.from({ length: 10 }, (_, i) =>
      closedByPlan(i * 10, 20_000, { events: 20, eventReads: 2, maxEventsPerRead: 12, latencyMs: { min: 3, p50: 4_000, max: 11_000 } }),
    );
    const [finding] = diagnose({ records, expectedIntervalMs: 1000 });
    expect(finding).toMatchObject({ kind: 'buffering', profile: 'nginx-default' });
    expect(finding?.title).toMatch(/bursts/);
    expect(finding?.evidence).toMatch(/in 10 of 10 streams events arrived in bursts: 10\.0 events per socket read/);
  });

  it('does not call many events per read buffering when they all arrive on time (a fast stream)', () => {
    const records = Array.from({ length: 10 }, (_, i) =>
      closedByPlan(i * 10, 10_000, { events: 1000, eventReads: 200, maxEventsPerRead: 9, latencyMs: { min: 0.2, p50: 1, max: 40 } }),
    );
    expect(diagnose({ records, expectedIntervalMs: 10 })).toEqual([]);
  });

  it('finds buffering until close when open streams receive nothing although events were due', () => {
    const records = Array.from({ length: 10 }, (_, i) =>
      closedByPlan(i * 10, 8_000, { events: 0, eventReads: 0, maxEventsPerRead: 0, latencyMs: undefined, lastEventAt: undefined, firstEventAt: undefined }),
    );
    const [finding] = diagnose({ records, plan: { target: { query: { interval: '1000' } } } });
    expect(finding).toMatchObject({ kind: 'buffering', profile: 'cdn-buffering' });
    expect(finding?.title).toMatch(/until the response ends/);
  });

  it('diagnoses a long soak whose drops are too many to spread into Math.max (150,000 cuts at 10 s)', () => {
    const records = Array.from({ length: 150_000 }, (_, i) => stream(i % 600_000, 10_000 + ((i % 5) - 2) * 20));
    const [finding] = diagnose({ records });
    expect(finding).toMatchObject({ kind: 'time_limit', profile: 'vercel-hobby' });
    expect(finding?.evidence).toContain('(150000 of 150000)');
  });

  it('finds a connection cap from refusals while the same number of streams were open', () => {
    const open = Array.from({ length: 10 }, (_, i) => closedByPlan(i * 10, 10_000));
    const refusedAttempt = (at: number): ConnectionRecord => ({
      ...stream(at, 3),
      openedAt: undefined,
      outcome: 'failed',
      reason: 'http_5xx',
      status: 503,
      events: 0,
      eventReads: 0,
      maxEventsPerRead: 0,
    });
    const records = [...open, ...Array.from({ length: 5 }, (_, i) => refusedAttempt(500 + i * 100))];
    const [finding, ...rest] = diagnose({ records });
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ kind: 'connection_cap', severity: 'problem' });
    expect(finding?.title).toContain('about 10 open streams');
    expect(finding?.evidence).toContain('HTTP 503 ×5');
  });

  it('does not call refusals a cap when more streams were open earlier than at any refusal', () => {
    const refusedAttempt = (at: number): ConnectionRecord => ({ ...stream(at, 3), openedAt: undefined, outcome: 'failed', reason: 'http_429', status: 429, events: 0, eventReads: 0, maxEventsPerRead: 0 });
    // 20 open at the start, 10 of them gone by 200 ms; the refusals come at 500 ms and later.
    const records = [
      ...Array.from({ length: 10 }, (_, i) => closedByPlan(i, 10_000)),
      ...Array.from({ length: 10 }, (_, i) => closedByPlan(i, 200)),
      ...Array.from({ length: 4 }, (_, i) => refusedAttempt(500 + i * 100)),
    ];
    const [finding] = diagnose({ records });
    expect(finding).toMatchObject({ kind: 'connection_cap', title: 'Connection attempts are refused' });
    expect(finding?.evidence).toContain('while 10 streams were open (median at the time of refusal); never more than 20 were open at once');
  });

  it('counts the streams open at each refusal of a large run without a pass over every stream per refusal', () => {
    // 40,000 streams: a count per refusal and per stream by scanning every stream would take seconds.
    const open = Array.from({ length: 40_000 }, (_, i) => closedByPlan(i % 1_000, 60_000));
    const refused = Array.from({ length: 2_000 }, (_, i): ConnectionRecord => ({ ...stream(2_000 + i, 3), openedAt: undefined, outcome: 'failed', reason: 'http_5xx', status: 503, events: 0, eventReads: 0, maxEventsPerRead: 0 }));
    const findings = diagnose({ records: [...open, ...refused] });
    const cap = findings.find((f) => f.kind === 'connection_cap');
    expect(cap?.title).toContain('about 40000 open streams');
    expect(cap?.evidence).toContain('never more than 40000 were open at once');
  });

  it('finds a CORS failure when the response lacks Access-Control-Allow-Origin for the plan’s origin', () => {
    const records = Array.from({ length: 4 }, (_, i) => closedByPlan(i, 5_000, { corsAllowOrigin: null }));
    const [finding] = diagnose({ records, plan: { target: { origin: 'https://app.example' } } });
    expect(finding).toMatchObject({ kind: 'cors' });
    expect(finding?.remedy).toContain('Access-Control-Allow-Origin: https://app.example');
    const fine = records.map((r) => ({ ...r, corsAllowOrigin: 'https://app.example' }));
    expect(diagnose({ records: fine, origin: 'https://app.example' })).toEqual([]);
  });

  it('reports harness-side failures as a harness problem, never as a limit of the target', () => {
    const failed = (reason: string): ConnectionRecord => ({ ...stream(0, 1), openedAt: undefined, outcome: 'failed', reason, status: undefined });
    const records = [...Array.from({ length: 8 }, () => failed('client_fd_limit')), failed('client_ports_exhausted'), closedByPlan(0, 5_000)];
    const findings = diagnose({ records });
    expect(findings.map((f) => f.kind)).toEqual(['harness_limit']);
    expect(findings[0]?.evidence).toContain('client_fd_limit ×8');
  });

  it('names the dominant reason of failures before the stream opened', () => {
    const records = Array.from({ length: 5 }, () => ({ ...stream(0, 1), openedAt: undefined, outcome: 'failed' as const, reason: 'http_401', status: 401 }));
    const [finding] = diagnose({ records });
    expect(finding).toMatchObject({ kind: 'connect_failures' });
    expect(finding?.remedy).toContain('JWT_ACCESS_SECRET');
  });

  it("reports streams the harness's own idle timeout ended as silent streams, not as a limit of the target", () => {
    const records = Array.from({ length: 6 }, (_, i) => stream(i * 10, 5_000, { reason: 'idle_timeout', events: 0, eventReads: 0, maxEventsPerRead: 0, lastByteAt: T0 + i * 10 + 5 }));
    const findings = diagnose({ records });
    expect(findings.map((f) => [f.kind, f.severity])).toEqual([['silent_streams', 'warning']]);
  });
  it('reads streams ended at the parser cap as protocol errors, never as a time limit', () => {
    // Garbage at a steady rate reaches the 1 MiB cap at one age: a perfect cluster, but of bytes, not time.
    const error = 'a line longer than 1048576 characters';
    const records = Array.from({ length: 30 }, (_, i) => stream(i * 100, 2_000, { reason: 'protocol_error', error, events: 0, eventReads: 0 }));
    const findings = diagnose({ records });
    expect(findings.map((f) => f.kind)).toEqual(['protocol_error']);
    expect(findings[0]?.evidence).toBe(`30 of 30 open streams were ended by the harness as protocol_error: ${error} ×30`);
    expect(findings[0]?.remedy).toContain('blank line');
  });
});
