/**
 * Debian's real nginx on loopback in front of the reference server, driven by the engine, read by
 * the diagnosis: stock proxying buffers SSE only when the server's `X-Accel-Buffering: no` is
 * disregarded; a short proxy_read_timeout cuts silent streams, and heartbeats cure it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlan } from '../../src/engine/index.js';
import { parsePlan, type PlanInput } from '../../src/engine/plan.js';
import type { Finding } from '../../src/results/schema.js';
import { startNginx, type NginxOptions } from '../../src/platform/index.js';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { runDoctor } from '../../src/doctor/doctor.js';
import { startReferenceServer, type RunningServer } from '../../src/server/index.js';
import { signToken } from '../../src/core/jwt.js';
import { readConnectionRecords } from '../helpers/results.js';
import { NGINX, hasTools } from '../helpers/tools.js';

const SECRET = 'nginx-integration-secret';
const hasNginx = hasTools('nginx-reference.test.ts', NGINX);

let resultsDir: string;
let server: RunningServer;

beforeAll(async () => {
  resultsDir = await mkdtemp(join(tmpdir(), 'streamsoak-nginx-'));
  server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET, mode: 'tick', retryMs: 200, testStreamMessages: 5, testStreamIntervalMs: 200 });
});
afterAll(async () => {
  await server?.close();
  await rm(resultsDir, { recursive: true, force: true });
});

const problems = (findings: Finding[]): Finding[] => findings.filter((f) => f.severity === 'problem');

/** Runs `clients` SSE clients through nginx for `duration`, then diagnoses the records. */
async function runThroughNginx(nginx: Omit<NginxOptions, 'upstream'>, query: Record<string, string>, rest: Partial<PlanInput> = {}) {
  const proxy = await startNginx({ ...nginx, upstream: server.url });
  try {
    const plan = parsePlan({
      target: { baseUrl: proxy.url, query },
      auth: { secret: SECRET },
      sse: { clients: 8, reconnect: { policy: 'browser', jitterMs: 0 } },
      duration: '4s',
      workers: 1,
      ...rest,
    });
    const outcome = await runPlan(plan, { resultsDir });
    const records = await readConnectionRecords(outcome.outDir);
    return { records, findings: diagnose({ records, summary: outcome.summary }), errorLog: await proxy.errorLog() };
  } finally {
    await proxy.close();
  }
}

describe.skipIf(!hasNginx)('real nginx in front of the reference server', () => {
  it('buffers the stream when stock nginx is told to disregard X-Accel-Buffering, and the diagnosis says so', async () => {
    // ~110-byte events every 20 ms: nginx's 4 KiB buffer fills every ~0.8 s, so events come in bursts.
    const { records, findings } = await runThroughNginx({ template: 'stock', extraDirectives: 'proxy_ignore_headers X-Accel-Buffering;' }, { interval: '20' });
    const opened = records.filter((r) => r.openedAt !== undefined);
    expect(opened.length).toBeGreaterThan(0);
    expect(Math.max(...opened.map((r) => r.maxEventsPerRead))).toBeGreaterThanOrEqual(10);
    const buffering = findings.find((f) => f.kind === 'buffering');
    expect(buffering, JSON.stringify(findings)).toBeDefined();
    expect(buffering?.profile).toBe('nginx-default');
    expect(buffering?.remedy).toContain('X-Accel-Buffering: no');
    expect(findings.filter((f) => f.kind === 'time_limit' || f.kind === 'idle_timeout')).toEqual([]);
  });

  it('streams event by event through stock nginx when the server sends X-Accel-Buffering: no', async () => {
    const { records, findings } = await runThroughNginx({ template: 'stock' }, { interval: '20' });
    // Target findings only: on a busy shared machine the run may also flag its own harness.
    expect(problems(findings), JSON.stringify(findings, null, 1)).toEqual([]);
    expect(records.every((r) => r.reason === 'client_closed' && r.openedAt !== undefined)).toBe(true);
    const perRead = records.map((r) => r.events / Math.max(1, r.eventReads));
    expect(Math.max(...perRead)).toBeLessThan(2);
  });

  it('cuts silent streams at a short proxy_read_timeout when heartbeats are off: an idle timeout', async () => {
    const { records, findings, errorLog } = await runThroughNginx({ template: 'sse', readTimeout: '1s' }, { interval: '5000', heartbeat: '0' });
    const drops = records.filter((r) => r.outcome === 'dropped');
    expect(drops.length).toBeGreaterThanOrEqual(8);
    for (const drop of drops) {
      expect(drop.endedAt - (drop.lastByteAt ?? drop.startedAt)).toBeGreaterThan(850);
      expect(drop.endedAt - (drop.lastByteAt ?? drop.startedAt)).toBeLessThan(1_600);
    }
    expect(errorLog).toContain('upstream timed out');
    const idle = findings.find((f) => f.kind === 'idle_timeout');
    expect(idle, JSON.stringify(findings)).toBeDefined();
    expect(idle?.remedy).toMatch(/heartbeat/);
    expect(findings.find((f) => f.kind === 'time_limit')).toBeUndefined();
  });

  it('keeps every stream open through the same short timeout when heartbeats are on', async () => {
    const { records, findings } = await runThroughNginx({ template: 'sse', readTimeout: '1s' }, { interval: '5000', heartbeat: '300' });
    expect(records.filter((r) => r.outcome === 'dropped')).toEqual([]);
    expect(records.every((r) => r.reason === 'client_closed')).toBe(true);
    expect(Math.min(...records.map((r) => r.heartbeats))).toBeGreaterThanOrEqual(5);
    // Target findings only: on a busy shared machine the run may also flag its own harness.
    expect(problems(findings), JSON.stringify(findings, null, 1)).toEqual([]);
  });

  it('serves SSE right with sse.conf: the doctor finds it healthy behind nginx', async () => {
    const proxy = await startNginx({ template: 'sse', upstream: server.url });
    try {
      const token = await signToken({ userId: 'doctor', secret: SECRET });
      const result = await runDoctor({ url: proxy.url, token, holdMs: 2_000, testMessages: 5 });
      expect(result.findings.filter((f) => f.severity === 'problem')).toEqual([]);
      expect(result.healthy).toBe(true);
      expect(result.platformHints.join(' ')).toContain('nginx');
    } finally {
      await proxy.close();
    }
  });
});
