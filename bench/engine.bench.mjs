// `npm run bench engine`: the Node engine against the reference server, which runs as its own
// process from dist/ (`streamsoak serve`), on loopback. In one run, side by side:
//   1. client memory per held SSE connection at N connections: streamsoak's engine vs a swarm of
//      the `eventsource` npm package (each client in its own child process, measured the same way);
//   2. events per second received by streamsoak with every event's latency recorded.
// `BENCH_MODE=scale` instead holds BENCH_CONNECTIONS (default 30,000) across worker processes
// against `serve --workers`, with source-address rotation.
//
// Environment: BENCH_CONNECTIONS (default 10000; 30000 in scale mode), BENCH_HOLD_S (seconds to hold
// at full count, default 10), BENCH_MEMORY_TICK_MS (event interval per stream while memory is
// measured, default 1000), BENCH_TICK_MS (event interval per stream for the events/s part,
// default 200: 10,000 streams × 5/s = 50,000 events/s), BENCH_SERVER_WORKERS, BENCH_WORKERS (scale
// mode's engine workers, default auto: one per 9,000 connections).
// BENCH_PHASE=memory|throughput runs one part only.
// Everything is bounded: every child is killed when the bench ends.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href;
const SECRET = 'bench-secret-not-for-production';
const role = process.argv.find((arg) => arg.startsWith('--role='))?.slice('--role='.length);

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;

function memory() {
  globalThis.gc?.();
  globalThis.gc?.();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed + usage.external + usage.arrayBuffers };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- child roles -------------------------------------------------------------------------------

/** streamsoak's engine, in this process: memory before, and once every stream is open and held. */
async function streamsoakClient() {
  const [url, connections, holdS, tickMs, workers] = process.argv.slice(3);
  const { parsePlan, runPlan } = await import(dist('engine/index.js'));
  const n = Number(connections);
  const plan = parsePlan({
    target: { baseUrl: url, query: { mode: 'tick', interval: tickMs } },
    auth: { secret: SECRET, sendAs: 'query' },
    // ~1,000 new connections a second: what one reference-server process accepts (it verifies a
    // JWT per stream) without the bench measuring its own connect storm.
    sse: { clients: n, rampUpMs: Math.max(1000, n) },
    duration: Math.max(1000, n) * 2 + Number(holdS) * 1000 + 15_000,
    workers: workers === 'auto' ? 'auto' : Number(workers),
    // A busy server answers late rather than never: give it time, as a browser would.
    timeouts: { connectMs: 30_000, headersMs: 30_000 },
  });
  await sleep(200);
  const before = memory();
  let measured;
  let fullSince;
  // [wall-clock ms, cumulative events] once the count has been full for 2 s: the rate is taken over
  // that span by the wall clock, so a stalled second cannot inflate it.
  let rateFrom;
  let rateTo;
  const outcome = await runPlan(plan, {
    resultsDir: '/tmp/streamsoak-bench-results',
    onProgress: (update) => {
      if (update.final) return;
      // 99%: under a loaded machine a few streams may still be reconnecting at any moment.
      if (update.sseOpen >= n * 0.99 && fullSince === undefined) fullSince = update.elapsedMs;
      if (fullSince !== undefined && update.elapsedMs - fullSince >= 2000) {
        rateFrom ??= [update.elapsedMs, update.eventsTotal];
        rateTo = [update.elapsedMs, update.eventsTotal];
      }
      if (fullSince !== undefined && measured === undefined && update.elapsedMs - fullSince >= 3000) {
        const after = memory();
        measured = { open: update.sseOpen, rss: after.rss - before.rss, heap: after.heap - before.heap };
      }
    },
  });
  const s = outcome.summary;
  const latency = s.metrics.sse_event_latency?.values ?? {};
  process.send({
    measured,
    fullAtMs: fullSince,
    eventsPerSecond: rateFrom && rateTo && rateTo[0] > rateFrom[0] ? ((rateTo[1] - rateFrom[1]) * 1000) / (rateTo[0] - rateFrom[0]) : 0,
    rateSpanS: rateFrom && rateTo ? (rateTo[0] - rateFrom[0]) / 1000 : 0,
    events: s.metrics.sse_events?.values.count,
    latencyCount: latency.count,
    latency,
    failures: s.breakdown.sse_connect_failures,
    drops: s.breakdown.sse_drops,
    maxOpen: s.metrics.sse_open_connections?.values.max,
    harness: s.harness,
    warnings: s.warnings,
  });
}

/** A swarm of the `eventsource` package's EventSource (fetch-based), counting events. */
async function eventsourceClient() {
  const [url, connections, holdS, tickMs] = process.argv.slice(3);
  const { EventSource } = await import('eventsource');
  const { signToken } = await import(dist('core/jwt.js'));
  const n = Number(connections);
  await sleep(200);
  const before = memory();
  const sources = [];
  let open = 0;
  let events = 0;
  let errors = 0;
  for (let i = 0; i < n; i++) {
    const token = await signToken({ userId: `es-${i}`, secret: SECRET });
    const source = new EventSource(`${url}/api/calls/events?mode=tick&interval=${tickMs}&token=${token}`);
    source.onopen = () => open++;
    source.onmessage = () => events++;
    source.onerror = () => errors++;
    sources.push(source);
    if (i % 500 === 499) await sleep(250);
  }
  const deadline = Date.now() + 90_000;
  while (open < n && Date.now() < deadline) await sleep(250);
  await sleep(3000);
  const after = memory();
  const measured = { open, rss: after.rss - before.rss, heap: after.heap - before.heap };
  await sleep(Number(holdS) * 1000);
  for (const source of sources) source.close();
  process.send({ measured, events, errors });
}

// --- the bench ---------------------------------------------------------------------------------

async function startServer(workers, tickMs) {
  // No stream cap: the bench measures how many streams the engine holds, not the server's guard.
  const child = spawn(process.execPath, [`${root}bin/streamsoak.js`, 'serve', '--port', '0', '--workers', String(workers), '--interval', String(tickMs), '--heartbeat', '15000', '--max-connections', '0'], {
    env: { ...process.env, JWT_ACCESS_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Keep reading the server's output to the end, so it never writes into a closed pipe.
  let text = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      text += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match && text.length - chunk.length < match.index + match[0].length) resolve({ url: match[1], child });
    });
    child.once('exit', () => reject(new Error(`the reference server did not start: ${text}`)));
  });
}

async function runChild(roleName, args, timeoutMs) {
  const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=4096', fileURLToPath(import.meta.url), `--role=${roleName}`, ...args.map(String)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  let result;
  child.on('message', (message) => (result = message));
  await once(child, 'exit');
  clearTimeout(timer);
  return result;
}

async function main() {
  const scale = process.env.BENCH_MODE === 'scale';
  const connections = Number(process.env.BENCH_CONNECTIONS ?? (scale ? 30_000 : 10_000));
  const holdS = Number(process.env.BENCH_HOLD_S ?? 10);
  const tickMs = Number(process.env.BENCH_TICK_MS ?? 200);
  const memoryTickMs = Number(process.env.BENCH_MEMORY_TICK_MS ?? 1000);
  // One reference-server process cannot accept thousands of streams while it writes tens of
  // thousands of events a second: give it a second process past a few thousand connections.
  const serverWorkers = Number(process.env.BENCH_SERVER_WORKERS ?? (connections > 15_000 ? Math.ceil(connections / 10_000) : connections > 4_000 ? 2 : 1));
  const timeoutMs = (connections * 2 + holdS * 1000 + 120_000) * 2;

  console.log(`engine bench: ${connections} connections, hold ${holdS} s, tick ${tickMs} ms, server workers ${serverWorkers}${scale ? ', scale mode' : ''}`);
  const server = await startServer(serverWorkers, tickMs);
  try {
    if (scale) {
      const workers = process.env.BENCH_WORKERS ?? 'auto';
      const result = await runChild('streamsoak', [server.url, connections, holdS, tickMs, workers], timeoutMs);
      report(`streamsoak (scale, ${workers} workers)`, connections, result);
      return;
    }
    const phase = process.env.BENCH_PHASE ?? 'all';
    // 1. Memory, both swarms at the same gentle event rate (one event a second per stream), so the
    //    figure is what a held connection costs, not what a backlog of unread events costs.
    const ours = phase === 'throughput' ? undefined : await runChild('streamsoak', [server.url, connections, holdS, memoryTickMs, 1], timeoutMs);
    if (ours) report(`streamsoak, ${1000 / memoryTickMs} event/s per stream`, connections, ours);
    const theirs = phase === 'throughput' ? undefined : await runChild('eventsource', [server.url, connections, holdS, memoryTickMs], timeoutMs);
    if (theirs) report(`eventsource npm swarm, ${1000 / memoryTickMs} event/s per stream`, connections, theirs);
    if (ours?.measured && theirs?.measured && ours.measured.open > 0 && theirs.measured.open > 0) {
      const per = (m, key) => m[key] / m.open;
      console.log(
        `\nper held connection: eventsource uses ${(per(theirs.measured, 'rss') / per(ours.measured, 'rss')).toFixed(1)}× streamsoak's RSS ` +
          `and ${(per(theirs.measured, 'heap') / per(ours.measured, 'heap')).toFixed(1)}× its JS heap+external`,
      );
    }
    // 2. Throughput: streamsoak alone at BENCH_TICK_MS, every event's latency recorded. One engine
    //    process by default: on a 2-core machine the server needs the other core (BENCH_WORKERS).
    if (phase === 'memory') return;
    const fast = await runChild('streamsoak', [server.url, connections, holdS, tickMs, process.env.BENCH_WORKERS ?? 1], timeoutMs);
    report(`streamsoak, ${1000 / tickMs} events/s per stream`, connections, fast);
  } finally {
    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
  }
}

function report(name, connections, result) {
  console.log(`\n### ${name}`);
  if (!result?.measured) {
    console.log(`  no measurement (the client did not reach ${connections} open connections in time)`, result ?? '');
    return;
  }
  const { open, rss, heap } = result.measured;
  console.log(`  held ${open} of ${connections} connections`);
  // With worker processes the connections live in children: the coordinator's own memory says nothing.
  if ((result.harness?.workers ?? 1) === 1) console.log(`  memory: RSS +${mb(rss)} (${kb(rss / open)} per connection), JS heap+external +${mb(heap)} (${kb(heap / open)} per connection)`);
  if (result.eventsPerSecond !== undefined) {
    const l = result.latency ?? {};
    console.log(
      `  events: ${Math.round(result.eventsPerSecond)} events/s received at full count (over ${result.rateSpanS?.toFixed(1)} s by the wall clock), ` +
        `${result.events} total, ${result.latencyCount} latencies recorded`,
    );
    console.log(`  latency: p50 ${l.med} ms, p95 ${l['p(95)']} ms, p99 ${l['p(99)']} ms, max ${l.max} ms`);
    console.log(`  failures ${JSON.stringify(result.failures)}, drops ${JSON.stringify(result.drops)}, max open ${result.maxOpen}`);
    const h = result.harness;
    if (h) {
      console.log(`  harness: ${h.workers} worker(s), event-loop delay p99 ${h.eventLoopDelayMs?.p99} ms, cpu avg ${h.cpuPercent?.avg}%, bottleneck ${h.bottleneck}`);
      console.log(`  peak RSS of every engine process together: ${mb(h.peakRssBytes)} (${kb(h.peakRssBytes / Math.max(1, result.maxOpen))} per held connection, process baselines included)`);
    }
    console.log(`  all ${connections} open ${(result.fullAtMs / 1000).toFixed(1)} s after the start`);
    for (const warning of result.warnings ?? []) console.log(`  ! ${warning}`);
  } else {
    console.log(`  events: ${result.events} received, ${result.errors} errors`);
  }
}

if (role === 'streamsoak') await streamsoakClient();
else if (role === 'eventsource') await eventsourceClient();
else await main();
