import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

async function runCli(args: string[], env: Record<string, string>, signal = new AbortController().signal) {
  const stdout = capture();
  const stderr = capture();
  const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream, env, cwd: process.cwd(), signal });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const ENV = { JWT_ACCESS_SECRET: 'cli-secret' };

describe('streamsoak serve and token', () => {
  it('serves until interrupted: prints its URL, streams to a token from `streamsoak token`, stops with 0', async () => {
    const controller = new AbortController();
    const stdout = capture();
    const running = main(['serve', '--port', '0', '--interval', '50ms', '--clock-offset=-2s'], {
      stdout: stdout.stream,
      stderr: capture().stream,
      env: ENV,
      cwd: process.cwd(),
      signal: controller.signal,
    });
    let exited: number | undefined;
    void running.then((code) => (exited = code));
    const deadline = Date.now() + 10_000;
    while (!/listening on (http:\/\/\S+)/.test(stdout.text()) && exited === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(exited).toBeUndefined();
    const url = /listening on (http:\/\/\S+)/.exec(stdout.text())?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const minted = await runCli(['token', '--user', 'u1', '--ttl', '10m'], ENV);
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    expect(token.split('.')).toHaveLength(3);

    const response = await fetch(`${url}/api/calls/events?token=${token}`);
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let text = '';
    while (!/data: .*"seq":2/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const sentAt = Number(/"sentAt":(\d+)/.exec(text)?.[1]);
    // --clock-offset -2s: the server's clock runs two seconds behind.
    expect(Date.now() - sentAt).toBeGreaterThan(1_500);
    expect(Date.now() - sentAt).toBeLessThan(3_500);
    const time = (await (await fetch(`${url}/api/time`)).json()) as { now: number };
    expect(Date.now() - time.now).toBeGreaterThan(1_500);

    controller.abort();
    expect(await running).toBe(0);
    // The stream ended cleanly with the server.
    for (;;) if ((await reader.read()).done) break;
    expect(stdout.text()).toContain('stopped');
  });

  it.each([
    [['serve', '--interval', 'fast'], '--interval'],
    [['serve', '--interval', '5ms'], '--interval'],
    [['serve', '--mode', 'push'], '--mode'],
    [['serve', '--port', '70000'], '--port'],
    [['serve', '--workers', '0'], '--workers'],
    [['serve', '--heartbeat', '-1s'], '--heartbeat'],
    [['serve', '--bogus'], 'bogus'],
    [['token'], '--user'],
    [['token', '--user', 'u1', '--ttl', 'soon'], '--ttl'],
  ])('exits 2 naming the option for %j', async (args, named) => {
    const result = await runCli(args, ENV);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(named);
  });

  it('exits 2 when JWT_ACCESS_SECRET is not set', async () => {
    for (const args of [['serve', '--port', '0'], ['token', '--user', 'u1']]) {
      const result = await runCli(args, {});
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('JWT_ACCESS_SECRET');
    }
  });
});
