/**
 * Signs HS256 JSON Web Tokens (RFC 7519) with WebCrypto, which Node, browsers, serverless runtimes
 * and k6 all provide: the CLI's `token`, the engine's per-user tokens and k6 scenarios mint tokens
 * the same way. The reference server verifies them with `jose`.
 */

export interface TokenClaims {
  /** The user id (`sub`). */
  sub: string;
  /** Seconds since the epoch. */
  iat?: number;
  exp?: number;
  /** Admins may publish to every user with POST /api/calls/emit. */
  admin?: boolean;
  [claim: string]: unknown;
}

export interface SignTokenOptions {
  userId: string;
  secret: string;
  /** Lifetime in seconds (default one hour). */
  ttlSeconds?: number;
  admin?: boolean;
  /** Epoch ms, for tests; defaults to now. */
  now?: number;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] as number);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function base64urlJson(value: unknown): string {
  return base64url(encoder.encode(JSON.stringify(value)));
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keyCache.set(secret, key);
  }
  return key;
}

export async function signToken(options: SignTokenOptions): Promise<string> {
  if (options.secret.length === 0) throw new Error('signToken: the secret is empty');
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const claims: TokenClaims = { sub: options.userId, iat, exp: iat + (options.ttlSeconds ?? 3600) };
  if (options.admin) claims.admin = true;
  const signingInput = `${base64urlJson({ alg: 'HS256', typ: 'JWT' })}.${base64urlJson(claims)}`;
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(options.secret), encoder.encode(signingInput));
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}
