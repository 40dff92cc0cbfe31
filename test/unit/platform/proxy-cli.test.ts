import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { fetchTimed, startTinyUpstream, type TinyUpstream } from './helpers.js';

let upstream: TinyUpstream;
beforeAll(async () => {
  upstream = await startTinyUpstream();
});
afterAll(async () => {
  await upstream.close();
});

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('streamsoak proxy', () => {
  it('serves the composed, time-scaled profile until interrupted, then exits 130', async () => {
    const controller = new AbortController();
    const stdout = capture();
    const stderr = capture();
    const running = main(['proxy', '--upstream', upstream.url, '--profile', 'vercel-hobby,nginx-default', '--port', '0', '--time-scale', '0.03'], {
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: {},
      signal: controller.signal,
    });
    let url: string | undefined;
    for (let i = 0; i < 100 && url === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      url = /streamsoak proxy: (http:\/\/\S+)/.exec(stdout.text())?.[1];
    }
    expect(url).toBeDefined();
    expect(stdout.text()).toContain('profile vercel-hobby+nginx-default (time scale ×0.03)');
    expect(stdout.text()).toMatch(/time limit {4}300ms/);
    const result = await fetchTimed(`${url}/sse?n=100&every=20&accel=no`);
    expect(result.endedAtMs).toBeLessThan(800);
    controller.abort();
    expect(await running).toBe(130);
    expect(stdout.text()).toContain('1 cut by the time limit');
  });

  it.each([
    [['proxy', '--profile', 'netlify']],
    [['proxy', '--upstream', 'http://127.0.0.1:1']],
    [['proxy', '--upstream', 'http://127.0.0.1:1', '--profile', 'no-such-profile']],
    [['proxy', '--upstream', 'http://127.0.0.1:1', '--profile', 'netlify', '--time-scale', '-1']],
  ])('exits 2 on bad usage: %j', async (args) => {
    const stderr = capture();
    const code = await main(args, { stdout: capture().stream, stderr: stderr.stream, env: {}, signal: new AbortController().signal });
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(/streamsoak: /);
  });
});
