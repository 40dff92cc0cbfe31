// Memory per held SSE connection of the reference server (issue 2, "Done when").
//
// Starts the compiled server (dist/server/) in a child process, holds N SSE
// connections to it from this process on raw sockets that keep reading (tick mode, one event per
// second each, heartbeats every 15 s: the defaults), and reports the server process's RSS and heap
// before and after, per held connection. Loopback only; bounded; stops by itself.
//
//   npm run bench server-memory                      (5,000 connections)
//   STREAMSOAK_BENCH_CONNECTIONS=500 npm run bench server-memory
//   node bench/server-memory.bench.mjs --connections 500
/* global fetch */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: process.env.STREAMSOAK_BENCH_CONNECTIONS ?? '5000' },
    interval: { type: 'string', default: '1000' },
    settle: { type: 'string', default: '5000' },
  },
});
const connections = Number(values.connections);
const settleMs = Number(values.settle);
if (!Number.isInteger(connections) || connections < 1 || connections > 60_000) throw new Error('--connections: 1..60000');

const secret = 'bench-secret';
const { signToken } = await import(new URL('../dist/core/jwt.js', import.meta.url).href);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The server runs in its own process, started from dist/, with --expose-gc so that each measurement
// is taken after a full collection (live memory, not garbage waiting for the next GC).
const SERVER_CHILD = `
  const { startReferenceServer } = await import(${JSON.stringify(new URL('../dist/server/index.js', import.meta.url).href)});
  const server = await startReferenceServer({ jwtSecret: ${JSON.stringify(secret)}, port: 0, tickIntervalMs: ${Number(values.interval)} });
  process.send({ url: server.url });
  process.on('message', async (message) => {
    if (message === 'measure') {
      globalThis.gc(); globalThis.gc();
      const memory = process.memoryUsage();
      process.send({ rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, externalBytes: memory.external, connections: server.subscriberCount() });
    }
    if (message === 'stop') { await server.close(); process.disconnect(); }
  });
`;
const server = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', SERVER_CHILD], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const hardStop = setTimeout(() => {
  console.log('server-memory: timed out after 5 minutes');
  server.kill('SIGKILL');
  process.exit(1);
}, 300_000);
hardStop.unref();

const url = await new Promise((resolve, reject) => {
  server.once('message', (message) => resolve(message.url));
  server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
});
const { hostname, port } = new URL(url);

function measure() {
  return new Promise((resolve) => {
    server.once('message', resolve);
    server.send('measure');
  });
}
async function health() {
  return (await fetch(`${url}/api/health`)).json();
}

await sleep(1_000);
const before = await measure();

const token = await signToken({ userId: 'bench', secret, ttlSeconds: 3600 });
const request = `GET /api/calls/events?token=${token} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`;
const sockets = [];
let receivedBytes = 0;
let failures = 0;
const started = Date.now();
for (let i = 0; i < connections; i += 500) {
  const batch = [];
  for (let j = i; j < Math.min(connections, i + 500); j++) {
    batch.push(
      new Promise((resolve) => {
        // Past ~20,000 connections one source address runs short of ephemeral ports: rotate 127.0.0.x.
        const localAddress = connections > 20_000 ? `127.0.0.${2 + (j % 50)}` : undefined;
        const socket = net.connect({ host: hostname, port: Number(port), ...(localAddress ? { localAddress } : {}) });
        socket.setNoDelay(true);
        socket.on('connect', () => socket.write(request));
        socket.once('data', () => resolve());
        socket.on('data', (chunk) => (receivedBytes += chunk.length));
        socket.on('error', () => {
          failures++;
          resolve();
        });
        sockets.push(socket);
      }),
    );
  }
  await Promise.all(batch);
}
const connectMs = Date.now() - started;
for (let i = 0; i < 50; i++) {
  if ((await health()).connections >= connections - failures) break;
  await sleep(100);
}
await sleep(settleMs);
const bytesBefore = receivedBytes;
await sleep(2_000);
const bytesPerSecond = (receivedBytes - bytesBefore) / 2;
const after = await measure();
const held = after.connections;
const kb = (bytes) => bytes / 1024;
const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
console.log(`connections held: ${held} of ${connections} (failures ${failures}), opened in ${connectMs} ms`);
console.log(`server after full GC: RSS ${mib(before.rssBytes)} MiB idle -> ${mib(after.rssBytes)} MiB held; JS heap ${mib(before.heapUsedBytes)} -> ${mib(after.heapUsedBytes)} MiB`);
console.log(
  `memory per held SSE connection: ${kb((after.rssBytes - before.rssBytes) / held).toFixed(1)} KB RSS, ` +
    `${kb((after.heapUsedBytes - before.heapUsedBytes) / held).toFixed(1)} KB JS heap (tick ${values.interval} ms, heartbeat 15 s)`,
);
console.log(`stream traffic while held: ${(bytesPerSecond / 1024).toFixed(0)} KiB/s received (${(bytesPerSecond / Math.max(1, held)) | 0} B/s per connection)`);

for (const socket of sockets) socket.destroy();
server.send('stop');
await new Promise((resolve) => server.once('exit', resolve));
clearTimeout(hardStop);
process.exitCode = held === connections ? 0 : 1;
