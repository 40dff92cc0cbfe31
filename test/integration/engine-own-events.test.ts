/**
 * Issue 15, part 2: latency and loss from the target's own events. The target is a third-party SSE
 * server library from npm, `better-sse`, used as its README says (`createSession(req, res)`, then
 * `session.push(data, eventName, eventId)`), sending `{ text, ts }` events whose `ts` is the time
 * it pushed them and whose SSE id counts up. The run reads them through `--event-time /ts` and
 * `--event-seq id`; without a mapping, it must say it cannot tell, never "0 lost".
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession } from 'better-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { summarySchema, type Summary } from '../../src/results/schema.js';

const EVENT_INTERVAL_MS = 100;
/** Every SKIP_EVERY-th id is never sent on /gappy: a lost event the run must count. */
const SKIP_EVERY = 5;
/** The /shifted feed's clock runs this far ahead of ours (a remote machine's clock). */
const SHIFT_MS = 30_000;

let dir: string;
let server: Server;
let origin: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-own-events-'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/') {
      // A target whose clock runs SHIFT_MS ahead, and that has no /api/time: only its Date header says so.
      res.setHeader('Date', new Date(Date.now() + SHIFT_MS).toUTCString());
      res.writeHead(404).end();
      return;
    }
    if (url.pathname !== '/feed' && url.pathname !== '/gappy' && url.pathname !== '/seconds' && url.pathname !== '/shifted') {
      res.writeHead(404).end();
      return;
    }
    void createSession(req, res).then((session) => {
      let n = 0;
      const timer = setInterval(() => {
        n++;
        if (url.pathname === '/gappy' && n % SKIP_EVERY === 0) return;
        // `ts` is stamped as the event is pushed: epoch ms, or epoch seconds with a fraction on /seconds.
        const ts = url.pathname === '/seconds' ? Date.now() / 1000 : url.pathname === '/shifted' ? Date.now() + SHIFT_MS : Date.now();
        session.push({ text: `hello ${n}`, ts }, 'message', String(n));
      }, EVENT_INTERVAL_MS);
      session.once('disconnected', () => clearInterval(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function run(name: string, args: string[]): Promise<{ code: number; out: string; err: string; summary: Summary }> {
  const results = join(dir, name);
  const { code, stdout: out, stderr: err } = await runCli(['run', ...args, '--sse', '4', '--duration', '3s', '--workers', '1', '--results', results, '--quiet'], { env: {}, cwd: dir });
  const [runId] = await readdir(results);
  const summary = summarySchema.parse(JSON.parse(await readFile(join(results, runId as string, 'summary.json'), 'utf8')));
  return { code, out, err, summary };
}

const count = (summary: Summary, metric: string): number => summary.metrics[metric]?.values.count ?? 0;

describe("streamsoak run against a better-sse server's own events", () => {
  it('measures latency from the events’ own timestamp, and states the unit it detected', async () => {
    const { code, out, err, summary } = await run('mapped', ['--url', `${origin}/feed`, '--event-time', '/ts', '--event-seq', 'id']);
    expect(code, `${out}\n${err}`).toBe(0);
    const events = count(summary, 'sse_events');
    expect(events).toBeGreaterThan(4 * 15);
    // Every event carried a time: one latency sample each, read as milliseconds.
    expect(count(summary, 'sse_event_latency')).toBe(events);
    expect(summary.events).toEqual({ mapping: { time: '/ts', seq: 'id' }, timeUnitsRead: { ms: events } });
    // Same host, one clock: the delay from push to receipt is small and never negative by much.
    const latency = summary.metrics.sse_event_latency?.values ?? {};
    expect(latency['p(50)'] ?? latency.med).toBeLessThan(200);
    expect(latency.min).toBeGreaterThan(-5);
    expect(count(summary, 'sse_events_lost')).toBe(0);
    expect(out).toMatch(/events {3}\d+ received, 0 lost, 0 duplicated/);
    expect(out).toMatch(/mapping {2}time \/ts \(unit by magnitude; read: ms ×\d+\), seq id/);
    expect(summary.warnings.filter((line) => line.startsWith('events:'))).toEqual([]);
  });

  it('counts the ids the server skipped as lost events', async () => {
    const { summary } = await run('gappy', ['--url', `${origin}/gappy`, '--event-time', '/ts', '--event-seq', 'id']);
    const events = count(summary, 'sse_events');
    const lost = count(summary, 'sse_events_lost');
    // About one id in SKIP_EVERY is missing: a gap is counted once the next id arrives.
    expect(lost).toBeGreaterThanOrEqual(Math.floor(events / (SKIP_EVERY - 1)) - 4 * 2);
    expect(lost).toBeLessThanOrEqual(Math.ceil(events / (SKIP_EVERY - 1)) + 4);
    expect(count(summary, 'sse_events_duplicated')).toBe(0);
  });

  it('reads epoch seconds with a fraction as seconds', async () => {
    const { summary } = await run('seconds', ['--url', `${origin}/seconds`, '--event-time', '/ts']);
    expect(Object.keys(summary.events?.timeUnitsRead ?? {})).toEqual(['s']);
    const latency = summary.metrics.sse_event_latency?.values ?? {};
    expect(latency['p(50)'] ?? latency.med).toBeLessThan(200);
    expect(latency.min).toBeGreaterThan(-5);
  });

  it('reads a coarse clock offset from the HTTP Date header with --clock date-header, and states its ± 0.5 s', async () => {
    const { code, out, summary } = await run('date-header', ['--url', `${origin}/shifted`, '--event-time', '/ts', '--clock', 'date-header']);
    expect(code, out).toBe(0);
    expect(summary.clock?.method).toBe('date-header');
    // Whole seconds: the offset is known to ± 0.5 s and half the round trip, no better.
    expect(Math.abs((summary.clock?.offsetMs ?? 0) - SHIFT_MS)).toBeLessThanOrEqual(summary.clock?.uncertaintyMs ?? 0);
    expect(summary.clock?.uncertaintyMs).toBeGreaterThanOrEqual(500);
    expect(summary.clock?.uncertaintyMs).toBeLessThan(600);
    // Corrected by the offset, the latency is near zero again, within the stated bound (30 s off without it).
    const latency = summary.metrics.sse_event_latency?.values ?? {};
    expect(Math.abs(latency['p(50)'] ?? latency.med ?? Number.NaN)).toBeLessThan(600);
    expect(out).toMatch(/latency {2}p50 .* ± 5\d\d ms \(coarse clock offset, from the HTTP Date header's whole seconds\)/);
    expect(out).toMatch(/clock {4}offset [\d.]+ ms from the HTTP Date header \(whole seconds\)/);
  });

  it('says latency and loss are unknown without a mapping, and points at a mapping that matches nothing', async () => {
    const bare = await run('bare', ['--url', `${origin}/feed`]);
    expect(bare.out).toMatch(/lost and duplicated unknown \(no sequence number: --event-seq/);
    expect(bare.out).toMatch(/latency {2}no samples: these are not the reference server's \{seq, sentAt, stream\} events; .*--event-time \/ts/);
    const wrong = await run('wrong', ['--url', `${origin}/feed`, '--event-time', '/createdAt']);
    expect(wrong.summary.warnings.some((line) => /^events: none of the \d+ events received had a time at \/createdAt/.test(line))).toBe(true);
  });

  it('exits 2 naming the flag for a mapping it cannot use', async () => {
    for (const [flag, value, field] of [
      ['--event-time', 'ts', 'events.time'],
      ['--event-time-unit', 'hours', 'events.timeUnit'],
      ['--event-seq-pattern', '(?<seq>\\d+', 'events.seqPattern'],
    ] as const) {
      const args = ['run', '--url', `${origin}/feed`, '--sse', '1', '--duration', '1s', '--event-seq', 'id', flag, value];
      const { code, stderr: err } = await runCli(args, { env: {}, cwd: dir });
      expect(code, err).toBe(2);
      expect(err).toContain(`${flag} (${field})`);
    }
  });
});
