import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIntervalGroups } from '../../../src/server/interval-groups.js';

describe('shared interval timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it('fires one timer per interval for all its members, with the scheduled time', () => {
    const fires: Array<{ members: string[]; scheduledAt: number; intervalMs: number }> = [];
    const groups = createIntervalGroups<string>((members, scheduledAt, intervalMs) => fires.push({ members: [...members], scheduledAt, intervalMs }));
    groups.add(100, 'a');
    groups.add(100, 'b');
    groups.add(250, 'c');
    expect(vi.getTimerCount()).toBe(2);
    vi.advanceTimersByTime(300);
    expect(fires).toEqual([
      { members: ['a', 'b'], scheduledAt: 1_000_100, intervalMs: 100 },
      { members: ['a', 'b'], scheduledAt: 1_000_200, intervalMs: 100 },
      { members: ['c'], scheduledAt: 1_000_250, intervalMs: 250 },
      { members: ['a', 'b'], scheduledAt: 1_000_300, intervalMs: 100 },
    ]);
    groups.close();
  });

  it('stops the timer when the last member leaves, and after close', () => {
    const fire = vi.fn();
    const groups = createIntervalGroups<string>(fire);
    groups.add(100, 'a');
    groups.remove(100, 'a');
    expect(vi.getTimerCount()).toBe(0);
    groups.add(100, 'b');
    groups.close();
    vi.advanceTimersByTime(1_000);
    expect(fire).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports the scheduled time of a late fire and skips the slots it missed', () => {
    const scheduled: number[] = [];
    const groups = createIntervalGroups<string>((_members, scheduledAt) => {
      scheduled.push(scheduledAt);
      // The first fire blocks the "event loop" for 350 ms.
      if (scheduled.length === 1) vi.setSystemTime(Date.now() + 350);
    });
    groups.add(100, 'a');
    vi.advanceTimersByTime(100);
    vi.advanceTimersByTime(100);
    expect(scheduled[0]).toBe(1_000_100);
    // Ran at 1_000_450 instead of 1_000_200: no burst of catch-up fires, the next is one interval on.
    expect(scheduled[1]).toBe(1_000_200);
    vi.advanceTimersByTime(1_000);
    const gaps = scheduled.slice(2).map((at, i) => at - (scheduled[i + 1] as number));
    expect(gaps.every((gap) => gap >= 100)).toBe(true);
    groups.close();
  });
});
