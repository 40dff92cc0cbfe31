/**
 * `streamsoak doctor` against a stream no client can read: a line that never ends. The probe stops
 * at the parser's cap and says so, instead of reading until its hold bound.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeStream } from '../../src/doctor/probe.js';

let server: http.Server;
let url: string;
let sentBytes = 0;

beforeAll(async () => {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: ');
    // No newline, ever: write as fast as the client reads, until it goes.
    const pump = (): void => {
      while (!res.destroyed && sentBytes < 64 * 1024 * 1024) {
        sentBytes += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('the doctor against a line that never ends', () => {
  it('stops at the cap with a protocol error, long before its hold bound', async () => {
    const started = Date.now();
    const probe = await probeStream(url, { holdMs: 30_000 });
    expect(probe.end).toBe('error');
    expect(probe.error).toMatch(/^protocol error: a line longer than \d+ characters$/);
    expect(probe.events).toEqual([]);
    expect(Date.now() - started).toBeLessThan(15_000);
    // It read past the 1 MiB cap, and stopped well before the server's 64 MiB.
    expect(sentBytes).toBeGreaterThan(1024 * 1024);
    expect(sentBytes).toBeLessThan(48 * 1024 * 1024);
  });
});
