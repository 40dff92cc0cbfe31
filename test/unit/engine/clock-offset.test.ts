import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSequenceTracker } from '../../../src/core/event-payload.js';
import { resolveClockReference, withEndEstimate } from '../../../src/engine/clock-reference.js';
import { parsePlan } from '../../../src/engine/plan.js';
import { parseRunArgs } from '../../../src/cli/commands/run.js';
import { createRecorder } from '../../../src/engine/recorder.js';
import { SseAttempt, type SseAttemptOwner } from '../../../src/engine/sse-attempt.js';
import { percentileMs, type Histogram } from '../../../src/metrics/histogram.js';
import { formatClockNote, isLatencyKnown } from '../../../src/results/clock-note.js';

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
