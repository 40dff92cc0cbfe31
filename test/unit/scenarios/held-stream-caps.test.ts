/**
 * The stock-k6 scenario parses a whole body at once with the shared parser: a body past its caps
 * stops the parsing there (no second copy of a huge line) and says so.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LINE_LENGTH } from '../../../src/core/sse-parser.js';
import { readHeldBody } from '../../../scenarios/lib/held-stream.js';
import { createStreamState } from '../../../scenarios/lib/sse-connection.js';

describe('readHeldBody past the parser caps', () => {
  it('counts the events before a line that never ends, and reports the protocol error', () => {
    const state = createStreamState();
    const event = `id: 1\ndata: ${JSON.stringify({ seq: 1, sentAt: 1_000, stream: 's' })}\n\n`;
    const body = readHeldBody(`${event}data: ${'z'.repeat(DEFAULT_MAX_LINE_LENGTH)}`, state);
    expect(body).toEqual({ events: 1, heartbeats: 0, lost: 0, duplicated: 0, lastSentAt: 1_000, protocolError: `a line longer than ${DEFAULT_MAX_LINE_LENGTH} characters` });
    expect(state.lastEventId).toBe('1');
  });
});
