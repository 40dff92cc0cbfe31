/**
 * Real nginx in front of an upstream, on loopback: fills one of the `deploy/nginx/` templates
 * (`sse.conf`: served right; `stock.conf`: stock proxying) and runs Debian's nginx in the
 * foreground with its own prefix folder, so nothing outside a temporary folder is touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HarnessError, MissingToolError } from '../core/errors.js';
import { freePort } from './free-port.js';

export type NginxTemplate = 'sse' | 'stock' | 'nchan';

export interface NginxOptions {
  template: NginxTemplate;
  /** `127.0.0.1:PORT` or `http://127.0.0.1:PORT` of the upstream (`sse`, `stock`; nchan has none). */
  upstream?: string;
  /** Listen on this loopback port (default: a free one). */
  port?: number;
  /** nchan: messages kept per channel for a `Last-Event-ID` replay (default 100). */
  messageBuffer?: number;
  /** nchan: how long one subscription is held (default `0`: as long as the client stays). */
  subscriberTimeout?: string;
  /** nginx's `proxy_read_timeout` (default `60s`, nginx's own default). */
  readTimeout?: string;
  /** Directives added to the proxied location, e.g. `proxy_ignore_headers X-Accel-Buffering;`. */
  extraDirectives?: string;
  /** The nginx binary (default: `/usr/sbin/nginx`, then `nginx` on the PATH). */
  binary?: string;
  signal?: AbortSignal;
}

export interface RunningNginx {
  url: string;
  port: number;
  /** The temporary prefix folder (configuration, pid, error log). */
  prefix: string;
  errorLog(): Promise<string>;
  close(): Promise<void>;
}

const TEMPLATE_DIR = fileURLToPath(new URL('../../deploy/nginx/', import.meta.url));

/** The nginx binary, or `undefined` when it is not installed. */
export async function findNginx(): Promise<string | undefined> {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  return undefined;
}

const NCHAN_MODULE_PATHS = ['/usr/lib/nginx/modules/ngx_nchan_module.so', '/usr/lib64/nginx/modules/ngx_nchan_module.so', '/usr/local/nginx/modules/ngx_nchan_module.so'];

/** nchan's dynamic module (Debian: libnginx-mod-nchan), or `undefined` when it is not installed. */
export async function findNchanModule(): Promise<string | undefined> {
  for (const candidate of NCHAN_MODULE_PATHS) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  return undefined;
}

export function renderNginxTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (match, name: string) => values[name] ?? match);
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const binary = options.binary ?? (await findNginx());
  if (binary === undefined) throw new MissingToolError('nginx', 'install it (Debian: apt-get install nginx-light)');
  const template = await readFile(join(TEMPLATE_DIR, `${options.template}.conf`), 'utf8');
  const upstream = (options.upstream ?? '').replace(/^http:\/\//, '').replace(/\/+$/, '');
  const nchanModule = options.template === 'nchan' ? await findNchanModule() : '';
  if (nchanModule === undefined) throw new MissingToolError('nchan', 'install it (Debian: apt-get install libnginx-mod-nchan)');
  const prefix = await mkdtemp(join(tmpdir(), 'streamsoak-nginx-'));

  // A free port may be taken between our probe and nginx's bind: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.port !== undefined ? 1 : 3); attempt++) {
    const port = options.port ?? (await freePort());
    const config = renderNginxTemplate(template, {
      PREFIX: prefix,
      LISTEN: `127.0.0.1:${port}`,
      UPSTREAM: upstream,
      READ_TIMEOUT: options.readTimeout ?? '60s',
      EXTRA_DIRECTIVES: options.extraDirectives ?? '',
      NCHAN_MODULE: nchanModule,
      MESSAGE_BUFFER: String(options.messageBuffer ?? 100),
      SUBSCRIBER_TIMEOUT: options.subscriberTimeout ?? '0',
    });
    const configPath = join(prefix, 'nginx.conf');
    await writeFile(configPath, config);
    // -e: the error log before the configuration is read (otherwise /var/log/nginx, not writable).
    const child = spawn(binary, ['-p', prefix, '-c', configPath, '-e', join(prefix, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitForPort(port, child, 5_000);
    } catch (error) {
      child.kill('SIGKILL');
      lastError = new Error(`${(error as Error).message}: ${stderr.trim()}`);
      continue;
    }
    let closing: Promise<void> | undefined;
    const onAbort = (): void => void close();
    const close = (): Promise<void> => {
      closing ??= (async () => {
        options.signal?.removeEventListener('abort', onAbort);
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          // SIGTERM: nginx's fast shutdown, open streams included.
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
          await exited;
          clearTimeout(timer);
        }
        await rm(prefix, { recursive: true, force: true });
      })();
      return closing;
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // Aborted while nginx started: the listener above will never fire.
    if (options.signal?.aborted) await close();
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      prefix,
      errorLog: () => readFile(join(prefix, 'error.log'), 'utf8').catch(() => ''),
      close,
    };
  }
  await rm(prefix, { recursive: true, force: true });
  throw new HarnessError(lastError instanceof Error ? lastError.message : 'nginx did not start', { cause: lastError });
}
