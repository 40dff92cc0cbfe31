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
