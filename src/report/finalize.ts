/**
 * The last step of every run, whichever engine made it: the diagnosis is added to `summary.json`,
 * then `report.html` and `junit.xml` are written beside it. `streamsoak run`, `demo` and `k6 run`
 * end here (src/cli/findings.ts), so a results folder always carries the same files; `report`
 * rebuilds the last two later. What the diagnosis needs to know about the target (origin, expected
 * event interval, time scale) comes from the summary's `target`; the options override it.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RESULT_FILES, summarySchema, type ConnectionRecord, type Finding, type Summary } from '../results/schema.js';
import { diagnose } from '../diagnosis/diagnose.js';
import { writeHtmlReportFromDigest } from './html/html-report.js';
import { writeJunit } from './junit.js';
import { createRecordDigester } from './html/data.js';
import { readConnectionRecords, readSummary } from '../results/reader.js';

export interface FinalizeOptions {
  /** The run went through a time-scaled platform simulator: limits match at this scale (overrides `summary.target.timeScale`). */
  timeScale?: number;
  /** How often the target sends an event on each stream, when the caller knows better than `summary.target.expectedIntervalMs`. */
  expectedIntervalMs?: number;
  signal?: AbortSignal;
}

export interface FinalizedResults {
  summary: Summary;
  findings: Finding[];
  reportPath: string;
  junitPath: string;
}

export async function finalizeResults(outDir: string, options: FinalizeOptions = {}): Promise<FinalizedResults> {
  const summary = await readSummary(outDir);
  // One pass over connections.ndjson feeds both the diagnosis and the report's digest. A k6 run has
  // no connection records (the reader yields none): its diagnosis works from the summary.
  const records: ConnectionRecord[] = [];
  const digester = createRecordDigester();
  for await (const record of readConnectionRecords(outDir, options.signal)) {
    records.push(record);
    digester.add(record);
  }
  const findings = diagnose({
    records,
    summary,
    ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
    ...(options.expectedIntervalMs !== undefined ? { expectedIntervalMs: options.expectedIntervalMs } : {}),
  });
  const updated = summarySchema.parse({ ...summary, findings });
  await writeFile(path.join(outDir, RESULT_FILES.summary), `${JSON.stringify(updated, null, 2)}\n`);
  const reportPath = await writeHtmlReportFromDigest(outDir, updated, digester.finish(), findings);
  const junitPath = await writeJunit(outDir, updated);
  return { summary: updated, findings, reportPath, junitPath };
}
