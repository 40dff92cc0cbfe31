/**
 * An attempt against a hostile stream: past the parser's caps, or when reading a chunk throws, it
 * ends once as `dropped`/`protocol_error` with the message in `error`, aborts its socket, and
 * nothing is thrown back into undici.
 */
import { describe, expect, it, vi } from 'vitest';
import { createSequenceTracker } from '../../../src/core/event-payload.js';
import { DEFAULT_MAX_LINE_LENGTH } from '../../../src/core/sse-parser.js';
import { createRecorder } from '../../../src/engine/recorder.js';
import { SseAttempt, lastEventIdHeaderValue, type SseAttemptOwner } from '../../../src/engine/sse-attempt.js';
import type { ConnectionRecord } from '../../../src/results/schema.js';

function owner(trackerFor: SseAttemptOwner['trackerFor'] = () => createSequenceTracker()) {
  const recorder = createRecorder(0);
  const records: ConnectionRecord[] = [];
  const original = recorder.record.bind(recorder);
  recorder.record = (record) => {
    records.push(record);
    original(record);
  };
  const ended: string[] = [];
  const o: SseAttemptOwner = {
    recorder,
    trackerFor,
    onRetry: () => undefined,
    attemptEnded: (_attempt, outcome, reason) => ended.push(`${outcome}:${reason}`),
  };
  return { o, recorder, records, ended };
}

const init = { id: '0-1', client: 1, attempt: 1, localAddress: undefined, lastEventId: '', recordCors: false, clockOffsetMs: 0 };
const streamHeaders = [Buffer.from('content-type'), Buffer.from('text/event-stream')];

function openAttempt(o: SseAttemptOwner) {
  const attempt = new SseAttempt(o, init);
  const abort = vi.fn();
  attempt.onConnect(abort);
  expect(attempt.onHeaders(200, streamHeaders)).toBe(true);
  return { attempt, abort };
}

describe('SseAttempt against hostile streams', () => {
  it('ends as protocol_error when a line passes the cap, aborts the socket and asks undici to stop reading', () => {
    const { o, recorder, records, ended } = owner();
    const { attempt, abort } = openAttempt(o);
    expect(attempt.onData(Buffer.from(`id: 3\ndata: {"seq":1,"sentAt":${Date.now()},"stream":"s"}\n\n`))).toBe(true);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let accepted = 0;
    while (attempt.onData(chunk)) accepted++;
    expect(accepted).toBe(DEFAULT_MAX_LINE_LENGTH / chunk.length);
    expect(abort).toHaveBeenCalledOnce();
    expect(abort.mock.calls[0]?.[0]).toBeInstanceOf(Error);
    // undici reports the abort back, and may still deliver the end: neither writes a second record.
    attempt.onError(new Error('aborted'));
    attempt.onComplete();
    attempt.close();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'dropped', reason: 'protocol_error', events: 1, lastEventId: '3', error: `a line longer than ${DEFAULT_MAX_LINE_LENGTH} characters` });
    expect(ended).toEqual(['dropped:protocol_error']);
    const report = recorder.collect();
    expect(report.counters).toMatchObject({ 'sse_drops|protocol_error': 1, sse_connects: 1, sse_events: 1 });
    expect(report.sseOpen).toBe(0);
    recorder.close();
  });

  it('ends as protocol_error, not a thrown error, when handling an event throws', () => {
    const { o, records, ended, recorder } = owner(() => {
      throw new TypeError('tracker exploded');
    });
    const { attempt, abort } = openAttempt(o);
    expect(() => attempt.onData(Buffer.from(`data: {"seq":1,"sentAt":${Date.now()},"stream":"s"}\n\n`))).not.toThrow();
    expect(abort).toHaveBeenCalledOnce();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'dropped', reason: 'protocol_error', error: 'reading the stream threw: tracker exploded' });
    expect(ended).toEqual(['dropped:protocol_error']);
    expect(attempt.onData(Buffer.from('data: more\n\n'))).toBe(false);
    recorder.close();
  });

  it('ends as protocol_error when the decoder flushed at the end takes a line past the cap', () => {
    const { o, records, recorder } = owner();
    const { attempt } = openAttempt(o);
    // A line of exactly the cap, then the first byte of a three-byte character: still within it.
    expect(attempt.onData(Buffer.alloc(DEFAULT_MAX_LINE_LENGTH, 'a'))).toBe(true);
    expect(attempt.onData(Buffer.from([0xe2]))).toBe(true);
    // The end decodes the lone byte as U+FFFD: one character too many.
    attempt.onComplete();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'dropped', reason: 'protocol_error' });
    recorder.close();
  });

  it('passes a retry longer than any Node timer on as the longest one, not as a 1 ms reconnect', () => {
    const { o, recorder } = owner();
    const retries: number[] = [];
    o.onRetry = (ms) => retries.push(ms);
    const { attempt } = openAttempt(o);
    attempt.onData(Buffer.from('retry: 99999999999999999999\n\nretry: 2500\n\n'));
    expect(retries).toEqual([2 ** 31 - 1, 2500]);
    attempt.close();
    recorder.close();
  });

  it('ends as server_closed when the stream ends within the caps', () => {
    const { o, records, recorder } = owner();
    const { attempt } = openAttempt(o);
    expect(attempt.onData(Buffer.alloc(DEFAULT_MAX_LINE_LENGTH - 1, 'a'))).toBe(true);
    expect(attempt.onData(Buffer.from([0xe2]))).toBe(true);
    attempt.onComplete();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'dropped', reason: 'server_closed' });
    recorder.close();
  });
});

describe('lastEventIdHeaderValue', () => {
  it.each([
    ['', undefined],
    ['42', '42'],
    ['a b:c', 'a b:c'],
    // "encoded as UTF-8": the bytes, one latin1 character each, as undici writes header strings.
    ['é', '\u00c3\u00a9'],
    ['€', '\u00e2\u0082\u00ac'],
    ['\uFFFDA', '\u00ef\u00bf\u00bdA'],
    // Allowed in an ID by the spec, refused by undici: no header rather than an altered ID.
    ['a\u0001b', undefined],
  ])('%j → %j', (id, expected) => {
    expect(lastEventIdHeaderValue(id)).toBe(expected);
    if (expected !== undefined) expect(Buffer.from(expected, 'latin1').toString('utf8')).toBe(id);
  });
});
