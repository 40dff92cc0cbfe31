/**
 * The engine through the platform simulator with each built-in profile, time-scaled so that every
 * limit is met within seconds, and the diagnosis of its records: each profile's signature is found,
 * and nothing is found against the plain reference server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlan } from '../../src/engine/index.js';
import { parsePlan, type PlanInput } from '../../src/engine/plan.js';
import { platformProfileSchema, type PlatformProfile } from '../../src/core/platform-profile.js';
import type { ConnectionRecord, Finding } from '../../src/results/schema.js';
import { startPlatformProxy } from '../../src/platform/index.js';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { startReferenceServer, type RunningServer } from '../../src/server/index.js';
import { readConnectionRecords } from '../helpers/results.js';

const SECRET = 'platform-integration-secret';
const ORIGIN = 'https://app.example';
let resultsDir: string;
let server: RunningServer;

beforeAll(async () => {
  resultsDir = await mkdtemp(join(tmpdir(), 'streamsoak-platform-'));
  server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET, mode: 'tick', retryMs: 200, corsOrigins: [ORIGIN] });
});
afterAll(async () => {
  await server?.close();
  await rm(resultsDir, { recursive: true, force: true });
});

const problems = (findings: Finding[]): Finding[] => findings.filter((f) => f.severity === 'problem');

interface Scenario {
  profiles?: Array<string | PlatformProfile>;
  timeScale?: number;
  query?: Record<string, string>;
  plan?: Partial<PlanInput>;
}

async function run(scenario: Scenario): Promise<{ records: ConnectionRecord[]; findings: Finding[] }> {
  const proxy = scenario.profiles ? await startPlatformProxy({ upstream: server.url, profiles: scenario.profiles, timeScale: scenario.timeScale ?? 1 }) : undefined;
  try {
    const plan = parsePlan({
      target: { baseUrl: proxy?.url ?? server.url, query: { interval: '200', ...scenario.query }, origin: ORIGIN },
      auth: { secret: SECRET },
      sse: { clients: 8, reconnect: { policy: 'browser', jitterMs: 0 } },
      duration: '3500ms',
      workers: 1,
      ...scenario.plan,
    });
    const outcome = await runPlan(plan, { resultsDir });
    const records = await readConnectionRecords(outcome.outDir);
    return { records, findings: diagnose({ records, summary: outcome.summary, ...(scenario.timeScale ? { timeScale: scenario.timeScale } : {}) }) };
  } finally {
    await proxy?.close();
  }
}

describe('the engine through the platform simulator, diagnosed', () => {
  it('finds nothing against the plain reference server', async () => {
    const { records, findings } = await run({});
    expect(records.every((r) => r.reason === 'client_closed')).toBe(true);
    expect(problems(findings), JSON.stringify(findings)).toEqual([]);
  });

  it('finds nothing behind self-hosted', async () => {
    const { findings } = await run({ profiles: ['self-hosted'] });
    expect(problems(findings), JSON.stringify(findings)).toEqual([]);
  });

  it.each([
    ['vercel-hobby', 0.1, 1_000, /as on Vercel Hobby/],
    ['netlify', 0.05, 1_300, /as on Netlify/],
    ['vercel-pro', 0.005, 1_500, /as on Vercel Pro/],
  ])('recognises %s (×%d: a cut at %i ms) as its time limit', async (profile, timeScale, cutMs, title) => {
    const { records, findings } = await run({ profiles: [profile], timeScale });
    const drops = records.filter((r) => r.outcome === 'dropped');
    expect(drops.length).toBeGreaterThanOrEqual(8);
    for (const drop of drops) {
      expect(drop.endedAt - drop.startedAt).toBeGreaterThan(cutMs - 50);
      expect(drop.endedAt - drop.startedAt).toBeLessThan(cutMs + 700);
    }
    const [finding, ...others] = problems(findings);
    expect(others, JSON.stringify(findings)).toEqual([]);
    expect(finding).toMatchObject({ kind: 'time_limit', profile });
    expect(finding?.title).toMatch(title);
    expect(finding?.evidence).toContain(`time scale ×${timeScale}`);
  });

  it("recognises nginx-default's 60 s read timeout (×0.02) on silent streams as an idle timeout", async () => {
    const { findings } = await run({ profiles: ['nginx-default'], timeScale: 0.02, query: { interval: '5000', heartbeat: '0' } });
    const [finding, ...others] = problems(findings);
    expect(others, JSON.stringify(findings)).toEqual([]);
    expect(finding).toMatchObject({ kind: 'idle_timeout', profile: 'nginx-default' });
  });

  it('passes events through nginx-default untouched when the server sends X-Accel-Buffering: no and heartbeats', async () => {
    const { records, findings } = await run({ profiles: ['nginx-default'], timeScale: 0.02, query: { interval: '5000', heartbeat: '300' } });
    expect(records.every((r) => r.reason === 'client_closed')).toBe(true);
    expect(problems(findings), JSON.stringify(findings)).toEqual([]);
  });

  it('finds burst buffering behind nginx-default when a layer strips X-Accel-Buffering before it', async () => {
    const stripper = platformProfileSchema.parse({ name: 'header-stripper', description: 'strips X-Accel-Buffering', source: 'test', stripResponseHeaders: ['x-accel-buffering'] });
    const { findings } = await run({ profiles: ['nginx-default', stripper], query: { interval: '20' } });
    const [finding, ...others] = problems(findings);
    expect(others, JSON.stringify(findings)).toEqual([]);
    expect(finding).toMatchObject({ kind: 'buffering', profile: 'nginx-default' });
  });

  it('finds events held until the end behind cdn-buffering', async () => {
    const { records, findings } = await run({ profiles: ['cdn-buffering'] });
    expect(records.every((r) => r.events === 0)).toBe(true);
    const [finding, ...others] = problems(findings);
    expect(others, JSON.stringify(findings)).toEqual([]);
    expect(finding).toMatchObject({ kind: 'buffering', profile: 'cdn-buffering' });
  });

  it('finds a connection cap behind a profile that refuses past 5 connections', async () => {
    const capped = platformProfileSchema.parse({ name: 'capped', description: 'five at most', source: 'test', maxConnections: 5, refusal: { status: 503, body: 'over capacity' } });
    const { records, findings } = await run({ profiles: [capped] });
    expect(records.filter((r) => r.status === 503)).toHaveLength(3);
    const [finding, ...others] = problems(findings);
    expect(others, JSON.stringify(findings)).toEqual([]);
    expect(finding).toMatchObject({ kind: 'connection_cap' });
    expect(finding?.title).toContain('about 5 open streams');
  });

  it('finds a CORS failure behind a proxy that strips Access-Control-* headers', async () => {
    const strip = platformProfileSchema.parse({ name: 'cors-strip', description: 'strips CORS', source: 'test', cors: 'strip' });
    const { findings } = await run({ profiles: [strip] });
    const [finding, ...others] = problems(findings);
    expect(others, JSON.stringify(findings)).toEqual([]);
    expect(finding).toMatchObject({ kind: 'cors' });
    expect(finding?.evidence).toContain('(absent)');
  });
});
