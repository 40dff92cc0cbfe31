/**
 * The report's static HTML: the headline tiles, the summary and threshold tables, the findings, the
 * plan and the machine. Everything from a results file goes through `escapeHtml`: a target's error
 * text or a plan's URL must never become markup.
 */
import { formatDurationMs } from '../../core/duration.js';
import { formatClockNote, isLatencyKnown } from '../../results/clock-note.js';
import type { Finding, Summary } from '../../results/schema.js';
import { formatBytes, formatMs, formatNumber } from '../format.js';
import type { RecordDigest, ReasonCount } from './data.js';
import { metricValue, targetDrops } from '../../results/summary-values.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function tile(label: string, value: string, note = '', tone: 'good' | 'bad' | 'neutral' = 'neutral'): string {
  return `<div class="tile tone-${tone}"><div class="tile-value">${escapeHtml(value)}</div><div class="tile-label">${escapeHtml(label)}</div>${
    note ? `<div class="tile-note">${escapeHtml(note)}</div>` : ''
  }</div>`;
}

export function renderTiles(summary: Summary, digest: RecordDigest): string {
  const connects = metricValue(summary, 'sse_connects', 'count');
  const failures = metricValue(summary, 'sse_connect_failures', 'count') ?? digest.outcomes.failed;
  const drops = targetDrops(summary) ?? digest.outcomes.dropped;
  const held = metricValue(summary, 'sse_open_connections', 'max');
  const p99 = metricValue(summary, 'sse_event_latency', 'p(99)');
  const pollP95 = metricValue(summary, 'poll_delivery_delay', 'p(95)');
  const lost = metricValue(summary, 'sse_events_lost', 'count') ?? digest.eventsLost;
  // Every latency figure carries its clock: ± the offset uncertainty, or "unknown" with no reference.
  const known = isLatencyKnown(summary.clock);
  const clockNote = formatClockNote(summary.clock);
  return `<section class="tiles">${[
    tile('streams held at peak', formatNumber(held), `${formatNumber(connects)} connects`),
    tile('connect failures', formatNumber(failures), '', failures > 0 ? 'bad' : 'good'),
    tile('drops by the target', formatNumber(drops), 'excluding streams the plan closed', drops > 0 ? 'bad' : 'good'),
    tile('events lost', formatNumber(lost), 'sequence gaps', lost > 0 ? 'bad' : 'good'),
    known ? tile('SSE event latency p99', formatMs(p99), clockNote) : tile('SSE event latency p99', 'unknown', clockNote),
    known ? tile('polling delivery delay p95', formatMs(pollP95), clockNote) : tile('polling delivery delay p95', 'unknown', clockNote),
    ...publishTiles(summary),
  ].join('')}</section>`;
}

/**
 * A publishing run (issue 15): publish-to-deliver p99, the share of deliveries that arrived, and
 * how far apart the first and last subscriber got each message. Read on the harness's own clock:
 * they need no clock offset, so they stand even when event latency is unknown.
 */
function publishTiles(summary: Summary): string[] {
  const publish = summary.publish;
  if (publish === undefined) return [];
  const p99 = metricValue(summary, 'publish_to_deliver', 'p(99)');
  const ratio = publish.deliveryRatio;
  const spread = publish.fanOutSpreadMs;
  return [
    tile('publish → deliver p99', p99 === undefined ? 'no deliveries' : formatMs(p99), `${formatNumber(publish.messagesAccepted)} messages published`),
    tile(
      'deliveries',
      ratio === null ? 'none due' : `${(ratio * 100).toFixed(ratio === 1 ? 0 : 2)}%`,
      `${formatNumber(publish.deliveries)} delivered, ${formatNumber(publish.deliveriesMissed)} missed`,
      ratio === null ? 'neutral' : ratio < 1 ? 'bad' : 'good',
    ),
    tile('fan-out spread p99', spread === null ? 'none' : formatMs(spread.p99), spread === null ? '' : `last − first receipt; p50 ${formatMs(spread.p50)}, max ${formatMs(spread.max)}`),
  ];
}

const TREND_ROWS: ReadonlyArray<[string, string]> = [
  ['sse_connect_time', 'SSE connect time'],
  ['sse_time_to_first_event', 'time to first event'],
  ['sse_event_latency', 'SSE event latency'],
  ['sse_connection_lifetime', 'lifetime until a drop'],
  ['poll_request_duration', 'poll request duration'],
  ['poll_delivery_delay', 'polling delivery delay'],
  ['publish_to_deliver', 'publish → deliver'],
  ['publish_request_duration', 'publish request duration'],
];

const COUNT_ROWS: ReadonlyArray<[string, string, string]> = [
  ['sse_connects', 'count', 'SSE connects'],
  ['sse_connect_failures', 'count', 'SSE connect failures'],
  ['sse_drops', 'count', 'SSE stream ends (all reasons)'],
  ['sse_reconnects', 'count', 'SSE reconnects'],
  ['sse_events', 'count', 'SSE events received'],
  ['sse_events_lost', 'count', 'SSE events lost (sequence gaps)'],
  ['sse_events_duplicated', 'count', 'SSE events duplicated'],
  ['sse_heartbeats', 'count', 'SSE heartbeats'],
  ['sse_open_connections', 'max', 'SSE open connections (max)'],
  ['poll_clients', 'max', 'polling clients (max)'],
  ['poll_requests', 'count', 'poll requests'],
  ['poll_events', 'count', 'poll events'],
  ['publish_requests', 'count', 'messages published'],
  ['publish_failures', 'count', 'publish failures'],
  ['publish_deliveries_missed', 'count', 'deliveries missed (subscriber open, message never arrived)'],
];

/** Read from the server's `sentAt`: only as good as the clock offset. */
const CLOCK_DEPENDENT = new Set(['sse_event_latency', 'poll_delivery_delay']);

/** The note under a latency row's label: "± 0.6 ms (clock offset uncertainty)". */
function clockNoteHtml(summary: Summary): string {
  const note = formatClockNote(summary.clock);
  return note ? `<span class="clock-note">${escapeHtml(note)}</span>` : '';
}

export function renderMetricTables(summary: Summary): string {
  const known = isLatencyKnown(summary.clock);
  const trendRows = TREND_ROWS.filter(([name]) => summary.metrics[name] || (!known && CLOCK_DEPENDENT.has(name)))
    .map(([name, label]) => {
      const note = CLOCK_DEPENDENT.has(name) ? clockNoteHtml(summary) : '';
      const head = `<th scope="row">${escapeHtml(label)}<code>${escapeHtml(name)}</code>${note}</th>`;
      if (!known && CLOCK_DEPENDENT.has(name)) return `<tr class="latency-unknown">${head}<td colspan="6">${escapeHtml(formatClockNote(summary.clock))}</td></tr>`;
      const cells = ['p(50)', 'p(90)', 'p(95)', 'p(99)', 'max'].map((stat) => `<td class="num">${formatMs(metricValue(summary, name, stat))}</td>`);
      return `<tr>${head}${cells.join('')}<td class="num">${formatNumber(metricValue(summary, name, 'count'))}</td></tr>`;
    })
    .join('');
  const countRows = COUNT_ROWS.filter(([name]) => summary.metrics[name])
    .map(([name, stat, label]) => {
      const rate = stat === 'count' ? metricValue(summary, name, 'rate') : undefined;
      return `<tr><th scope="row">${escapeHtml(label)}<code>${escapeHtml(name)}</code></th><td class="num">${formatNumber(metricValue(summary, name, stat))}</td><td class="num">${
        rate === undefined ? '—' : `${formatNumber(rate, 1)}/s`
      }</td></tr>`;
    })
    .join('');
  return `<div class="two-col">
<div class="table-wrap"><table class="data"><caption>Timings</caption><thead><tr><th></th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th><th>samples</th></tr></thead><tbody>${
    trendRows || '<tr><td colspan="7">no timings recorded</td></tr>'
  }</tbody></table></div>
<div class="table-wrap"><table class="data"><caption>Counts</caption><thead><tr><th></th><th>value</th><th>rate</th></tr></thead><tbody>${
    countRows || '<tr><td colspan="3">no counters recorded</td></tr>'
  }</tbody></table></div></div>`;
}

/** What a user waits for an event over SSE and over the polling fallback, side by side. */
export function renderSseVsPoll(summary: Summary): string {
  const stats = ['p(50)', 'p(95)', 'p(99)', 'max'];
  if (!isLatencyKnown(summary.clock)) return `<p class="latency-unknown" id="latency-clock">${escapeHtml(formatClockNote(summary.clock))}: ${escapeHtml(summary.clock?.detail ?? 'no clock reference')}.</p>`;
  const rows = (
    [
      ['SSE event latency', 'sse_event_latency'],
      ['polling delivery delay', 'poll_delivery_delay'],
    ] as const
  )
    .filter(([, metric]) => summary.metrics[metric])
    .map(([label, metric]) => `<tr><th scope="row">${label}</th>${stats.map((stat) => `<td class="num">${formatMs(metricValue(summary, metric, stat))}</td>`).join('')}</tr>`)
    .join('');
  if (rows === '') return '';
  return `<div class="table-wrap"><table class="data compact"><caption id="latency-clock">${escapeHtml(formatClockNote(summary.clock) ? `latency figures: ${formatClockNote(summary.clock)}` : 'latency figures')}</caption><thead><tr><th></th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

export function renderThresholds(summary: Summary): string {
  if (summary.thresholds.length === 0) return '<p class="muted">This plan set no thresholds.</p>';
  const rows = summary.thresholds
    .map(
      (threshold) =>
        `<tr class="${threshold.ok ? 'pass' : 'fail'}"><td><span class="badge ${threshold.ok ? 'badge-pass' : 'badge-fail'}">${threshold.ok ? 'pass' : 'fail'}</span></td><td><code>${escapeHtml(
          threshold.metric,
        )}</code></td><td><code>${escapeHtml(threshold.expression)}</code></td><td class="num">${
          threshold.actual === null ? '—' : formatNumber(threshold.actual, 3)
        }</td></tr>`,
    )
    .join('');
  const failed = summary.thresholds.filter((threshold) => !threshold.ok).length;
  return `<p>${failed === 0 ? 'Every threshold passed.' : `${failed} of ${summary.thresholds.length} thresholds failed.`}</p>
<div class="table-wrap"><table class="data thresholds"><thead><tr><th>result</th><th>metric</th><th>expression</th><th>actual</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

export function renderFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return '<p class="muted">No findings: nothing in this run matched a known failure signature.</p>';
  return findings
    .map(
      (finding) => `<article class="finding sev-${finding.severity}">
<header><span class="badge badge-${finding.severity}">${escapeHtml(finding.severity)}</span> <strong>${escapeHtml(finding.title)}</strong>${
        finding.profile ? ` <span class="muted">(matches <code>${escapeHtml(finding.profile)}</code>)</span>` : ''
      }</header>
<p><span class="label">Evidence</span> ${escapeHtml(finding.evidence)}</p>
<p><span class="label">Remedy</span> ${escapeHtml(finding.remedy)}</p></article>`,
    )
    .join('');
}

/** Horizontal bars of counts by reason, as HTML: a handful of categories reads better this way than on a canvas. */
export function renderReasonBars(title: string, counts: readonly ReasonCount[], emptyText: string, id: string): string {
  const total = counts.reduce((sum, entry) => sum + entry.count, 0);
  const max = Math.max(1, ...counts.map((entry) => entry.count));
  const rows = counts
    .map(
      (entry) =>
        `<div class="bar-row"><span class="bar-label"><code>${escapeHtml(entry.reason)}</code> <span class="side side-${entry.side}">${escapeHtml(
          entry.side,
        )}</span></span><span class="bar-track"><span class="bar side-bg-${entry.side}" style="width:${((entry.count / max) * 100).toFixed(1)}%"></span></span><span class="bar-value">${formatNumber(
          entry.count,
        )}</span></div>`,
    )
    .join('');
  return `<div class="reason-bars" id="${id}" data-total="${total}" data-rows="${counts.length}"><h3>${escapeHtml(title)}</h3>${
    rows || `<p class="muted">${escapeHtml(emptyText)}</p>`
  }</div>`;
}

export function renderRunFacts(summary: Summary): string {
  const machine = summary.machine;
  const harness = summary.harness;
  const facts: Array<[string, string]> = [
    ['run', summary.runId],
    ['engine', summary.engine],
    ['target', summary.target.baseUrl + (summary.target.ssePath ?? '')],
    ['started', summary.startedAt],
    ['duration', formatDurationMs(summary.durationMs) + (summary.interrupted ? ' (interrupted)' : '')],
    ['machine', `${machine.cpus} × ${machine.cpuModel ?? 'cpu'}, ${formatBytes(machine.totalMemoryBytes)}, ${machine.platform}/${machine.arch}, ${machine.runtime}`],
  ];
  if (harness) {
    const lost = harness.workersLost ? `, ${harness.workersLost} lost mid-run: NOT TRUSTWORTHY` : '';
    facts.push(['harness', `${harness.workers} worker(s)${lost}, peak RSS ${formatBytes(harness.peakRssBytes)}`]);
    if (harness.eventLoopDelayMs) facts.push(['event-loop delay', `p50 ${formatMs(harness.eventLoopDelayMs.p50)}, p99 ${formatMs(harness.eventLoopDelayMs.p99)}, max ${formatMs(harness.eventLoopDelayMs.max)}`]);
    if (harness.cpuPercent) facts.push(['harness CPU', `avg ${formatNumber(harness.cpuPercent.avg, 0)} %, max ${formatNumber(harness.cpuPercent.max, 0)} %`]);
  }
  if (summary.clock) facts.push(['clock', formatClockFacts(summary.clock)]);
  return `<dl class="facts">${facts.map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>`;
}

function formatClockFacts(clock: NonNullable<Summary['clock']>): string {
  if (clock.method === 'unknown') return `unknown: ${clock.detail ?? 'no clock reference'} (latency not recorded)`;
  if (clock.method === 'same-host') return 'same host (one clock)';
  const parts = [`offset ${formatNumber(clock.offsetMs, 1)} ms from /api/time, ${formatClockNote(clock)}`];
  if (clock.roundTripMs !== undefined) parts.push(`best round trip ${formatNumber(clock.roundTripMs, 1)} ms of ${clock.samples ?? '?'} exchanges`);
  if (clock.driftMs !== undefined) parts.push(`drift ${formatNumber(clock.driftMs, 1)} ms by the end`);
  return parts.join('; ');
}

export function renderWarnings(summary: Summary): string {
  const warnings = [...summary.warnings];
  // The engine usually says so itself, with figures; add the line only when it did not.
  if (summary.harness?.bottleneck && !warnings.some((warning) => /bottleneck/i.test(warning))) warnings.unshift('The harness, not the target, was the bottleneck in this run: its latency figures are suspect.');
  if (warnings.length === 0) return '';
  return `<section class="warnings">${warnings.map((warning) => `<p>⚠ ${escapeHtml(warning)}</p>`).join('')}</section>`;
}

export function renderPlan(plan: unknown): string {
  return `<pre class="plan">${escapeHtml(JSON.stringify(plan ?? null, null, 2))}</pre>`;
}
