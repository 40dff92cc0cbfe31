/**
 * One undici `Client` per virtual SSE user, bound to its source address. A client with
 * `pipelining: 1` runs one request on one socket at a time, so an SSE stream never shares a
 * connection (no pipelining, no multiplexing) and each held stream is one TCP connection, as a
 * browser tab's would be; a reconnect reuses the user's client.
 *
 * Not a `Pool`: a pool looks for a free client by walking all of its clients on every dispatch, and
 * with thousands of held streams that walk is quadratic (measured: 5% of the engine's CPU and
 * multi-second stalls while ramping to 8,000 streams).
 *
 * Source addresses: a TCP connection is named by (source ip, source port, target ip, target port),
 * so one source address reaches one target port with at most the ~28,000 ephemeral ports of Linux's
 * default range. Rotating 127.0.0.x source addresses lifts that limit on loopback.
 */
import { isIP } from 'node:net';
import { Client } from 'undici';

export interface DispatcherOptions {
  origin: string;
  localAddresses: readonly string[];
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  /** 0: no idle limit of our own on a body. */
  bodyTimeoutMs: number;
}

export interface ConnectionFactory {
  /** A new client on the next source address in rotation (undefined: the system's choice). */
  create(): { client: Client; localAddress: string | undefined };
}

export function createConnectionFactory(options: DispatcherOptions): ConnectionFactory {
  const addresses: Array<string | undefined> = options.localAddresses.length > 0 ? [...options.localAddresses] : [undefined];
  let cursor = 0;
  return {
    create() {
      const localAddress = addresses[cursor];
      cursor = (cursor + 1) % addresses.length;
      const client = new Client(options.origin, {
        pipelining: 1,
        ...(localAddress === undefined ? {} : { localAddress }),
        connect: { timeout: options.connectTimeoutMs },
        headersTimeout: options.headersTimeoutMs,
        bodyTimeout: options.bodyTimeoutMs,
        keepAliveTimeout: 4_000,
      });
      return { client, localAddress };
    },
  };
}

/**
 * Source addresses for a plan: the plan's list, `{ count }` expanded to 127.0.0.1...127.0.0.N, or,
 * when the plan says nothing, enough 127.0.0.x addresses for `connections` to an IPv4 loopback
 * target (one per 20,000 connections, under the ephemeral port range).
 */
export function resolveLocalAddresses(
  setting: readonly string[] | { count: number } | undefined,
  targetUrl: string,
  connections: number,
): string[] {
  if (Array.isArray(setting)) return [...setting];
  const hostname = new URL(targetUrl).hostname;
  const ipv4Loopback = isIP(hostname) === 4 && hostname.startsWith('127.');
  let count: number;
  if (setting && 'count' in setting) count = setting.count;
  else count = ipv4Loopback && connections > 20_000 ? Math.min(254, Math.ceil(connections / 20_000)) : 0;
  if (count > 0 && !ipv4Loopback) return [];
  return Array.from({ length: count }, (_, index) => `127.0.0.${index + 1}`);
}
