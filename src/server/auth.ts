/**
 * Who is asking: an HS256 JWT (RFC 7519) from `Authorization: Bearer`, an `access_token` cookie, or a
 * `token` query parameter (a browser's EventSource cannot set headers). Tokens are minted by
 * `signToken` (src/core/jwt.ts). Missing, bad or expired: the caller answers 401, never a stream.
 *
 * Only HS256 is accepted: a token that names another algorithm (`none`, HS512 with the same secret,
 * RS256 hoping the secret is read as a public key) is refused before its signature is looked at,
 * which is the defence RFC 8725 §3.1 asks for against algorithm confusion.
 */
import { errors, jwtVerify } from 'jose';

export interface AuthUser {
  id: string;
  admin: boolean;
}

export type AuthError = 'missing_token' | 'invalid_token' | 'expired_token';

export type AuthResult = { ok: true; user: AuthUser } | { ok: false; error: AuthError; detail?: string };

/** Verified tokens remembered, so a burst of connects with the same token verifies it once. */
const CACHE_SIZE = 10_000;

/**
 * Longer tokens are refused unread. Ours are ~200 characters; 8 KB leaves room for claims a
 * deployment adds, and keeps a huge token (one a runtime without Node's 16 KB header limit would let
 * through) from being decoded, parsed and verified.
 */
export const MAX_TOKEN_CHARS = 8_192;

export function createAuthenticator(secret: string, now: () => number = Date.now): (request: Request) => Promise<AuthResult> {
  // Imported once: jose would import a raw key again on every verification.
  const key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const verified = new Map<string, { user: AuthUser; expiresAtMs: number }>();
  return async (request) => {
    const token = findToken(request);
    if (token === undefined) return { ok: false, error: 'missing_token' };
    if (token.length > MAX_TOKEN_CHARS) return { ok: false, error: 'invalid_token', detail: `the token is longer than ${MAX_TOKEN_CHARS} characters` };
    const cached = verified.get(token);
    if (cached) {
      if (cached.expiresAtMs > now()) return { ok: true, user: cached.user };
      verified.delete(token);
      return { ok: false, error: 'expired_token' };
    }
    try {
      const { payload } = await jwtVerify(token, await key, { algorithms: ['HS256'], currentDate: new Date(now()) });
      if (typeof payload.sub !== 'string' || payload.sub.length === 0) return { ok: false, error: 'invalid_token', detail: 'the token has no sub claim' };
      const user = { id: payload.sub, admin: payload.admin === true };
      // A token without exp never expires (RFC 7519 §4.1.4 makes exp optional); cache it for an hour at most.
      const expiresAtMs = Math.min(typeof payload.exp === 'number' ? payload.exp * 1000 : Infinity, now() + 3_600_000);
      if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value as string);
      verified.set(token, { user, expiresAtMs });
      return { ok: true, user };
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { ok: false, error: 'expired_token' };
      return { ok: false, error: 'invalid_token', detail: describeFailure(error) };
    }
  };
}

/** Why a token was refused, in words that tell its owner what to fix and an attacker nothing new. */
function describeFailure(error: unknown): string {
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token must be signed with HS256';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === 'nbf' ? 'the token is not valid yet (nbf)' : `the token's ${error.claim} claim is not valid`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature does not match';
  return 'the token is malformed';
}

export function findToken(request: Request): string | undefined {
  const authorization = request.headers.get('authorization');
  if (authorization !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  const cookie = request.headers.get('cookie');
  if (cookie !== null) {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq !== -1 && part.slice(0, eq).trim() === 'access_token') {
        const value = part.slice(eq + 1).trim();
        if (value.length > 0) return safeDecode(value);
      }
    }
  }
  const query = new URL(request.url).searchParams.get('token');
  return query !== null && query.length > 0 ? query : undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
