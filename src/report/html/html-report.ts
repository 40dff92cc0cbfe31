/**
 * `report.html`: one self-contained page per results folder, readable offline — uPlot, the styles,
 * the data and the drawing script are all inlined. `writeHtmlReport` streams `connections.ndjson`
 * through a digest, so a long run's 30,000+ records cost a lifetime number each, not an object each.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RESULT_FILES, RESULTS_SCHEMA_VERSION, type ConnectionRecord, type Finding, type Summary, type Timeline } from '../../results/schema.js';
import { VERSION } from '../../version.js';
import {
  escapeHtml,
  renderFindings,
  renderMetricTables,
  renderPlan,
  renderReasonBars,
  renderRunFacts,
  renderSseVsPoll,
  renderThresholds,
  renderTiles,
  renderWarnings,
} from './sections.js';
import { formatNumber } from '../format.js';
import { formatClockNote, isLatencyKnown } from '../../results/clock-note.js';
import { REPORT_CLIENT_SCRIPT } from './client-script.js';
import { buildTimelineSeries, createRecordDigester, sortedCounts, type ReasonCount, type RecordDigest } from './data.js';
import { REPORT_CSS } from './styles.js';
import { readConnectionRecords, readSummary, readTimeline } from '../../results/reader.js';
import { loadUplotAssets } from './uplot-assets.js';

export interface HtmlReportInput {
  summary: Summary;
  timeline: Timeline;
  records: ConnectionRecord[] | Iterable<ConnectionRecord>;
  /** The diagnosis; defaults to the summary's own `findings`. */
  findings?: Finding[];
}

export function renderHtmlReport(input: HtmlReportInput): string {
  const digester = createRecordDigester();
  for (const record of input.records) digester.add(record);
  return renderFromDigest(input.summary, input.timeline, digester.finish(), input.findings ?? input.summary.findings);
}

/** Rebuilds `report.html` from the folder's files and returns its path. */
export async function writeHtmlReport(outDir: string, options: { findings?: Finding[]; signal?: AbortSignal } = {}): Promise<string> {
  const summary = await readSummary(outDir);
  const digester = createRecordDigester();
  for await (const record of readConnectionRecords(outDir, options.signal)) digester.add(record);
  return writeHtmlReportFromDigest(outDir, summary, digester.finish(), options.findings ?? summary.findings);
}

/**
 * Writes `report.html` from a summary and a digest the caller already has (`finalizeResults` reads
 * the records once for the diagnosis and the digest), and returns its path.
 */
export async function writeHtmlReportFromDigest(outDir: string, summary: Summary, digest: RecordDigest, findings: readonly Finding[]): Promise<string> {
  const timeline = await readTimeline(outDir).catch(() => emptyTimeline(summary));
  const file = path.join(outDir, RESULT_FILES.report);
  await writeFile(file, renderFromDigest(summary, timeline, digest, findings));
  return file;
}

/** A k6 run or an interrupted one may have no timeline: the report still renders, with empty charts saying so. */
function emptyTimeline(summary: Summary): Timeline {
  return { schemaVersion: RESULTS_SCHEMA_VERSION, startedAt: Date.parse(summary.startedAt), intervalMs: 1000, points: [] };
}

/** Counts by reason from the summary's breakdown, for runs without connection records (k6). */
function breakdownCounts(summary: Summary, metric: 'sse_drops' | 'sse_connect_failures'): ReasonCount[] {
  return sortedCounts(Object.entries(summary.breakdown[metric] ?? {}).filter(([, count]) => count > 0));
}

/** JSON inside <script>: `<` escaped so no text in the data can close the element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function card(id: string, caption: string): string {
  return `<div class="card"><div class="chart" id="${id}"></div><p class="caption">${escapeHtml(caption)}</p></div>`;
}

/** The clock beside the latency charts: ± the offset uncertainty across machines, or why there is no latency. */
function latencyClockCaption(summary: Summary): string {
  if (!isLatencyKnown(summary.clock)) return ` — ${formatClockNote(summary.clock)}`;
  const note = formatClockNote(summary.clock);
  if (summary.clock?.method === 'api-time') return `, read on our clock with the offset from /api/time: every figure ${note}`;
  if (summary.clock?.method === 'date-header') return `, read on our clock with a coarse offset from the HTTP Date header: every figure ${note}`;
  return note ? ` (${note})` : '';
}

export function renderFromDigest(summary: Summary, timeline: Timeline, digest: RecordDigest, findings: readonly Finding[]): string {
  const uplot = loadUplotAssets();
  const data = {
    timeline: buildTimelineSeries(timeline),
    lifetime: digest.lifetime,
    // Only a measured offset is named in the chart titles; the same host needs no note.
    clock: !isLatencyKnown(summary.clock)
      ? { unknown: true, note: formatClockNote(summary.clock) }
      : { unknown: false, note: summary.clock?.method === 'api-time' || summary.clock?.method === 'date-header' ? formatClockNote(summary.clock) : '' },
  };
  const hasRecords = digest.attempts > 0;
  const drops = hasRecords ? digest.drops : breakdownCounts(summary, 'sse_drops');
  const failures = hasRecords ? digest.failures : breakdownCounts(summary, 'sse_connect_failures');
  const passed = summary.thresholdsPassed;
  const title = `streamsoak report — ${summary.runId}`;
  const lifetimeCaption = hasRecords
    ? `${formatNumber(digest.lifetime.droppedTotal)} streams dropped by the target and ${formatNumber(digest.lifetime.closedTotal)} closed by the plan. ` +
      'A tall bar at a dashed line means streams were cut at a platform limit (Vercel Hobby 10 s, Netlify 26 s, nginx 60 s, Vercel Pro 300 s).'
    : 'This run wrote no connections.ndjson (a k6 run), so stream lifetimes are not available.';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="streamsoak ${escapeHtml(VERSION)}">
<title>${escapeHtml(title)}</title>
<style>${uplot.css}</style>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<header class="top">
  <div><h1>${escapeHtml(summary.runId)}</h1>
  <div class="subtitle">${escapeHtml(summary.target.baseUrl)} · ${escapeHtml(summary.startedAt)} · ${escapeHtml(summary.engine)} engine</div></div>
  <span class="status ${passed ? 'pass' : 'fail'}" id="threshold-status">${passed ? 'thresholds passed' : 'thresholds failed'}</span>
</header>
${renderWarnings(summary)}
${renderTiles(summary, digest)}

<h2>Connections</h2>
${card('chart-open', 'SSE streams open and polling clients active at the end of each second.')}
${card('chart-lifetime', lifetimeCaption)}

<h2>Drops and connect failures</h2>
<div class="grid-2">
  <div class="card">${renderReasonBars('Stream ends by reason', drops, 'No stream ended.', 'bars-drops')}</div>
  <div class="card">${renderReasonBars('Connect failures by reason', failures, 'Every connection attempt opened a stream.', 'bars-failures')}</div>
</div>
${card('chart-reasons', 'Per second. Reasons marked "harness" are limits of the machine running streamsoak, not of the target.')}

<h2>Events</h2>
${card('chart-events', 'Events and comment heartbeats received per second, and events the sequence numbers say were lost. Drawn for every target, whatever its events carry: with streams open, a line at zero means nothing arrives (a buffering layer, or the wrong path).')}

<h2>Latency</h2>
${card('chart-latency', `Receive time of the socket read minus the sentAt the server stamped when it scheduled the event${latencyClockCaption(summary)}.`)}
${summary.publish !== undefined ? card('chart-publish', 'Intended publish time (the open-model schedule) to the socket read that carried the message, once per subscriber, on the harness clock: no clock offset. Dashed: the event latency the target stamped, for comparison.') : ''}
<div class="card"><div class="chart" id="chart-sse-vs-poll"></div>${renderSseVsPoll(summary)}<p class="caption">What a user waits for an event: over SSE, against the polling fallback (delay from sentAt to the poll that returned it; the guide polls every 3 s).</p></div>

<h2>Thresholds</h2>
${renderThresholds(summary)}

<h2>Diagnosis</h2>
${renderFindings(findings)}

<h2>Summary</h2>
${renderMetricTables(summary)}

<h2>Harness</h2>
${card('chart-harness', 'When the event loop lags or the CPU is saturated, the harness — not the target — sets the latency.')}

<h2>Run</h2>
<div class="grid-2"><div class="card">${renderRunFacts(summary)}</div><div class="card"><h3>Plan, as run</h3>${renderPlan(summary.plan)}</div></div>

<footer>Generated by streamsoak ${escapeHtml(VERSION)} with uPlot ${escapeHtml(uplot.version)}. This file is self-contained and works offline.</footer>
</main>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script>${uplot.script}</script>
<script>${REPORT_CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
