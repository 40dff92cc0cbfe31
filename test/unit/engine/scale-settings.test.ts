import { describe, expect, it } from 'vitest';
import { resolveLocalAddresses } from '../../../src/engine/dispatchers.js';
import { CONNECTIONS_PER_WORKER, resolveWorkerCount } from '../../../src/engine/index.js';

describe('resolveWorkerCount', () => {
  it('uses one process per ~9,000 connections on auto, and the plan’s number otherwise', () => {
    expect(resolveWorkerCount('auto', 100)).toBe(1);
    expect(resolveWorkerCount('auto', CONNECTIONS_PER_WORKER)).toBe(1);
    expect(resolveWorkerCount('auto', 30_000)).toBe(4);
    expect(resolveWorkerCount(3, 10)).toBe(3);
  });
});

describe('resolveLocalAddresses', () => {
  it('rotates 127.0.0.x source addresses past 20,000 connections to an IPv4 loopback target', () => {
    expect(resolveLocalAddresses(undefined, 'http://127.0.0.1:8080', 10_000)).toEqual([]);
    expect(resolveLocalAddresses(undefined, 'http://127.0.0.1:8080', 30_000)).toEqual(['127.0.0.1', '127.0.0.2']);
    // A hostname may resolve to ::1, which a 127.0.0.x source cannot reach: no automatic rotation.
    expect(resolveLocalAddresses(undefined, 'http://localhost:8080', 30_000)).toEqual([]);
  });

  it('expands { count } and keeps an explicit list', () => {
    expect(resolveLocalAddresses({ count: 3 }, 'http://127.0.0.1:1', 1)).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(resolveLocalAddresses(['127.0.0.9'], 'http://127.0.0.1:1', 1)).toEqual(['127.0.0.9']);
    expect(resolveLocalAddresses({ count: 3 }, 'https://example.com', 1)).toEqual([]);
  });
});
