import { describe, expect, it } from 'vitest';
import { createDeliveryLog, createFanOut, mergeFanOut } from '../../../src/engine/deliveries.js';
import { parsePlan } from '../../../src/engine/plan.js';
import { InvalidConfigError } from '../../../src/core/errors.js';

describe('a subscriber’s delivery log', () => {
  it('counts a message once, however often it is replayed', () => {
    const log = createDeliveryLog();
    expect(log.receive(3)).toBe(true);
    expect(log.receive(3)).toBe(false);
    // Past the first bytes: the bitset grows.
    expect(log.receive(50_000)).toBe(true);
    expect(log.receive(50_000)).toBe(false);
  });

  it('misses only messages accepted while one of its streams was open, and not received', () => {
    const log = createDeliveryLog();
    log.streamOpen(1_000, 2_000);
    log.streamOpen(3_000, 4_000);
    log.receive(1);
    const accepted: Array<[number, number]> = [
      [1, 1_500], // open, received
      [2, 1_900], // open, not received: missed
      [3, 2_500], // between two streams: not expected
      [4, 3_000], // open from its first millisecond: missed
      [5, 4_000], // the second stream had ended: not expected
    ];
    expect(log.missed(accepted)).toBe(2);
  });
});

describe('the fan-out of each message', () => {
  it('merges the first and last receipt of each message across workers into its spread', () => {
    const a = createFanOut();
    const b = createFanOut();
    a.observe({ seq: 1, intendedAtMs: 0 }, 100);
    a.observe({ seq: 1, intendedAtMs: 0 }, 130);
    b.observe({ seq: 1, intendedAtMs: 0 }, 90);
    b.observe({ seq: 2, intendedAtMs: 0 }, 500);
    expect(mergeFanOut([a.entries(), b.entries()]).sort((x, y) => x - y)).toEqual([0, 40]);
  });
});

describe('the plan’s publish section', () => {
  const base = { target: { url: 'http://127.0.0.1:9/sub/a' }, sse: { clients: 1 }, duration: '10s' };
  const issues = (publish: unknown): string[] => {
    try {
      parsePlan({ ...base, publish });
    } catch (error) {
      if (error instanceof InvalidConfigError) return [...error.issues];
      throw error;
    }
    return [];
  };

  it('fills the defaults: POST, the default body, the subscribers’ auth', () => {
    const plan = parsePlan({ ...base, publish: { url: 'http://127.0.0.1:9/pub/a', rate: 2 } });
    expect(plan.publish).toMatchObject({ method: 'POST', auth: 'subscribers', body: '{"id":"{{id}}","seq":{{seq}},"sentAt":{{sentAt}}}', timeoutMs: 10_000 });
  });

  it('refuses a body without {{id}}, a rate out of bounds, more than 100,000 messages, and an unusable URL', () => {
    expect(issues({ url: 'http://127.0.0.1:9/pub/a', rate: 1, body: '{"n":{{seq}}}' })).toEqual(['publish.body: must hold {{id}}: subscribers recognise each message by it']);
    expect(issues({ url: 'http://127.0.0.1:9/pub/a', rate: 0 })[0]).toMatch(/^publish\.rate: /);
    expect(issues({ url: 'http://127.0.0.1:9/pub/a', rate: 5_000 })[0]).toMatch(/^publish\.rate: at most 1,000 messages a second/);
    expect(parsePlan.bind(null, { ...base, duration: '2h', publish: { url: 'http://127.0.0.1:9/pub/a', rate: 100 } })).toThrow(/more than 100000 messages/);
    expect(issues({ url: 'http://user:pw@127.0.0.1:9/pub', rate: 1 })[0]).toMatch(/^publish\.url: credentials in the URL are not sent/);
  });
});
