import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarySchema, timelineSchema } from '../../../../src/results/schema.js';
import { renderHtmlReport, writeHtmlReport } from '../../../../src/report/html/html-report.js';
import { makeFixtureRun, writeFixtureRun } from '../../../fixtures/results/make-results.js';
import { runCli } from '../../../helpers/cli.js';

const RUN = makeFixtureRun();
const SUMMARY = summarySchema.parse(RUN.summary);
const TIMELINE = timelineSchema.parse(RUN.timeline);
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function dataBlock(html: string): { timeline: { t: number[] }; lifetime: { droppedTotal: number } } {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error('no data block');
  return JSON.parse(match[1] as string) as never;
}

describe('renderHtmlReport', () => {
  const html = renderHtmlReport({ summary: SUMMARY, timeline: TIMELINE, records: RUN.records });

  it('is self-contained: uPlot and its styles inlined, nothing fetched from the network', () => {
    expect(html).toContain('var uPlot=');
    expect(html).toContain('.uplot');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|fonts)/);
  });

  it('holds a chart element for every plot the issue asks for', () => {
    for (const id of ['chart-open', 'chart-lifetime', 'chart-events', 'chart-latency', 'chart-reasons', 'chart-sse-vs-poll', 'chart-harness']) {
      expect(html).toContain(`id="${id}"`);
    }
  });

  it('shows publish-to-deliver, the delivery ratio and the fan-out spread for a publishing run only', () => {
    expect(html).not.toContain('id="chart-publish"');
    expect(html).not.toContain('publish → deliver');
    const summary = structuredClone(SUMMARY);
    summary.publish = { url: 'http://127.0.0.1:9/pub', rate: 1, messagesAccepted: 10, deliveries: 195, deliveriesMissed: 5, deliveryRatio: 0.975, fanOutSpreadMs: { messages: 10, p50: 2, p99: 9.5, max: 11 } };
    summary.metrics.publish_to_deliver = { type: 'trend', contains: 'time', values: { med: 3, 'p(95)': 7, 'p(99)': 12.5, max: 20, count: 195 } };
    summary.metrics.publish_deliveries_missed = { type: 'counter', contains: 'default', values: { count: 5, rate: 0.1 } };
    const timeline = structuredClone(TIMELINE);
    for (const point of timeline.points) point.publishToDeliverMs = { p50: 3, p90: 6, p95: 7, p99: 12, max: 20 };
    const published = renderHtmlReport({ summary, timeline, records: RUN.records });
    expect(published).toContain('id="chart-publish"');
    expect(published).toMatch(/12\.5 ms<\/[a-z]+>\s*<[^>]+>publish → deliver p99/);
    expect(published).toContain('97.50%');
    expect(published).toContain('195 delivered, 5 missed');
    expect(published).toMatch(/deliveries missed \(subscriber open, message never arrived\)<code>publish_deliveries_missed<\/code><\/th><td class="num">5</);
    expect((dataBlock(published).timeline as { publishToDeliverMs?: { p99: number[] } }).publishToDeliverMs?.p99).toHaveLength(TIMELINE.points.length);
  });

  it('carries the plot data the records and timeline hold', () => {
    const data = dataBlock(html);
    expect(data.timeline.t).toHaveLength(TIMELINE.points.length);
    expect(data.lifetime.droppedTotal).toBe(RUN.records.filter((record) => record.outcome === 'dropped').length);
  });

  it('puts SSE latency beside polling delay in numbers, under their chart', () => {
    expect(html).toMatch(/<th scope="row">SSE event latency<\/th><td class="num">[\d.]+ ms/);
    expect(html).toMatch(/<th scope="row">polling delivery delay<\/th><td class="num">[\d,]+ ms/);
  });

  it('shows thresholds passed and failed, the findings, the plan and the machine', () => {
    expect(html).toContain('thresholds failed');
    expect(html).toContain('2 of 3 thresholds failed.');
    expect(html).toMatch(/badge-fail">fail<\/span><\/td><td><code>sse_drops<\/code>/);
    expect(html).toContain('Streams are cut about 10 s after they open');
    expect(html).toContain('Fixture CPU @ 2.0GHz');
    expect(html).toContain('&#34;intervalMs&#34;: 3000');
  });

  it('escapes text from the results so it can never become markup or end the data block', () => {
    const evil = '</script><img src=x onerror=alert(1)>';
    const page = renderHtmlReport({
      summary: { ...SUMMARY, runId: evil, warnings: [evil], findings: [{ kind: 'x', severity: 'info', title: evil, evidence: evil, remedy: evil }] },
      timeline: { ...TIMELINE, points: TIMELINE.points.map((point, i) => (i === 0 ? { ...point, sseDrops: { [evil]: 1 } } : point)) },
      records: [],
    });
    expect(page).not.toContain('<img src=x');
    expect(page.match(/<\/script>/g)).toHaveLength(3); // the data block, uPlot, the drawing script
    expect(Object.keys((dataBlock(page).timeline as unknown as { dropsByReason: object }).dropsByReason)).toContain(evil);
  });

  it('falls back to the summary breakdown when there are no connection records (a k6 run)', () => {
    const page = renderHtmlReport({ summary: SUMMARY, timeline: TIMELINE, records: [] });
    expect(page).toMatch(/id="bars-failures" data-total="140"/);
    expect(page).toContain('wrote no connections.ndjson');
  });
});

describe('writeHtmlReport', () => {
  it('streams a results folder into report.html and returns its path', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'streamsoak-report-'));
    dirs.push(dir);
    writeFixtureRun(dir, RUN);
    const file = await writeHtmlReport(dir);
    expect(file).toBe(path.join(dir, 'report.html'));
    const html = await readFile(file, 'utf8');
    expect(dataBlock(html).lifetime.droppedTotal).toBe(RUN.records.filter((record) => record.outcome === 'dropped').length);
  });

  it('stops on Ctrl-C with an error the CLI exits 130 on, not an unexpected one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'streamsoak-report-'));
    dirs.push(dir);
    writeFixtureRun(dir, RUN);
    await expect(writeHtmlReport(dir, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'SS_ERR_ABORTED' });
    const result = await runCli(['report', dir], { signal: AbortSignal.abort() });
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('interrupted while reading');
  });
});
