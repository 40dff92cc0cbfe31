/**
 * CORS from an allow-list, with credentials (the guide's "Issue 3: CORS Errors": a frontend on another
 * domain than the API). An origin off the list gets no grant at all: the browser then refuses to
 * hand the response to the page, which is what we want a load test to be able to observe.
 *
 * `*` on the list lets any origin read the responses WITHOUT credentials: it is answered with a
 * literal `Access-Control-Allow-Origin: *` and no `Allow-Credentials`, so a browser refuses to send
 * a cookie-authenticated request's response to a page of another site. Echoing any origin with
 * credentials instead would let every site on the web read a signed-in user's stream with their
 * cookie (the "origin reflection" misconfiguration); credentials go to listed origins only.
 */

export interface Cors {
  /** The origin to grant (`*`: any origin, without credentials), or undefined for no grant. */
  allowedOrigin(request: Request): string | undefined;
  /** Adds the grant headers to a response for an allowed origin. */
  apply(request: Request, headers: Headers): void;
  /** The grant headers for an allowed origin, as a record (for responses built after the check). */
  grantHeaders(origin: string): Record<string, string>;
  /** Answers a preflight (OPTIONS with Access-Control-Request-Method). */
  preflight(request: Request): Response;
}

const ALLOW_METHODS = 'GET, POST, OPTIONS';
// Last-Event-ID: a browser's EventSource reconnection carries it; Authorization: bearer tokens.
const ALLOW_HEADERS = 'Authorization, Content-Type, Last-Event-ID, Cache-Control';
const EXPOSE_HEADERS = 'x-poll-cursor';

export function createCors(origins: readonly string[]): Cors {
  const allowAny = origins.includes('*');
  const allowed = new Set(origins.map(normalizeOrigin));

  function allowedOrigin(request: Request): string | undefined {
    const origin = request.headers.get('origin');
    if (origin === null) return undefined;
    if (allowed.has(normalizeOrigin(origin))) return origin;
    return allowAny ? '*' : undefined;
  }

  function grantHeaders(origin: string): Record<string, string> {
    if (origin === '*') return { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': EXPOSE_HEADERS };
    return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', 'Access-Control-Expose-Headers': EXPOSE_HEADERS };
  }

  function apply(request: Request, headers: Headers): void {
    // The answer depends on the Origin header: shared caches must key on it.
    headers.append('Vary', 'Origin');
    const origin = allowedOrigin(request);
    if (origin === undefined) return;
    for (const [name, value] of Object.entries(grantHeaders(origin))) headers.set(name, value);
  }

  return {
    allowedOrigin,
    apply,
    grantHeaders,
    preflight(request) {
      const headers = new Headers();
      apply(request, headers);
      if (allowedOrigin(request) !== undefined) {
        headers.set('Access-Control-Allow-Methods', ALLOW_METHODS);
        headers.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
        headers.set('Access-Control-Max-Age', '600');
      }
      return new Response(null, { status: 204, headers });
    },
  };
}

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}
