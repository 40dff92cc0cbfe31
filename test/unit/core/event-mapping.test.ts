import { describe, expect, it } from 'vitest';
import { createEventReader, detectTimeUnit, mappingProblems, readTime } from '../../../src/core/event-mapping.js';
import { createSequenceTracker, formatEventPayload } from '../../../src/core/event-payload.js';

const event = (data: string, lastEventId = '', type = 'message') => ({ data, lastEventId, type });
const T_MS = Date.UTC(2026, 11, 8, 1, 0, 0, 123);

describe('readTime', () => {
  it.each([
    ['epoch seconds', T_MS / 1000, 's'],
    ['epoch seconds, whole', Math.floor(T_MS / 1000), 's'],
    ['epoch milliseconds', T_MS, 'ms'],
    ['epoch microseconds', T_MS * 1000, 'us'],
    ['epoch nanoseconds', T_MS * 1e6, 'ns'],
    ['a number in a string', String(T_MS), 'ms'],
  ])('reads %s by magnitude', (_, value, unit) => {
    const read = readTime(value, 'auto');
    expect(read?.unit).toBe(unit);
    expect(Math.abs((read?.ms ?? 0) - T_MS)).toBeLessThan(1_000);
  });

  it('reads ISO-8601 strings, with an offset or Z, to the millisecond', () => {
    expect(readTime('2026-12-08T01:00:00.123Z', 'auto')).toEqual({ ms: T_MS, unit: 'iso' });
    expect(readTime('2026-12-08T02:00:00.123+01:00', 'auto')).toEqual({ ms: T_MS, unit: 'iso' });
    expect(readTime('2026-12-08T01:00:00.123Z', 'iso')).toEqual({ ms: T_MS, unit: 'iso' });
    expect(readTime('yesterday', 'auto')).toBeUndefined();
  });

  it('obeys an explicit unit, and refuses what does not fit it', () => {
    expect(readTime(1_000, 's')).toEqual({ ms: 1_000_000, unit: 's' });
    expect(readTime(1_000, 'ms')).toEqual({ ms: 1_000, unit: 'ms' });
    expect(readTime('2026-12-08T01:00:00Z', 'ms')).toBeUndefined();
    expect(readTime(T_MS, 'iso')).toBeUndefined();
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, null, true, {}, []]) expect(readTime(value, 'auto')).toBeUndefined();
  });

  it('puts the unit bounds three orders apart, between the magnitudes of this century', () => {
    expect(detectTimeUnit(99_999_999_999)).toBe('s');
    expect(detectTimeUnit(1e11)).toBe('ms');
    expect(detectTimeUnit(1e14)).toBe('us');
    expect(detectTimeUnit(1e17)).toBe('ns');
  });
});

describe('createEventReader', () => {
  it('reads time, seq and stream through JSON pointers (RFC 6901, escapes and array indexes included)', () => {
    const read = createEventReader({ time: '/meta/created~1at', seq: '/items/1/n', stream: '/room' });
    const data = JSON.stringify({ meta: { 'created/at': T_MS }, items: [{ n: 0 }, { n: 42 }], room: 'lobby' });
    expect(read(event(data))).toEqual({ sentAtMs: T_MS, timeUnit: 'ms', seq: 42, stream: 'lobby' });
  });

  it("reads the sequence from the SSE id through a named capture, as nchan's 1796413687:0 ids need", () => {
    const read = createEventReader({ seq: 'id', seqPattern: '^\\d+:(?<seq>\\d+)$', stream: 'event' });
    expect(read(event('anything, not JSON', '1796413687:7', 'chat'))).toEqual({ seq: 7, stream: 'chat' });
    // An id the pattern does not match has no sequence: nothing to count.
    expect(read(event('x', 'garbage'))).toBeUndefined();
  });

  it('reads data that is not JSON through a pattern with named captures', () => {
    const read = createEventReader({ dataPattern: '^tick (?<seq>\\d+) at (?<time>\\S+)$' });
    expect(read(event('tick 9 at 2026-12-08T01:00:00.123Z'))).toEqual({ seq: 9, sentAtMs: T_MS, timeUnit: 'iso', stream: '' });
    expect(read(event('something else'))).toBeUndefined();
  });

  it("agrees with the reference server's own payload when mapped to its fields", () => {
    const read = createEventReader({ time: '/sentAt', seq: '/seq', stream: '/stream' });
    const data = formatEventPayload({ seq: 3, sentAt: T_MS, stream: 's-1' }, { padding: 'x' });
    expect(read(event(data))).toEqual({ sentAtMs: T_MS, timeUnit: 'ms', seq: 3, stream: 's-1' });
  });

  it('ignores what is not there or not a number, without throwing on any data', () => {
    const read = createEventReader({ time: '/ts', seq: '/n' });
    for (const data of ['', '{', '[1,2]', '{"ts":"soon","n":-1}', '{"ts":null}', '"just a string"', '{"n":1.5}', '{"n":"12345678901234567"}']) {
      expect(read(event(data))).toBeUndefined();
    }
    // Prototype keys are not fields of the event.
    expect(createEventReader({ time: '/constructor' })(event('{}'))).toBeUndefined();
  });
});

describe('mappingProblems', () => {
  it('accepts the documented forms', () => {
    expect(mappingProblems({ time: '/ts' })).toEqual([]);
    expect(mappingProblems({ time: '/meta/createdAt', timeUnit: 'iso', seq: 'id', seqPattern: '^(?<seq>\\d+)', stream: 'event' })).toEqual([]);
    expect(mappingProblems({ dataPattern: '(?<time>\\d+)' })).toEqual([]);
  });

  it('names the field and what is allowed for each mistake', () => {
    const fields = (input: Parameters<typeof mappingProblems>[0]) => mappingProblems(input).map((problem) => problem.field);
    expect(fields({ time: 'ts' })).toEqual(['time']);
    expect(fields({ time: '/a~2b' })).toEqual(['time']);
    expect(fields({ seq: 'lastEventId' })).toEqual(['seq']);
    expect(fields({ time: '/ts', stream: 'room' })).toEqual(['stream']);
    expect(fields({ seq: 'id', seqPattern: '(unclosed' })).toEqual(['seqPattern']);
    expect(fields({ seq: 'id', seqPattern: '(\\d+)' })).toEqual(['seqPattern']);
    expect(fields({ time: '/ts', seqPattern: '(?<seq>\\d+)' })).toEqual(['seqPattern']);
    expect(fields({ dataPattern: '\\d+' })).toEqual(['dataPattern']);
    expect(fields({})).toEqual(['time']);
    expect(mappingProblems({ seq: 'lastEventId' })[0]?.message).toMatch(/JSON pointer .* or "id"/);
  });
});

describe('createSequenceTracker for someone else’s sequence', () => {
  it('takes the first number seen as the baseline and counts only later gaps', () => {
    const tracker = createSequenceTracker('first-seen');
    expect(tracker.observe(1000)).toBe('new');
    expect(tracker.lost).toBe(0);
    tracker.observe(1001);
    tracker.observe(1004);
    expect(tracker.observe(1002)).toBe('duplicate');
    expect(tracker.lost).toBe(2);
    expect(tracker.duplicated).toBe(1);
  });
});
