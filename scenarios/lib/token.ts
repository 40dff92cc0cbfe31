/**
 * The bearer token a VU sends. `__ENV.TOKEN` as given, or, when `JWT_ACCESS_SECRET` is set, an HS256
 * JWT (RFC 7519) minted per VU for user `k6-<vu>` so each VU has its own stream and poll queue.
 *
 * Minted with `k6/crypto` and `k6/encoding` rather than the core's `signToken`: that one uses
 * WebCrypto, `TextEncoder` and `btoa`, which k6 1.x does not all provide as globals (k6 gained
 * `TextEncoder` only recently, and `crypto.subtle` is asynchronous, which k6's `init` cannot await).
 * The reference server verifies both the same way.
 */
import { hmac } from 'k6/crypto';
import { b64encode } from 'k6/encoding';
import { envString } from './env.js';

export interface MintOptions {
  userId: string;
  secret: string;
  /** Seconds since the epoch; defaults to now. */
  issuedAt?: number;
  ttlSeconds?: number;
}

export function mintToken(options: MintOptions): string {
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const header = b64encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }), 'rawurl');
  const claims = b64encode(JSON.stringify({ sub: options.userId, iat, exp: iat + (options.ttlSeconds ?? 3600) }), 'rawurl');
  const signingInput = `${header}.${claims}`;
  return `${signingInput}.${hmac('sha256', options.secret, signingInput, 'base64rawurl')}`;
}

/** The token for user `userId`: `TOKEN` wins; then one minted from `JWT_ACCESS_SECRET`; else none. */
export function tokenFor(userId: string, ttlSeconds?: number): string | undefined {
  const token = envString('TOKEN', '');
  if (token !== '') return token;
  const secret = envString('JWT_ACCESS_SECRET', '');
  if (secret === '') return undefined;
  return mintToken(ttlSeconds === undefined ? { userId, secret } : { userId, secret, ttlSeconds });
}

export function authHeaders(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { Authorization: `Bearer ${token}` };
}
