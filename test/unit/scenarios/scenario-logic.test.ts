import { describe, expect, it } from 'vitest';
import { evaluateDiagnostic } from '../../../scenarios/lib/diagnostic-verdict.js';
import { classifyHeldResponse, readHeldBody, type HeldResponse } from '../../../scenarios/lib/held-stream.js';
import { parsePollBody } from '../../../scenarios/lib/poll-body.js';
import { createStreamState } from '../../../scenarios/lib/sse-connection.js';

describe('evaluateDiagnostic (the guide’s 30-second test stream)', () => {
  const base = { opened: true, openedAt: 0, expectedMessages: 30, expectedIntervalMs: 1_000 };
  const everySecond = Array.from({ length: 30 }, (_, i) => (i + 1) * 1_000);

  it('is ok when every message came one per interval for the whole time', () => {
    expect(evaluateDiagnostic({ ...base, arrivals: everySecond, endedAt: 30_050 }).verdict).toBe('ok');
  });

  it('is cut short when the stream stops early (a platform time limit)', () => {
    const result = evaluateDiagnostic({ ...base, arrivals: everySecond.slice(0, 10), endedAt: 10_020 });
    expect(result.verdict).toBe('cut_short');
    expect(result.advice).toMatch(/10\.0 s with 10 of 30 messages/);
  });

  it('is buffered when the messages arrive together at the end (a buffering proxy)', () => {
    const together = Array.from({ length: 30 }, (_, i) => 30_000 + i);
    const result = evaluateDiagnostic({ ...base, arrivals: together, endedAt: 30_100 });
    expect(result.verdict).toBe('buffered');
    expect(result.burstGaps).toBe(29);
  });

  it('says no stream when it never opened', () => {
    expect(evaluateDiagnostic({ ...base, opened: false, failureReason: 'http_401', arrivals: [], endedAt: 5 }).advice).toMatch(/http_401/);
  });
});

describe('classifyHeldResponse (stock k6 http.get of a stream)', () => {
  const timings = { blocked: 1, connecting: 2, tls_handshaking: 0, sending: 1, waiting: 6 };
  const response = (overrides: Partial<HeldResponse>): HeldResponse => ({
    status: 200,
    error: '',
    error_code: 0,
    headers: { 'Content-Type': 'text/event-stream' },
    timings,
    ...overrides,
  });

  it.each([
    [response({}), { kind: 'ended', connectTimeMs: 10 }],
    [response({ status: 0, error: 'request timeout', error_code: 1050 }), { kind: 'outlived', connectTimeMs: 10 }],
    [response({ status: 0, error: 'dial tcp 127.0.0.1:9: connect: connection refused', error_code: 1212 }), { kind: 'failed', reason: 'refused' }],
    [response({ status: 503 }), { kind: 'failed', reason: 'http_5xx' }],
    [response({ headers: { 'Content-Type': 'text/html; charset=utf-8' } }), { kind: 'failed', reason: 'bad_content_type' }],
  ])('%j → %j', (res, verdict) => {
    expect(classifyHeldResponse(res)).toEqual(verdict);
  });
});

describe('readHeldBody (a whole stream body, parsed once)', () => {
  it('counts events, heartbeats and gaps, and carries the last event id to the next attempt', () => {
    const state = createStreamState();
    const event = (seq: number): string => `id: s:${seq}\ndata: ${JSON.stringify({ seq, sentAt: 1_000 + seq, stream: 's' })}\n\n`;
    const first = readHeldBody(`retry: 3000\n\n${event(1)}: heartbeat\n\n${event(2)}${event(5)}`, state);
    expect(first).toEqual({ events: 3, heartbeats: 1, lost: 2, duplicated: 0, lastSentAt: 1_005 });
    expect(state.lastEventId).toBe('s:5');
    // A replay after reconnect repeats 5: a duplicate, not a new event.
    const second = readHeldBody(`${event(5)}${event(6)}`, state);
    expect(second).toMatchObject({ events: 2, lost: 0, duplicated: 1 });
  });
});

describe('parsePollBody (the polling fallback’s JSON)', () => {
  it('reads the reference server’s items, which are payloads with an id', () => {
    expect(parsePollBody('[{"id":"7","type":"message","seq":7,"sentAt":1000,"stream":"user:a"}]')).toEqual([
      { id: '7', payload: { id: '7', type: 'message', seq: 7, sentAt: 1000, stream: 'user:a' } },
    ]);
  });

  it('reads payloads nested in data (an object or a JSON string), and { events: [...] }', () => {
    const nested = '{"events":[{"id":1,"data":{"seq":1,"sentAt":5,"stream":"x"}},{"id":2,"data":"{\\"seq\\":2,\\"sentAt\\":6,\\"stream\\":\\"x\\"}"},{"id":3}]}';
    expect(parsePollBody(nested)).toEqual([
      { id: '1', payload: { seq: 1, sentAt: 5, stream: 'x' } },
      { id: '2', payload: { seq: 2, sentAt: 6, stream: 'x' } },
      { id: '3' },
    ]);
  });

  it('returns undefined for a body that is not a list of events', () => {
    expect(parsePollBody('<html>')).toBeUndefined();
    expect(parsePollBody('{"error":"unauthorized"}')).toBeUndefined();
  });
});
