import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureStream, runCli } from '../../helpers/cli.js';
import { waitForOutput } from '../../helpers/wait.js';
import { fetchTimed, startTinyUpstream, type TinyUpstream } from './helpers.js';

let upstream: TinyUpstream;
beforeAll(async () => {
  upstream = await startTinyUpstream();
});
afterAll(async () => {
  await upstream.close();
});

describe('streamsoak proxy', () => {
  it('serves the composed, time-scaled profile until interrupted, then exits 130', async () => {
    const controller = new AbortController();
    const stdout = captureStream();
    const stderr = captureStream();
    const running = main(['proxy', '--upstream', upstream.url, '--profile', 'vercel-hobby,nginx-default', '--port', '0', '--time-scale', '0.03'], {
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: {},
      signal: controller.signal,
    });
    const url = await waitForOutput(stdout.text, /streamsoak proxy: (http:\/\/\S+)/, { timeoutMs: 2_000 });
    expect(url).toBeDefined();
    expect(stdout.text()).toContain('profile vercel-hobby+nginx-default (time scale ×0.03)');
    expect(stdout.text()).toMatch(/time limit {4}300ms/);
    const result = await fetchTimed(`${url}/sse?n=100&every=20&accel=no`);
    expect(result.endedAtMs).toBeLessThan(800);
    controller.abort();
    expect(await running).toBe(130);
    expect(stdout.text()).toContain('1 cut by the time limit');
  });

  it('adds --delay to the way up and the way down', async () => {
    const controller = new AbortController();
    const stdout = captureStream();
    const running = main(['proxy', '--upstream', upstream.url, '--profile', 'self-hosted', '--port', '0', '--delay', '150ms'], {
      stdout: stdout.stream,
      stderr: captureStream().stream,
      env: {},
      signal: controller.signal,
    });
    const url = await waitForOutput(stdout.text, /streamsoak proxy: (http:\/\/\S+)/, { timeoutMs: 2_000 });
    expect(stdout.text()).toContain('(+150ms each way)');
    const result = await fetchTimed(`${url}/sse?n=1&every=10&accel=no`);
    // 150 ms up, then 150 ms back down before the response head reaches the client.
    expect(result.headersAtMs).toBeGreaterThanOrEqual(295);
    controller.abort();
    expect(await running).toBe(130);
  });

  it('applies the fault flags, time-scaled, and counts what they did', async () => {
    const controller = new AbortController();
    const stdout = captureStream();
    const running = main(
      ['proxy', '--upstream', upstream.url, '--profile', 'self-hosted', '--port', '0', '--time-scale', '0.1', '--stall-after', '3s', '--stall', '6s', '--jitter', '5ms', '--bandwidth', '1MB/s', '--fault-ratio', '1', '--fault-seed', '3'],
      { stdout: stdout.stream, stderr: captureStream().stream, env: {}, signal: controller.signal },
    );
    const url = await waitForOutput(stdout.text, /streamsoak proxy: (http:\/\/\S+)/, { timeoutMs: 2_000 });
    await waitForOutput(stdout.text, /Ctrl-C/, { timeoutMs: 2_000 });
    expect(stdout.text()).toContain('network faults (every response):');
    expect(stdout.text()).toMatch(/stall {9}600ms after 300ms/);
    expect(stdout.text()).toMatch(/bandwidth {5}1MB\/s per response/);
    const result = await fetchTimed(`${url}/sse?n=12&every=50`);
    expect(result.ended).toBe('end');
    const gaps = result.reads.slice(1).map((read, i) => read.atMs - (result.reads[i] as { atMs: number }).atMs);
    expect(Math.max(...gaps)).toBeGreaterThan(400);
    controller.abort();
    expect(await running).toBe(130);
    expect(stdout.text()).toContain('faults hit 1: 1 stalled, 0 went half-open');
  });

  it.each([
    ['--jitter', ['--jitter', 'lots']],
    ['--jitter', ['--jitter', '1m']],
    ['--bandwidth', ['--bandwidth', 'fast']],
    ['--bandwidth', ['--bandwidth', '0']],
    ['--stall-after', ['--stall-after', 'soon', '--stall', '1s']],
    ['--stall', ['--stall-after', '1s', '--stall', '0']],
    ['--stall', ['--stall-after', '1s']],
    ['--stall-after', ['--stall', '1s']],
    ['--half-open-after', ['--half-open-after', '12 parsecs']],
    ['--half-open-after', ['--half-open-after', '25h']],
    ['--stall', ['--stall-after', '1s', '--stall', '48h']],
    ['--fault-ratio', ['--fault-ratio', '2']],
    ['--fault-ratio', ['--fault-ratio', '']],
    ['--fault-seed', ['--fault-seed', '-4']],
  ])('exits 2 naming %s on a bad fault flag: %j', async (flag, faultArgs) => {
    const result = await runCli(['proxy', '--upstream', 'http://127.0.0.1:1', '--profile', 'self-hosted', '--port', '0', ...faultArgs], { env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(flag);
  });

  it.each([
    [['proxy', '--upstream', 'http://127.0.0.1:1', '--profile', 'netlify', '--delay', 'soon']],
    [['proxy', '--profile', 'netlify']],
    [['proxy', '--upstream', 'http://127.0.0.1:1']],
    [['proxy', '--upstream', 'http://127.0.0.1:1', '--profile', 'no-such-profile']],
    [['proxy', '--upstream', 'http://127.0.0.1:1', '--profile', 'netlify', '--time-scale', '-1']],
  ])('exits 2 on bad usage: %j', async (args) => {
    const result = await runCli(args, { env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/streamsoak: /);
  });
});
