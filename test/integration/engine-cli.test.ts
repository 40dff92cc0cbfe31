import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startMisbehavingServer, type MisbehavingServer } from './fixtures/misbehaving-server.js';

let dir: string;
let server: MisbehavingServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-run-cli-'));
  server = await startMisbehavingServer({ maxConnections: 2 });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[], signal = new AbortController().signal) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await main(args, { stdout, stderr, signal, env: {}, cwd: dir });
  return { code, out, err };
}

describe('streamsoak run', () => {
  it('exits 99 when a threshold fails, and prints the failed threshold', async () => {
    const results = join(dir, 'r99');
    const { code, out } = await cli([
      'run', '--url', server.url, '--sse', '4', '--reconnect', 'none', '--duration', '1s', '--workers', '1',
      '--threshold', 'sse_connect_failures=count==0', '--threshold', 'sse_events=count>0', '--results', results, '--quiet',
    ]);
    expect(code).toBe(99);
    expect(out).toMatch(/✗ sse_connect_failures: count==0 \(actual 2\)/);
    expect(out).toMatch(/✓ sse_events: count>0/);
    expect(await readdir(results)).toHaveLength(1);
  });

  it('exits 0 when every threshold holds, with one plain progress line per second off a terminal', async () => {
    const file = join(dir, 'plan.yaml');
    await writeFile(file, `target:\n  baseUrl: ${server.url}\nsse:\n  clients: 2\nduration: 2s\nworkers: 1\nthresholds:\n  sse_drops: ['count==0']\n`);
    const { code, out } = await cli(['run', file, '--results', join(dir, 'r0')]);
    expect(code).toBe(0);
    expect(out.split('\n').filter((line) => line.startsWith('[')).length).toBeGreaterThanOrEqual(2);
  });

  it('exits 2 naming every bad field of an invalid plan', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ target: { baseUrl: 'ftp://x' }, sse: { clients: -1 }, duration: '25h', thresholds: { sse_drops: ['count=0'] } }));
    const { code, err } = await cli(['run', file]);
    expect(code).toBe(2);
    expect(err).toContain('target.baseUrl');
    expect(err).toContain('sse.clients');
    expect(err).toContain('duration');
    expect(err).toContain('thresholds.sse_drops.0');
  });

  it('exits 2 with the usage on an unknown flag or a bad number, before any connection', async () => {
    const requestsBefore = server.stats.requests;
    const unknown = await cli(['run', '--url', server.url, '--duration', '1s', '--sse', '1', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("Unknown option '--bogus'");
    expect(unknown.err).toContain('usage: streamsoak run');
    const many = await cli(['run', '--url', server.url, '--duration', '1s', '--sse', 'many']);
    expect(many.code).toBe(2);
    expect(many.err).toContain('--sse many: expected a non-negative whole number');
    expect(server.stats.requests).toBe(requestsBefore);
  });

  it('exits 130 when interrupted, with the results written', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 800);
    const results = join(dir, 'r130');
    const { code } = await cli(['run', '--url', server.url, '--sse', '1', '--duration', '1m', '--workers', '1', '--results', results, '--quiet'], controller.signal);
    expect(code).toBe(130);
    const [run] = await readdir(results);
    expect((await readdir(join(results, run as string))).sort()).toEqual(expect.arrayContaining(['connections.ndjson', 'summary.json', 'timeline.json', 'report.html']));
  });
});

describe('streamsoak demo', () => {
  it('exits 2 with the usage on an unknown flag or a duration past its minute, before starting a server', async () => {
    const unknown = await cli(['demo', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('usage: streamsoak demo');
    const long = await cli(['demo', '--duration', '2m']);
    expect(long.code).toBe(2);
    expect(long.err).toContain('--duration 2m: expected a duration from 1ms to 1m');
    expect(long.out).toBe('');
  });
});
