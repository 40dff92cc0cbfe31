/**
 * `plan`: capacity planning for "N users, M events a user a minute". The load in connections,
 * messages and requests; what one self-hosted instance held in measured runs; which managed-service
 * tier fits and what it costs; and the troubleshooting guide's recommendation, with its reasons.
 *
 * Assumptions, stated once: each online user holds one SSE connection (or polls); a message is one
 * event delivered to one connected user; a month is 30 days.
 */
import { formatDurationMs } from '../core/duration.js';
import { reasonSide, isConnectFailureReason } from '../core/reasons.js';
import type { Summary } from '../results/schema.js';
import { formatBytes, formatMs, formatNumber, formatTable, formatUsd } from './format.js';
import { loadManagedServices, type ManagedServicesCatalog, type ManagedTier } from './managed-services.js';
import { metricValue } from '../results/summary-values.js';

export const DAYS_PER_MONTH = 30;
/** The guide's line between "small-medium" and "large" apps (Recommended Production Architecture). */
export const SMALL_APP_MAX_CONCURRENT = 1000;
/** The guide's polling fallback interval ("Poll every 3 seconds"). */
export const DEFAULT_POLL_INTERVAL_MS = 3000;

export interface MeasuredRun {
  summary: Summary;
  /** The server's own peak memory, when the run recorded it; otherwise the harness's is used, and said so. */
  serverPeakRssBytes?: number;
  /** Where it came from (a results folder), for the table. */
  source?: string;
}

export interface CapacityInput {
  users: number;
  eventsPerUserPerMinute: number;
  /** Share of users connected at the busiest moment (1 = all of them, the default and the worst case). */
  concurrentFraction?: number;
  pollIntervalMs?: number;
  runs?: readonly MeasuredRun[];
  catalog?: ManagedServicesCatalog;
}

export type TierStatus = 'fits' | 'exceeds' | 'unknown';

export interface TierVerdict {
  tier: string;
  priceUsdPerMonth: number;
  status: TierStatus;
  /** Why: each listed limit against the need, and each limit the guide does not list. */
  details: string[];
}

export interface ServiceVerdict {
  service: string;
  url: string;
  tiers: TierVerdict[];
  /** The cheapest tier that fits; else the cheapest whose listed limits are not exceeded (`may_fit`); else none. */
  choice: { tier: string; priceUsdPerMonth: number; status: 'fits' | 'may_fit' } | null;
  verdict: string;
}

export interface RunCapacity {
  source: string;
  runId: string;
  connectionsHeld: number;
  latencyP99Ms: number | undefined;
  /** true/false: the run's sse_event_latency thresholds passed/failed; null: it set none. */
  latencyThresholdsPassed: boolean | null;
  targetConnectFailures: number;
  harnessBottleneck: boolean;
  memoryPerConnectionBytes: number | undefined;
  memorySource: 'server' | 'harness' | 'none';
}

export interface CapacityPlan {
  input: { users: number; eventsPerUserPerMinute: number; concurrentFraction: number; pollIntervalMs: number };
  load: {
    concurrentConnections: number;
    messagesPerSecond: number;
    messagesPerMinute: number;
    messagesPerDay: number;
    messagesPerMonth: number;
    polling: { requestsPerSecond: number; requestsPerDay: number; emptyPollFraction: number };
    sse: {
      requestsPerSecondWithoutLimit: number;
      reconnectsPerSecondAt300s: number;
      requestsPerDay300s: number;
      /** Each hosting option of the catalog that cuts streams: the reconnects a second that forces on every connection. */
      reconnectsByHost: Array<{ host: string; maxConnectionSeconds: number; reconnectsPerSecond: number }>;
    };
  };
  selfHosting: {
    runs: RunCapacity[];
    /** The most connections one instance held with its latency thresholds passing; null when no run shows it. */
    connectionsPerInstance: number | null;
    /** The fewest connections at which a run failed its latency thresholds, if one did. */
    failedAtConnections: number | null;
    instancesNeeded: number | null;
    memoryPerConnectionBytes: number | null;
    memorySource: 'server' | 'harness' | 'none';
    notes: string[];
  };
  managed: ServiceVerdict[];
  recommendation: { size: 'small' | 'large'; headline: string; options: string[]; reasons: string[] };
  catalog: { source: string; checkedAt: string; note: string };
}

function assertPositive(name: string, value: number, allowZero = false): void {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
}

export function judgeTier(tier: ManagedTier, need: { concurrent: number; perDay: number; perMonth: number }): TierVerdict {
  const checks: Array<[string, number | null, number]> = [
    ['concurrent', tier.maxConcurrentConnections, need.concurrent],
    ['messages/day', tier.maxMessagesPerDay, need.perDay],
    ['messages/month', tier.maxMessagesPerMonth, need.perMonth],
  ];
  const details: string[] = [];
  let exceeded = false;
  let unlisted = false;
  for (const [what, max, needed] of checks) {
    if (max === null) {
      // A month's allowance bounds the day's use and the other way round only loosely: say what is unknown.
      const coveredByOther = (what === 'messages/day' && tier.maxMessagesPerMonth !== null) || (what === 'messages/month' && tier.maxMessagesPerDay !== null);
      if (!coveredByOther) {
        unlisted = true;
        details.push(`${what}: not listed`);
      }
      continue;
    }
    if (needed > max) {
      exceeded = true;
      details.push(`${what} ${formatNumber(needed)} > ${formatNumber(max)}`);
    } else {
      details.push(`${what} ${formatNumber(needed)} ≤ ${formatNumber(max)}`);
    }
  }
  return { tier: tier.name, priceUsdPerMonth: tier.priceUsdPerMonth, status: exceeded ? 'exceeds' : unlisted ? 'unknown' : 'fits', details };
}

function chooseTier(service: ManagedServicesCatalog['services'][number], tiers: TierVerdict[]): ServiceVerdict {
  const byPrice = [...tiers].sort((a, b) => a.priceUsdPerMonth - b.priceUsdPerMonth);
  const fits = byPrice.find((tier) => tier.status === 'fits');
  const unknown = byPrice.find((tier) => tier.status === 'unknown');
  let choice: ServiceVerdict['choice'] = null;
  let verdict: string;
  if (fits && (!unknown || fits.priceUsdPerMonth <= unknown.priceUsdPerMonth)) {
    choice = { tier: fits.tier, priceUsdPerMonth: fits.priceUsdPerMonth, status: 'fits' };
    verdict = `${fits.tier} fits: ${formatUsd(fits.priceUsdPerMonth)}/month`;
  } else if (unknown) {
    choice = { tier: unknown.tier, priceUsdPerMonth: unknown.priceUsdPerMonth, status: 'may_fit' };
    verdict = `${unknown.tier} may fit at ${formatUsd(unknown.priceUsdPerMonth)}/month, but the guide lists no limit for ${unknown.details
      .filter((detail) => detail.endsWith('not listed'))
      .map((detail) => detail.split(':')[0])
      .join(', ')}: check the pricing page`;
  } else {
    verdict = 'does not fit any listed tier';
  }
  return { service: service.name, url: service.url, tiers, choice, verdict };
}

function latencyThresholdsPassed(summary: Summary): boolean | null {
  const latency = summary.thresholds.filter((threshold) => threshold.metric === 'sse_event_latency');
  return latency.length === 0 ? null : latency.every((threshold) => threshold.ok);
}

export function measureRun(run: MeasuredRun): RunCapacity {
  const { summary } = run;
  const held = metricValue(summary, 'sse_open_connections', 'max') ?? 0;
  const failures = Object.entries(summary.breakdown.sse_connect_failures ?? {}).reduce(
    (sum, [reason, count]) => (isConnectFailureReason(reason) && reasonSide(reason) === 'harness' ? sum : sum + count),
    0,
  );
  let memoryPerConnectionBytes: number | undefined;
  let memorySource: RunCapacity['memorySource'] = 'none';
  if (held > 0 && run.serverPeakRssBytes !== undefined) {
    memoryPerConnectionBytes = run.serverPeakRssBytes / held;
    memorySource = 'server';
  } else if (held > 0 && summary.harness?.peakRssBytes !== undefined) {
    memoryPerConnectionBytes = summary.harness.peakRssBytes / held;
    memorySource = 'harness';
  }
  return {
    source: run.source ?? summary.runId,
    runId: summary.runId,
    connectionsHeld: held,
    latencyP99Ms: metricValue(summary, 'sse_event_latency', 'p(99)'),
    latencyThresholdsPassed: latencyThresholdsPassed(summary),
    targetConnectFailures: failures,
    harnessBottleneck: summary.harness?.bottleneck ?? false,
    memoryPerConnectionBytes,
    memorySource,
  };
}

function planSelfHosting(runs: readonly MeasuredRun[], concurrent: number): CapacityPlan['selfHosting'] {
  const measured = runs.map(measureRun);
  const notes: string[] = [];
  // A run counts as "held" only when its latency thresholds passed, the target refused nobody and
  // the harness was not the bottleneck: otherwise its connection count says nothing about the server.
  const held = measured.filter((run) => run.latencyThresholdsPassed === true && run.targetConnectFailures === 0 && !run.harnessBottleneck);
  const failed = measured.filter((run) => run.latencyThresholdsPassed === false || run.targetConnectFailures > 0);
  const perInstance = held.length > 0 ? Math.max(...held.map((run) => run.connectionsHeld)) : null;
  const failedAt = failed.length > 0 ? Math.min(...failed.map((run) => run.connectionsHeld)) : null;
  if (measured.length === 0) notes.push('No measured runs given (--results DIR): run a plan against your server to see what one instance holds.');
  for (const run of measured) {
    if (run.latencyThresholdsPassed === null) notes.push(`${run.source}: the plan set no sse_event_latency threshold, so it cannot say whether ${formatNumber(run.connectionsHeld)} connections were held well.`);
    if (run.harnessBottleneck) notes.push(`${run.source}: the harness was the bottleneck, so this run does not measure the server.`);
  }
  for (const run of measured) {
    if (run.targetConnectFailures > 0) notes.push(`${run.source}: the target refused or failed ${formatNumber(run.targetConnectFailures)} connection attempts with ${formatNumber(run.connectionsHeld)} open: a cap or a limit, so this run does not count as held.`);
    else if (run.latencyThresholdsPassed === false) notes.push(`${run.source}: latency thresholds failed with ${formatNumber(run.connectionsHeld)} connections open.`);
  }
  if (perInstance !== null && failedAt === null) notes.push(`${formatNumber(perInstance)} connections is what was measured, not the limit: run a bigger plan to find where latency fails.`);
  if (perInstance !== null && failedAt !== null && failedAt > perInstance) notes.push(`The limit of one instance lies between ${formatNumber(perInstance)} and ${formatNumber(failedAt)} connections.`);
  const withMemory = held.length > 0 ? held : measured;
  const memoryRun = [...withMemory].filter((run) => run.memoryPerConnectionBytes !== undefined).sort((a, b) => b.connectionsHeld - a.connectionsHeld)[0];
  const memorySource = memoryRun?.memorySource ?? 'none';
  if (memorySource === 'harness') notes.push("Memory per connection is the harness's (client side): the runs did not record the server's memory (summary field server.peakRssBytes).");
  return {
    runs: measured,
    connectionsPerInstance: perInstance,
    failedAtConnections: failedAt,
    instancesNeeded: perInstance !== null && perInstance > 0 ? Math.ceil(concurrent / perInstance) : null,
    memoryPerConnectionBytes: memoryRun?.memoryPerConnectionBytes ?? null,
    memorySource,
    notes,
  };
}

function recommend(concurrent: number, selfHosting: CapacityPlan['selfHosting']): CapacityPlan['recommendation'] {
  const measuredNote =
    selfHosting.connectionsPerInstance !== null
      ? `Measured: one instance held ${formatNumber(selfHosting.connectionsPerInstance)} connections within its latency thresholds, so ${formatNumber(selfHosting.instancesNeeded)} instance(s) would carry ${formatNumber(concurrent)}.`
      : undefined;
  if (concurrent < SMALL_APP_MAX_CONCURRENT) {
    return {
      size: 'small',
      headline: `Under ${formatNumber(SMALL_APP_MAX_CONCURRENT)} concurrent users: Vercel Pro or a self-hosted VPS.`,
      options: ['Vercel Pro with the Node.js runtime and maxDuration = 300 ($20/month minimum)', 'A self-hosted VPS running Node.js'],
      reasons: [
        'Vercel Pro: the current SSE setup works, but streams are cut at 300 s, so clients must reconnect (EventSource does it by itself).',
        'VPS: no timeout limits and full control, at the cost of more maintenance.',
        'Not Vercel Hobby (10 s limit) or Netlify (26 s): streams are cut too often for SSE to work reliably.',
        ...(measuredNote ? [measuredNote] : []),
      ],
    };
  }
  return {
    size: 'large',
    headline: `${formatNumber(SMALL_APP_MAX_CONCURRENT)} or more concurrent users: a managed WebSocket service (Pusher, Ably or Supabase Realtime).`,
    options: ['Pusher: easy integration', 'Ably: more features', 'Supabase Realtime: integrated with the Supabase database'],
    reasons: [
      'Serverless platforms limit concurrent connections and cut long-lived streams; a managed service holds the connections for you.',
      'Self-hosting stays possible with enough instances and a sticky load balancer, but you run and scale it yourself.',
      ...(measuredNote ? [measuredNote] : []),
    ],
  };
}

export function planCapacity(input: CapacityInput): CapacityPlan {
  assertPositive('users', input.users);
  assertPositive('eventsPerUserPerMinute', input.eventsPerUserPerMinute, true);
  const concurrentFraction = input.concurrentFraction ?? 1;
  if (!(concurrentFraction > 0 && concurrentFraction <= 1)) throw new RangeError(`concurrentFraction must be in (0, 1], got ${concurrentFraction}`);
  const pollIntervalMs = input.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  assertPositive('pollIntervalMs', pollIntervalMs);
  const catalog = input.catalog ?? loadManagedServices();

  const concurrent = Math.ceil(input.users * concurrentFraction);
  const messagesPerMinute = concurrent * input.eventsPerUserPerMinute;
  const messagesPerDay = messagesPerMinute * 60 * 24;
  const messagesPerMonth = messagesPerDay * DAYS_PER_MONTH;
  const pollsPerSecond = concurrent / (pollIntervalMs / 1000);
  // Events arriving at random (Poisson) at M a minute: a poll finds none with probability e^(−M·interval).
  const emptyPollFraction = Math.exp(-input.eventsPerUserPerMinute * (pollIntervalMs / 60_000));
  const reconnectsAt300s = concurrent / 300;

  const need = { concurrent, perDay: messagesPerDay, perMonth: messagesPerMonth };
  const managed = catalog.services.map((service) => chooseTier(service, service.tiers.map((tier) => judgeTier(tier, need))));
  const selfHosting = planSelfHosting(input.runs ?? [], concurrent);

  return {
    input: { users: input.users, eventsPerUserPerMinute: input.eventsPerUserPerMinute, concurrentFraction, pollIntervalMs },
    load: {
      concurrentConnections: concurrent,
      messagesPerSecond: messagesPerMinute / 60,
      messagesPerMinute,
      messagesPerDay,
      messagesPerMonth,
      polling: { requestsPerSecond: pollsPerSecond, requestsPerDay: pollsPerSecond * 86_400, emptyPollFraction },
      sse: {
        requestsPerSecondWithoutLimit: 0,
        reconnectsPerSecondAt300s: reconnectsAt300s,
        requestsPerDay300s: reconnectsAt300s * 86_400,
        reconnectsByHost: catalog.hosting
          .filter((host): host is typeof host & { maxConnectionSeconds: number } => host.maxConnectionSeconds !== null)
          .map((host) => ({ host: host.name, maxConnectionSeconds: host.maxConnectionSeconds, reconnectsPerSecond: concurrent / host.maxConnectionSeconds })),
      },
    },
    selfHosting,
    managed,
    recommendation: recommend(concurrent, selfHosting),
    catalog: { source: catalog.source, checkedAt: catalog.checkedAt, note: catalog.note },
  };
}

export function formatCapacityPlan(plan: CapacityPlan): string {
  const { load, input } = plan;
  const out: string[] = [];
  out.push(
    `Capacity plan: ${formatNumber(input.users)} users × ${formatNumber(input.eventsPerUserPerMinute, 2)} events a user a minute` +
      (input.concurrentFraction < 1 ? `, ${formatNumber(input.concurrentFraction * 100, 1)} % online at once` : ', all online at once'),
    '',
  );
  out.push(
    formatTable(
      ['load', 'value'],
      [
        ['concurrent connections', formatNumber(load.concurrentConnections)],
        ['messages a second', formatNumber(load.messagesPerSecond, 2)],
        ['messages a day', formatNumber(load.messagesPerDay)],
        [`messages a month (${DAYS_PER_MONTH} days)`, formatNumber(load.messagesPerMonth)],
        [`polling every ${formatDurationMs(input.pollIntervalMs)}: requests a second`, formatNumber(load.polling.requestsPerSecond, 1)],
        ['polling: requests a day', formatNumber(load.polling.requestsPerDay)],
        ['polling: share of polls that return nothing', `${formatNumber(load.polling.emptyPollFraction * 100, 1)} %`],
        ['SSE: requests a second once connected (no time limit)', formatNumber(load.sse.requestsPerSecondWithoutLimit)],
        ...load.sse.reconnectsByHost.map((entry) => [`SSE: reconnects a second on ${entry.host} (cut at ${formatNumber(entry.maxConnectionSeconds)} s)`, formatNumber(entry.reconnectsPerSecond, 2)]),
      ],
      ['l', 'r'],
    ),
    '',
  );

  const self = plan.selfHosting;
  out.push('Self-hosting, from measured runs:');
  if (self.runs.length > 0) {
    out.push(
      formatTable(
        ['run', 'connections held', 'latency p99', 'latency thresholds', 'target refusals', 'memory / connection'],
        self.runs.map((run) => [
          run.source,
          formatNumber(run.connectionsHeld),
          formatMs(run.latencyP99Ms),
          run.latencyThresholdsPassed === null ? 'none set' : run.latencyThresholdsPassed ? 'passed' : 'FAILED',
          formatNumber(run.targetConnectFailures),
          run.memoryPerConnectionBytes === undefined ? '—' : `${formatBytes(run.memoryPerConnectionBytes)} (${run.memorySource})`,
        ]),
        ['l', 'r', 'r', 'l', 'r', 'r'],
      ),
    );
  }
  if (self.connectionsPerInstance !== null) {
    out.push(`  one instance held ${formatNumber(self.connectionsPerInstance)} connections within its thresholds → ${formatNumber(self.instancesNeeded)} instance(s) for ${formatNumber(load.concurrentConnections)}`);
  }
  for (const note of self.notes) out.push(`  • ${note}`);
  out.push('');

  out.push(`Managed services (tiers as the troubleshooting guide lists them, checked ${plan.catalog.checkedAt}):`);
  out.push(
    formatTable(
      ['service', 'tier', '$/month', 'fits?', 'why'],
      plan.managed.flatMap((service) =>
        service.tiers.map((tier, index) => [
          index === 0 ? service.service : '',
          tier.tier,
          formatUsd(tier.priceUsdPerMonth),
          tier.status === 'fits' ? 'yes' : tier.status === 'exceeds' ? 'no' : 'unknown',
          tier.details.join('; '),
        ]),
      ),
      ['l', 'l', 'r', 'l', 'l'],
    ),
  );
  for (const service of plan.managed) out.push(`  ${service.service}: ${service.verdict}`);
  out.push(`  ${plan.catalog.note}`, '');

  out.push(`Recommendation: ${plan.recommendation.headline}`);
  for (const option of plan.recommendation.options) out.push(`  – ${option}`);
  for (const reason of plan.recommendation.reasons) out.push(`  • ${reason}`);
  return out.join('\n');
}
