import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { createSequenceTracker } from '../../../src/core/event-payload.js';
import { estimateClockOffset, type ClockSample } from '../../../src/engine/clock-offset.js';
import { resolveClockReference, withEndEstimate } from '../../../src/engine/clock-reference.js';
import { parsePlan } from '../../../src/engine/plan.js';
import { parseRunArgs } from '../../../src/cli/commands/run.js';
import { createRecorder } from '../../../src/engine/recorder.js';
import { SseAttempt, type SseAttemptOwner } from '../../../src/engine/sse-attempt.js';
import { percentileMs, type Histogram } from '../../../src/metrics/histogram.js';
import { formatClockNote, isLatencyKnown } from '../../../src/results/clock-note.js';

/** An exchange with a server whose clock is `offset` ahead, `up` ms away and `down` ms back. */
function exchange(t0: number, offset: number, up: number, down: number, resolution = 1): ClockSample {
  const serverTrue = t0 + up + offset;
  return { t0Ms: t0, t1Ms: t0 + up + down, serverNowMs: Math.floor(serverTrue / resolution) * resolution };
}

describe('estimateClockOffset', () => {
  it('keeps the lowest-round-trip exchange: offset = serverNow − (t0 + rtt/2), uncertainty half its round trip', () => {
    const samples = [exchange(1_000, 2_500, 30, 90), exchange(2_000, 2_500, 40, 40), exchange(3_000, 2_500, 5, 200)];
    const estimate = estimateClockOffset(samples, 0);
    // The 80 ms exchange, symmetric: exactly the true offset.
    expect(estimate).toEqual({ offsetMs: 2_500, uncertaintyMs: 40, roundTripMs: 80, samples: 3 });
  });

  it('is off by the asymmetry of the kept exchange, and never by more than its stated uncertainty', () => {
    // 10 ms up, 50 ms back: the midpoint guess is 20 ms late.
    const estimate = estimateClockOffset([exchange(0, -1_500, 10, 50)], 0);
    expect(estimate?.offsetMs).toBe(-1_520);
    expect(estimate?.uncertaintyMs).toBe(30);
  });

  it('holds the true offset within the stated uncertainty for any delays, offsets and a whole-millisecond server clock', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ up: fc.double({ min: 0, max: 500, noNaN: true }), down: fc.double({ min: 0, max: 500, noNaN: true }) }), { minLength: 1, maxLength: 16 }),
        fc.integer({ min: -86_400_000, max: 86_400_000 }),
        fc.double({ min: 1.7e12, max: 1.8e12, noNaN: true }),
        (delays, offset, start) => {
          const samples = delays.map((d, i) => exchange(start + i * 1_000, offset, d.up, d.down));
          const estimate = estimateClockOffset(samples);
          expect(estimate).toBeDefined();
          // 1 µs of slack for the rounding to three decimals.
          expect(Math.abs((estimate?.offsetMs ?? NaN) - offset)).toBeLessThanOrEqual((estimate?.uncertaintyMs ?? 0) + 0.002);
        },
      ),
    );
  });

  it('ignores exchanges whose round trip is negative (the client clock stepped) and gives nothing from none', () => {
    expect(estimateClockOffset([])).toBeUndefined();
    expect(estimateClockOffset([{ t0Ms: 100, t1Ms: 90, serverNowMs: 5_000 }])).toBeUndefined();
    const estimate = estimateClockOffset([{ t0Ms: 100, t1Ms: 90, serverNowMs: 5_000 }, exchange(200, 1_000, 3, 3, 1)], 1);
    expect(estimate?.roundTripMs).toBe(6);
    expect(estimate?.uncertaintyMs).toBe(3.5);
  });
});

describe('withEndEstimate', () => {
  const start = { method: 'api-time' as const, offsetMs: 2_500, uncertaintyMs: 1 };

  it('reports the drift between the start and end estimates without a warning when it is inside both uncertainties', () => {
    const ended = withEndEstimate(start, { offsetMs: 2_500.8, uncertaintyMs: 1, roundTripMs: 2, samples: 12 });
    expect(ended.clock).toMatchObject({ endOffsetMs: 2_500.8, driftMs: 0.8 });
    expect(ended.warning).toBeUndefined();
  });

  it('warns when the clocks moved apart by more than the two estimates allow', () => {
    const ended = withEndEstimate(start, { offsetMs: 2_530, uncertaintyMs: 1, roundTripMs: 2, samples: 12 });
    expect(ended.clock.driftMs).toBe(30);
    expect(ended.warning).toMatch(/moved 30 ms/);
  });
});

describe('latency correction in an SSE attempt', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function owner(): SseAttemptOwner {
    const tracker = createSequenceTracker();
    return { recorder: createRecorder(0), trackerFor: () => tracker, onRetry: () => undefined, attemptEnded: () => undefined };
  }
  const init = { id: '0-1', client: 0, attempt: 1, localAddress: undefined, lastEventId: '', recordCors: false };
  const headers = [Buffer.from('content-type'), Buffer.from('text/event-stream')];

  it('reads the server-clock sentAt on our clock: latency = receive − (sentAt − offset)', () => {
    vi.useFakeTimers({ toFake: ['performance', 'Date'], now: 1_000_000 });
    const o = owner();
    const attempt = new SseAttempt(o, { ...init, clockOffsetMs: 2_500 });
    attempt.onConnect(() => undefined);
    attempt.onHeaders(200, headers);
    const here = performance.timeOrigin + performance.now();
    // The server, 2.5 s ahead, stamped the event as it scheduled it; it arrives 40 ms later here.
    const sentAt = here + 2_500;
    vi.advanceTimersByTime(40);
    attempt.onData(Buffer.from(`id: 1\ndata: ${JSON.stringify({ seq: 1, sentAt, stream: 's' })}\n\n`));
    attempt.close();
    const report = o.recorder.collect({ encode: false });
    const latency = report.rawHistograms?.sse_event_latency as Histogram;
    expect(percentileMs(latency, 50)).toBeGreaterThan(39);
    expect(percentileMs(latency, 50)).toBeLessThan(41);
    latency.destroy();
    o.recorder.close();
  });

  it('records no latency without a clock reference, and still counts events and gaps', () => {
    const o = owner();
    const attempt = new SseAttempt(o, { ...init, clockOffsetMs: null });
    attempt.onConnect(() => undefined);
    attempt.onHeaders(200, headers);
    const event = (seq: number): string => `id: ${seq}\ndata: ${JSON.stringify({ seq, sentAt: Date.now() + 9_999, stream: 's' })}\n\n`;
    attempt.onData(Buffer.from(event(1) + event(3)));
    attempt.close();
    const report = o.recorder.collect({ encode: false });
    expect(report.rawHistograms?.sse_event_latency).toBeUndefined();
    expect(report.counters).toMatchObject({ sse_events: 2, sse_events_lost: 1 });
    expect(report.records[0]?.latencyMs).toBeUndefined();
    o.recorder.close();
  });
});

describe('formatClockNote', () => {
  it('says what every latency figure carries', () => {
    expect(formatClockNote({ method: 'api-time', offsetMs: 2_500, uncertaintyMs: 0.42 })).toBe('± 0.5 ms (clock offset uncertainty)');
    expect(formatClockNote({ method: 'api-time', offsetMs: 2_500, uncertaintyMs: 40.2 })).toBe('± 41 ms (clock offset uncertainty)');
    expect(formatClockNote({ method: 'unknown' })).toBe('latency unknown (no /api/time on the target)');
    expect(isLatencyKnown({ method: 'unknown' })).toBe(false);
    expect(isLatencyKnown({ method: 'same-host' })).toBe(true);
  });
});

describe('resolveClockReference', () => {
  const planWith = (clock: 'auto' | 'same-host' | 'none', baseUrl = 'http://127.0.0.1:9') =>
    parsePlan({ target: { baseUrl }, sse: { clients: 1 }, duration: '1s', clock });

  it('uses one clock for a loopback target under auto, without asking it the time', async () => {
    // Port 9 (discard) answers nothing: a request would fail and the method would be unknown.
    expect((await resolveClockReference(planWith('auto'))).clock.method).toBe('same-host');
    expect((await resolveClockReference(planWith('auto', 'http://[::1]:9'))).offsetMs).toBe(0);
  });

  it('records no latency when the plan says there is no clock reference', async () => {
    const reference = await resolveClockReference(planWith('none'));
    expect(reference.offsetMs).toBeNull();
    expect(reference.clock).toMatchObject({ method: 'unknown', note: 'latency unknown (no clock reference: the plan set clock: none)' });
  });

  it('takes the clock setting from `run --clock`, and refuses one it does not know', async () => {
    const base = ['--url', 'http://127.0.0.1:9', '--sse', '1', '--duration', '1s'];
    const parsed = await parseRunArgs([...base, '--clock', 'api-time'], { env: {} });
    expect(parsed !== 'help' && parsed.plan.clock).toBe('api-time');
    await expect(parseRunArgs([...base, '--clock', 'ntp'], { env: {} })).rejects.toThrow(/clock/);
  });
});
