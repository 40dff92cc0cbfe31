// `npm run bench publish`: publish-to-deliver latency and fan-out spread (issue 15), the harness as
// the publisher at one message a second, against two targets on loopback:
//   - nchan (Debian's nginx + libnginx-mod-nchan, C), subscribers on /sub/bench, messages to /pub/bench;
//   - the reference server in bus mode (`serve --workers 2`), messages to POST /api/calls/emit as a
//     broadcast; the same run records the subscribers' event latency (the server's sentAt), to set
//     beside publish-to-deliver.
// At BENCH_PUBLISH_SUBSCRIBERS (default 1000,10000) subscribers each. Every run is a real
// `streamsoak run` child process, bounded in time; every child is killed when the bench ends.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'bench-secret-not-for-production';
const counts = (process.env.BENCH_PUBLISH_SUBSCRIBERS ?? '1000,10000').split(',').map(Number);
const children = new Set();
const kill = () => {
  for (const child of children) child.kill('SIGKILL');
};
process.on('exit', kill);

function start(args, env = {}) {
  const child = spawn(process.execPath, [join(root, 'bin/streamsoak.js'), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { child, output: () => output, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

async function waitFor(predicate, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('timed out');
}

async function runOnce(label, subscribers, args) {
  const dir = await mkdtemp(join(tmpdir(), 'streamsoak-bench-publish-'));
  try {
    const rampS = Math.max(2, Math.ceil(subscribers / 1000));
    const run = start(['run', ...args, '--sse', String(subscribers), '--ramp-up', `${rampS}s`, '--duration', `${rampS + 20}s`, '--publish-rate', '1', '--results', dir, '--quiet']);
    const code = await run.exited;
    const [runId] = await readdir(dir);
    if (runId === undefined) throw new Error(`${label}: no results (exit ${code}): ${run.output().slice(-400)}`);
    const summary = JSON.parse(await readFile(join(dir, runId, 'summary.json'), 'utf8'));
    const v = (name) => summary.metrics[name]?.values ?? {};
    const p = summary.publish ?? {};
    const fmt = (x) => (typeof x === 'number' ? `${x.toFixed(1)} ms` : 'n/a');
    const line =
      `${label}, ${subscribers} subscribers: ${p.messagesAccepted ?? 0} messages, ${p.deliveries ?? 0} deliveries, ${p.deliveriesMissed ?? 0} missed; ` +
      `publish→deliver p50 ${fmt(v('publish_to_deliver').med)}, p99 ${fmt(v('publish_to_deliver')['p(99)'])}; ` +
      `fan-out spread p50 ${fmt(p.fanOutSpreadMs?.p50)}, p99 ${fmt(p.fanOutSpreadMs?.p99)}` +
      (v('sse_event_latency').count ? `; event latency (server sentAt) p50 ${fmt(v('sse_event_latency').med)}, p99 ${fmt(v('sse_event_latency')['p(99)'])}` : '') +
      `; harness event-loop p99 ${summary.harness?.eventLoopDelayMs?.p99 ?? '?'} ms, ${summary.harness?.workers ?? '?'} workers${summary.harness?.bottleneck ? ', BOTTLENECK' : ''}; exit ${code}`;
    console.log(line);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// nchan
const { startNginx } = await import(new URL('../dist/platform/index.js', import.meta.url).href);
let nchan;
try {
  nchan = await startNginx({ template: 'nchan', messageBuffer: 100 });
} catch (error) {
  console.log(`nchan: skipped (${error.message})`);
}
if (nchan) {
  try {
    for (const n of counts) await runOnce('nchan', n, ['--url', `${nchan.url}/sub/bench`, '--publish', `${nchan.url}/pub/bench`]);
  } finally {
    await nchan.close();
  }
}

// The reference server in bus mode, two processes.
const server = start(['serve', '--host', '127.0.0.1', '--port', '0', '--mode', 'bus', '--workers', '2'], { JWT_ACCESS_SECRET: SECRET });
let url;
await waitFor(() => {
  url = /https?:\/\/127\.0\.0\.1:\d+/.exec(server.output())?.[0];
  return url !== undefined;
}, 20_000);
try {
  for (const n of counts) {
    await runOnce('reference (bus, 2 processes)', n, [
      '--url', url, '--secret', SECRET, '--publish', `${url}/api/calls/emit`,
      '--publish-body', '{"broadcast":true,"data":{"id":"{{id}}"}}',
    ]);
  }
} finally {
  server.child.kill('SIGTERM');
}
kill();
