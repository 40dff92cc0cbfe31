/**
 * The VPS deployment, end to end on loopback: `streamsoak serve` started with the very flags of
 * deploy/vps/streamsoak.service, behind real nginx running deploy/vps/nginx-site.conf (TLS with a
 * throwaway self-signed certificate, HTTP/2). Only the machine-specific bits of the site file are
 * rewritten for the test: listen addresses, the upstream port and the certificate paths.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/core/jwt.js';
import { createSseParser, type SseEvent } from '../../src/core/sse-parser.js';
import { freePort } from '../helpers/net.js';
import { readSse } from '../helpers/sse-body.js';
import { waitFor } from '../helpers/wait.js';
import { NGINX, OPENSSL, hasTools } from '../helpers/tools.js';

const hasNginxAndOpenssl = hasTools('deploy-vps', NGINX, OPENSSL);

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'deploy-vps-test-secret';

/** `true` once the request answers 2xx; `undefined` (keep waiting) while it fails or is refused. */
const isOk = (request: Promise<{ ok: boolean }>): Promise<true | undefined> => request.then((response) => response.ok || undefined).catch(() => undefined);

/** The `serve` arguments of the unit's ExecStart, with the port swapped for a free one. */
export function serveArgsFromUnit(unit: string, port: number): string[] {
  const execStart = /^ExecStart=(.+)$/m.exec(unit)?.[1];
  if (!execStart) throw new Error('streamsoak.service has no ExecStart');
  const words = execStart.trim().split(/\s+/);
  const at = words.findIndex((word) => word.endsWith('bin/streamsoak.js'));
  const args = words.slice(at + 1);
  const portAt = args.indexOf('--port');
  if (args[0] !== 'serve' || portAt === -1) throw new Error(`unexpected ExecStart: ${execStart}`);
  args[portAt + 1] = String(port);
  return args;
}

/** The site file for this machine: loopback listeners, the test upstream, a self-signed certificate. */
function siteForTest(site: string, ports: { http: number; https: number; upstream: number }, certDir: string): string {
  const rewritten = site
    .replace(/^\s*listen \[::\]:\d+.*$/gm, '')
    .replace(/listen 80;/, `listen 127.0.0.1:${ports.http};`)
    .replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${ports.https} ssl http2;`)
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${ports.upstream};`)
    .replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${certDir}/cert.pem;`)
    .replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${certDir}/key.pem;`);
  for (const expected of [`127.0.0.1:${ports.http};`, `127.0.0.1:${ports.https} ssl`, `127.0.0.1:${ports.upstream};`, `${certDir}/key.pem`]) {
    if (!rewritten.includes(expected)) throw new Error(`nginx-site.conf changed shape: could not set ${expected}`);
  }
  return rewritten;
}

describe.skipIf(!hasNginxAndOpenssl)('the VPS deployment: systemd unit flags, nginx site, TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsoak-vps-'));
  const unit = readFileSync(join(repoRoot, 'deploy/vps/streamsoak.service'), 'utf8');
  const site = readFileSync(join(repoRoot, 'deploy/vps/nginx-site.conf'), 'utf8');
  let app: ChildProcess | undefined;
  let nginx: ChildProcess | undefined;
  let ports: { http: number; https: number; upstream: number };
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });
  let appOutput = '';
  let nginxOutput = '';

  beforeAll(async () => {
    ports = { http: await freePort(), https: await freePort(), upstream: await freePort() };
    execFileSync(OPENSSL.path, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });

    // `streamsoak serve` from source (the unit runs bin/streamsoak.js, the same main() compiled).
    app = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e',
        "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));",
        ...serveArgsFromUnit(unit, ports.upstream)],
      { cwd: repoRoot, env: { ...process.env, JWT_ACCESS_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    app.stdout?.on('data', (chunk: Buffer) => (appOutput += chunk.toString()));
    app.stderr?.on('data', (chunk: Buffer) => (appOutput += chunk.toString()));
    await waitFor(`streamsoak serve (${appOutput})`, () => isOk(fetch(`http://127.0.0.1:${ports.upstream}/api/health`)), { timeoutMs: 30_000, intervalMs: 100 });

    for (const sub of ['logs', 'temp']) mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, 'site.conf'), siteForTest(site, ports, dir));
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        'worker_processes 1;',
        'daemon off;',
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/logs/error.log warn;`,
        'events { worker_connections 256; }',
        'http {',
        '  access_log off;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/temp/${kind};`),
        `  include ${dir}/site.conf;`,
        '}',
      ].join('\n'),
    );
    execFileSync(NGINX.path, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'pipe' });
    nginx = spawn(NGINX.path, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stderr?.on('data', (chunk: Buffer) => (nginxOutput += chunk.toString()));
    await waitFor(`nginx (${nginxOutput})`, () => isOk(undiciFetch(`https://127.0.0.1:${ports.https}/api/health`, { dispatcher: insecure })), {
      timeoutMs: 15_000,
      intervalMs: 100,
    });
  });

  afterAll(async () => {
    const stopped = (child: ChildProcess | undefined) =>
      child && child.exitCode === null && child.signalCode === null
        ? new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              child.kill('SIGKILL');
              resolve();
            }, 5_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          })
        : Promise.resolve();
    // nginx's fast shutdown (SIGTERM); the app has normally exited already in the SIGTERM test.
    const nginxStopped = stopped(nginx);
    nginx?.kill('SIGTERM');
    const appStopped = stopped(app);
    app?.kill('SIGTERM');
    await Promise.all([nginxStopped, appStopped]);
    await insecure.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the server with the unit’s flags in bus mode, on loopback only', async () => {
    expect(serveArgsFromUnit(unit, 1)).toEqual(expect.arrayContaining(['serve', '--host', '127.0.0.1', '--mode', 'bus']));
    const health = (await (await fetch(`http://127.0.0.1:${ports.upstream}/api/health`)).json()) as { mode: string };
    expect(health.mode).toBe('bus');
  });

  it('passes the test stream’s first event through nginx while the stream is still open', async () => {
    const response = await undiciFetch(`https://127.0.0.1:${ports.https}/api/calls/events/test`, {
      dispatcher: insecure,
      signal: AbortSignal.timeout(15_000),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { events, ended, reader } = await readSse(response, { events: 1, timeoutMs: 10_000 });
    await reader.cancel();
    // The unit keeps the default test stream (one message a second for 30 s): the first message
    // arrives after about a second, 29 s before the stream ends.
    expect(ended).toBe(false);
    expect(events).toHaveLength(1);
    expect(events[0]!.atMs).toBeLessThan(5_000);
  });

  it('answers 401 through nginx without a token, and streams bus events with one', async () => {
    const denied = await undiciFetch(`https://127.0.0.1:${ports.https}/api/calls/events`, { dispatcher: insecure });
    expect(denied.status).toBe(401);
    await denied.body?.cancel();

    const token = await signToken({ userId: 'vps-user', secret: SECRET, ttlSeconds: 300 });
    const response = await undiciFetch(`https://127.0.0.1:${ports.https}/api/calls/events`, {
      dispatcher: insecure,
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    });
    expect(response.status).toBe(200);
    // Bus mode's publisher sends each active user an event every second.
    const { events, reader } = await readSse(response, { events: 1, timeoutMs: 10_000 });
    await reader.cancel();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ seq: expect.any(Number), stream: expect.stringContaining('vps-user') });
  });

  it('redirects plain HTTP to HTTPS', async () => {
    const response = await fetch(`http://127.0.0.1:${ports.http}/api/calls/events/test`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toMatch(/^https:\/\/127\.0\.0\.1\/api\/calls\/events\/test$/);
  });

  it('negotiates HTTP/2 and streams over it', async () => {
    const session = http2.connect(`https://127.0.0.1:${ports.https}`, { rejectUnauthorized: false });
    try {
      await new Promise<void>((resolve, reject) => {
        session.once('connect', () => resolve());
        session.once('error', reject);
      });
      expect(session.alpnProtocol).toBe('h2');
      const stream = session.request({ ':path': '/api/calls/events/test' });
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve));
      expect(headers[':status']).toBe(200);
      const firstEvent = await new Promise<SseEvent>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no event over HTTP/2 within 5 s')), 5_000);
        const parser = createSseParser({
          onEvent: (event) => {
            clearTimeout(timer);
            resolve(event);
          },
        });
        stream.on('data', (chunk: Buffer) => parser.push(chunk));
      });
      expect(JSON.parse(firstEvent.data)).toEqual(expect.any(Object));
      stream.close();
    } finally {
      session.close();
    }
  });

  it('ends every stream cleanly on SIGTERM, as systemd stops the service', async () => {
    const token = await signToken({ userId: 'vps-stop', secret: SECRET, ttlSeconds: 300 });
    const response = await undiciFetch(`https://127.0.0.1:${ports.https}/api/calls/events`, {
      dispatcher: insecure,
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(30_000),
    });
    const reader = response.body!.getReader();
    await reader.read();
    const exited = new Promise<number | null>((resolve) => app!.once('exit', (code) => resolve(code)));
    app!.kill('SIGTERM');
    // The stream ends (done), not errors, and the process exits well within TimeoutStopSec=20.
    let done = false;
    while (!done) ({ done } = await reader.read());
    const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000))]);
    expect(code).toBe(0);
  });
});
