/**
 * Network faults (issue 9): the real reference server behind the real platform simulator with each
 * fault — latency and jitter, a bandwidth cap, a stall, a half-open connection — and the real engine
 * in front. Every record is kept (one per attempt), nothing is lost or reordered, and a stream that
 * goes silent ends as `idle_timeout` at the plan's `timeouts.idleMs`, not when the run ends.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunArgs } from '../../src/cli/commands/run.js';
import { signToken } from '../../src/core/jwt.js';
import { runPlan, type RunOutcome } from '../../src/engine/index.js';
import { parsePlan, type PlanInput } from '../../src/engine/plan.js';
import type { ConnectionRecord } from '../../src/results/schema.js';
import { startPlatformProxy, type NetworkFaultsInput, type PlatformProxyStats } from '../../src/platform/index.js';
import { startReferenceServer, type RunningServer } from '../../src/server/index.js';
import { runCli } from '../helpers/cli.js';
import { readConnectionRecords } from '../helpers/results.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'network-faults-secret';
const IDLE_MS = 2_000;
let resultsDir: string;
let server: RunningServer;

beforeAll(async () => {
  resultsDir = await mkdtemp(join(tmpdir(), 'streamsoak-faults-'));
  // Heartbeats every 15 s (the default): within these runs only events break a silence.
  server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET, mode: 'tick', retryMs: 200 });
});
afterAll(async () => {
  await server?.close();
  await rm(resultsDir, { recursive: true, force: true });
});

interface FaultRun {
  outcome: RunOutcome;
  records: ConnectionRecord[];
  /** The proxy's counters once every client socket closed (checked before the proxy closes). */
  stats: PlatformProxyStats;
  values: (name: string) => Record<string, number>;
}

async function runThroughFaults(faults: NetworkFaultsInput, plan: Partial<PlanInput> & { interval?: string }, addedDelayMs = 0): Promise<FaultRun> {
  const proxy = await startPlatformProxy({ upstream: server.url, profiles: ['self-hosted'], faults: { seed: 9, ...faults }, addedDelayMs });
  try {
    const { interval, ...rest } = plan;
    const outcome = await runPlan(
      parsePlan({
        target: { baseUrl: proxy.url, query: { interval: interval ?? '100' } },
        auth: { secret: SECRET },
        sse: { clients: 4, reconnect: { policy: 'browser', jitterMs: 0 } },
        timeouts: { idleMs: IDLE_MS },
        duration: '6s',
        workers: 1,
        ...rest,
      }),
      { resultsDir },
    );
    const records = await readConnectionRecords(outcome.outDir);
    const values = (name: string): Record<string, number> => outcome.summary.metrics[name]?.values ?? {};
    // Conservation: exactly one record per attempt, each attempt once.
    const attempts = (values('sse_connects').count ?? 0) + (values('sse_connect_failures').count ?? 0);
    const neverOpened = records.filter((r) => r.openedAt === undefined && r.outcome === 'closed').length;
    expect(records.length).toBe(attempts + neverOpened);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    expect(new Set(records.map((r) => `${r.client}/${r.attempt}`)).size).toBe(records.length);
    const sseAttempts = outcome.summary.harness?.sseAttempts;
    if (sseAttempts !== undefined) expect(records.length).toBe(sseAttempts);
    expect(outcome.interrupted).toBe(false);
    // Nothing hangs: once the run is over, every client socket through the proxy is closed, the
    // half-open ones too, without the proxy closing them.
    await waitFor('the proxy to hold no client socket', async () => (proxy.stats().sockets === 0 ? true : undefined), { timeoutMs: 5_000, intervalMs: 50 });
    return { outcome, records, stats: proxy.stats(), values };
  } finally {
    await proxy.close();
  }
}

const sum = (records: ConnectionRecord[], pick: (r: ConnectionRecord) => number): number => records.reduce((total, r) => total + pick(r), 0);
const silenceOf = (r: ConnectionRecord): number => r.endedAt - (r.lastByteAt ?? r.openedAt ?? r.startedAt);

/** Bytes of one tick event as the reference server writes it, read straight from the server. */
async function bytesPerEvent(): Promise<number> {
  const token = await signToken({ userId: 'probe', secret: SECRET });
  return new Promise((resolve, reject) => {
    const req = http.get(`${server.url}/api/calls/events?interval=20&token=${token}`, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const events = text.split('\n\n').filter((block) => block.includes('data:'));
        if (events.length >= 11) {
          req.destroy();
          resolve(Math.min(...events.slice(1, 11).map((block) => Buffer.byteLength(`${block}\n\n`))));
        }
      });
    });
    req.on('error', reject);
  });
}

describe('network faults through the platform simulator, caught by the engine', () => {
  it('latency and jitter: every event arrives, in order, none lost or duplicated, at least the added delay late', async () => {
    const { records, stats, values } = await runThroughFaults({ jitterMs: 40 }, { duration: '5s' }, 50);
    expect(records).toHaveLength(4);
    expect(records.every((r) => r.reason === 'client_closed')).toBe(true);
    expect(sum(records, (r) => r.events)).toBeGreaterThan(4 * 25);
    expect(sum(records, (r) => r.lost)).toBe(0);
    expect(sum(records, (r) => r.duplicated)).toBe(0);
    for (const r of records) {
      // The event's `sentAt` is stamped on the server; the proxy adds 50 ms and up to 40 ms more.
      expect(r.latencyMs?.min).toBeGreaterThanOrEqual(48);
      expect(r.latencyMs?.max).toBeGreaterThan(r.latencyMs?.min as number);
      expect(r.latencyMs?.p50).toBeLessThan(50 + 40 + 400);
    }
    expect(values('sse_event_latency').min).toBeGreaterThanOrEqual(48);
    expect(stats.faulted).toBe(4);
  });

  it('bandwidth cap: events arrive late but intact, the throughput bounded by the cap', async () => {
    const eventBytes = await bytesPerEvent();
    const cap = 1_500;
    const { records, outcome } = await runThroughFaults({ bandwidthBytesPerSecond: cap }, { interval: '20', duration: '6s', sse: { clients: 3, reconnect: { policy: 'browser', jitterMs: 0 } } });
    expect(records).toHaveLength(3);
    expect(records.every((r) => r.reason === 'client_closed')).toBe(true);
    expect(sum(records, (r) => r.lost)).toBe(0);
    expect(sum(records, (r) => r.duplicated)).toBe(0);
    for (const r of records) {
      const openSeconds = (r.endedAt - (r.openedAt as number)) / 1_000;
      // The server wrote ~50 events a second (eventBytes each, ~4 times the cap): the client got
      // at most the cap's worth (and a first burst), but still a steady stream of them.
      const bytesPerSecond = (r.events * eventBytes) / openSeconds;
      expect(bytesPerSecond).toBeLessThan(cap * 1.1 + 200);
      expect(bytesPerSecond).toBeGreaterThan(cap * 0.5);
      expect(r.events).toBeLessThan(openSeconds * 50 * 0.6);
      // Late: the queue behind the cap grows through the run.
      expect(r.latencyMs?.max).toBeGreaterThan(1_000);
    }
    expect(outcome.summary.metrics.sse_drops?.values.count ?? 0).toBe(0);
  });

  it('a stall longer than the idle timeout: the stalled streams end idle_timeout, reconnect, and the run completes', async () => {
    const started = Date.now();
    const { records, stats, outcome } = await runThroughFaults({ stallAfterMs: 1_500, stallMs: 6_000, faultRatio: 0.5 }, { duration: '9s' });
    expect(Date.now() - started).toBeLessThan(9_000 + 10_000);
    const idle = records.filter((r) => r.reason === 'idle_timeout');
    // Every second response is stalled: 2 of the 4 first attempts, then every second reconnect.
    expect(records.filter((r) => r.attempt === 1 && r.reason === 'idle_timeout'), JSON.stringify(records)).toHaveLength(2);
    expect(stats.stalls).toBeGreaterThanOrEqual(2);
    for (const r of idle) {
      expect(r.outcome).toBe('dropped');
      // Silent for the idle timeout (undici's coarse timer: up to ~0.5 s early, ~1 s late).
      expect(silenceOf(r), JSON.stringify(r)).toBeGreaterThanOrEqual(IDLE_MS - 600);
      expect(silenceOf(r), JSON.stringify(r)).toBeLessThan(IDLE_MS + 2_500);
      // Reconnected per the policy (the server's retry: 200 ms), unless the run was ending.
      const next = records.find((n) => n.client === r.client && n.attempt === r.attempt + 1);
      const runEnd = Date.parse(outcome.summary.endedAt);
      if (r.endedAt < runEnd - 1_000) {
        expect(next).toBeDefined();
        expect((next as ConnectionRecord).startedAt - r.endedAt).toBeLessThan(3_000);
      }
    }
    // Only the idle timeout ended a stream early; the rest ran until the plan closed them.
    expect(records.every((r) => r.reason === 'idle_timeout' || r.reason === 'client_closed'), JSON.stringify(records)).toBe(true);
    expect(outcome.summary.breakdown.sse_drops?.idle_timeout).toBe(idle.length);
    // The reconnect sends Last-Event-ID and the server replays what the stall held: nothing lost.
    expect(sum(records, (r) => r.lost)).toBe(0);
    expect(sum(records, (r) => r.duplicated)).toBe(0);
  });

  it('a stall shorter than the idle timeout: no drop, every event arrives late, in order', async () => {
    const { records, stats } = await runThroughFaults({ stallAfterMs: 1_000, stallMs: 1_000 }, { duration: '4s', timeouts: { idleMs: 3_000 } });
    expect(stats.stalls).toBe(4);
    expect(records).toHaveLength(4);
    expect(records.every((r) => r.reason === 'client_closed')).toBe(true);
    expect(sum(records, (r) => r.lost)).toBe(0);
    expect(sum(records, (r) => r.duplicated)).toBe(0);
    // The stall was real: the events held in it arrived ~1 s late.
    for (const r of records) expect(r.latencyMs?.max).toBeGreaterThan(800);
  });

  it('half-open: the silent streams end idle_timeout within the idle timeout, not at the run end, and no socket is left', async () => {
    const { records, stats, outcome } = await runThroughFaults({ halfOpenAfterMs: 1_500, faultRatio: 0.5 }, { duration: '9s' });
    const runEnd = Date.parse(outcome.summary.endedAt);
    const idle = records.filter((r) => r.reason === 'idle_timeout');
    expect(records.filter((r) => r.attempt === 1 && r.reason === 'idle_timeout'), JSON.stringify(records)).toHaveLength(2);
    expect(stats.halfOpen).toBeGreaterThanOrEqual(2);
    for (const r of idle) {
      expect(r.outcome).toBe('dropped');
      expect(silenceOf(r), JSON.stringify(r)).toBeGreaterThanOrEqual(IDLE_MS - 600);
      expect(silenceOf(r), JSON.stringify(r)).toBeLessThan(IDLE_MS + 2_500);
      // Caught at ~1.5 s + the idle timeout after it opened, long before the run's end.
      expect(r.endedAt - (r.openedAt as number), JSON.stringify(r)).toBeLessThan(1_500 + IDLE_MS + 2_500);
      // The first ones (opened at the start) end seconds before the run does; a late reconnect's
      // may end close to it, but as idle_timeout, never as the run's own close.
      expect(r.endedAt, JSON.stringify(r)).toBeLessThan(runEnd - (r.attempt === 1 ? 3_000 : 0));
    }
    expect(records.every((r) => r.reason === 'idle_timeout' || r.reason === 'client_closed'), JSON.stringify(records)).toBe(true);
    expect(sum(records, (r) => r.lost)).toBe(0);
    expect(sum(records, (r) => r.duplicated)).toBe(0);
  });

  it('catches a half-open stream by default: timeouts.idleMs is 90 s, and `run --idle-timeout` sets it', async () => {
    const base = ['--url', server.url, '--sse', '1', '--duration', '1s'];
    const byDefault = await parseRunArgs(base, { env: {} });
    expect(byDefault !== 'help' && byDefault.plan.timeouts.idleMs).toBe(90_000);
    const set = await parseRunArgs([...base, '--idle-timeout', '45s'], { env: {} });
    expect(set !== 'help' && set.plan.timeouts.idleMs).toBe(45_000);
    const never = await parseRunArgs([...base, '--idle-timeout', '0'], { env: {} });
    expect(never !== 'help' && never.plan.timeouts.idleMs).toBe(0);
    const bad = await runCli(['run', ...base, '--idle-timeout', 'soon'], { env: {} });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('timeouts.idleMs');
  });

  it('streamsoak proxy refuses a bad fault flag with exit 2, naming the flag', async () => {
    for (const [flag, value] of [
      ['--bandwidth', '10 kilobytes'],
      ['--jitter', 'a bit'],
      ['--half-open-after', 'never'],
      ['--fault-ratio', '1.5'],
    ] as const) {
      const result = await runCli(['proxy', '--upstream', server.url, '--profile', 'self-hosted', '--port', '0', flag, value], { env: {} });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${flag} ${value}`);
    }
  });
});
