/**
 * The parser against the WHATWG HTML standard, 9.2.5 "Parsing an event stream" and 9.2.6
 * "Interpreting an event stream" (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 * Each case quotes the step it checks.
 */
import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent, type SseParserOptions } from '../../../src/core/sse-parser.js';
import { parseSseChunks, type ParsedStream as Parsed } from '../../helpers/parse-sse.js';

/** A chunk as bytes (UTF-8 of the string, or raw byte values) or as text, the way k6 hands bodies over. */
type Chunk = { bytes: string } | { raw: number[] } | { text: string };

const encoder = new TextEncoder();

function parse(chunks: readonly Chunk[], options?: SseParserOptions): Parsed {
  return parseSseChunks(
    chunks.map((chunk) => ('text' in chunk ? chunk.text : 'raw' in chunk ? Uint8Array.from(chunk.raw) : encoder.encode(chunk.bytes))),
    options,
  );
}

const bytes = (...parts: string[]): Chunk[] => parts.map((part) => ({ bytes: part }));
const text = (...parts: string[]): Chunk[] => parts.map((part) => ({ text: part }));
/** Every byte of the UTF-8 encoding in its own chunk. */
const oneBytePerChunk = (stream: string): Chunk[] => [...encoder.encode(stream)].map((byte) => ({ raw: [byte] }));

const message = (data: string, lastEventId = '', type = 'message'): SseEvent => ({ type, data, lastEventId });

interface Case {
  name: string;
  /** The spec text the case checks. */
  spec: string;
  chunks: Chunk[];
  options?: SseParserOptions;
  events: SseEvent[];
  comments?: string[];
  retries?: number[];
  lastEventId?: string;
}

const cases: Case[] = [
  // --- decoding ---
  {
    name: 'strips one leading UTF-8 BOM from bytes',
    spec: 'The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if any.',
    chunks: bytes('\uFEFFdata: a\n\n'),
    events: [message('a')],
  },
  {
    name: 'treats a second leading BOM as data, so the first field name is not "data"',
    spec: 'The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if any.',
    chunks: bytes('\uFEFF\uFEFFdata: a\n\ndata: b\n\n'),
    events: [message('b')],
  },
  {
    name: 'strips a BOM whose three bytes arrive in three chunks',
    spec: 'The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if any.',
    chunks: [{ raw: [0xef] }, { raw: [0xbb] }, { raw: [0xbf] }, ...bytes('data: a\n\n')],
    events: [message('a')],
  },
  {
    name: 'keeps a BOM that opens a later chunk (it is not leading)',
    spec: 'The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if any.',
    chunks: bytes('data: a\n\n', '\uFEFFdata: b\n\n'),
    events: [message('a')],
  },
  {
    name: 'strips one leading BOM from text input, as k6 gives it',
    spec: 'stream = [ bom ] *event',
    chunks: text('\uFEFFdata: a\n\n\uFEFFdata: b\n\n'),
    events: [message('a')],
  },
  {
    name: 'keeps a BOM in bytes that follow text input',
    spec: 'The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if any.',
    chunks: [{ text: 'data: a\n\n' }, { bytes: '\uFEFFdata: b\n\n' }],
    events: [message('a')],
  },
  {
    name: 'decodes a multi-byte character split across chunks',
    spec: 'Streams must be decoded using the UTF-8 decode algorithm.',
    chunks: oneBytePerChunk('data: é€😀\n\n'),
    events: [message('é€😀')],
  },
  {
    name: 'decodes a 4-byte character split 1+3 and 3+1 across chunks',
    spec: 'Streams must be decoded using the UTF-8 decode algorithm.',
    chunks: [...bytes('data: '), { raw: [0xf0] }, { raw: [0x9f, 0x98, 0x80, 0xf0, 0x9f, 0x98] }, { raw: [0x80, 0x0a, 0x0a] }],
    events: [message('😀😀')],
  },
  {
    name: 'replaces invalid UTF-8 with U+FFFD instead of failing',
    spec: 'Streams must be decoded using the UTF-8 decode algorithm.',
    chunks: [...bytes('data: '), { raw: [0xff, 0x61, 0x0a, 0x0a] }],
    events: [message('\uFFFDa')],
  },
  {
    name: 'replaces a character cut off by the end of the stream, and discards its event',
    spec: 'Once the end of the file is reached, any pending data must be discarded.',
    chunks: [...bytes('data: a\n\ndata: '), { raw: [0xe2, 0x82] }],
    events: [message('a')],
  },

  // --- line ends ---
  {
    name: 'ends lines at CRLF, LF and CR alike',
    spec: 'a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character pair, a single U+000A LINE FEED (LF) character not preceded by a U+000D CARRIAGE RETURN (CR) character, and a single U+000D CARRIAGE RETURN (CR) character not followed by a U+000A LINE FEED (LF) character being the ways in which a line can end',
    chunks: bytes('data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\r\n\n'),
    events: [message('a'), message('b'), message('c'), message('d')],
  },
  {
    name: 'treats a CR and its LF in different chunks as one line end',
    spec: 'a single U+000D CARRIAGE RETURN (CR) character not followed by a U+000A LINE FEED (LF) character',
    chunks: bytes('data: a\r', '\ndata: b\r', '\n\r', '\n'),
    events: [message('a\nb')],
  },
  {
    name: 'remembers a trailing CR across an empty chunk',
    spec: 'a single U+000A LINE FEED (LF) character not preceded by a U+000D CARRIAGE RETURN (CR) character',
    chunks: text('data: a\r', '', '\n', 'data: b\n\n'),
    events: [message('a\nb')],
  },
  {
    name: 'remembers a trailing CR across a chunk holding only part of a character',
    spec: 'a single U+000A LINE FEED (LF) character not preceded by a U+000D CARRIAGE RETURN (CR) character',
    chunks: [...bytes('data: a\r'), { raw: [] }, ...bytes('\ndata: b\n\n')],
    events: [message('a\nb')],
  },
  {
    name: 'ends a line at a CR followed by another CR in the next chunk',
    spec: 'a single U+000D CARRIAGE RETURN (CR) character not followed by a U+000A LINE FEED (LF) character',
    chunks: bytes('data: a\r', '\rdata: b\r\r'),
    events: [message('a'), message('b')],
  },
  {
    name: 'ends a line at a CR that is the last byte of the stream',
    spec: 'a single U+000D CARRIAGE RETURN (CR) character not followed by a U+000A LINE FEED (LF) character',
    chunks: bytes('data: a\n\r'),
    events: [message('a')],
  },

  // --- lines ---
  {
    name: 'reports comment lines separately and dispatches nothing for them',
    spec: 'If the line starts with a U+003A COLON character (:) — Ignore the line.',
    chunks: bytes(': heartbeat\n:\n::x\ndata: a\n: inside\n\n'),
    events: [message('a')],
    comments: [' heartbeat', '', ':x', ' inside'],
  },
  {
    name: 'treats a line with no colon as a field name with an empty value',
    spec: 'Process the field using the steps described below, using the whole line as the field name, and the empty string as the field value.',
    chunks: bytes('data\n\nevent\ndata: a\n\n'),
    events: [message(''), message('a')],
  },
  {
    name: 'strips one leading space of a value and no more',
    spec: 'If value starts with a U+0020 SPACE character, remove it from value.',
    chunks: bytes('data:  two\n\ndata:none\n\ndata:\ttab\n\n'),
    events: [message(' two'), message('none'), message('\ttab')],
  },
  {
    name: 'splits the field at the first colon only',
    spec: 'Collect the characters on the line before the first U+003A COLON character (:), and let field be that string.',
    chunks: bytes('data: {"a":1}: b\n\n'),
    events: [message('{"a":1}: b')],
  },
  {
    name: 'ignores unknown fields, and field names are case-sensitive',
    spec: 'Otherwise — The field is ignored.',
    chunks: bytes('foo: bar\nData: x\nDATA: y\n data: z\ndata: a\n\n'),
    events: [message('a')],
  },

  // --- fields ---
  {
    name: 'joins data lines with LF and removes the last LF',
    spec: 'Append the field value to the data buffer, then append a single U+000A LINE FEED (LF) character to the data buffer. / If the data buffer\'s last character is a U+000A LINE FEED (LF) character, then remove the last character from the data buffer.',
    chunks: bytes('data: a\ndata:\ndata: b\n\ndata: c\ndata:\n\n'),
    events: [message('a\n\nb'), message('c\n')],
  },
  {
    name: 'defaults the event type to message and resets it after each dispatch',
    spec: 'Initialize event\'s type attribute to "message" … If the event type buffer has a value other than the empty string, change the type of the newly created event to equal the value of the event type buffer.',
    chunks: bytes('event: add\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n'),
    events: [message('1', '', 'add'), message('2'), message('3')],
  },
  {
    name: 'keeps the last event field of a block',
    spec: 'If the field name is "event" — Set the event type buffer to field value.',
    chunks: bytes('event: a\nevent: b\ndata: x\n\n'),
    events: [message('x', '', 'b')],
  },
  {
    name: 'keeps the last event ID across events until the server sets it again',
    spec: 'The buffer does not get reset, so the last event ID string of the event source remains set to this value until the next time it is set by the server.',
    chunks: bytes('id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n'),
    events: [message('a', '1'), message('b', '1'), message('c', '2')],
    lastEventId: '2',
  },
  {
    name: 'ignores an id containing NUL',
    spec: 'If the field value does not contain U+0000 NULL, then set the last event ID buffer to the field value. Otherwise, ignore the field.',
    chunks: bytes('id: 1\ndata: a\n\nid: 2\u0000x\ndata: b\n\n'),
    events: [message('a', '1'), message('b', '1')],
    lastEventId: '1',
  },
  {
    name: 'resets the last event ID on an empty id, with or without a colon',
    spec: 'If the field name is "id" — … set the last event ID buffer to the field value.',
    chunks: bytes('id: 1\ndata: a\n\nid:\ndata: b\n\nid: 3\ndata: c\n\nid\ndata: d\n\n'),
    events: [message('a', '1'), message('b', ''), message('c', '3'), message('d', '')],
    lastEventId: '',
  },
  {
    name: 'starts from the last event ID carried over from an earlier connection',
    spec: 'Initialize event\'s … lastEventId attribute to the last event ID string of the event source.',
    chunks: bytes('data: a\n\n'),
    options: { lastEventId: '41' },
    events: [message('a', '41')],
    lastEventId: '41',
  },
  {
    name: 'accepts retry only when it is all ASCII digits',
    spec: 'If the field value consists of only ASCII digits, then interpret the field value as an integer in base ten, and set the event stream\'s reconnection time to that integer. Otherwise, ignore the field.',
    chunks: bytes('retry: 1500\nretry: 15a\nretry: -1\nretry:  20\nretry:\nretry\nretry: 2.5\nretry: 1e3\nretry: ０\nretry: 0030\n\n'),
    events: [],
    retries: [1500, 30],
  },

  // --- dispatch ---
  {
    name: 'dispatches nothing for a blank line with no data, yet updates the last event ID',
    spec: '1. Set the last event ID string of the event source to the value of the last event ID buffer. 2. If the data buffer is an empty string, set the data buffer and the event type buffer to the empty string and return.',
    chunks: bytes('id: 7\n\n\n\nevent: ping\n\ndata: a\n\n'),
    events: [message('a', '7')],
    lastEventId: '7',
  },
  {
    name: 'dispatches an event whose only data line is empty',
    spec: 'If the data buffer is an empty string … return. (A data line with no value leaves the buffer holding one LF, which is not empty.)',
    chunks: bytes('data:\n\n'),
    events: [message('')],
  },
  {
    name: 'discards an event not ended by a blank line when the stream ends',
    spec: 'Once the end of the file is reached, any pending data must be discarded. (If the file ends in the middle of an event, before the final empty line, the incomplete event is not dispatched.)',
    chunks: bytes('data: a\n\ndata: b\n', 'data: c'),
    events: [message('a')],
  },
  {
    name: 'does not take the id of an event the stream ended before dispatching',
    spec: 'Once the end of the file is reached, any pending data must be discarded.',
    chunks: bytes('id: 1\ndata: a\n\nid: 2\ndata: b\n'),
    events: [message('a', '1')],
    lastEventId: '1',
  },
  {
    name: 'keeps NUL and other control characters in data',
    spec: 'any-char = %x0000-0009 / %x000B-000C / %x000E-10FFFF',
    chunks: bytes('data: a\u0000b\u000bc\n\n'),
    events: [message('a\u0000b\u000bc')],
  },

  // --- text input, as k6 gives it ---
  {
    name: 'parses a whole body handed over as one string',
    spec: 'Lines must be processed, in the order they are received',
    chunks: text('retry: 2000\r\n: hb\r\nid: 1\r\nevent: tick\r\ndata: {"seq":1}\r\n\r\nid: 2\r\ndata: {"seq":2}\r\n\r\n'),
    events: [message('{"seq":1}', '1', 'tick'), message('{"seq":2}', '2')],
    comments: [' hb'],
    retries: [2000],
    lastEventId: '2',
  },
  {
    name: 'joins text chunks split inside a line and inside a surrogate pair',
    spec: 'Lines must be processed, in the order they are received',
    chunks: text('da', 'ta: \uD83D', '\uDE00 ok\r', '\n\r', '\n'),
    events: [message('😀 ok')],
  },
];

describe('createSseParser', () => {
  it.each(cases)('$name', (testCase) => {
    const parsed = parse(testCase.chunks, testCase.options);
    expect(parsed.events).toEqual(testCase.events);
    expect(parsed.comments).toEqual(testCase.comments ?? []);
    expect(parsed.retries).toEqual(testCase.retries ?? []);
    expect(parsed.lastEventId).toBe(testCase.lastEventId ?? testCase.events.at(-1)?.lastEventId ?? '');
  });

  it('gives the same result for every case when each byte arrives in its own chunk', () => {
    for (const testCase of cases) {
      if (testCase.chunks.some((chunk) => 'text' in chunk)) continue;
      const whole = concatBytes(testCase.chunks);
      const split = parse([...whole].map((byte) => ({ raw: [byte] })), testCase.options);
      expect(split, testCase.name).toEqual(parse(testCase.chunks, testCase.options));
    }
  });

  it('dispatches as soon as the blank line arrives, before the stream ends', () => {
    const events: SseEvent[] = [];
    const parser = createSseParser({ onEvent: (event) => events.push(event) });
    parser.push(encoder.encode('data: a\n'));
    expect(events).toEqual([]);
    parser.push(encoder.encode('\n'));
    expect(events).toEqual([message('a')]);
  });

  it('refuses input after end()', () => {
    const parser = createSseParser({ onEvent: () => {} });
    parser.end();
    expect(() => parser.push('data: a\n\n')).toThrow(/after end/);
  });
});

function concatBytes(chunks: readonly Chunk[]): Uint8Array {
  const parts = chunks.map((chunk) =>
    'raw' in chunk ? Uint8Array.from(chunk.raw) : 'bytes' in chunk ? encoder.encode(chunk.bytes) : new Uint8Array(),
  );
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}
