/**
 * Issue 15, part 1: the URL a user has. `--url` takes the events URL itself, path and query
 * included, against a server that is not ours: a plain `node:http` SSE endpoint at a path of its
 * own, which answers 404 anywhere else. A URL that cannot be used exits 2 naming `--url`.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { summarySchema } from '../../src/results/schema.js';

let dir: string;
let server: Server;
let origin: string;
/** The polling endpoint's message log: one message every 100 ms while the server runs. */
const log: Array<{ id: number; at: number }> = [];
const cursors: Array<string | null> = [];
let logTimer: ReturnType<typeof setInterval>;
const requested: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-own-endpoint-'));
  server = createServer((request, response) => {
    requested.push(request.url ?? '');
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/messages') {
      // Someone else's polling endpoint: its own shape, its own cursor parameter, ISO times.
      const after = Number(url.searchParams.get('after') ?? '0');
      cursors.push(url.searchParams.get('after'));
      const items = log.filter((entry) => entry.id > after).map((entry) => ({ msgId: entry.id, createdAt: new Date(entry.at).toISOString() }));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data: { items }, next: String(log.at(-1)?.id ?? after) }));
      return;
    }
    if (url.pathname === '/slow-publish') {
      // A publish endpoint that takes 600 ms to answer: the schedule must not wait for it.
      request.resume();
      setTimeout(() => response.writeHead(202).end(), 600);
      return;
    }
    if (url.pathname !== '/sub/room1' || url.searchParams.get('x') !== '1') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let n = 0;
    const timer = setInterval(() => response.write(`id: ${++n}\ndata: {"text":"hello ${n}"}\n\n`), 100);
    response.on('close', () => clearInterval(timer));
  });
  logTimer = setInterval(() => log.push({ id: log.length + 1, at: Date.now() }), 100);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  clearInterval(logTimer);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await runCli(args, { env: {}, cwd: dir });
  return { code, out: stdout, err: stderr };
}

describe('streamsoak run --url with the events URL a user has', () => {
  it('streams from the path and query of the URL, and records them in the summary', async () => {
    const results = join(dir, 'results');
    const { code, out, err } = await cli([
      'run', '--url', `${origin}/sub/room1?x=1`, '--sse', '3', '--duration', '2s', '--workers', '1', '--results', results, '--quiet',
    ]);
    expect(code, `${out}\n${err}`).toBe(0);
    const [runId] = await readdir(results);
    const summary = summarySchema.parse(JSON.parse(await readFile(join(results, runId as string, 'summary.json'), 'utf8')));
    expect(summary.target).toMatchObject({ baseUrl: origin, ssePath: '/sub/room1?x=1' });
    // Every request went to the path the user gave (the clock reads none: the target is on loopback).
    expect(requested.length).toBeGreaterThanOrEqual(3);
    expect(requested.every((path) => path === '/sub/room1?x=1')).toBe(true);
    expect(summary.metrics.sse_connects?.values.count).toBe(3);
    expect(summary.metrics.sse_events?.values.count ?? 0).toBeGreaterThan(3 * 10);
    expect(summary.breakdown.sse_connect_failures ?? {}).toEqual({});
  });

  it.each([
    ['not-a-url', /--url \(target\.url\): "not-a-url" is not a URL/],
    ['ftp://127.0.0.1/sub', /--url \(target\.url\): .*the scheme must be http or https/],
    ['http://user:pw@127.0.0.1:1/sub', /--url \(target\.url\): credentials in the URL are not sent/],
    ['http://127.0.0.1:1/sub#x', /--url \(target\.url\): .*#fragment/],
    ['http://127.0.0.1:123456/sub', /--url \(target\.url\): .*the port must be from 1 to 65535/],
  ])('exits 2 naming --url for %j, with no stack trace and no request', async (url, message) => {
    const before = requested.length;
    const { code, err } = await cli(['run', '--url', url, '--sse', '1', '--duration', '1s', '--results', join(dir, 'bad'), '--quiet']);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\n\s+at /);
    expect(requested.length).toBe(before);
  });

  it('publishes on an open-model schedule: a slow publish endpoint delays no message, and shows in publish_request_duration', async () => {
    const results = join(dir, 'slow-publish');
    const { code, out, err } = await cli([
      'run', '--url', `${origin}/sub/room1?x=1`, '--sse', '2', '--duration', '4s', '--workers', '1', '--results', results, '--quiet',
      '--publish', `${origin}/slow-publish`, '--publish-rate', '10',
    ]);
    expect(code, `${out}\n${err}`).toBe(0);
    const [runId] = await readdir(results);
    const summary = summarySchema.parse(JSON.parse(await readFile(join(results, runId as string, 'summary.json'), 'utf8')));
    // From 0.5 s to 1 s before the end, 10 a second: 25 messages, sent on time although each takes 0.6 s
    // (a closed loop on one connection would have sent about 4).
    expect(summary.metrics.publish_requests?.values.count).toBeGreaterThanOrEqual(23);
    expect(summary.metrics.publish_requests?.values.count).toBeLessThanOrEqual(26);
    expect(summary.metrics.publish_request_duration?.values.min).toBeGreaterThanOrEqual(590);
    expect(summary.publish?.messagesAccepted).toBe(summary.metrics.publish_requests?.values.count);
  });

  it("measures delivery delay from someone else's poll endpoint through poll.mapping: its array, its times, its cursor", async () => {
    const plan = join(dir, 'poll-plan.yaml');
    await writeFile(
      plan,
      [
        'target:',
        `  url: ${origin}`,
        '  pollPath: /messages',
        'poll:',
        '  clients: 3',
        '  intervalMs: 500ms',
        '  mapping:',
        '    events: /data/items',
        '    time: /createdAt',
        '    cursorParam: after',
        '    cursorFrom: /next',
        'duration: 3s',
        'workers: 1',
      ].join('\n'),
    );
    const results = join(dir, 'poll-mapped');
    const { code, out, err } = await cli(['run', plan, '--results', results, '--quiet']);
    expect(code, `${out}\n${err}`).toBe(0);
    const [runId] = await readdir(results);
    const summary = summarySchema.parse(JSON.parse(await readFile(join(results, runId as string, 'summary.json'), 'utf8')));
    const events = summary.metrics.poll_events?.values.count ?? 0;
    // 3 clients, a message every 100 ms, after each client's first poll: about 3 × 25 events, each with a delay.
    expect(events).toBeGreaterThan(3 * 15);
    expect(summary.metrics.poll_delivery_delay?.values.count).toBe(events);
    // An event waits at most one poll interval (plus the request): ISO times read to the millisecond.
    expect(summary.metrics.poll_delivery_delay?.values.max).toBeLessThan(500 + 200);
    expect(summary.metrics.poll_delivery_delay?.values.min).toBeGreaterThanOrEqual(-5);
    // The cursor went back in the endpoint's own parameter, from the response's own field, and moved on.
    const sent = cursors.filter((cursor): cursor is string => cursor !== null).map(Number);
    expect(sent.length).toBeGreaterThan(3 * 3);
    expect(new Set(sent).size).toBeGreaterThan(3);
  });
});
