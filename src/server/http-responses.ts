/**
 * JSON answers of the reference server. Errors have a stable `error` code and, for bad input, name
 * the parameter or field at fault (STYLE.md: the message names the field and what is allowed).
 */

export function jsonResponse(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });
}

export function errorResponse(status: number, error: string, message: string, extra?: Record<string, unknown>, headers?: Record<string, string>): Response {
  return jsonResponse({ error, message, ...extra }, status, headers);
}

export function unauthorized(error: string, detail?: string): Response {
  const message =
    error === 'missing_token'
      ? 'a token is required: Authorization: Bearer <jwt>, an access_token cookie, or a token query parameter'
      : error === 'expired_token'
        ? 'the token has expired'
        : `the token is not valid${detail ? `: ${detail}` : ''}`;
  // RFC 6750 §3: a 401 for a bearer-protected resource carries WWW-Authenticate.
  return new Response(JSON.stringify({ error, message }), {
    status: 401,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'WWW-Authenticate': 'Bearer' },
  });
}

export function invalidParameter(parameter: string, message: string): Response {
  return errorResponse(400, 'invalid_parameter', `${parameter}: ${message}`, { parameter });
}
