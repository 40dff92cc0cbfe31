/**
 * Real Prometheus (Debian's /usr/bin/prometheus, remote-write receiver on) on loopback: what the
 * remote-write sink sends must be what every panel of dashboards/*.json queries, and the reference
 * server's /metrics must be scraped beside it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_LABELS, METRIC_NAMES, METRIC_TYPES, type CounterName, type GaugeName, type TrendName } from '../../src/core/metric-names.js';
import { formatEventPayload } from '../../src/core/event-payload.js';
import { runPlan } from '../../src/engine/index.js';
import { parsePlan } from '../../src/engine/plan.js';
import { createRemoteWriteSink } from '../../src/metrics/remote-write.js';
import { startReferenceServer, type RunningServer } from '../../src/server/index.js';
import type { MetricsSnapshot } from '../../src/metrics/snapshot.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';
import { PROMETHEUS, hasTools } from '../helpers/tools.js';

const hasPrometheus = hasTools('Prometheus integration tests', PROMETHEUS);

const DASHBOARDS_DIR = join(import.meta.dirname, '../../dashboards');

interface RunningPrometheus {
  baseUrl: string;
  writeUrl: string;
  stop(): Promise<void>;
}

/** Starts Prometheus on 127.0.0.1 with a tmp TSDB, scraping `scrapeTargets` every second. */
async function startPrometheus(scrapeTargets: string[]): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'streamsoak-prom-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: streamsoak-server',
    '    scrape_interval: 1s',
    '    static_configs:',
    `      - targets: [${scrapeTargets.map((target) => `'${target}'`).join(', ')}]`,
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), `${config}\n`);
  const child: ChildProcess = spawn(
    PROMETHEUS.path,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--storage.tsdb.retention.time=1h',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${log}`);
    try {
      const response = await fetch(`${baseUrl}/-/ready`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus not ready after 20 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    baseUrl,
    writeUrl: `${baseUrl}/api/v1/write`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

async function instantQuery(prometheus: RunningPrometheus, expr: string): Promise<QueryResult> {
  const response = await fetch(`${prometheus.baseUrl}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
  });
  return (await response.json()) as QueryResult;
}

interface PanelJson {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: PanelJson[];
}

/** Every PromQL expression of every panel of every dashboard in dashboards/, with its panel title. */
async function dashboardQueries(): Promise<Array<{ dashboard: string; panel: string; expr: string }>> {
  const queries: Array<{ dashboard: string; panel: string; expr: string }> = [];
  for (const file of (await readdir(DASHBOARDS_DIR)).filter((name) => name.endsWith('.json'))) {
    const dashboard = JSON.parse(await readFile(join(DASHBOARDS_DIR, file), 'utf8')) as {
      panels?: Array<PanelJson>;
    };
    // A collapsed row keeps its panels inside it.
    const panels = (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr !== undefined) queries.push({ dashboard: file, panel: panel.title ?? '?', expr: target.expr });
      }
    }
  }
  return queries;
}

/** The query of every `query` variable of every dashboard (the `testid` picker). */
async function dashboardVariableQueries(): Promise<string[]> {
  const queries: string[] = [];
  for (const file of (await readdir(DASHBOARDS_DIR)).filter((name) => name.endsWith('.json'))) {
    const dashboard = JSON.parse(await readFile(join(DASHBOARDS_DIR, file), 'utf8')) as { templating?: { list?: Array<{ type?: string; query?: unknown }> } };
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.type === 'query' && typeof variable.query === 'string') queries.push(variable.query);
    }
  }
  return queries;
}

/** Every panel query of dashboards/*.json succeeds in Prometheus and returns a series for this run. */
async function expectEveryPanelQueryAnswers(prometheus: RunningPrometheus, testid: string): Promise<void> {
  const queries = await dashboardQueries();
  expect(queries.length).toBeGreaterThan(20);
  const empty: string[] = [];
  for (const query of queries) {
    const result = await instantQuery(prometheus, substitute(query.expr, testid));
    expect(result.status, `${query.panel}: ${query.expr}: ${result.error ?? ''}`).toBe('success');
    if ((result.data?.result.length ?? 0) === 0) empty.push(`${query.dashboard} / ${query.panel}: ${query.expr}`);
  }
  expect(empty).toEqual([]);
}

/** Grafana's substitutions for one run: the testid variable and the built-in intervals. */
function substitute(expr: string, testid: string): string {
  return expr
    .replaceAll('${testid}', testid)
    .replaceAll('$testid', testid)
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '5s')
    .replaceAll('$__range', '5m');
}

/** Hand-made snapshots carrying every metric (with its reason/status label), one per second. */
function handMadeSnapshot(testid: string, at: number, second: number): MetricsSnapshot {
  const labelsFor = (name: string): Record<string, string> => {
    const label = METRIC_LABELS[name as keyof typeof METRIC_LABELS];
    if (label === 'reason') return { reason: 'server_closed' };
    if (label === 'status') return { status: '2xx' };
    return {};
  };
  const stats = { count: 10 * (second + 1), min: 1, max: 90, avg: 20, p50: 15, p90: 40, p95: 50, p99: 80 };
  return {
    testid,
    engine: 'node',
    at,
    elapsedMs: second * 1000,
    counters: METRIC_NAMES.filter((name) => METRIC_TYPES[name] === 'counter').map((name) => ({ name: name as CounterName, labels: labelsFor(name), value: second * 3 })),
    gauges: METRIC_NAMES.filter((name) => METRIC_TYPES[name] === 'gauge').map((name) => ({ name: name as GaugeName, labels: {}, value: 5 })),
    trends: METRIC_NAMES.filter((name) => METRIC_TYPES[name] === 'trend').map((name) => ({ name: name as TrendName, labels: {}, window: stats, total: stats })),
  };
}

const JWT_SECRET = 'prometheus-test-secret';

/**
 * A target that misbehaves on purpose, so a real run produces every metric the dashboards show:
 * every 4th request is refused with 503 (connect failure), each stream sends seq 1, 2, 2, 4 (one
 * duplicate, one lost event) then ends (a drop; the client reconnects after `retry`).
 */
async function startFaultyTarget(): Promise<{ url: string; close(): Promise<void> }> {
  let requests = 0;
  const server: HttpServer = createHttpServer((req, res) => {
    requests += 1;
    if (!req.url?.startsWith('/api/calls/events')) {
      res.statusCode = 404;
      res.end();
      return;
    }
    if (requests % 4 === 0) {
      res.statusCode = 503;
      res.end('busy');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const stream = `faulty-${requests}`;
    res.write('retry: 200\n\n');
    const seqs = [1, 2, 2, 4];
    let index = 0;
    const timer = setInterval(() => {
      const seq = seqs[index++];
      if (seq === undefined) {
        clearInterval(timer);
        res.end();
        return;
      }
      res.write(`id: ${seq}\ndata: ${formatEventPayload({ seq, sentAt: Date.now(), stream })}\n\n`);
    }, 50);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe.skipIf(!hasPrometheus)('Prometheus remote write (real Prometheus)', () => {
  let prometheus: RunningPrometheus;
  let referenceServer: RunningServer;
  let resultsDir: string;

  beforeAll(async () => {
    resultsDir = await mkdtemp(join(tmpdir(), 'streamsoak-prom-results-'));
    // Bus mode, so polling clients get events too; short heartbeats so the run sees some.
    referenceServer = await startReferenceServer({ jwtSecret: JWT_SECRET, mode: 'bus', publishIntervalMs: 250, heartbeatMs: 500 });
    prometheus = await startPrometheus([new URL(referenceServer.url).host]);
  }, 30_000);

  afterAll(async () => {
    await prometheus?.stop();
    await referenceServer?.close();
    if (resultsDir !== undefined) await rm(resultsDir, { recursive: true, force: true });
  });

  it('shows a real run in every panel: the engine against the reference server, remote write on', async () => {
    const testid = `engine-${Date.now()}`;
    const faulty = await startFaultyTarget();
    try {
      const errors: Error[] = [];
      const sinkFor = (scenario: string) =>
        createRemoteWriteSink({ url: prometheus.writeUrl, testid, scenario, pushIntervalMs: 2000, onError: (error) => errors.push(error) });
      const healthySink = sinkFor('reference');
      const faultySink = sinkFor('faulty');
      // Two scenarios of one test run, as k6 tags them: distinct `scenario` labels, one testid.
      const [healthy, misbehaving] = await Promise.all([
        runPlan(
          parsePlan({
            target: { baseUrl: referenceServer.url },
            auth: { secret: JWT_SECRET },
            sse: { clients: 20 },
            poll: { clients: 5, intervalMs: 500 },
            // The harness as the publisher too (issue 15): the publish panels read a real run.
            publish: { url: `${referenceServer.url}/api/calls/emit`, rate: 4, body: '{"broadcast":true,"data":{"id":"{{id}}"}}' },
            duration: '8s',
            workers: 1,
          }),
          { resultsDir, runId: `${testid}-reference`, sinks: [healthySink] },
        ),
        runPlan(
          parsePlan({
            target: { baseUrl: faulty.url },
            sse: { clients: 4, reconnect: { policy: 'browser', defaultRetryMs: 200, jitterMs: 50 } },
            // Publishing where nothing listens: the failures panel reads refusals.
            publish: { url: `http://127.0.0.1:${await freePort()}/publish`, rate: 2, auth: 'none' },
            duration: '8s',
            workers: 1,
          }),
          { resultsDir, runId: `${testid}-faulty`, sinks: [faultySink] },
        ),
      ]);
      expect(errors).toEqual([]);
      expect(healthySink.pushes).toBeGreaterThanOrEqual(3);
      expect(faultySink.failures).toBe(0);
      expect(healthy.summary.metrics['sse_events']).toBeDefined();
      expect(misbehaving.summary.metrics['sse_drops']).toBeDefined();
      expect(healthy.summary.publish?.deliveries).toBeGreaterThan(0);
      expect(misbehaving.summary.breakdown.publish_failures?.refused).toBeGreaterThan(0);
    } finally {
      await faulty.close();
    }

    // The reference server's own view, scraped in the same Prometheus during the run.
    const scraped = await instantQuery(prometheus, 'max_over_time(streamsoak_server_sse_connections[1m])');
    expect(Number(scraped.data?.result[0]?.value[1] ?? 0)).toBeGreaterThanOrEqual(1);

    await expectEveryPanelQueryAnswers(prometheus, testid);

    // The "Test run" variable offers this run: Grafana's label_values(metric, testid) asks this API.
    for (const variable of await dashboardVariableQueries()) {
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(variable);
      expect(match, variable).not.toBeNull();
      const url = new URL(`${prometheus.baseUrl}/api/v1/label/${match![2]}/values`);
      url.searchParams.set('match[]', match![1]!);
      const values = (await (await fetch(url)).json()) as { data: string[] };
      expect(values.data).toContain(testid);
    }

    // The counts in Prometheus are the run's own: the faulty target's gaps and refusals arrived as counted.
    const lost = await instantQuery(prometheus, `sum(k6_sse_events_lost_total{testid="${testid}"})`);
    expect(Number(lost.data?.result[0]?.value[1])).toBeGreaterThanOrEqual(1);
    const failures = await instantQuery(prometheus, `sum by (reason) (k6_sse_connect_failures_total{testid="${testid}"})`);
    expect(failures.data?.result.map((series) => series.metric['reason'])).toContain('http_5xx');
  }, 90_000);

  it('completes a run with Prometheus unreachable, reporting the failure once', async () => {
    const closedPort = await freePort();
    const errors: Error[] = [];
    const sink = createRemoteWriteSink({ url: `http://127.0.0.1:${closedPort}/api/v1/write`, testid: `unreachable-${Date.now()}`, pushIntervalMs: 1000, onError: (error) => errors.push(error) });
    const started = Date.now();
    const outcome = await runPlan(
      parsePlan({ target: { baseUrl: referenceServer.url }, auth: { secret: JWT_SECRET }, sse: { clients: 5 }, duration: '4s', workers: 1 }),
      { resultsDir, sinks: [sink] },
    );
    const elapsedMs = Date.now() - started;
    expect(outcome.summary.metrics['sse_connects']).toBeDefined();
    expect(existsSync(join(outcome.outDir, 'summary.json'))).toBe(true);
    // Pushes every second of a 4 s run: every push failed, and only the first was reported.
    expect(sink.pushes).toBeGreaterThanOrEqual(2);
    expect(sink.failures).toBe(sink.pushes);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/remote write to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write failed/);
    // The run was not held up by the dead endpoint (range, not a speed figure).
    expect(elapsedMs).toBeLessThan(15_000);
  }, 60_000);

  it('stores every series the sink sends, so every dashboard query returns a series', async () => {
    const testid = `handmade-${Date.now()}`;
    const errors: Error[] = [];
    const sink = createRemoteWriteSink({ url: prometheus.writeUrl, testid, scenario: 'handmade', pushIntervalMs: 2000, onError: (error) => errors.push(error) });
    const start = Date.now() - 12_000;
    for (let second = 0; second <= 12; second += 1) sink.push(handMadeSnapshot(testid, start + second * 1000, second));
    await sink.close();
    expect(errors).toEqual([]);
    expect(sink.pushes).toBeGreaterThanOrEqual(2);

    // The server's own metrics arrive by scraping, at most a couple of seconds after start.
    await waitFor('a scrape of the server', async () => {
      const result = await instantQuery(prometheus, 'streamsoak_server_sse_connections');
      return (result.data?.result.length ?? 0) > 0 ? true : undefined;
    });
    await waitFor('two scrapes of the server (rate needs two samples)', async () => {
      const result = await instantQuery(prometheus, 'count_over_time(streamsoak_server_sse_connections[1m])');
      return Number(result.data?.result[0]?.value[1] ?? 0) >= 2 ? true : undefined;
    });

    await expectEveryPanelQueryAnswers(prometheus, testid);

    // Values arrive as sent: k6 naming, trends in seconds, the labels the dashboards group by.
    const p99 = await instantQuery(prometheus, `k6_sse_event_latency_p99{testid="${testid}"}`);
    expect(p99.data?.result[0]?.metric).toMatchObject({ engine: 'node', scenario: 'handmade', testid });
    expect(Number(p99.data?.result[0]?.value[1])).toBeCloseTo(0.08, 9);
    const drops = await instantQuery(prometheus, `k6_sse_drops_total{testid="${testid}"}`);
    expect(drops.data?.result[0]?.metric['reason']).toBe('server_closed');
    expect(Number(drops.data?.result[0]?.value[1])).toBe(36);
  }, 60_000);

  it('shows a k6 run\'s open connections as connects minus drops (k6 sends no open-connections gauge)', async () => {
    const panel = (await dashboardQueries()).find((query) => query.panel === 'Open SSE connections');
    expect(panel).toBeDefined();
    // As k6 sends a run: counters only. One run had drops, the other none yet.
    const runs = [
      { testid: `k6-drops-${Date.now()}`, drops: 2, open: 3 },
      { testid: `k6-nodrops-${Date.now()}`, drops: 0, open: 5 },
    ];
    for (const run of runs) {
      const errors: Error[] = [];
      const sink = createRemoteWriteSink({ url: prometheus.writeUrl, testid: run.testid, scenario: 'sse_soak', pushIntervalMs: 1000, onError: (error) => errors.push(error) });
      const counters: Array<MetricsSnapshot['counters'][number]> = [{ name: 'sse_connects', labels: {}, value: 5 }];
      if (run.drops > 0) counters.push({ name: 'sse_drops', labels: { reason: 'client_closed' }, value: run.drops });
      const start = Date.now() - 3_000;
      for (let second = 0; second <= 3; second += 1) {
        sink.push({ testid: run.testid, engine: 'k6', at: start + second * 1000, elapsedMs: second * 1000, counters, gauges: [], trends: [] });
      }
      await sink.close();
      expect(errors).toEqual([]);
      const result = await instantQuery(prometheus, substitute(panel!.expr, run.testid));
      expect(result.data?.result.map((series) => Number(series.value[1])), run.testid).toEqual([run.open]);
    }
  }, 60_000);

  it('finds nothing for another testid: the dashboards filter by run', async () => {
    const result = await instantQuery(prometheus, substitute('sum(k6_sse_open_connections{testid=~"$testid"})', 'no-such-run'));
    expect(result.data?.result).toEqual([]);
  });
});
