import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSequenceTracker, type SequenceTracker } from '../../../src/core/event-payload.js';
import { classifyConnectError, classifyDropError } from '../../../src/engine/classify-error.js';
import { createRecorder, type Recorder } from '../../../src/engine/recorder.js';
import { SseAttempt, isEventStreamType, type SseAttemptOwner } from '../../../src/engine/sse-attempt.js';
import type { ConnectionRecord } from '../../../src/results/schema.js';

function owner(): SseAttemptOwner & { recorder: Recorder; ended: string[]; records: ConnectionRecord[]; retryMs?: number } {
  const recorder = createRecorder(0);
  const trackers = new Map<string, SequenceTracker>();
  const records: ConnectionRecord[] = [];
  const original = recorder.record.bind(recorder);
  recorder.record = (record) => {
    records.push(record);
    original(record);
  };
  const o = {
    recorder,
    ended: [] as string[],
    records,
    retryMs: undefined as number | undefined,
    trackerFor(stream: string) {
      let tracker = trackers.get(stream);
      if (!tracker) trackers.set(stream, (tracker = createSequenceTracker()));
      return tracker;
    },
    onRetry(ms: number) {
      o.retryMs = ms;
    },
    attemptEnded(_attempt: SseAttempt, outcome: string, reason: string) {
      o.ended.push(`${outcome}:${reason}`);
    },
  };
  return o;
}

const headers = (contentType: string): Buffer[] => [Buffer.from('Content-Type'), Buffer.from(contentType), Buffer.from('x-other'), Buffer.from('1')];
const event = (seq: number, sentAt: number, stream = 's1'): string => `id: ${seq}\ndata: ${JSON.stringify({ seq, sentAt, stream })}\n\n`;
const init = { id: '0-1', client: 7, attempt: 1, localAddress: undefined, lastEventId: '', recordCors: false, clockOffsetMs: 0 };

describe('SseAttempt', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['performance', 'Date'], now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes one receive time per socket read, before parsing, for every event of that read', () => {
    const o = owner();
    const attempt = new SseAttempt(o, init);
    attempt.onConnect(() => undefined);
    vi.advanceTimersByTime(20);
    expect(attempt.onHeaders(200, headers('text/event-stream; charset=utf-8'))).toBe(true);
    const base = performance.timeOrigin + performance.now();
    vi.advanceTimersByTime(50);
    // Three events in one read: all three were sent at `base` and received 50 ms later.
    attempt.onData(Buffer.from(event(1, base) + event(2, base) + event(3, base)));
    vi.advanceTimersByTime(100);
    // One event split across two reads: received at the read that completed it.
    const split = event(4, base + 100);
    attempt.onData(Buffer.from(split.slice(0, 10)));
    vi.advanceTimersByTime(30);
    attempt.onData(Buffer.from(split.slice(10)));
    attempt.onData(Buffer.from(': heartbeat\n\nretry: 250\n\n'));
    attempt.onComplete();

    const [record] = o.records;
    expect(record).toMatchObject({ outcome: 'dropped', reason: 'server_closed', events: 4, heartbeats: 1, eventReads: 2, maxEventsPerRead: 3, lost: 0, lastEventId: '4', status: 200 });
    expect(record?.latencyMs).toEqual({ min: 50, p50: 50, max: 80 });
    expect((record?.openedAt as number) - (record?.startedAt as number)).toBeCloseTo(20, 3);
    expect(o.retryMs).toBe(250);
    expect(o.ended).toEqual(['dropped:server_closed']);
    const report = o.recorder.collect();
    expect(report.counters).toMatchObject({ sse_connects: 1, sse_events: 4, sse_heartbeats: 1, 'sse_drops|server_closed': 1 });
    expect(report.sseOpen).toBe(0);
    o.recorder.close();
  });

  it('counts gaps as lost and repeats as duplicated, per stream', () => {
    const o = owner();
    const attempt = new SseAttempt(o, init);
    attempt.onConnect(() => undefined);
    attempt.onHeaders(200, headers('text/event-stream'));
    const now = Date.now();
    attempt.onData(Buffer.from(event(1, now) + event(4, now) + event(4, now) + event(1, now, 's2') + event(3, now, 's2')));
    attempt.close();
    expect(o.records[0]).toMatchObject({ outcome: 'closed', reason: 'client_closed', lost: 3, duplicated: 1, events: 5 });
    expect(o.recorder.collect().counters).toMatchObject({ sse_events_lost: 3, sse_events_duplicated: 1 });
    o.recorder.close();
  });

  it.each([
    [204, 'text/event-stream', 'failed:http_204'],
    [401, 'text/plain', 'failed:http_401'],
    [503, 'text/plain', 'failed:http_5xx'],
    [200, 'text/html', 'failed:bad_content_type'],
  ])('fails the connection on status %i with %s, and aborts the request', (status, contentType, expected) => {
    const o = owner();
    const attempt = new SseAttempt(o, init);
    const abort = vi.fn();
    attempt.onConnect(abort);
    expect(attempt.onHeaders(status, headers(contentType))).toBe(false);
    attempt.onError(new Error('aborted'));
    expect(o.ended).toEqual([expected]);
    expect(abort).toHaveBeenCalledOnce();
    expect(o.records).toHaveLength(1);
    expect(o.recorder.collect().counters[`sse_connect_failures|${expected.split(':')[1]}`]).toBe(1);
    o.recorder.close();
  });

  it('writes exactly one record whatever happens after the end', () => {
    const o = owner();
    const attempt = new SseAttempt(o, init);
    attempt.onConnect(() => undefined);
    attempt.onHeaders(200, headers('text/event-stream'));
    attempt.onError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    attempt.close();
    attempt.onComplete();
    expect(o.records).toHaveLength(1);
    expect(o.records[0]).toMatchObject({ outcome: 'dropped', reason: 'reset' });
    o.recorder.close();
  });

  it('records the response CORS header when the plan sent an Origin, and null when it is absent', () => {
    const o = owner();
    const withCors = new SseAttempt(o, { ...init, recordCors: true });
    withCors.onConnect(() => undefined);
    withCors.onHeaders(200, [...headers('text/event-stream'), Buffer.from('Access-Control-Allow-Origin'), Buffer.from('https://app.example.com')]);
    withCors.close();
    const without = new SseAttempt(o, { ...init, id: '0-2', recordCors: true });
    without.onConnect(() => undefined);
    without.onHeaders(200, headers('text/event-stream'));
    without.close();
    expect(o.records.map((record) => record.corsAllowOrigin)).toEqual(['https://app.example.com', null]);
    o.recorder.close();
  });
});

describe('isEventStreamType', () => {
  it.each([
    ['text/event-stream', true],
    ['Text/Event-Stream; charset=utf-8', true],
    ['text/event-streams', false],
    ['text/plain', false],
    [undefined, false],
  ])('%s → %s', (value, expected) => {
    expect(isEventStreamType(value)).toBe(expected);
  });
});

describe('classify errors', () => {
  const err = (code: string, cause?: unknown) => Object.assign(new Error(code), { code, cause });
  it('attributes file-descriptor and port exhaustion to the harness', () => {
    expect(classifyConnectError(err('EMFILE'))).toBe('client_fd_limit');
    expect(classifyConnectError(err('UND_ERR_SOCKET', err('EADDRNOTAVAIL')))).toBe('client_ports_exhausted');
  });
  it('maps the target side', () => {
    expect(classifyConnectError(err('ECONNREFUSED'))).toBe('refused');
    expect(classifyConnectError(err('UND_ERR_CONNECT_TIMEOUT'))).toBe('connect_timeout');
    expect(classifyConnectError(err('UND_ERR_HEADERS_TIMEOUT'))).toBe('headers_timeout');
    expect(classifyConnectError(err('ECONNRESET'))).toBe('reset');
    expect(classifyDropError(err('UND_ERR_BODY_TIMEOUT'))).toBe('idle_timeout');
    expect(classifyDropError(err('ECONNRESET'))).toBe('reset');
    expect(classifyDropError(err('UND_ERR_SOCKET'))).toBe('server_closed');
  });
});
