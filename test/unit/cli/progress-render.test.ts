import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressRenderer, formatProgressLine } from '../../../src/cli/progress.js';
import type { ProgressUpdate } from '../../../src/engine/progress-update.js';

const update: ProgressUpdate = {
  elapsedMs: 12_000,
  durationMs: 60_000,
  sseOpen: 950,
  sseTarget: 1_000,
  pollClients: 0,
  eventsPerSecond: 4_812.4,
  pollRequestsPerSecond: 0,
  eventsTotal: 50_000,
  connects: 1_010,
  reconnects: 60,
  eventsLost: 0,
  drops: { server_closed: 50, reset: 0 },
  connectFailures: {},
  latencyP99Ms: 41.7,
  pollDelayP99Ms: null,
  eventLoopDelayP99Ms: 3.2,
  cpuPercent: 40,
  final: false,
};

describe('progress rendering', () => {
  it('prints one plain line per update when not on a terminal', () => {
    expect(formatProgressLine(update)).toBe('[12s, 48s left] | sse open 950/1000 | events/s 4812 | p99 42 ms | drops server_closed 50 | failures 0 | loop p99 3.2 ms');
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const renderer = createProgressRenderer(stream);
    renderer.update(update);
    renderer.update({ ...update, elapsedMs: 13_000 });
    expect(text.split('\n').filter(Boolean)).toHaveLength(2);
    expect(text).not.toContain('\x1b[');
  });

  it('redraws one block in place on a terminal', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true });
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const renderer = createProgressRenderer(stream);
    renderer.update(update);
    const firstBlock = text;
    renderer.update({ ...update, elapsedMs: 13_000 });
    const lines = firstBlock.split('\n').filter(Boolean).length;
    // The second draw starts by moving the cursor up over the first block.
    expect(text.slice(firstBlock.length).startsWith(`\x1b[${lines}F`)).toBe(true);
    expect(firstBlock).toContain('open 950 of 1000');
  });
});
