/**
 * The reference server in a child process, for the abuse tests (issue 9): its memory is measured
 * apart from the test's own (VmRSS from /proc), a crash shows as an exit, and a raw-socket client
 * sends what no well-behaved HTTP client would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const SECRET = 'reliability-secret';

export interface ServerProcess {
  url: string;
  port: number;
  pid: number;
  /** The child's resident set (VmRSS), in bytes. */
  rssBytes(): Promise<number>;
  /** One counter or gauge of /metrics (no labels), or undefined when absent. */
  metric(name: string): Promise<number | undefined>;
  health(): Promise<{ connections: number }>;
  /** Exit code or signal once the child has exited (a crash shows here). */
  exited(): string | undefined;
  stderr(): string;
  /** Runs a full garbage collection in the child (SIGUSR2, see gc-on-signal.mjs) and lets it settle. */
  collectGarbage(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const ENTRY = "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";

/** `streamsoak serve --port 0 ARGS` from the sources (tsx), with JWT_ACCESS_SECRET = SECRET. */
export async function startServerProcess(args: string[]): Promise<ServerProcess> {
  const gcHook = fileURLToPath(new URL('./gc-on-signal.mjs', import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', '--import', gcHook, '--import', 'tsx', '--input-type=module', '-e', ENTRY, 'serve', '--port', '0', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, JWT_ACCESS_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exit: string | undefined;
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  // Should the test process end without its afterAll (a crash, a timeout), take the server with it.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.on('exit', (code, signal) => {
    exit = signal ?? String(code);
    process.off('exit', killOnExit);
  });
  const url = await waitForUrl(child, () => stdout, () => stderr);
  const pid = child.pid as number;
  return {
    url,
    port: Number(new URL(url).port),
    pid,
    rssBytes: () => readRss(pid),
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
      const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
      return match ? Number(match[1]) : undefined;
    },
    async health() {
      return (await (await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(10_000) })).json()) as { connections: number };
    },
    async collectGarbage() {
      child.kill('SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 500));
    },
    exited: () => exit,
    stderr: () => stderr,
    stop: () => stopChild(child),
  };
}

function waitForUrl(child: ChildProcess, stdout: () => string, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the server did not start within ${START_TIMEOUT_MS} ms: ${stderr()}`)), START_TIMEOUT_MS);
    const onData = (): void => {
      const match = /listening on (http:\/\/\S+)/.exec(stdout());
      if (match?.[1]) finish(() => resolve(match[1] as string));
    };
    const onExit = (code: number | null): void => fail(new Error(`the server exited (${code}) before listening: ${stderr()}`));
    function fail(error: Error): void {
      finish(() => reject(error));
      child.kill('SIGKILL');
    }
    function finish(then: () => void): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      then();
    }
    child.stdout?.on('data', onData);
    child.on('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function readRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

export const MB = 1024 * 1024;

/** Samples `read` every `everyMs` until stopped; `max()` is the highest value seen. */
export function sampleMax(read: () => Promise<number>, everyMs = 200): { max(): number; stop(): Promise<number> } {
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      max = Math.max(max, await read().catch(() => 0));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    max: () => max,
    async stop() {
      running = false;
      await loop;
      return max;
    },
  };
}

export interface RawAnswer {
  /** Status code of the first response, or undefined when the socket closed before one. */
  status: number | undefined;
  headers: Record<string, string>;
  /** What followed the head (for a stream: the bytes received before `holdMs`). */
  body: string;
  /** When the server closed the socket (ms after connect), or undefined when we closed it. */
  closedByServerAfterMs: number | undefined;
  error: string | undefined;
}

export interface RawRequestOptions {
  /** Close our side after this long (default 5 s). */
  holdMs?: number;
  localAddress?: string;
}

/** Writes `request` as is on a new socket and reads until the server closes or `holdMs` passes. */
export function rawRequest(port: number, request: string | Buffer, options: RawRequestOptions = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const startedAt = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    let received = Buffer.alloc(0);
    let error: string | undefined;
    let closedByUs = false;
    socket.on('connect', () => socket.write(request));
    socket.on('data', (data: Buffer) => (received = Buffer.concat([received, data])));
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    const timer = setTimeout(() => {
      closedByUs = true;
      socket.destroy();
    }, options.holdMs ?? 5_000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ...parseHead(received), closedByServerAfterMs: closedByUs ? undefined : Date.now() - startedAt, error });
    });
  });
}

export function parseHead(received: Buffer): Pick<RawAnswer, 'status' | 'headers' | 'body'> {
  const text = received.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1];
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: status === undefined ? undefined : Number(status), headers, body: end === -1 ? '' : text.slice(end + 4) };
}

/** A GET with the given extra header lines, as raw HTTP/1.1 text. */
export function rawGet(path: string, headers: Record<string, string> = {}): string {
  const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Accept: text/event-stream', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
