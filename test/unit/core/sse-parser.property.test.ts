/**
 * Property tests: the parser's output depends on the bytes of the stream, never on how the network
 * cut them into chunks, and it matches a plain whole-stream reading of the spec.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSseChunks as parseChunks, type ParsedStream as Parsed } from '../../helpers/parse-sse.js';

const encoder = new TextEncoder();

/**
 * An independent reading of 9.2.6 on the whole stream at once: decode, split with a regular
 * expression, drop the unterminated tail, interpret line by line. It shares no code with the parser.
 */
function parseWhole(stream: Uint8Array): Parsed {
  const parsed: Parsed = { events: [], comments: [], retries: [], lastEventId: '' };
  const lines = new TextDecoder().decode(stream).split(/\r\n|\r|\n/);
  lines.pop(); // "Once the end of the file is reached, any pending data must be discarded."
  let data: string[] = [];
  let type = '';
  let idBuffer = '';
  for (const line of lines) {
    if (line === '') {
      parsed.lastEventId = idBuffer;
      if (data.length > 0) parsed.events.push({ type: type || 'message', data: data.join('\n'), lastEventId: idBuffer });
      data = [];
      type = '';
      continue;
    }
    if (line.startsWith(':')) {
      parsed.comments.push(line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') type = value;
    else if (field === 'id' && !value.includes('\0')) idBuffer = value;
    else if (field === 'retry' && /^[0-9]+$/.test(value)) parsed.retries.push(Number(value));
  }
  return parsed;
}

// Values rich in what the parser must get right: colons, spaces, NUL, BOMs, multi-byte characters.
const tricky = fc.constantFrom('a', '1', ' ', ':', '\0', '\uFEFF', 'é', '€', '😀', '{"seq":1}');
const valueArb = fc.oneof(
  fc.string({ unit: tricky, maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }).map((value) => value.replace(/[\r\n]/g, '')),
  fc.integer({ min: 0, max: 100_000 }).map(String),
);
const lineArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('data', 'event', 'id', 'retry', 'foo', 'Data'), fc.constantFrom(':', ': ', ':  ', ''), valueArb)
    .map(([name, sep, value]) => (sep === '' ? name : `${name}${sep}${value}`)) },
  { weight: 1, arbitrary: valueArb.map((value) => `:${value}`) },
  { weight: 3, arbitrary: fc.constant('') },
);
const lineEndArb = fc.constantFrom('\n', '\r', '\r\n');
const streamArb = fc
  .tuple(
    fc.constantFrom('', '\uFEFF', '\uFEFF\uFEFF'),
    fc.array(fc.tuple(lineArb, lineEndArb), { maxLength: 30 }),
    fc.constantFrom('', 'data: unterminated', 'data: x\r'),
  )
  .map(([bom, lines, tail]) => encoder.encode(bom + lines.map(([line, end]) => line + end).join('') + tail));

/**
 * Cuts `stream` at the given offsets (any byte offset: inside CRLF pairs and multi-byte characters).
 * Repeated offsets give empty chunks, which must change nothing either.
 */
function split(stream: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const offsets = cuts.map((cut) => cut % (stream.length + 1)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const offset of [...offsets, stream.length]) {
    chunks.push(stream.subarray(start, offset));
    start = offset;
  }
  return chunks;
}

describe('createSseParser (properties)', () => {
  it('yields the same events, comments, retries and last id for any split of the same bytes', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 40 }), (stream, cuts) => {
        const whole = parseChunks([stream]);
        expect(parseChunks(split(stream, cuts))).toEqual(whole);
        expect(parseChunks([...stream].map((byte) => Uint8Array.of(byte)))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('splits CRLF pairs and multi-byte characters in at least some generated runs', () => {
    // Guards the property above against a generator that never reaches the hard cases.
    let crlfSplit = 0;
    let charSplit = 0;
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 40 }), (stream, cuts) => {
        for (const chunk of split(stream, cuts).slice(0, -1)) {
          const last = chunk.at(-1);
          const end = chunk.byteOffset + chunk.length;
          if (last === 0x0d && stream[end] === 0x0a) crlfSplit++;
          if (last !== undefined && last >= 0x80 && ((stream[end] ?? 0) & 0xc0) === 0x80) charSplit++;
        }
      }),
      { numRuns: 300, seed: 42 },
    );
    expect(crlfSplit).toBeGreaterThan(0);
    expect(charSplit).toBeGreaterThan(0);
  });

  it('matches a whole-stream reading of the spec', () => {
    fc.assert(
      fc.property(streamArb, (stream) => {
        expect(parseChunks([stream])).toEqual(parseWhole(stream));
      }),
      { numRuns: 300 },
    );
  });

  it('yields the same result for text input split at any UTF-16 offset', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 20 }), (stream, cuts) => {
        // ignoreBOM keeps a leading BOM in the text, as k6 would: the parser must strip it itself.
        const body = new TextDecoder('utf-8', { ignoreBOM: true }).decode(stream);
        const offsets = cuts.map((cut) => cut % (body.length + 1)).sort((a, b) => a - b);
        const chunks: string[] = [];
        let start = 0;
        for (const offset of [...offsets, body.length]) {
          chunks.push(body.slice(start, offset));
          start = offset;
        }
        const whole = parseChunks([stream]);
        expect(parseChunks(chunks)).toEqual(whole);
        // Cut after every CR, with an empty chunk between: the LF that may follow is still its pair.
        expect(parseChunks(body.split(/(?<=\r)/).flatMap((piece) => [piece, '']))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});
