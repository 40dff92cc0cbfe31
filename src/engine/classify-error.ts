/**
 * Maps what undici and the socket layer report to the shared reasons (src/core/reasons.ts), so that
 * a limit of the harness (file descriptors, source ports) is never reported as a limit of the target.
 */
import type { ConnectFailureReason, DropReason } from '../core/reasons.js';

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  // undici wraps socket errors (`SocketError`, `cause`), so look a few levels down.
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** Why an attempt failed before its stream opened. */
export function classifyConnectError(error: unknown): ConnectFailureReason {
  const codes = codesOf(error);
  if (codes.includes('EMFILE') || codes.includes('ENFILE')) return 'client_fd_limit';
  if (codes.includes('EADDRNOTAVAIL') || codes.includes('EADDRINUSE')) return 'client_ports_exhausted';
  if (codes.includes('ECONNREFUSED')) return 'refused';
  if (codes.includes('UND_ERR_CONNECT_TIMEOUT') || codes.includes('ETIMEDOUT')) return 'connect_timeout';
  if (codes.includes('UND_ERR_HEADERS_TIMEOUT')) return 'headers_timeout';
  // ECONNRESET, EPIPE, "other side closed" before the headers: the target hung up on us.
  return 'reset';
}

/** Why an open stream ended, when it ended with an error rather than a clean end of the body. */
export function classifyDropError(error: unknown): DropReason {
  const codes = codesOf(error);
  if (codes.includes('UND_ERR_BODY_TIMEOUT')) return 'idle_timeout';
  if (codes.includes('ECONNRESET') || codes.includes('EPIPE')) return 'reset';
  // `UND_ERR_SOCKET` "other side closed": the server (or a platform in front of it) closed the
  // connection without ending the chunked body, which is how a cut function invocation looks.
  if (codes.includes('UND_ERR_SOCKET')) return 'server_closed';
  return 'reset';
}

/** A short message for the record's `error` field. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = codesOf(error)[0];
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
