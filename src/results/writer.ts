/**
 * Writes a run's results folder as the run goes: `connections.ndjson` and `timeline.json` are
 * streamed to disk (one record per ended attempt, one point per second), so memory stays flat
 * however long the run is; `summary.json` is written once at the end.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StreamsoakError } from '../core/errors.js';
import { RESULT_FILES, RESULTS_SCHEMA_VERSION, type ConnectionRecord, type Summary, type TimelinePoint } from './schema.js';

export interface ResultsWriter {
  readonly outDir: string;
  writeRecords(records: readonly ConnectionRecord[]): void;
  writePoint(point: TimelinePoint): void;
  /** Ends both streams and writes summary.json; rejects with the first write that failed. */
  finish(summary: Summary): Promise<void>;
}

/** What a file-system error code means for a results folder, for the one-line error. */
const CAUSES: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file of that name is in the way',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'a part of the path does not exist and cannot be created',
  ENAMETOOLONG: 'the path is too long',
  EISDIR: 'a folder is where a file must go',
};

/**
 * Creates the run's folder and writes and removes a probe file in it, so a folder that cannot be
 * written fails the run before any worker starts or any request reaches the target (not after a
 * long run, with every record gone). Throws a StreamsoakError (exit 2) naming the path and the cause.
 */
export async function checkResultsFolder(outDir: string): Promise<void> {
  const probe = join(outDir, `.streamsoak-write-probe-${process.pid}`);
  try {
    await makeFolder(outDir);
    await writeFile(probe, 'probe\n');
    await rm(probe, { force: true });
  } catch (error) {
    const { code, path } = error as NodeJS.ErrnoException;
    const where = path !== undefined && path !== outDir ? ` at ${path}` : '';
    const cause = code === undefined ? (error as Error).message : `${code}${where}${CAUSES[code] ? `: ${CAUSES[code]}` : ''}`;
    throw new StreamsoakError('SS_ERR_INVALID_ARGUMENT', `cannot write results to ${outDir} (${cause}): nothing was sent to the target; choose another --results folder`, {
      cause: error,
    });
  }
}

/**
 * `mkdir -p`, one level at a time. Not `mkdir(path, { recursive: true })`: under /proc (where mkdir
 * answers ENOENT though the parent exists) Node 20's recursive mkdir retries forever, so a run
 * given `--results /proc/...` would hang instead of failing.
 */
async function makeFolder(path: string): Promise<void> {
  const missing: string[] = [];
  for (let current = path; ; current = dirname(current)) {
    try {
      if ((await stat(current)).isDirectory()) break;
      throw Object.assign(new Error(`${current} is a file, not a folder`), { code: 'ENOTDIR' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(current) === current) throw error;
      missing.push(current);
    }
  }
  for (const folder of missing.reverse()) {
    await mkdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

function endStream(stream: WriteStream): Promise<void> {
  // An errored stream still calls back (with ERR_STREAM_DESTROYED); its own error was kept already.
  return new Promise((resolve) => stream.end(() => resolve()));
}

export async function createResultsWriter(outDir: string, timeline: { startedAt: number; intervalMs: number }): Promise<ResultsWriter> {
  await makeFolder(outDir);
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
