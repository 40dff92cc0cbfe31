import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureStream, runCli as runCliWith } from '../helpers/cli.js';
import { waitForOutput } from '../helpers/wait.js';

const runCli = (args: string[], env: Record<string, string>) => runCliWith(args, { env, cwd: process.cwd() });

const ENV = { JWT_ACCESS_SECRET: 'cli-secret' };

describe('streamsoak serve and token', () => {
  it('serves until interrupted: prints its URL, streams to a token from `streamsoak token`, stops with 0', async () => {
    const controller = new AbortController();
    const stdout = captureStream();
    const running = main(['serve', '--port', '0', '--interval', '50ms', '--clock-offset=-2s'], {
      stdout: stdout.stream,
      stderr: captureStream().stream,
      env: ENV,
      cwd: process.cwd(),
      signal: controller.signal,
    });
    let exited: number | undefined;
    void running.then((code) => (exited = code));
    const url = await waitForOutput(stdout.text, /listening on (http:\/\/\S+)/, { timeoutMs: 10_000, stopIf: () => exited !== undefined });
    expect(exited).toBeUndefined();
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
    // Past setTimeout's 2^31 - 1 ms the timer would fire every millisecond.
    [['serve', '--heartbeat', '600h'], '--heartbeat'],
    [['serve', '--publish-interval', '600h'], '--publish-interval'],
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
