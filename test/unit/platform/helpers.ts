import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TinyUpstream {
  url: string;
  close(): Promise<void>;
}

/**
 * A small SSE upstream on loopback: `GET /sse?n=N&every=MS&pad=BYTES` writes N events, one every
 * MS, then ends (n=0: never ends, never writes); `?accel=no` sends `X-Accel-Buffering: no`.
 */
export async function startTinyUpstream(): Promise<TinyUpstream> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-origin': 'https://app.example', 'access-control-allow-methods': 'GET' });
      res.end();
      return;
    }
    if (url.pathname === '/slow') {
      const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('late'), Number(url.searchParams.get('ms') ?? '1000'));
      res.on('close', () => clearTimeout(timer));
      return;
    }
    if (url.pathname === '/hello') {
      res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': 'https://app.example', 'x-custom': 'kept' });
      res.end('hello');
      return;
    }
    const n = Number(url.searchParams.get('n') ?? '3');
    const every = Number(url.searchParams.get('every') ?? '20');
    const pad = 'x'.repeat(Number(url.searchParams.get('pad') ?? '0'));
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform' };
    if (url.searchParams.get('accel') === 'no') headers['x-accel-buffering'] = 'no';
    res.writeHead(200, headers);
    res.flushHeaders();
    if (n === 0) return;
    let seq = 0;
    const timer = setInterval(() => {
      seq++;
      res.write(`id: ${seq}\ndata: {"seq":${seq},"sentAt":${Date.now()},"stream":"s"${pad ? `,"pad":"${pad}"` : ''}}\n\n`);
      if (seq >= n) {
        clearInterval(timer);
        res.end();
      }
    }, every);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Fetched {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Each socket read: ms after the request started, and its size. */
  reads: Array<{ atMs: number; bytes: number; text: string }>;
  /** ms after the request started at which the response head arrived. */
  headersAtMs: number;
  /** ms after the request started at which the response ended or failed. */
  endedAtMs: number;
  ended: 'end' | 'error';
}

export function fetchTimed(url: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET'): Promise<Fetched> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const headersAtMs = performance.now() - started;
      const reads: Fetched['reads'] = [];
      const finish = (ended: 'end' | 'error'): void =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: reads.map((r) => r.text).join(''),
          reads,
          headersAtMs,
          endedAtMs: performance.now() - started,
          ended,
        });
      res.on('data', (chunk: Buffer) => reads.push({ atMs: performance.now() - started, bytes: chunk.length, text: chunk.toString('utf8') }));
      res.on('end', () => finish('end'));
      res.on('error', () => finish('error'));
      res.on('aborted', () => finish('error'));
    });
    req.on('error', reject);
    req.end();
  });
}
