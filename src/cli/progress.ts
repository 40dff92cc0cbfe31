/**
 * Live progress of a run, rendered from the engine's once-a-second `ProgressUpdate` (as autocannon's
 * progress tracker renders what its engine emits). On a terminal one status block is redrawn in
 * place; elsewhere (CI logs, pipes) one plain line is printed per interval.
 */
import { formatDurationMs } from '../core/duration.js';
import type { ProgressUpdate } from '../engine/progress-update.js';
import { formatClockNote, isLatencyKnown } from '../results/clock-note.js';
import type { Summary } from '../results/schema.js';
import { metricValue } from '../results/summary-values.js';

export interface ProgressRenderer {
  update(update: ProgressUpdate): void;
  /** Leaves the last block on screen and moves below it. */
  done(): void;
}

function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return entries.length === 0 ? '0' : entries.map(([reason, n]) => `${reason} ${n}`).join(', ');
}

const ms = (value: number | null): string => (value === null ? '-' : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`);

/** The plain one-line form. */
export function formatProgressLine(update: ProgressUpdate): string {
  const left = Math.max(0, update.durationMs - update.elapsedMs);
  return [
    `[${formatDurationMs(update.elapsedMs)}${update.final ? ' done' : `, ${formatDurationMs(left)} left`}]`,
    `sse open ${update.sseOpen}${update.final ? '' : `/${update.sseTarget}`}`,
    `events/s ${Math.round(update.eventsPerSecond)}`,
    `p99 ${ms(update.latencyP99Ms)}`,
    `drops ${formatCounts(update.drops)}`,
    `failures ${formatCounts(update.connectFailures)}`,
    ...(update.pollClients > 0 ? [`polls/s ${Math.round(update.pollRequestsPerSecond)}`, `poll delay p99 ${ms(update.pollDelayP99Ms)}`] : []),
    `loop p99 ${ms(update.eventLoopDelayP99Ms)}`,
  ].join(' | ');
}

/** The multi-line block drawn on a terminal. */
export function formatProgressBlock(update: ProgressUpdate): string[] {
  const left = Math.max(0, update.durationMs - update.elapsedMs);
  const width = 24;
  const filled = Math.min(width, Math.round((update.elapsedMs / update.durationMs) * width));
  return [
    `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${formatDurationMs(update.elapsedMs)} / ${formatDurationMs(update.durationMs)}${update.final ? ' (done)' : `, ${formatDurationMs(left)} left`}`,
    `  SSE     open ${update.sseOpen}${update.final ? '' : ` of ${update.sseTarget}`}   connects ${update.connects}   reconnects ${update.reconnects}`,
    `  events  ${Math.round(update.eventsPerSecond)}/s   latency p99 ${ms(update.latencyP99Ms)}   lost ${update.eventsLost}`,
    `  drops   ${formatCounts(update.drops)}`,
    `  failed  ${formatCounts(update.connectFailures)}`,
    `  polling ${update.pollClients} clients   ${Math.round(update.pollRequestsPerSecond)} req/s   delivery delay p99 ${ms(update.pollDelayP99Ms)}`,
    `  harness event-loop p99 ${ms(update.eventLoopDelayP99Ms)}   cpu ${update.cpuPercent === null ? '-' : `${Math.round(update.cpuPercent)}%`}`,
  ];
}

export function createProgressRenderer(stream: NodeJS.WritableStream & { isTTY?: boolean }): ProgressRenderer {
  if (!stream.isTTY) {
    return {
      update: (update) => stream.write(`${formatProgressLine(update)}\n`),
      done: () => undefined,
    };
  }
  let drawnLines = 0;
  return {
    update(update) {
      const lines = formatProgressBlock(update);
      // Move up over the previous block and clear each line before drawing (ANSI CSI sequences).
      const up = drawnLines > 0 ? `\x1b[${drawnLines}F` : '';
      stream.write(`${up}${lines.map((line) => `\x1b[2K${line}`).join('\n')}\n`);
      drawnLines = lines.length;
    },
    done() {
      drawnLines = 0;
    },
  };
}

/** The end-of-run block: what happened, in the numbers a reader looks for first. */
export function formatRunSummary(summary: Summary, outDir: string): string[] {
  const values = (name: string): Record<string, number> => summary.metrics[name]?.values ?? {};
  // Every latency figure carries its clock: ± the offset uncertainty across machines, or unknown.
  const latencyKnown = isLatencyKnown(summary.clock);
  const clockNote = formatClockNote(summary.clock);
  const clockSuffix = summary.clock?.method === 'api-time' || summary.clock?.method === 'date-header' ? ` ${clockNote}` : '';
  // Through metricValue: producers spell the median `med` or `p(50)` (results/summary-values.ts).
  const stat = (metric: string, key: string): number | null => metricValue(summary, metric, key) ?? null;
  const trend = (metric: string): string =>
    stat(metric, 'count')
      ? `p50 ${ms(stat(metric, 'p(50)'))}, p95 ${ms(stat(metric, 'p(95)'))}, p99 ${ms(stat(metric, 'p(99)'))}, max ${ms(stat(metric, 'max'))}`
      : 'no samples';
  // Someone else's events, read without a mapping: no latency and no sequence, which must not read
  // as "no delay, nothing lost" (issue 15).
  const mapping = summary.events?.mapping;
  const eventCount = values('sse_events').count ?? 0;
  const unrecognised = mapping === undefined && latencyKnown && eventCount > 0 && !stat('sse_event_latency', 'count');
  const seqKnown = mapping === undefined ? !unrecognised : mapping.seq !== undefined || /\(\?<seq>/.test(mapping.dataPattern ?? '');
  const sequences = seqKnown
    ? `${values('sse_events_lost').count ?? 0} lost, ${values('sse_events_duplicated').count ?? 0} duplicated`
    : 'lost and duplicated unknown (no sequence number: --event-seq id|POINTER)';
  const latency = unrecognised
    ? "no samples: these are not the reference server's {seq, sentAt, stream} events; say where yours keep their send time with --event-time /ts (events.time)"
    : latencyKnown
      ? `${trend('sse_event_latency')}${clockSuffix}`
      : clockNote;
  const lines = [
    `run ${summary.runId}: ${formatDurationMs(summary.durationMs)}${summary.interrupted ? ' (interrupted)' : ''} against ${summary.target.baseUrl}`,
    `  SSE      ${values('sse_connects').count ?? 0} opened, ${values('sse_reconnects').count ?? 0} reconnects, max open ${values('sse_open_connections').max ?? 0}`,
    `  failures ${formatCounts(summary.breakdown.sse_connect_failures ?? {})}`,
    `  drops    ${formatCounts(summary.breakdown.sse_drops ?? {})}`,
    `  events   ${eventCount} received, ${sequences}`,
    `  latency  ${latency}`,
  ];
  if (mapping !== undefined) lines.push(`  mapping  ${formatMapping(mapping, summary.events?.timeUnitsRead ?? {})}`);
  const publish = summary.publish;
  if (publish !== undefined) {
    const ratio = publish.deliveryRatio === null ? 'nothing deliverable' : `${(publish.deliveryRatio * 100).toFixed(publish.deliveryRatio === 1 ? 0 : 2)}% delivered`;
    const spread = publish.fanOutSpreadMs === null ? '' : `, fan-out spread p50 ${ms(publish.fanOutSpreadMs.p50)}, p99 ${ms(publish.fanOutSpreadMs.p99)}`;
    lines.push(
      `  publish  ${values('publish_requests').count ?? 0} sent, ${publish.messagesAccepted} accepted (${formatCounts(summary.breakdown.publish_failures ?? {})} failed); ` +
        `${publish.deliveries} deliveries, ${publish.deliveriesMissed} missed (${ratio})`,
      `  publish→deliver ${trend('publish_to_deliver')}${spread}`,
    );
  }
  if ((values('poll_requests').count ?? 0) > 0) {
    lines.push(
      `  polling  ${values('poll_requests').count} requests (${formatCounts(summary.breakdown.poll_requests ?? {})}), delivery delay ${latencyKnown ? `${trend('poll_delivery_delay')}${clockSuffix}` : clockNote}`,
    );
  }
  if (summary.clock?.method === 'api-time' || summary.clock?.method === 'date-header') {
    const c = summary.clock;
    lines.push(
      `  clock    offset ${c.offsetMs ?? '?'} ms from ${c.method === 'api-time' ? '/api/time' : 'the HTTP Date header (whole seconds)'} (best round trip ${c.roundTripMs ?? '?'} ms)${c.driftMs === undefined ? '' : `, drift ${c.driftMs} ms by the end`}`,
    );
  }
  if (summary.harness) {
    const h = summary.harness;
    lines.push(
      `  harness  ${h.workers} worker${h.workers === 1 ? '' : 's'}, event-loop delay p99 ${ms(h.eventLoopDelayMs?.p99 ?? null)}, cpu avg ${Math.round(h.cpuPercent?.avg ?? 0)}%${h.bottleneck ? ' — BOTTLENECK' : ''}` +
        (h.workersLost ? ` — ${h.workersLost} WORKER${h.workersLost === 1 ? '' : 'S'} LOST: not trustworthy` : ''),
    );
  }
  for (const result of summary.thresholds) {
    lines.push(`  ${result.ok ? '✓' : '✗'} ${result.metric}: ${result.expression} (actual ${result.actual ?? 'n/a'})`);
  }
  for (const warning of summary.warnings) lines.push(`  ! ${warning}`);
  lines.push(`results: ${outDir}`);
  return lines;
}

/** `time /ts (ms ×1200), seq id, stream /room`: the `events:` mapping a run read the target's events through. */
function formatMapping(mapping: Record<string, string>, unitsRead: Record<string, number>): string {
  const units = Object.entries(unitsRead).map(([unit, count]) => `${unit} ×${count}`).join(', ');
  const timeUnit = mapping.timeUnit === undefined || mapping.timeUnit === 'auto' ? 'unit by magnitude' : `unit ${mapping.timeUnit}`;
  const parts: string[] = [];
  if (mapping.time !== undefined) parts.push(`time ${mapping.time} (${timeUnit}; read: ${units || 'none'})`);
  if (mapping.seq !== undefined) parts.push(`seq ${mapping.seq}${mapping.seqPattern !== undefined ? ` through ${mapping.seqPattern}` : ''}`);
  if (mapping.stream !== undefined) parts.push(`stream ${mapping.stream}${mapping.streamPattern !== undefined ? ` through ${mapping.streamPattern}` : ''}`);
  if (mapping.dataPattern !== undefined) parts.push(`data ${mapping.dataPattern}${mapping.time === undefined ? ` (time read: ${units || 'none'})` : ''}`);
  return parts.join(', ');
}
