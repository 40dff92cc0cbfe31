/**
 * The parser against hostile streams: its buffers are capped (a line that never ends, an event that
 * never ends), it reports the breach once and keeps nothing after it, and no byte sequence makes it
 * throw. Invalid UTF-8 is decoded as the spec's "UTF-8 decode" does: with U+FFFD, never an error.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_EVENT_LENGTH,
  DEFAULT_MAX_LINE_LENGTH,
  createSseParser,
  type SseEvent,
  type SseParser,
  type SseParserOptions,
} from '../../../src/core/sse-parser.js';
import { parseSseChunks } from '../../helpers/parse-sse.js';

const encoder = new TextEncoder();

interface Watched {
  parser: SseParser;
  events: SseEvent[];
  errors: string[];
}

function watch(options?: SseParserOptions): Watched {
  const watched: Watched = { parser: undefined as unknown as SseParser, events: [], errors: [] };
  watched.parser = createSseParser(
    {
      onEvent: (event) => watched.events.push(event),
      onProtocolError: (message) => watched.errors.push(message),
    },
    options,
  );
  return watched;
}

/** Runs a full garbage collection (vitest does not pass --expose-gc to its workers). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('createSseParser caps (properties)', () => {
  // Random bytes, with line ends and field names mixed in often enough that lines complete, fields
  // parse and events dispatch.
  const pieceArb = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 255 }).map((byte) => [byte]) },
    { weight: 3, arbitrary: fc.constantFrom('\n', '\r', ':', ' ').map((text) => [...encoder.encode(text)]) },
    { weight: 3, arbitrary: fc.constantFrom('data: ', 'data:', 'id: ', 'event: ', '\n\n', '\ndata: ok\n\n').map((text) => [...encoder.encode(text)]) },
  );
  const bytesArb = fc.array(pieceArb, { maxLength: 400 }).map((pieces) => Uint8Array.from(pieces.flat()));
  const capsArb = fc.record({ maxLineLength: fc.integer({ min: 0, max: 100 }), maxEventLength: fc.integer({ min: 0, max: 300 }) });

  it('never throws on random bytes in random chunks, and never holds more than its caps', () => {
    // Guards the property against a generator that never trips a cap or never completes an event.
    let runsWithError = 0;
    let runsWithEvents = 0;
    fc.assert(
      fc.property(bytesArb, fc.array(fc.nat(), { maxLength: 30 }), capsArb, (stream, cuts, caps) => {
        const { parser, errors, events } = watch(caps);
        const offsets = cuts.map((cut) => cut % (stream.length + 1)).sort((a, b) => a - b);
        let start = 0;
        for (const offset of [...offsets, stream.length]) {
          parser.push(stream.subarray(start, offset));
          start = offset;
          expect(parser.bufferedLength).toBeLessThanOrEqual(caps.maxLineLength + caps.maxEventLength);
          if (parser.protocolError !== undefined) expect(parser.bufferedLength).toBe(0);
        }
        parser.end();
        expect(parser.bufferedLength).toBe(0);
        expect(errors.length).toBeLessThanOrEqual(1);
        expect(errors[0]).toBe(parser.protocolError);
        if (errors.length > 0) runsWithError++;
        if (events.length > 0) runsWithEvents++;
      }),
      { numRuns: 500, seed: 9 },
    );
    expect(runsWithError).toBeGreaterThan(50);
    expect(runsWithEvents).toBeGreaterThan(25);
  });

  it('reports the same events and the same protocol error for any chunking of the same bytes', () => {
    fc.assert(
      fc.property(bytesArb, fc.array(fc.nat(), { maxLength: 30 }), capsArb, (stream, cuts, caps) => {
        const whole = watch(caps);
        whole.parser.push(stream);
        whole.parser.end();
        const split = watch(caps);
        const offsets = cuts.map((cut) => cut % (stream.length + 1)).sort((a, b) => a - b);
        let start = 0;
        for (const offset of [...offsets, stream.length]) {
          split.parser.push(stream.subarray(start, offset));
          start = offset;
        }
        split.parser.end();
        expect(split.events).toEqual(whole.events);
        expect(split.errors).toEqual(whole.errors);
      }),
      { numRuns: 300 },
    );
  });

  it('holds random bytes at the default caps without a protocol error or a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat({ max: 64 }), (stream, size) => {
        const { parser, errors } = watch();
        for (let offset = 0; offset < stream.length; offset += size + 1) parser.push(stream.subarray(offset, offset + size + 1));
        parser.end();
        expect(errors).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('createSseParser caps', () => {
  it('ends a 10 MB line sent in 64 KB chunks with one protocol error, and keeps nothing of it', () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x61); // 'a', no line end anywhere
    const chunks = Math.ceil((10 * 1024 * 1024) / chunk.length);
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const { parser, events, errors } = watch();
    let maxBuffered = 0;
    let errorAtChunk = -1;
    for (let i = 0; i < chunks; i++) {
      parser.push(chunk);
      maxBuffered = Math.max(maxBuffered, parser.bufferedLength);
      if (errorAtChunk === -1 && errors.length > 0) errorAtChunk = i;
    }
    // The 17th chunk takes the line past 1 MiB (16 × 64 KiB is exactly the cap: still accepted).
    expect(errorAtChunk).toBe(DEFAULT_MAX_LINE_LENGTH / chunk.length);
    expect(maxBuffered).toBe(DEFAULT_MAX_LINE_LENGTH);
    expect(errors).toEqual([`a line longer than ${DEFAULT_MAX_LINE_LENGTH} characters`]);
    expect(parser.bufferedLength).toBe(0);
    // Further input, even a well-formed event, is ignored.
    parser.push(encoder.encode('\n\ndata: after\n\n'));
    expect(events).toEqual([]);
    collectGarbage();
    // The parser is still referenced here: whatever it held would still count. 1 MiB of the line
    // alone would be 1 MB or more.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(512 * 1024);
    parser.end();
    expect(errors).toHaveLength(1);
  });

  it('ends a gigantic event of many data lines once its lines sum past the event cap', () => {
    const line = encoder.encode(`data: ${'x'.repeat(64 * 1024 - 7)}\n`); // 64 KiB - 1 characters, plus LF
    const { parser, events, errors } = watch();
    parser.push(encoder.encode('data: small\n\n'));
    let linesFed = 0;
    while (errors.length === 0 && linesFed < 200) {
      parser.push(line);
      linesFed++;
      expect(parser.bufferedLength).toBeLessThanOrEqual(DEFAULT_MAX_EVENT_LENGTH);
    }
    // 64 lines of 65,535 characters are 64 characters short of 4 MiB: the 65th line breaks the cap.
    expect(linesFed).toBe(65);
    expect(errors).toEqual([`an event longer than ${DEFAULT_MAX_EVENT_LENGTH} characters`]);
    parser.push(encoder.encode('\n'));
    expect(events.map((event) => event.data)).toEqual(['small']);
    expect(parser.bufferedLength).toBe(0);
  });

  it('counts comments and ignored fields inside an event, which pad reads a data line keeps alive', () => {
    const { parser, events, errors } = watch({ maxEventLength: 1000 });
    for (let i = 0; i < 10 && errors.length === 0; i++) parser.push(encoder.encode(`:${'p'.repeat(200)}\ndata: 0123456789abcdef\n`));
    expect(errors).toEqual(['an event longer than 1000 characters']);
    expect(events).toEqual([]);
  });

  it('starts counting again after every blank line, so a long stream of small events never trips it', () => {
    const { parser, events, errors } = watch({ maxLineLength: 16, maxEventLength: 32 });
    const event = encoder.encode('id: 1\ndata: 0123456789\n\n'); // lines of 5 and 16 characters
    for (let i = 0; i < 10_000; i++) parser.push(event);
    expect(errors).toEqual([]);
    expect(events).toHaveLength(10_000);
  });

  describe('at the boundary', () => {
    // "data: " is 6 characters: a 10-character line carries 4 of data.
    const at = 'data: abcd';
    const over = 'data: abcde';
    it.each([
      ['a line of exactly maxLineLength characters', [`${at}\n\n`], []],
      ['a line of maxLineLength + 1 characters', [`${over}\n\n`], ['a line longer than 10 characters']],
      ['a line at the cap, split before its line end', [at, '\n\n'], []],
      ['a line at the cap, its CR and LF in the next chunks', [at, '\r', '\n\n'], []],
      ['a line over the cap, split before its line end', [at, 'e\n\n'], ['a line longer than 10 characters']],
      ['a line over the cap, its last character after a split', ['data: ab', 'cde\n\n'], ['a line longer than 10 characters']],
    ])('%s', (_name, chunks, expected) => {
      for (const input of ['bytes', 'text'] as const) {
        const { parser, events, errors } = watch({ maxLineLength: 10 });
        for (const chunk of chunks) parser.push(input === 'bytes' ? encoder.encode(chunk) : chunk);
        parser.end();
        expect(errors).toEqual(expected);
        expect(events.map((event) => event.data)).toEqual(expected.length === 0 ? ['abcd'] : []);
      }
    });

    it.each([
      // Lines of 10 + 10 characters: 20. Line ends (LF or CRLF) do not count.
      ['an event of exactly maxEventLength characters', 'data: abcd\r\ndata: efgh\r\n\r\n', [], ['abcd\nefgh']],
      ['an event of maxEventLength + 1 characters', 'data: abcd\ndata: efghi\n\n', ['an event longer than 20 characters'], []],
      ['a comment taking an event past the cap', ': 1\ndata: abcd\ndata: efgh\n\n', ['an event longer than 20 characters'], []],
      ['two events of exactly maxEventLength characters', 'data: abcd\ndata: efgh\n\ndata: ijkl\ndata: mnop\n\n', [], ['abcd\nefgh', 'ijkl\nmnop']],
    ])('%s', (_name, stream, expected, data) => {
      const oneChunk = watch({ maxEventLength: 20 });
      oneChunk.parser.push(encoder.encode(stream));
      oneChunk.parser.end();
      expect(oneChunk.errors).toEqual(expected);
      expect(oneChunk.events.map((event) => event.data)).toEqual(data);
      const byteByByte = watch({ maxEventLength: 20 });
      for (const byte of encoder.encode(stream)) byteByByte.parser.push(Uint8Array.of(byte));
      byteByByte.parser.end();
      expect(byteByByte.errors).toEqual(expected);
      expect(byteByByte.events).toEqual(oneChunk.events);
    });
  });

  it('keeps the last dispatched event ID after a protocol error, not an id of the event it cut', () => {
    const { parser, errors } = watch({ maxEventLength: 20 });
    parser.push(encoder.encode('id: 7\ndata: a\n\nid: 8\ndata: 0123456789abcdef\n'));
    expect(errors).toHaveLength(1);
    expect(parser.lastEventId).toBe('7');
  });

  it('stops quietly when no one listens for protocol errors', () => {
    const events: SseEvent[] = [];
    const parser = createSseParser({ onEvent: (event) => events.push(event) }, { maxLineLength: 4 });
    parser.push('data: too long\n\n');
    parser.push('data\n\n');
    parser.end();
    expect(parser.protocolError).toBe('a line longer than 4 characters');
    expect(events).toEqual([]);
  });

  it('caps text input as it caps bytes (k6 hands whole bodies over as strings)', () => {
    const { parser, errors } = watch();
    parser.push('data: ' + 'y'.repeat(DEFAULT_MAX_LINE_LENGTH));
    expect(errors).toHaveLength(1);
    expect(parser.bufferedLength).toBe(0);
  });
});

describe('createSseParser on invalid UTF-8', () => {
  const data = (raw: number[], options?: SseParserOptions): string[] =>
    parseSseChunks([Uint8Array.from([...encoder.encode('data: '), ...raw, 0x0a, 0x0a])], options).events.map((event) => event.data);

  it.each([
    // The WHATWG Encoding standard's UTF-8 decoder: one U+FFFD per maximal invalid subpart.
    ['a stray continuation byte', [0x80], '\uFFFD'],
    ['a byte that never starts UTF-8', [0xff, 0x41], '\uFFFDA'],
    ['an overlong encoding of NUL', [0xc0, 0x80], '\uFFFD\uFFFD'],
    ['an encoded UTF-16 surrogate', [0xed, 0xa0, 0x80], '\uFFFD\uFFFD\uFFFD'],
    ['a truncated three-byte sequence before the line end', [0xe2, 0x82], '\uFFFD'],
    ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], '\uFFFD\uFFFD\uFFFD\uFFFD'],
  ])('replaces %s with U+FFFD, never throwing', (_name, raw, expected) => {
    expect(data(raw)).toEqual([expected]);
  });

  it('decodes a multi-byte character split across chunks at every byte', () => {
    const stream = encoder.encode('data: é€😀\n\n');
    for (let cut = 1; cut < stream.length; cut++) {
      for (let second = cut; second < stream.length; second++) {
        const chunks = [stream.subarray(0, cut), stream.subarray(cut, second), stream.subarray(second)];
        expect(parseSseChunks(chunks).events.map((event) => event.data)).toEqual(['é€😀']);
      }
    }
  });

  it('replaces a character cut short by the next chunk, and reads what follows it', () => {
    // 0xE2 0x82 opens a three-byte character; the next chunk starts with ASCII instead of 0xAC.
    const chunks = [Uint8Array.from([...encoder.encode('data: '), 0xe2, 0x82]), encoder.encode('x\n\n')];
    expect(parseSseChunks(chunks).events.map((event) => event.data)).toEqual(['\uFFFDx']);
  });

  it('keeps an id with invalid UTF-8 as its decoded text', () => {
    const parsed = parseSseChunks([Uint8Array.from([...encoder.encode('id: '), 0xff, 0x0a, ...encoder.encode('data: a\n\n')])]);
    expect(parsed.lastEventId).toBe('\uFFFD');
  });
});
