/**
 * Reading a results folder (DESIGN.md, "Results folder"): `summary.json`, `timeline.json` and the
 * streamed `connections.ndjson`. Every reader validates at the boundary with the shared schemas, so
 * a k6 run's `handleSummary` output and a Node engine run read the same way.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { z } from 'zod';
import { InvalidResultsError, StreamsoakError } from '../core/errors.js';
import { formatIssues } from '../core/validate.js';
import {
  RESULT_FILES,
  connectionRecordSchema,
  summarySchema,
  timelineSchema,
  type ConnectionRecord,
  type Summary,
  type Timeline,
} from './schema.js';

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new StreamsoakError('SS_ERR_NOT_FOUND', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StreamsoakError('SS_ERR_INVALID_RESULTS', `${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** A results file that does not match its schema is corrupt (or not ours), not a bad plan: SS_ERR_INVALID_RESULTS. */
function parseResultsFile<S extends z.ZodType>(schema: S, value: unknown, file: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidResultsError(file, formatIssues(result.error));
  return result.data;
}

/**
 * `target` may be a results folder or a `summary.json` path (compare and plan accept either):
 * returns the summary file's path.
 */
export async function resolveSummaryPath(target: string): Promise<string> {
  let info;
  try {
    info = await stat(target);
  } catch (error) {
    throw new StreamsoakError('SS_ERR_NOT_FOUND', `no results folder or summary.json at ${target}`, { cause: error });
  }
  return info.isDirectory() ? path.join(target, RESULT_FILES.summary) : target;
}

export async function readSummary(target: string): Promise<Summary> {
  const file = await resolveSummaryPath(target);
  return parseResultsFile(summarySchema, await readJson(file), file);
}

/**
 * The same summary as `readSummary`, plus fields the shared schema does not (yet) carry but a
 * producer may add — today only the server's own memory (`server.peakRssBytes`), which capacity
 * planning prefers over the harness's. Unknown fields are stripped by the schema, so they are read
 * from the raw JSON here.
 */
export async function readSummaryWithExtras(target: string): Promise<{ summary: Summary; serverPeakRssBytes?: number }> {
  const file = await resolveSummaryPath(target);
  const raw = await readJson(file);
  const summary = parseResultsFile(summarySchema, raw, file);
  const server = (raw as { server?: { peakRssBytes?: unknown } }).server;
  const rss = server?.peakRssBytes;
  return typeof rss === 'number' && Number.isFinite(rss) && rss > 0 ? { summary, serverPeakRssBytes: rss } : { summary };
}

export async function readTimeline(dir: string): Promise<Timeline> {
  const file = path.join(dir, RESULT_FILES.timeline);
  return parseResultsFile(timelineSchema, await readJson(file), file);
}

/**
 * Streams `connections.ndjson` one validated record at a time: a long run holds 30,000+ records and
 * the report keeps only what its plots need. A missing file yields nothing (a k6 run has none).
 */
export async function* readConnectionRecords(dir: string, signal?: AbortSignal): AsyncGenerator<ConnectionRecord> {
  const file = path.join(dir, RESULT_FILES.connections);
  try {
    await stat(file);
  } catch {
    return;
  }
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      // Ctrl-C: a StreamsoakError the CLI exits 130 on, not an unexpected error.
      if (signal?.aborted) throw new StreamsoakError('SS_ERR_ABORTED', `interrupted while reading ${file}`, { cause: signal.reason });
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line) as unknown;
      } catch (error) {
        throw new StreamsoakError('SS_ERR_INVALID_RESULTS', `${file}:${lineNumber} is not valid JSON`, { cause: error });
      }
      yield parseResultsFile(connectionRecordSchema, value, `${file}:${lineNumber}`);
    }
  } finally {
    lines.close();
  }
}
