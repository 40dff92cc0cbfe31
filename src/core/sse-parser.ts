/**
 * An incremental parser of `text/event-stream`, following the WHATWG HTML standard,
 * "9.2.6 Interpreting an event stream" (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 *
 * It uses no Node API: k6 bundles import it. Bytes are decoded once per chunk with a streaming
 * `TextDecoder` (a multi-byte character split across chunks is held back by the decoder), and lines
 * are cut from the decoded text with `indexOf`, so no work is done per byte in JavaScript.
 *
 * It is bounded: a target that sends a line that never ends, or one event that never ends, would
 * otherwise grow the harness's memory until the process dies. Past a cap the parser reports a
 * protocol error once and ignores the rest of the stream, keeping nothing.
 */

/** A dispatched event, as `MessageEvent` would carry it. */
export interface SseEvent {
  /** The event type: the last `event` field of the block, or `message`. */
  readonly type: string;
  readonly data: string;
  /** The last event ID string at the time of dispatch (it persists across events). */
  readonly lastEventId: string;
}

export interface SseParserHandlers {
  onEvent(event: SseEvent): void;
  /** A comment line (`:` and what follows it, without the colon): servers send these as heartbeats. */
  onComment?(text: string): void;
  /** A `retry` field made only of ASCII digits: the new reconnection time in milliseconds. */
  onRetry?(reconnectionTimeMs: number): void;
  /**
   * The stream went past a cap (`maxLineLength`, `maxEventLength`): called once, after which the
   * parser has dropped what it held and ignores further input. The connection should be ended.
   */
  onProtocolError?(message: string): void;
}

export interface SseParserOptions {
  /** The last event ID carried over from an earlier connection (EventSource keeps it across reconnects). */
  lastEventId?: string;
  /**
   * The longest line accepted, in characters (UTF-16 code units of the decoded text, without the
   * line end; for ASCII one per byte, never more than the UTF-8 bytes). Default 1 MiB.
   */
  maxLineLength?: number;
  /**
   * The most characters one event may hold: every line from the end of the previous event (a blank
   * line) to the blank line that dispatches it, comments and ignored fields included, line ends not
   * counted. Default 4 MiB. Comments count because a field value sliced from a socket read keeps
   * the whole read alive in V8: counting only `data` let 34 K characters of data hold 124 MB of
   * reads padded with comments (measured), while counting every line bounds what one event holds
   * to the cap plus one read.
   */
  maxEventLength?: number;
}

/**
 * The default caps. A real app's line is a JSON payload of a few KiB at most (an LLM token stream,
 * a patch, a notification), and its event a few such lines, so 1 MiB and 4 MiB pass anything it
 * sends with a margin of a thousand. They are caps, not expected sizes: they bound what one hostile
 * connection costs (≤ 5 Mi characters, 10 MB as two-byte strings) and end a runaway stream within
 * seconds, where an unbounded buffer grows until V8's string limit (2^29 characters) throws or the
 * process runs out of memory. They do not make 10,000 hostile connections at their caps at once fit
 * in memory (that would be 50 GiB); a smaller cap for huge fleets is a parser option.
 */
export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;
export const DEFAULT_MAX_EVENT_LENGTH = 4 * 1024 * 1024;

export interface SseParser {
  /** Feeds the next chunk of the stream: bytes (decoded as UTF-8) or text already decoded. */
  push(chunk: Uint8Array | string): void;
  /** Ends the stream: an event not closed by a blank line is discarded, as the spec asks. */
  end(): void;
  /** The last event ID string, updated at every dispatch, even of a block without data. */
  readonly lastEventId: string;
  /**
   * The characters the parser holds for the stream: the unfinished line and the lines of the
   * unfinished event (an upper bound of its buffers). Never above `maxLineLength + maxEventLength`;
   * 0 after a protocol error or the end.
   */
  readonly bufferedLength: number;
  /** The protocol error that stopped the parser, if one did. */
  readonly protocolError: string | undefined;
}

/** The part of `TextDecoder` we use: declared here so core/ needs no DOM or Node typings. */
interface Utf8Decoder {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

const LF = '\n';
const CR = '\r';
// Shared, so that decoding a chunk allocates nothing but its text.
const STREAM = { stream: true } as const;

export function createSseParser(handlers: SseParserHandlers, options: SseParserOptions = {}): SseParser {
  let decoder: Utf8Decoder | undefined;
  // Text of a line whose end has not arrived yet.
  let pending = '';
  // "a single U+000D CARRIAGE RETURN (CR) character not followed by a U+000A LINE FEED (LF)" ends a
  // line, so a CR at the very end of a chunk ends its line now, and an LF that opens the next chunk
  // belongs to that CRLF pair and must be skipped.
  let skipLeadingLf = false;
  let ended = false;
  // Text input (k6 hands bodies over as strings) has not met a decoder, so its BOM is ours to strip.
  let atStreamStart = true;

  let dataBuffer = '';
  let hasData = false;
  let eventTypeBuffer = '';
  let lastEventIdBuffer = options.lastEventId ?? '';
  let lastEventId = lastEventIdBuffer;

  const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  const maxEventLength = options.maxEventLength ?? DEFAULT_MAX_EVENT_LENGTH;
  // Characters of the current event's lines so far (see `maxEventLength`).
  let eventLength = 0;
  let protocolError: string | undefined;

  /** Past a cap: drop everything held, report once, and ignore the rest of the stream. */
  function fail(message: string): void {
    protocolError = message;
    pending = '';
    dataBuffer = '';
    hasData = false;
    eventTypeBuffer = '';
    eventLength = 0;
    // An id seen in the unfinished event was never dispatched: the stream's last event ID stays.
    lastEventIdBuffer = lastEventId;
    decoder = undefined;
    handlers.onProtocolError?.(message);
  }

  function dispatch(): void {
    // "1. Set the last event ID string of the event source to the value of the last event ID buffer."
    lastEventId = lastEventIdBuffer;
    // "2. If the data buffer is an empty string, set the data buffer and the event type buffer to
    // the empty string and return."
    if (!hasData) {
      eventTypeBuffer = '';
      return;
    }
    // "3. If the data buffer's last character is a U+000A LINE FEED (LF) character, then remove the
    // last character from the data buffer." The buffer always ends in LF here, since each data line
    // appends one; we join without the final LF instead.
    const event: SseEvent = {
      type: eventTypeBuffer === '' ? 'message' : eventTypeBuffer,
      data: dataBuffer,
      lastEventId,
    };
    dataBuffer = '';
    hasData = false;
    eventTypeBuffer = '';
    handlers.onEvent(event);
  }

  // Lines are handled as (text, start, end) ranges of the decoded chunk, so a line costs one slice
  // (its value) rather than three (line, name, value).
  function processLine(text: string, start: number, end: number, colon: number): void {
    // "If the line is empty (a blank line): Dispatch the event, as defined below."
    if (start === end) {
      dispatch();
      return;
    }
    // "If the line starts with a U+003A COLON character (:): Ignore the line." We report it: it is
    // how servers send heartbeats.
    if (colon === start) {
      handlers.onComment?.(text.slice(start + 1, end));
      return;
    }
    let nameEnd: number;
    let valueStart: number;
    if (colon === -1 || colon >= end) {
      // "Otherwise, the string is not empty but does not contain a U+003A COLON character (:):
      // Process the field using the whole line as the field name, and the empty string as the
      // field value."
      nameEnd = end;
      valueStart = end;
    } else {
      // "Collect the characters on the line before the first U+003A COLON character (:), and let
      // field be that string. Collect the characters on the line after the first U+003A COLON
      // character (:), and let value be that string. If value starts with a U+0020 SPACE
      // character, remove it from value."
      nameEnd = colon;
      valueStart = text.charCodeAt(colon + 1) === 0x20 && colon + 1 < end ? colon + 2 : colon + 1;
    }
    switch (nameEnd - start) {
      case 4:
        if (isData(text, start)) {
          // "If the field name is "data": Append the field value to the data buffer, then append a
          // single U+000A LINE FEED (LF) character to the data buffer." We join with LF instead, so
          // the last LF that dispatch step 3 removes is never added.
          const value = text.slice(valueStart, end);
          dataBuffer = hasData ? dataBuffer + LF + value : value;
          hasData = true;
        }
        return;
      case 2:
        if (text.startsWith('id', start)) {
          // "If the field name is "id": If the field value does not contain U+0000 NULL, then set
          // the last event ID buffer to the field value. Otherwise, ignore the field."
          const value = text.slice(valueStart, end);
          if (!value.includes('\0')) lastEventIdBuffer = value;
        }
        return;
      case 5:
        if (text.startsWith('event', start)) {
          // "If the field name is "event": Set the event type buffer to field value."
          eventTypeBuffer = text.slice(valueStart, end);
        } else if (text.startsWith('retry', start)) {
          // "If the field name is "retry": If the field value consists of only ASCII digits, then
          // interpret the field value as an integer in base ten, and set the event stream's
          // reconnection time to that integer. Otherwise, ignore the field."
          const value = text.slice(valueStart, end);
          if (isAsciiDigits(value)) handlers.onRetry?.(Number.parseInt(value, 10));
        }
        return;
      default:
      // "Otherwise: The field is ignored."
    }
  }

  function pushText(text: string): void {
    const length = text.length;
    // An empty chunk says nothing about whether a pending CR's LF is still to come.
    if (length === 0) return;
    let start = 0;
    if (skipLeadingLf) {
      skipLeadingLf = false;
      if (text.charCodeAt(0) === 0x0a) start = 1;
    }
    // The next LF, CR and colon at or after `start`, searched again only once `start` has passed
    // them: a stream with no CR at all would otherwise rescan the rest of the chunk for a CR on
    // every line, which is quadratic in the chunk size. Most servers send no CR at all; the
    // `includes` guard matters: on Node 20, `indexOf(CR, start)` scanning a whole 16 KiB chunk here
    // made the parser 4× slower than `includes(CR)` does (bench/parser.bench.mjs).
    let lf = text.indexOf(LF, start);
    let cr = text.includes(CR) ? text.indexOf(CR, start) : -1;
    // -2: not searched yet (a chunk that only continues a pending line never needs it).
    let colon = -2;
    // The event's count in a local while the chunk is cut (a closure variable costs more per line),
    // written back before every return.
    let eventChars = eventLength;
    while (start < length) {
      if (lf !== -1 && lf < start) lf = text.indexOf(LF, start);
      if (cr !== -1 && cr < start) cr = text.indexOf(CR, start);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 < length) {
          next = text.charCodeAt(cr + 1) === 0x0a ? cr + 2 : cr + 1;
        } else {
          next = cr + 1;
          skipLeadingLf = true;
        }
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        // No line end in the rest of the chunk. Concatenation here is once per chunk, not per byte,
        // and V8 keeps repeated `+` as a rope, flattened once when the line completes.
        if (pending.length + length - start > maxLineLength) {
          fail(`a line longer than ${maxLineLength} characters`);
          return;
        }
        pending = pending.length > 0 ? pending + text.slice(start) : text.slice(start);
        eventLength = eventChars;
        return;
      }
      // The caps are checked before the line is interpreted, so no field of an oversized line or
      // event takes effect. A blank line dispatches and starts the next event's count.
      const pendingLength = pending.length;
      const lineLength = pendingLength + end - start;
      if (lineLength > maxLineLength) {
        fail(`a line longer than ${maxLineLength} characters`);
        return;
      }
      if (lineLength === 0) {
        eventChars = 0;
      } else if ((eventChars += lineLength) > maxEventLength) {
        fail(`an event longer than ${maxEventLength} characters`);
        return;
      }
      if (pendingLength > 0) {
        const line = pending + text.slice(start, end);
        pending = '';
        processLine(line, 0, line.length, line.indexOf(':'));
      } else {
        if (colon !== -1 && colon < start) colon = text.indexOf(':', start);
        processLine(text, start, end, colon);
      }
      start = next;
    }
    eventLength = eventChars;
  }

  return {
    push(chunk) {
      if (ended) throw new Error('SSE parser: push() after end()');
      if (protocolError !== undefined) return;
      if (typeof chunk === 'string') {
        if (atStreamStart && chunk.length > 0) {
          atStreamStart = false;
          if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
        }
        pushText(chunk);
        return;
      }
      if (chunk.length === 0) return;
      // "Streams must be decoded using the UTF-8 decode algorithm", which "strips one leading UTF-8
      // Byte Order Mark (BOM), if any": the default TextDecoder does exactly that, replaces invalid
      // sequences with U+FFFD, and with `stream` holds back an incomplete character until the next
      // chunk. If text came first, the stream has started and a BOM here is data.
      decoder ??= new TextDecoder('utf-8', { ignoreBOM: !atStreamStart });
      atStreamStart = false;
      pushText(decoder.decode(chunk, STREAM));
    },
    end() {
      if (ended) return;
      ended = true;
      if (decoder && protocolError === undefined) {
        pushText(decoder.decode());
      }
      // "Once the end of the file is reached, any pending data must be discarded. (If the file ends
      // in the middle of an event, before the final empty line, the incomplete event is not
      // dispatched.)"
      pending = '';
      dataBuffer = '';
      hasData = false;
      eventTypeBuffer = '';
      eventLength = 0;
    },
    get lastEventId() {
      return lastEventId;
    },
    get bufferedLength() {
      return pending.length + eventLength;
    },
    get protocolError() {
      return protocolError;
    },
  };
}

function isData(text: string, start: number): boolean {
  return (
    text.charCodeAt(start) === 0x64 && // d
    text.charCodeAt(start + 1) === 0x61 && // a
    text.charCodeAt(start + 2) === 0x74 && // t
    text.charCodeAt(start + 3) === 0x61 // a
  );
}

function isAsciiDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}
