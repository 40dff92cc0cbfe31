import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RESULT_FILES, type Summary } from '../../../src/results/schema.js';
import { createResultsWriter } from '../../../src/results/writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createResultsWriter', () => {
  it('streams the timeline as one JSON document', async () => {
    const writer = await createResultsWriter(dir, { startedAt: 1_000, intervalMs: 1_000 });
    writer.writePoint({ t: 1 } as never);
    writer.writePoint({ t: 2 } as never);
    await writer.finish({ runId: 'r' } as unknown as Summary);
    const timeline = JSON.parse(await readFile(join(dir, RESULT_FILES.timeline), 'utf8')) as { points: Array<{ t: number }> };
    expect(timeline.points.map((point) => point.t)).toEqual([1, 2]);
  });

  it('keeps a failed write and rejects finish() with it, instead of an unhandled error event', async () => {
    // A folder where connections.ndjson should be: opening the stream fails with EISDIR.
    await mkdir(join(dir, RESULT_FILES.connections));
    const writer = await createResultsWriter(dir, { startedAt: 1_000, intervalMs: 1_000 });
    writer.writeRecords([{ id: '0-1' } as never]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(writer.finish({ runId: 'r' } as unknown as Summary)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
