/**
 * Issue 9: a results folder that cannot be written fails the run at once, with the path and the
 * cause, and exit 2, before any worker starts or any request reaches the target (a long run whose
 * records cannot be kept is worse than no run). Tests run as root, so permissions do not stop a
 * write: the folders here sit under a regular file (ENOTDIR) and under /proc (where nothing can be
 * created; Node's own recursive mkdir would spin there forever).
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { workerPidsOf } from './harness-processes.js';

let dir: string;
let aFile: string;
let target: Server;
let url: string;
let requests = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-unwritable-'));
  aFile = join(dir, 'not-a-folder');
  await writeFile(aFile, 'a regular file\n');
  // A plain target that only counts: any request at all (the clock exchange included) is a failure.
  target = createServer((_request, response) => {
    requests++;
    response.writeHead(503).end();
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const address = target.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => target?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('a results folder that cannot be written', () => {
  it.each([
    ['under a regular file', () => join(aFile, 'results'), /ENOTDIR/],
    ['the regular file itself', () => aFile, /ENOTDIR/],
    ['under /proc', () => '/proc/streamsoak-results-test/run', /ENOENT at \/proc\/streamsoak-results-test/],
  ])('%s: `run` exits 2 naming the path and the cause, and sends nothing', async (_what, path, cause) => {
    const results = path();
    const startedAt = Date.now();
    const { code, stderr } = await runCli(['run', '--url', url, '--sse', '20', '--poll', '2', '--duration', '5s', '--workers', '2', '--results', results, '--quiet']);
    expect(code).toBe(2);
    expect(stderr).toContain(`cannot write results to ${results}`);
    expect(stderr).toMatch(cause);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(requests).toBe(0);
    // Before the workers: none was forked, and the run did not wait for one.
    expect(workerPidsOf(process.pid)).toEqual([]);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it('`demo` exits 2 the same way, before starting its server', async () => {
    const results = join(aFile, 'demo');
    const { code, stdout, stderr } = await runCli(['demo', '--duration', '2s', '--sse', '5', '--poll', '1', '--results', results, '--quiet']);
    expect(code).toBe(2);
    expect(stderr).toContain(`cannot write results to ${results}`);
    expect(stderr).toMatch(/ENOTDIR/);
    // The demo prints its server's address once it has started one.
    expect(stdout).not.toContain('reference server');
  });
});
