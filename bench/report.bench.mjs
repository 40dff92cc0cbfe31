// `npm run bench report`: how long report.html takes to build from a results folder of a long run,
// and how much memory it costs, with connections.ndjson streamed (30,000+ records). Runs against
// the compiled dist/. REPORT_BENCH_RECORDS sets the record count (default 60,000).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';

const { writeHtmlReport } = await import(new URL('../dist/report/html/html-report.js', import.meta.url).href);

const RECORDS = Number(process.env.REPORT_BENCH_RECORDS ?? 60_000);
const DURATION_S = 600;
const dir = await mkdtemp(join(tmpdir(), 'streamsoak-report-bench-'));
const start = Date.parse('2026-01-01T00:00:00Z');

// A 10-minute run with a 10 s platform cut: every stream drops and reconnects.
const out = createWriteStream(join(dir, 'connections.ndjson'));
for (let i = 0; i < RECORDS; i++) {
  const startedAt = start + ((i * 7919) % (DURATION_S * 1000));
  const failed = i % 50 === 0;
  const openedAt = startedAt + 12;
  const endedAt = failed ? startedAt + 3 : Math.min(start + DURATION_S * 1000, openedAt + 10_000 + (i % 100));
  const record = failed
    ? { id: `0-${i}`, client: i % 10_000, attempt: 1 + Math.floor(i / 10_000), startedAt, endedAt, outcome: 'failed', reason: 'http_5xx', status: 503, events: 0, heartbeats: 0, lost: 0, duplicated: 0, eventReads: 0, maxEventsPerRead: 0 }
    : { id: `0-${i}`, client: i % 10_000, attempt: 1 + Math.floor(i / 10_000), startedAt, openedAt, firstEventAt: openedAt + 500, lastEventAt: endedAt - 400, lastByteAt: endedAt - 400, endedAt, outcome: 'dropped', reason: 'server_closed', status: 200, contentType: 'text/event-stream', events: 10, heartbeats: 0, lost: 0, duplicated: 0, eventReads: 10, maxEventsPerRead: 1, latencyMs: { min: 1, p50: 2, max: 9 }, lastEventId: '10', localAddress: '127.0.0.2' };
  if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
}
out.end();
await once(out, 'finish');

const points = Array.from({ length: DURATION_S }, (_, s) => ({
  t: s + 1, sseOpen: 9_000 + (s % 7) * 100, pollClients: 1_000, sseConnects: 100, sseConnectFailures: { http_5xx: 2 }, sseDrops: { server_closed: 98 },
  sseEvents: 9_000, sseEventsLost: 0, sseHeartbeats: 0, sseReconnects: 98, pollRequests: 333, pollEvents: 300,
  sseLatencyMs: { p50: 2, p90: 4, p95: 6, p99: 12, max: 40 }, pollDelayMs: { p50: 1500, p90: 2700, p95: 2850, p99: 2970, max: 3000 },
  eventLoopDelayP99Ms: 12, cpuPercent: 60,
}));
await writeFile(join(dir, 'timeline.json'), JSON.stringify({ schemaVersion: 1, startedAt: start, intervalMs: 1000, points }));
await writeFile(join(dir, 'summary.json'), JSON.stringify({
  schemaVersion: 1, tool: { name: 'streamsoak', version: '0.1.0' }, engine: 'node', runId: 'bench', testid: 'bench',
  startedAt: new Date(start).toISOString(), endedAt: new Date(start + DURATION_S * 1000).toISOString(), durationMs: DURATION_S * 1000,
  target: { baseUrl: 'http://127.0.0.1:8787' }, plan: {}, machine: { platform: 'linux', arch: 'x64', cpus: 2, runtime: 'node' },
  metrics: { sse_connects: { type: 'counter', values: { count: RECORDS } } }, thresholdsPassed: true,
}));

globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
let peakRss = rssBefore;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 5);
const t0 = performance.now();
const file = await writeHtmlReport(dir);
const elapsedMs = performance.now() - t0;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const { size } = await import('node:fs/promises').then((fs) => fs.stat(file));

console.log(`records:            ${RECORDS.toLocaleString('en-US')} in connections.ndjson, ${DURATION_S} timeline points`);
console.log(`report.html built:  ${elapsedMs.toFixed(0)} ms (${((RECORDS / elapsedMs) * 1000).toFixed(0)} records/s)`);
console.log(`report.html size:   ${(size / 1024).toFixed(0)} KiB`);
console.log(`RSS growth (peak):  ${((peakRss - rssBefore) / 2 ** 20).toFixed(1)} MiB`);
await rm(dir, { recursive: true, force: true });
