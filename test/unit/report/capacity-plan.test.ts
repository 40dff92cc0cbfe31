import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../src/core/errors.js';
import { summarySchema, type Summary } from '../../../src/results/schema.js';
import { formatCapacityPlan, judgeTier, planCapacity, type CapacityPlan } from '../../../src/report/capacity-plan.js';
import { loadManagedServices } from '../../../src/report/managed-services.js';
import { makeFixtureRun } from '../../fixtures/results/make-results.js';

function service(plan: CapacityPlan, name: string) {
  const found = plan.managed.find((entry) => entry.service === name);
  if (!found) throw new Error(`no ${name} in the plan`);
  return found;
}

function tierStatus(plan: CapacityPlan, name: string): string[] {
  return service(plan, name).tiers.map((tier) => `${tier.tier}:${tier.status}`);
}

/** A measured run: the fixture's summary with the connections held and the latency verdict set. */
const FIXTURE_SUMMARY = summarySchema.parse(makeFixtureRun().summary);

function measured(held: number, latencyOk: boolean, refused = 0): Summary {
  const summary = structuredClone(FIXTURE_SUMMARY);
  summary.runId = `held-${held}`;
  summary.metrics.sse_open_connections = { type: 'gauge', contains: 'default', values: { value: 0, min: 0, max: held } };
  summary.breakdown.sse_connect_failures = refused > 0 ? { http_5xx: refused, client_fd_limit: 4 } : { client_fd_limit: 4 };
  summary.thresholds = [{ metric: 'sse_event_latency', expression: 'p(95)<500', ok: latencyOk, actual: latencyOk ? 40 : 900, abortOnFail: false }];
  summary.harness = { workers: 1, peakRssBytes: 64 * 2 ** 20, bottleneck: false };
  return summary;
}

describe('the managed-services catalog', () => {
  it('lists the tiers exactly as the troubleshooting guide does, dated, with a note to check prices', () => {
    const catalog = loadManagedServices();
    const tiers = Object.fromEntries(catalog.services.map((entry) => [entry.name, entry.tiers]));
    expect(tiers.Pusher).toEqual([
      { name: 'free', priceUsdPerMonth: 0, maxConcurrentConnections: 100, maxMessagesPerDay: 200_000, maxMessagesPerMonth: null },
      { name: 'paid ($49/mo)', priceUsdPerMonth: 49, maxConcurrentConnections: 500, maxMessagesPerDay: null, maxMessagesPerMonth: null },
    ]);
    expect(tiers.Ably?.map((tier) => [tier.priceUsdPerMonth, tier.maxMessagesPerMonth])).toEqual([[0, 6_000_000], [29, null]]);
    expect(tiers['Supabase Realtime']?.map((tier) => [tier.priceUsdPerMonth, tier.maxMessagesPerMonth])).toEqual([[0, 2_000_000], [25, null]]);
    expect(catalog.checkedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(catalog.note).toMatch(/check the current pricing/);
    expect(catalog.source).toMatch(/Troubleshooting Guide/);
  });

  it('refuses a catalog file that is missing or not JSON as invalid config (exit 2), naming the file', () => {
    const missing = join(tmpdir(), 'streamsoak-no-such-catalog.json');
    expect(() => loadManagedServices(missing)).toThrow(InvalidConfigError);
    expect(() => loadManagedServices(missing)).toThrow(`invalid managed services catalog ${missing}`);
    expect(() => loadManagedServices(fileURLToPath(new URL('../../../README.md', import.meta.url)))).toThrow(/cannot be read as JSON/);
  });
});

describe('planCapacity: the load', () => {
  it('computes 1,000 users at 2 events a minute by hand', () => {
    const plan = planCapacity({ users: 1000, eventsPerUserPerMinute: 2 });
    expect(plan.load.concurrentConnections).toBe(1000);
    expect(plan.load.messagesPerMinute).toBe(2000);
    expect(plan.load.messagesPerSecond).toBeCloseTo(33.333, 3);
    expect(plan.load.messagesPerDay).toBe(2_880_000); // 2,000 × 1,440 minutes
    expect(plan.load.messagesPerMonth).toBe(86_400_000); // × 30 days
    expect(plan.load.polling.requestsPerSecond).toBeCloseTo(333.333, 3); // 1,000 clients / 3 s
    expect(plan.load.polling.requestsPerDay).toBeCloseTo(28_800_000, 0);
    expect(plan.load.polling.emptyPollFraction).toBeCloseTo(Math.exp(-0.1), 6); // 2/min × 0.05 min
    expect(plan.load.sse.requestsPerSecondWithoutLimit).toBe(0);
    expect(plan.load.sse.reconnectsPerSecondAt300s).toBeCloseTo(3.333, 3); // 1,000 / 300 s
    expect(plan.load.sse.reconnectsByHost.map((entry) => [entry.host, Number(entry.reconnectsPerSecond.toFixed(3))])).toEqual([
      ['Vercel Pro', 3.333], // 1,000 / 300 s
      ['Vercel Hobby', 100], // 1,000 / 10 s
      ['Netlify', 38.462], // 1,000 / 26 s
    ]);
  });

  it('counts only the users online at once when a fraction is given, rounding up', () => {
    const plan = planCapacity({ users: 1001, eventsPerUserPerMinute: 4, concurrentFraction: 0.25 });
    expect(plan.load.concurrentConnections).toBe(251); // ceil(250.25)
    expect(plan.load.messagesPerDay).toBe(251 * 4 * 1440);
  });

  it('uses the polling interval it is given', () => {
    const plan = planCapacity({ users: 600, eventsPerUserPerMinute: 1, pollIntervalMs: 10_000 });
    expect(plan.load.polling.requestsPerSecond).toBe(60);
  });

  it('refuses a non-positive number of users', () => {
    expect(() => planCapacity({ users: 0, eventsPerUserPerMinute: 1 })).toThrow(RangeError);
    expect(() => planCapacity({ users: 10, eventsPerUserPerMinute: -1 })).toThrow(RangeError);
  });
});

describe('planCapacity: which tier fits', () => {
  it('finds no listed Pusher tier for 1,000 concurrent users and says so', () => {
    const plan = planCapacity({ users: 1000, eventsPerUserPerMinute: 2 });
    expect(tierStatus(plan, 'Pusher')).toEqual(['free:exceeds', 'paid ($49/mo):exceeds']);
    expect(service(plan, 'Pusher').choice).toBeNull();
    expect(service(plan, 'Pusher').verdict).toBe('does not fit any listed tier');
    // 86.4 M messages a month is past both free allowances; the paid tiers list no limit, so they may fit.
    expect(tierStatus(plan, 'Ably')).toEqual(['free:exceeds', 'paid ($29/mo):unknown']);
    expect(service(plan, 'Ably').choice).toEqual({ tier: 'paid ($29/mo)', priceUsdPerMonth: 29, status: 'may_fit' });
    expect(service(plan, 'Supabase Realtime').choice).toEqual({ tier: 'paid ($25/mo)', priceUsdPerMonth: 25, status: 'may_fit' });
  });

  it("fits Pusher's free tier at exactly 100 concurrent users and 144,000 messages a day", () => {
    const plan = planCapacity({ users: 100, eventsPerUserPerMinute: 1 });
    expect(service(plan, 'Pusher').choice).toEqual({ tier: 'free', priceUsdPerMonth: 0, status: 'fits' });
    expect(service(plan, 'Pusher').verdict).toBe('free fits: $0/month');
  });

  it("moves to Pusher's $49 tier at 101 concurrent users, which only may fit (its message limit is not listed)", () => {
    const plan = planCapacity({ users: 101, eventsPerUserPerMinute: 1 });
    expect(tierStatus(plan, 'Pusher')).toEqual(['free:exceeds', 'paid ($49/mo):unknown']);
    expect(service(plan, 'Pusher').choice).toEqual({ tier: 'paid ($49/mo)', priceUsdPerMonth: 49, status: 'may_fit' });
  });

  it("holds Pusher's free tier to 200,000 messages a day: 138 users at 1/min fit, 139 do not", () => {
    // 138 × 1,440 = 198,720; 139 × 1,440 = 200,160
    expect(tierStatus(planCapacity({ users: 138, eventsPerUserPerMinute: 1, concurrentFraction: 0.5 }), 'Pusher')[0]).toBe('free:fits');
    const over = planCapacity({ users: 278, eventsPerUserPerMinute: 1, concurrentFraction: 0.5 });
    expect(over.load.concurrentConnections).toBe(139);
    expect(tierStatus(over, 'Pusher')[0]).toBe('free:exceeds');
  });

  it("holds Ably's free tier to 6 M messages a month: 138 users at 1/min are within, 139 are past it", () => {
    // 138 × 43,200 = 5,961,600; 139 × 43,200 = 6,004,800
    expect(tierStatus(planCapacity({ users: 138, eventsPerUserPerMinute: 1 }), 'Ably')[0]).toBe('free:unknown');
    expect(tierStatus(planCapacity({ users: 139, eventsPerUserPerMinute: 1 }), 'Ably')[0]).toBe('free:exceeds');
  });

  it("holds Supabase Realtime's free tier to 2 M messages a month: 46 users at 1/min are within, 47 are past it", () => {
    // 46 × 43,200 = 1,987,200; 47 × 43,200 = 2,030,400
    expect(tierStatus(planCapacity({ users: 46, eventsPerUserPerMinute: 1 }), 'Supabase Realtime')[0]).toBe('free:unknown');
    expect(tierStatus(planCapacity({ users: 47, eventsPerUserPerMinute: 1 }), 'Supabase Realtime')[0]).toBe('free:exceeds');
  });

  it('never treats a limit the guide does not list as unlimited', () => {
    const verdict = judgeTier({ name: 'x', priceUsdPerMonth: 5, maxConcurrentConnections: null, maxMessagesPerDay: null, maxMessagesPerMonth: null }, { concurrent: 1, perDay: 1, perMonth: 30 });
    expect(verdict.status).toBe('unknown');
    expect(verdict.details.join('; ')).toMatch(/not listed/);
  });
});

describe('planCapacity: the recommendation', () => {
  it("recommends Vercel Pro or a VPS under 1,000 concurrent users, with the guide's reasons", () => {
    const plan = planCapacity({ users: 999, eventsPerUserPerMinute: 1 });
    expect(plan.recommendation.size).toBe('small');
    expect(plan.recommendation.options.join(' ')).toMatch(/Vercel Pro.*\$20\/month/);
    expect(plan.recommendation.options.join(' ')).toMatch(/VPS/);
    expect(plan.recommendation.reasons.join(' ')).toMatch(/300 s/);
    expect(plan.recommendation.reasons.join(' ')).toMatch(/no timeout limits/);
  });

  it('recommends a managed WebSocket service from 1,000 concurrent users', () => {
    const plan = planCapacity({ users: 1000, eventsPerUserPerMinute: 1 });
    expect(plan.recommendation.size).toBe('large');
    expect(plan.recommendation.options.map((option) => option.split(':')[0])).toEqual(['Pusher', 'Ably', 'Supabase Realtime']);
  });
});

describe('planCapacity: self-hosting from measured runs', () => {
  it('takes the most connections held within the latency thresholds, and the instances that makes', () => {
    const plan = planCapacity({
      users: 1200,
      eventsPerUserPerMinute: 1,
      runs: [
        { summary: measured(500, true), serverPeakRssBytes: 100 * 2 ** 20, source: 'run-500' },
        { summary: measured(2000, false), source: 'run-2000' },
        { summary: measured(300, true), source: 'run-300' },
      ],
    });
    expect(plan.selfHosting.connectionsPerInstance).toBe(500);
    expect(plan.selfHosting.failedAtConnections).toBe(2000);
    expect(plan.selfHosting.instancesNeeded).toBe(3); // ceil(1,200 / 500)
    expect(plan.selfHosting.memoryPerConnectionBytes).toBeCloseTo((100 * 2 ** 20) / 500, 6);
    expect(plan.selfHosting.memorySource).toBe('server');
    expect(plan.selfHosting.notes.join(' ')).toMatch(/between 500 and 2,000 connections/);
  });

  it('does not count a run whose target refused connections, and falls back to harness memory, saying so', () => {
    const plan = planCapacity({ users: 100, eventsPerUserPerMinute: 1, runs: [{ summary: measured(130, true, 12), source: 'capped' }] });
    expect(plan.selfHosting.runs[0]?.targetConnectFailures).toBe(12); // the harness's EMFILE is not the target's
    expect(plan.selfHosting.connectionsPerInstance).toBeNull();
    expect(plan.selfHosting.instancesNeeded).toBeNull();
    expect(plan.selfHosting.memorySource).toBe('harness');
    expect(plan.selfHosting.memoryPerConnectionBytes).toBeCloseTo((64 * 2 ** 20) / 130, 6);
    expect(plan.selfHosting.notes.join(' ')).toMatch(/refused or failed 12/);
  });
});

describe('formatCapacityPlan', () => {
  it('prints the load, the tiers with their verdicts, the date and the recommendation', () => {
    const text = formatCapacityPlan(planCapacity({ users: 1000, eventsPerUserPerMinute: 2 }));
    expect(text).toMatch(/concurrent connections\s+1,000/);
    expect(text).toMatch(/messages a day\s+2,880,000/);
    expect(text).toMatch(/Pusher: does not fit any listed tier/);
    expect(text).toMatch(/checked \d{4}-\d{2}-\d{2}/);
    expect(text).toMatch(/Recommendation: 1,000 or more concurrent users/);
  });
});
