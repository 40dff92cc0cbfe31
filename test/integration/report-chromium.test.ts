/**
 * The issue's report test: a REAL run (the engine for 6 s against the reference server, which cuts
 * every stream once mid-run so there are drops to plot) gets its report.html, and Debian's Chromium,
 * headless through playwright-core, opens it from disk with the network unused: no console errors,
 * every chart registered, drew, and left its series' colours on its canvas. The fixture folder (connect
 * failures by several reasons, a 10 s cut, harness-side EMFILE) is opened the same way. Screenshots
 * are kept under test-output/report-chromium/.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlan } from '../../src/engine/index.js';
import { parsePlan } from '../../src/engine/plan.js';
import { summarySchema, timelineSchema, type Summary } from '../../src/results/schema.js';
import { writeHtmlReport } from '../../src/report/html/html-report.js';
import { startReferenceServer } from '../../src/server/index.js';
import { makeFixtureRun, writeFixtureRun } from '../fixtures/results/make-results.js';
import { chromiumLaunchOptions } from '../helpers/chromium.js';
import { CHROMIUM, hasTools } from '../helpers/tools.js';

const hasChromium = hasTools('report-chromium', CHROMIUM);

const SECRET = 'report-chromium-secret';
const OUTPUT_DIR = resolve('test-output', 'report-chromium');
const CHART_IDS = ['chart-open', 'chart-lifetime', 'chart-events', 'chart-latency', 'chart-reasons', 'chart-sse-vs-poll', 'chart-harness'];

interface ChartEntry {
  id: string;
  empty: boolean;
  drawn: boolean;
  message?: string;
  seriesLengths: number[];
  presentCounts: number[];
  colors: string[];
  labels: string[];
}

interface PageCheck {
  errors: string[];
  charts: ChartEntry[];
  /** Per chart: opaque-ish canvas pixels, and pixels close to each series' colour. */
  pixels: Record<string, { painted: number; bySeries: number[] }>;
}

let workDir: string;
let context: BrowserContext | undefined;

async function openReport(file: string, screenshot: string): Promise<PageCheck> {
  if (!context) throw new Error('no browser');
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  // A self-contained file needs nothing from anywhere: fail any request that is not the file itself.
  await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-charts-ready="true"]', { timeout: 15_000 });
  const charts = (await page.evaluate(() => (window as unknown as { __streamsoakCharts: unknown }).__streamsoakCharts)) as ChartEntry[];
  const pixels = (await page.evaluate((entries: ChartEntry[]) => {
    const hex = (color: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) as [number, number, number];
    const out: Record<string, { painted: number; bySeries: number[] }> = {};
    for (const entry of entries) {
      if (entry.empty) continue;
      const canvas = document.querySelector<HTMLCanvasElement>(`#${entry.id} canvas`);
      const ctx = canvas?.getContext('2d');
      if (!canvas || !ctx) continue;
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      const targets = entry.colors.map(hex);
      const bySeries = targets.map(() => 0);
      let painted = 0;
      for (let i = 0; i < data.length; i += 4) {
        if ((data[i + 3] as number) < 150) continue;
        painted++;
        targets.forEach(([r, g, b], k) => {
          const distance = Math.abs((data[i] as number) - r) + Math.abs((data[i + 1] as number) - g) + Math.abs((data[i + 2] as number) - b);
          if (distance < 40) bySeries[k] = (bySeries[k] as number) + 1;
        });
      }
      out[entry.id] = { painted, bySeries };
    }
    return out;
  }, charts)) as PageCheck['pixels'];
  await page.screenshot({ path: join(OUTPUT_DIR, screenshot), fullPage: true });
  await page.close();
  return { errors, charts, pixels };
}

function expectChartsDrew(check: PageCheck, timelineLength: number, mayBeEmpty: readonly string[] = []): void {
  expect(check.errors).toEqual([]);
  expect(check.charts.map((chart) => chart.id).sort()).toEqual([...CHART_IDS].sort());
  for (const chart of check.charts) {
    if (chart.empty) {
      expect(mayBeEmpty, `${chart.id} is empty: ${chart.message}`).toContain(chart.id);
      continue;
    }
    expect(chart.drawn, `${chart.id} drew`).toBe(true);
    // Every series as long as its x values, with at least one value to draw.
    const [xLength, ...lengths] = chart.seriesLengths;
    expect(xLength, `${chart.id} has x values`).toBeGreaterThan(0);
    for (const length of lengths) expect(length).toBe(xLength);
    if (chart.id !== 'chart-lifetime') expect(xLength, `${chart.id} spans the timeline`).toBe(timelineLength);
    for (const [i, present] of chart.presentCounts.entries()) expect(present, `${chart.id}: ${chart.labels[i]} has values`).toBeGreaterThan(0);
    // The canvas is not blank, and the data — not only axes and grid — is on it: lines that
    // coincide hide each other, so at least one series' colour must show, in more than a speck.
    const pixels = check.pixels[chart.id];
    expect(pixels?.painted ?? 0, `${chart.id} painted`).toBeGreaterThan(500);
    expect(Math.max(...(pixels?.bySeries ?? [0])), `${chart.id} series pixels ${JSON.stringify(pixels?.bySeries)}`).toBeGreaterThan(30);
  }
}

describe.skipIf(!hasChromium)('report.html in headless Chromium', () => {
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'streamsoak-report-chromium-'));
    await mkdir(OUTPUT_DIR, { recursive: true });
    context = await chromium.launchPersistentContext(join(workDir, 'profile'), {
      ...chromiumLaunchOptions(),
      headless: true,
      viewport: { width: 1280, height: 900 },
    });
  });

  afterAll(async () => {
    await context?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it("draws every chart of a real run's report, with no console errors", async () => {
    const server = await startReferenceServer({ port: 0, host: '127.0.0.1', jwtSecret: SECRET });
    // Cut every stream once, 2.5 s in, as a platform would: drops to plot, and reconnects.
    const cut = setTimeout(() => server.dropAllStreams(), 2_500);
    let outDir: string;
    let summary: Summary;
    try {
      const outcome = await runPlan(
        parsePlan({ target: { baseUrl: server.url }, auth: { secret: SECRET }, sse: { clients: 20 }, poll: { clients: 5, intervalMs: 500 }, duration: '6s' }),
        { resultsDir: join(workDir, 'results') },
      );
      outDir = outcome.outDir;
      summary = outcome.summary;
    } finally {
      clearTimeout(cut);
      await server.close();
    }
    expect(summary.breakdown.sse_drops?.server_closed ?? 0).toBeGreaterThan(0);
    const file = await writeHtmlReport(outDir);
    const timeline = timelineSchema.parse(JSON.parse(await readFile(join(outDir, 'timeline.json'), 'utf8')));

    const check = await openReport(file, 'real-run.png');
    // A healthy reference server refuses nobody: the reasons chart still has the drops.
    expectChartsDrew(check, timeline.points.length);
    const lifetime = check.charts.find((chart) => chart.id === 'chart-lifetime');
    expect(lifetime?.presentCounts[1], 'streams dropped by the target are in the histogram').toBeGreaterThan(0);
    expect(check.charts.find((chart) => chart.id === 'chart-reasons')?.labels).toContain('drop: server_closed');
  });

  it('draws the fixture run: drops and connect failures by several reasons, harness and target', async () => {
    const run = makeFixtureRun();
    const dir = writeFixtureRun(join(workDir, 'fixture'), run);
    const file = await writeHtmlReport(dir);
    const check = await openReport(file, 'fixture-run.png');
    expectChartsDrew(check, run.timeline.points.length);
    const reasons = check.charts.find((chart) => chart.id === 'chart-reasons');
    expect(reasons?.labels).toEqual(['drop: idle_timeout', 'drop: reset', 'drop: server_closed', 'failed: client_fd_limit', 'failed: http_5xx', 'failed: refused']);
    expect(summarySchema.parse(run.summary).thresholdsPassed).toBe(false);
  });
});
