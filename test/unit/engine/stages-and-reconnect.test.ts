import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../../src/engine/plan.js';
import { nextReconnectDelayMs } from '../../../src/engine/reconnect.js';
import { sseStages, targetAt } from '../../../src/engine/stages.js';

describe('targetAt', () => {
  const stages = [
    { duration: 10_000, target: 100 },
    { duration: 10_000, target: 100 },
    { duration: 5_000, target: 0 },
  ];

  it('ramps linearly from zero, holds, ramps down, then holds the last target', () => {
    expect(targetAt(stages, 0)).toBe(0);
    expect(targetAt(stages, 5_000)).toBe(50);
    expect(targetAt(stages, 10_000)).toBe(100);
    expect(targetAt(stages, 15_000)).toBe(100);
    expect(targetAt(stages, 22_500)).toBe(50);
    expect(targetAt(stages, 60_000)).toBe(0);
  });

  it('opens every client at once when there is no ramp', () => {
    expect(targetAt(sseStages({ clients: 40, rampUpMs: 0 }), 0)).toBe(40);
    expect(targetAt(sseStages({ clients: 40, rampUpMs: 4_000 }), 1_000)).toBe(10);
  });
});

describe('nextReconnectDelayMs', () => {
  const policy = (reconnect: unknown) => parsePlan({ target: { baseUrl: 'http://127.0.0.1:1' }, sse: { clients: 1, reconnect }, duration: '1s' }).sse.reconnect;
  const browser = policy({ policy: 'browser', defaultRetryMs: 3000, jitterMs: 1000 });
  const fresh = { serverRetryMs: undefined, failuresInRow: 0 };

  it.each([
    ['dropped', 'server_closed', 3_500],
    ['dropped', 'reset', 3_500],
    ['failed', 'refused', 3_500],
    ['failed', 'connect_timeout', 3_500],
    ['failed', 'http_204', undefined],
    ['failed', 'http_5xx', undefined],
    ['failed', 'bad_content_type', undefined],
    ['closed', 'client_closed', undefined],
  ] as const)('browser: after %s/%s waits %s ms (EventSource "reestablish" vs "fail the connection")', (outcome, reason, expected) => {
    expect(nextReconnectDelayMs(browser, outcome, reason, fresh, () => 0.5)).toBe(expected);
  });

  it("browser: uses the server's retry instead of the default", () => {
    expect(nextReconnectDelayMs(browser, 'dropped', 'server_closed', { serverRetryMs: 200, failuresInRow: 0 }, () => 0)).toBe(200);
  });

  it('none: never reconnects', () => {
    expect(nextReconnectDelayMs(policy({ policy: 'none' }), 'dropped', 'server_closed', fresh)).toBeUndefined();
  });

  it('backoff: doubles up to the cap, retries 5xx and 429, stops on 204 and client errors', () => {
    const backoff = policy({ policy: 'backoff', initialMs: 100, maxMs: 500, factor: 2, jitterMs: 0 });
    const delays = [1, 2, 3, 4, 5].map((failuresInRow) => nextReconnectDelayMs(backoff, 'failed', 'http_5xx', { serverRetryMs: undefined, failuresInRow }));
    expect(delays).toEqual([100, 200, 400, 500, 500]);
    expect(nextReconnectDelayMs(backoff, 'failed', 'http_429', { serverRetryMs: undefined, failuresInRow: 1 })).toBe(100);
    expect(nextReconnectDelayMs(backoff, 'failed', 'http_204', fresh)).toBeUndefined();
    expect(nextReconnectDelayMs(backoff, 'failed', 'http_401', fresh)).toBeUndefined();
  });
});
