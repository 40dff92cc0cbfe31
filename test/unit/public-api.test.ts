/**
 * streamsoak as a library user sees it: everything here comes from the public face, `src/index.ts`
 * (the package's `exports`), never from a file behind it. Start the reference server, run a small
 * plan against it, read the results folder back and diagnose it, on loopback, in a few seconds.
 * A name that leaves the face, or a shape that changes under it, fails here first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RESULT_FILES,
  diagnose,
  estimateClockOffset,
  formatClockNote,
  parsePlan,
  readConnectionRecords,
  readSummary,
  readTimeline,
  runPlan,
  startReferenceServer,
  type ConnectionRecord,
  type RunningServer,
} from '../../src/index.js';

const SECRET = 'public-api-test-secret';
const CLIENTS = 4;
/** The reference server's tick mode, one event per stream every 200 ms. */
const INTERVAL_MS = 200;

let server: RunningServer;
let resultsDir: string;

beforeAll(async () => {
  resultsDir = await mkdtemp(path.join(tmpdir(), 'streamsoak-public-api-'));
  server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET, mode: 'tick' });
});

afterAll(async () => {
  await server?.close();
  if (resultsDir) await rm(resultsDir, { recursive: true, force: true });
});

describe('the public API (src/index.ts), used as a library', () => {
  it('runs a plan against the reference server, reads the results folder back and diagnoses it', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const plan = parsePlan({
      target: { baseUrl: server.url, query: { interval: String(INTERVAL_MS) } },
      auth: { secret: SECRET },
      sse: { clients: CLIENTS },
      duration: '2s',
      workers: 1,
    });

    const outcome = await runPlan(plan, { resultsDir });
    expect(outcome.interrupted).toBe(false);
    expect(path.dirname(outcome.outDir)).toBe(resultsDir);

    const summary = await readSummary(outcome.outDir);
    // The target's event interval, from the plan's `?interval=`, is what the diagnosis reads.
    expect(summary).toMatchObject({ schemaVersion: 1, engine: 'node', runId: outcome.summary.runId, target: { baseUrl: server.url, expectedIntervalMs: INTERVAL_MS } });
    // On loopback the clocks are one: latency is measured without an offset.
    expect(summary.clock?.method).toBe('same-host');
    expect(formatClockNote(summary.clock)).not.toBe('');
    // Five events a second on each stream for about two seconds.
    const events = summary.metrics.sse_events?.values.count ?? 0;
    expect(events).toBeGreaterThan(CLIENTS * 5 * 2 * 0.5);
    expect(events).toBeLessThan(CLIENTS * 5 * 2 * 1.5);
    expect(summary.metrics.sse_events_lost?.values.count).toBe(0);

    const records: ConnectionRecord[] = [];
    for await (const record of readConnectionRecords(outcome.outDir)) records.push(record);
    // Conservation: one record per stream, each ended by the plan, carrying the summary's events.
    expect(records).toHaveLength(CLIENTS);
    expect(records.every((record) => record.outcome === 'closed' && record.reason === 'client_closed' && record.status === 200)).toBe(true);
    expect(records.reduce((sum, record) => sum + record.events, 0)).toBe(events);

    const timeline = await readTimeline(outcome.outDir);
    expect(timeline.points.length).toBeGreaterThanOrEqual(1);
    expect(RESULT_FILES.summary).toBe('summary.json');

    // A clean run of a healthy server: nothing for the diagnosis to call a problem.
    const findings = diagnose({ records, summary });
    expect(findings.filter((finding) => finding.severity === 'problem')).toEqual([]);
  }, 10_000);

  it('estimates a clock offset from exchanges a caller made itself', () => {
    const estimate = estimateClockOffset([{ t0Ms: 1_000, t1Ms: 1_010, serverNowMs: 3_505 }], 0);
    expect(estimate).toEqual({ offsetMs: 2_500, uncertaintyMs: 5, roundTripMs: 10, samples: 1 });
  });
});
