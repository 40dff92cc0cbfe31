import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLink } from '../../../src/platform/link.js';

// A link with only a delay (`addedDelayMs`): the timed queue of timed-queue.ts on its own.
describe('a link with a fixed delay', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs each action the delay after it was pushed, in order, each on its own schedule (no batching)', () => {
    const line = createLink({ delayMs: 40 });
    const ran: Array<[string, number]> = [];
    const at = (label: string) => () => ran.push([label, performance.now()]);
    line.push(at('head'));
    vi.advanceTimersByTime(10);
    line.push(at('a'));
    line.push(at('b'));
    vi.advanceTimersByTime(25);
    line.push(at('end'));
    expect(ran).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(ran).toEqual([
      ['head', 40],
      ['a', 50],
      ['b', 50],
      ['end', 75],
    ]);
  });

  it('keeps order and schedule on a stream that never lets the queue empty (the spent front is cut off)', () => {
    const line = createLink({ delayMs: 40 });
    const ran: Array<[number, number]> = [];
    // One action a millisecond for 5 s: 40 are always waiting, so the queue never drains.
    for (let i = 0; i < 5_000; i++) {
      line.push(() => ran.push([i, performance.now()]));
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(100);
    expect(ran).toHaveLength(5_000);
    expect(ran.every(([i, at]) => at === i + 40)).toBe(true);
  });

  it('runs at once with no delay, and drops what waits when cleared', () => {
    const ran: string[] = [];
    createLink({ delayMs: 0 }).push(() => ran.push('now'));
    expect(ran).toEqual(['now']);
    const line = createLink({ delayMs: 20 });
    line.push(() => ran.push('never'));
    line.clear();
    vi.advanceTimersByTime(100);
    expect(ran).toEqual(['now']);
  });
});
