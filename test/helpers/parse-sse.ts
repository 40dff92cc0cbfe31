/** Everything streamsoak's SSE parser reports for a whole stream, for tests of the parser. */
import { createSseParser, type SseEvent, type SseParserOptions } from '../../src/core/sse-parser.js';

export interface ParsedStream {
  events: SseEvent[];
  comments: string[];
  retries: number[];
  /** The parser's last event ID buffer after the stream ended. */
  lastEventId: string;
}

/** Pushes the chunks in order, ends the stream, and returns what the parser reported. */
export function parseSseChunks(chunks: readonly (Uint8Array | string)[], options?: SseParserOptions): ParsedStream {
  const parsed: ParsedStream = { events: [], comments: [], retries: [], lastEventId: '' };
  const parser = createSseParser(
    {
      onEvent: (event) => parsed.events.push(event),
      onComment: (text) => parsed.comments.push(text),
      onRetry: (ms) => parsed.retries.push(ms),
    },
    options,
  );
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  parsed.lastEventId = parser.lastEventId;
  return parsed;
}
