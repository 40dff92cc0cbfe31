import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/dashboards.js';
import { UsageError } from '../../../src/core/errors.js';
import { generateDashboardFiles } from '../../../src/dashboards/generate.js';
import { DASHBOARD_FILES, copyPackagedDashboardFiles } from '../../../src/dashboards/packaged.js';
import { createCapturingIo, type CapturingIo } from '../../helpers/cli.js';

const captureIo = (cwd: string): CapturingIo => createCapturingIo({ cwd });

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('streamsoak dashboards', () => {
  it('writes the dashboard JSON and provisioning files into --out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'streamsoak-dashboards-'));
    dirs.push(dir);
    const { io, stdout } = captureIo('/nonexistent');
    expect(await run(['--out', join(dir, 'out')], io)).toBe(0);
    for (const file of generateDashboardFiles()) {
      expect(await readFile(join(dir, 'out', file.path), 'utf8')).toBe(file.content);
      expect(stdout()).toContain(join(dir, 'out', file.path));
    }
  });

  it('writes into ./dashboards of the working directory by default', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'streamsoak-dashboards-'));
    dirs.push(dir);
    const { io } = captureIo(dir);
    expect(await run([], io)).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'dashboards', 'sse-soak.json'), 'utf8'))).toMatchObject({ title: 'SSE soak' });
  });

  it('ships exactly the files it generates, so an install without the Grafana SDK writes the same', async () => {
    expect(generateDashboardFiles().map((file) => file.path)).toEqual([...DASHBOARD_FILES]);
    const dir = await mkdtemp(join(tmpdir(), 'streamsoak-dashboards-'));
    dirs.push(dir);
    await copyPackagedDashboardFiles(dir);
    for (const file of generateDashboardFiles()) expect(await readFile(join(dir, file.path), 'utf8')).toBe(file.content);
  });

  it('rejects an unknown option as a usage error', async () => {
    const { io } = captureIo(tmpdir());
    await expect(run(['--bogus'], io)).rejects.toBeInstanceOf(UsageError);
  });
});
