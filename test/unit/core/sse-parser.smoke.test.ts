import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent } from '../../../src/core/sse-parser.js';

describe('createSseParser (smoke)', () => {
  it('dispatches an event split across a CR and its LF in different chunks', () => {
    const events: SseEvent[] = [];
    const parser = createSseParser({ onEvent: (event) => events.push(event) });
    parser.push(new TextEncoder().encode('\uFEFFid: 7\r'));
    parser.push(new TextEncoder().encode('\ndata: a\r\ndata:b\r\r\n'));
    expect(events).toEqual([{ type: 'message', data: 'a\nb', lastEventId: '7' }]);
  });
});
