import { describe, expect, it } from 'vitest';
import { createBusChannels, type BusEvent } from '../../../src/server/bus-channels.js';
import { assignAndAppend } from '../../../src/server/bus.js';

const event = (seq: number): BusEvent => ({ seq, sentAt: seq * 1000, type: 'message' });

describe('bus channels', () => {
  it('keeps a bounded buffer per user and answers eventsAfter from it', () => {
    const channels = createBusChannels({ bufferSize: 3 });
    for (let seq = 1; seq <= 5; seq++) channels.append('u1', event(seq));
    expect(channels.head('u1')).toBe(5);
    expect(channels.eventsAfter('u1', 0).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(channels.eventsAfter('u1', 3).map((e) => e.seq)).toEqual([4, 5]);
    expect(channels.eventsAfter('u1', 5)).toEqual([]);
    expect(channels.eventsAfter('nobody', 0)).toEqual([]);
  });

  it('delivers to subscribers and ignores an event it already has', () => {
    const channels = createBusChannels({ bufferSize: 10 });
    const seen: number[] = [];
    const subscriber = { deliver: (_user: string, e: BusEvent) => seen.push(e.seq) };
    channels.subscribe('u1', subscriber);
    channels.append('u1', event(1));
    channels.append('u1', event(1));
    channels.append('u1', event(2));
    channels.unsubscribe('u1', subscriber);
    channels.append('u1', event(3));
    expect(seen).toEqual([1, 2]);
    expect(channels.subscriberCount()).toBe(0);
  });

  it('counts users active while subscribed or within the window after a poll', () => {
    let now = 1_000_000;
    const channels = createBusChannels({ bufferSize: 10, now: () => now });
    channels.subscribe('streaming', { deliver: () => undefined });
    channels.touch('polling');
    now += 5_000;
    expect(channels.activeUsers(10_000).sort()).toEqual(['polling', 'streaming']);
    now += 10_000;
    expect(channels.activeUsers(10_000)).toEqual(['streaming']);
  });

  it('frees idle buffers on sweep but keeps the sequence head', () => {
    let now = 0;
    const channels = createBusChannels({ bufferSize: 10, now: () => now });
    assignAndAppend(channels, { userId: 'u1', type: 'message', sentAt: 1 });
    assignAndAppend(channels, { userId: 'u1', type: 'message', sentAt: 2 });
    now = 1_000_000;
    channels.sweep(60_000);
    expect(channels.eventsAfter('u1', 0)).toEqual([]);
    expect(assignAndAppend(channels, { userId: 'u1', type: 'message', sentAt: 3 })).toEqual({ published: 1 });
    expect(channels.head('u1')).toBe(3);
  });

  it('assigns sequence numbers per user, and broadcasts to every known user', () => {
    const channels = createBusChannels({ bufferSize: 10 });
    channels.touch('a');
    channels.touch('b');
    assignAndAppend(channels, { userId: 'a', type: 'message', sentAt: 1 });
    expect(assignAndAppend(channels, { broadcast: true, type: 'notice', sentAt: 2 })).toEqual({ published: 2 });
    expect(channels.eventsAfter('a', 0).map((e) => [e.seq, e.type])).toEqual([
      [1, 'message'],
      [2, 'notice'],
    ]);
    expect(channels.eventsAfter('b', 0).map((e) => [e.seq, e.type])).toEqual([[1, 'notice']]);
  });
});
