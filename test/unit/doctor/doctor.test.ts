import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { formatDoctorReport, resolveDoctorUrls, runDoctor } from '../../../src/doctor/doctor.js';

describe('resolveDoctorUrls', () => {
  it.each([
    ['https://app.example', 'https://app.example/api/calls/events', 'https://app.example/api/calls/events/test'],
    ['https://app.example/', 'https://app.example/api/calls/events', 'https://app.example/api/calls/events/test'],
    ['https://app.example/sse?x=1', 'https://app.example/sse?x=1', 'https://app.example/sse/test?x=1'],
  ])('reads %s as the events URL %s and its test stream %s', (url, events, test) => {
    expect(resolveDoctorUrls(url)).toEqual({ eventsUrl: events, testUrl: test });
  });

  it('takes the test path when given', () => {
    expect(resolveDoctorUrls('http://127.0.0.1:9/api/calls/events', '/diag').testUrl).toBe('http://127.0.0.1:9/diag');
  });
});

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A loopback server whose events route answers with `headers`; `/test` streams 3 messages fast. */
async function serve(events: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<string> {
  server = http.createServer((req, res) => {
    if (req.url?.startsWith('/api/calls/events/test')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform' });
      let n = 0;
      const timer = setInterval(() => {
        n++;
        res.write(`data: {"n":${n}}\n\n`);
        if (n === 3) {
          clearInterval(timer);
          res.end();
        }
      }, 50);
      return;
    }
    events(req, res);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const streamForever = (headers: http.OutgoingHttpHeaders) => (_req: http.IncomingMessage, res: http.ServerResponse) => {
  res.writeHead(200, headers);
  res.write(': hello\n\n');
};

describe('runDoctor on misbehaving servers', () => {
  it('fails a compressed stream and warns about a missing no-transform', async () => {
    const url = await serve(streamForever({ 'content-type': 'text/event-stream', 'content-encoding': 'gzip', 'cache-control': 'no-cache' }));
    const result = await runDoctor({ url, holdMs: 400, testMessages: 3 });
    const headers = result.checks.find((c) => c.id === 'headers');
    expect(headers?.status).toBe('fail');
    expect(result.findings.map((f) => [f.kind, f.severity])).toEqual([
      ['cache_control', 'warning'],
      ['compression', 'problem'],
    ]);
    expect(result.healthy).toBe(false);
  });

  it('reports a 401 as "not SSE" with the token remedy, and stops the decision tree there', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"unauthorized"}');
    });
    const result = await runDoctor({ url, holdMs: 400, testMessages: 3 });
    expect(result.checks[0]).toMatchObject({ id: 'stream', status: 'fail' });
    expect(result.checks[0]?.summary).toContain('401 application/json: "{"error":"unauthorized"}"');
    expect(result.findings[0]?.remedy).toContain('--token');
    expect(result.decision).toHaveLength(1);
    expect(result.outcome).toMatch(/^SSE does not work at all here/);
  });

  it('passes a healthy stream held to the bound, and the report reads top to bottom', async () => {
    const url = await serve(streamForever({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' }));
    const steps: string[] = [];
    const result = await runDoctor({ url, holdMs: 400, testMessages: 3, onStep: (s) => steps.push(`${s.phase}:${s.id}`) });
    expect(result.healthy).toBe(true);
    expect(result.checks.find((c) => c.id === 'held-stream')?.summary).toContain('still open after 400 ms');
    expect(steps).toContain('start:held-stream');
    expect(steps).toContain('done:buffering');
    const report = formatDoctorReport(result);
    expect(report.indexOf('Checks')).toBeLessThan(report.indexOf('Findings'));
    expect(report.indexOf('Findings')).toBeLessThan(report.indexOf('Decision tree'));
    expect(report).toContain('Outcome: healthy');
  });

  it('aborts promptly when its signal aborts', async () => {
    const url = await serve(streamForever({ 'content-type': 'text/event-stream' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    await runDoctor({ url, holdMs: 60_000, testMessages: 3, signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('reads a stream it stopped on Ctrl-C as interrupted, never as a cut by the target', async () => {
    const url = await serve(streamForever({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await runDoctor({ url, holdMs: 60_000, testMessages: 3, signal: controller.signal });
    const held = result.checks.find((c) => c.id === 'held-stream');
    expect(held?.status).toBe('skip');
    expect(held?.summary).toMatch(/^interrupted after [\d.]+ m?s, still open/);
    expect(result.findings.map((f) => f.kind)).toEqual([]);
    expect(result.healthy).toBe(true);
  });

  it('reads a probe whose signal was aborted before it began as interrupted, not as an endpoint that never answered', async () => {
    const url = await serve(streamForever({ 'content-type': 'text/event-stream' }));
    const started = Date.now();
    const result = await runDoctor({ url, holdMs: 60_000, testMessages: 3, signal: AbortSignal.abort() });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.checks[0]).toMatchObject({ id: 'stream', status: 'skip', summary: 'interrupted before the endpoint answered' });
    expect(result.findings).toEqual([]);
    expect(result.outcome).toMatch(/^Stopped before the endpoint answered/);
  });
});
