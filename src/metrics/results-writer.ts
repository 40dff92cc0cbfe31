/**
 * Writes a run's results folder as the run goes: `connections.ndjson` and `timeline.json` are
 * streamed to disk (one record per ended attempt, one point per second), so memory stays flat
 * however long the run is; `summary.json` is written once at the end.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RESULT_FILES, RESULTS_SCHEMA_VERSION, type ConnectionRecord, type Summary, type TimelinePoint } from './results-schema.js';

export interface ResultsWriter {
  readonly outDir: string;
  writeRecords(records: readonly ConnectionRecord[]): void;
  writePoint(point: TimelinePoint): void;
  /** Ends both streams and writes summary.json; rejects with the first write that failed. */
  finish(summary: Summary): Promise<void>;
}

function endStream(stream: WriteStream): Promise<void> {
  // An errored stream still calls back (with ERR_STREAM_DESTROYED); its own error was kept already.
  return new Promise((resolve) => stream.end(() => resolve()));
}

export async function createResultsWriter(outDir: string, timeline: { startedAt: number; intervalMs: number }): Promise<ResultsWriter> {
  await mkdir(outDir, { recursive: true });
  const connections = createWriteStream(join(outDir, RESULT_FILES.connections), { encoding: 'utf8' });
  const timelineStream = createWriteStream(join(outDir, RESULT_FILES.timeline), { encoding: 'utf8' });
  timelineStream.write(
    `{"schemaVersion":${RESULTS_SCHEMA_VERSION},"startedAt":${timeline.startedAt},"intervalMs":${timeline.intervalMs},"points":[\n`,
  );
  // A write that fails mid-run (a full disk, a folder where a file should be) must not end the
  // process as an unhandled 'error' event: the first failure is kept, and finish() throws it.
  let failure: Error | undefined;
  const keep = (error: Error): void => {
    failure ??= error;
  };
  connections.on('error', keep);
  timelineStream.on('error', keep);
  let points = 0;
  return {
    outDir,
    writeRecords(records) {
      if (records.length === 0) return;
      let text = '';
      for (const record of records) text += `${JSON.stringify(record)}\n`;
      connections.write(text);
    },
    writePoint(point) {
      timelineStream.write(`${points++ === 0 ? '' : ',\n'}${JSON.stringify(point)}`);
    },
    async finish(summary) {
      timelineStream.write('\n]}\n');
      await Promise.all([endStream(connections), endStream(timelineStream)]);
      if (failure) throw failure;
      await writeFile(join(outDir, RESULT_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
    },
  };
}
