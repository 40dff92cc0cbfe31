import { describe, expect, it } from 'vitest';
import { createTickStreamRef, formatTickId, missedTicks, parseTickId } from '../../../src/server/tick-ids.js';

describe('tick stream ids', () => {
  it('round-trips a stream id: the schedule travels in the id itself', () => {
    const ref = createTickStreamRef(1_795_000_000_123, 250, () => 0.5);
    const resumed = parseTickId(formatTickId(ref.stream, 42));
    expect(resumed).toEqual({ stream: ref.stream, startMs: 1_795_000_000_123, intervalMs: 250, lastSeq: 42 });
  });

  it.each(['', '17', 'user:1', 't-abc:1', 't-zz-5k-abcd:x', 't-zz-1-abcd:3', `t-zz-${(70_000).toString(36)}-abcd:3`, 't-zz-5k-ab cd:3'])(
    'rejects %j, so the server starts a fresh stream',
    (id) => {
      expect(parseTickId(id)).toBeUndefined();
    },
  );

  it('lists the ticks that fell due after the last one received, with their scheduled times', () => {
    const resume = { stream: 's', startMs: 10_000, intervalMs: 100, lastSeq: 3 };
    expect(missedTicks(resume, 10_650, 100)).toEqual({
      replay: [4, 5, 6].map((seq) => ({ seq, sentAt: 10_000 + seq * 100 })),
      continueAfter: 6,
    });
  });

  it('keeps only the newest `limit` missed ticks, so the rest show up as a gap', () => {
    const resume = { stream: 's', startMs: 0, intervalMs: 10, lastSeq: 0 };
    const missed = missedTicks(resume, 1_000, 5);
    expect(missed.replay.map((tick) => tick.seq)).toEqual([96, 97, 98, 99, 100]);
    expect(missed.continueAfter).toBe(100);
    expect(missedTicks(resume, 1_000, 0)).toEqual({ replay: [], continueAfter: 100 });
  });

  it('never goes back: a client ahead of the nominal schedule continues after its own last seq', () => {
    const resume = { stream: 's', startMs: 0, intervalMs: 100, lastSeq: 12 };
    expect(missedTicks(resume, 1_000, 100)).toEqual({ replay: [], continueAfter: 12 });
  });
});
