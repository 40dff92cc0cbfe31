/**
 * Classifies the error strings k6 and xk6-sse hand back (Go's `net` and `net/http` messages) into
 * the shared reasons. A failure of the harness itself (file or port exhaustion) gets a harness-side
 * reason, never one that blames the target (DESIGN.md, "Measurement contracts").
 */
import type { ConnectFailureReason } from '../../src/core/reasons.js';

const RULES: ReadonlyArray<readonly [RegExp, ConnectFailureReason]> = [
  // EMFILE / ENFILE: this process ran out of file descriptors.
  [/too many open files/i, 'client_fd_limit'],
  // EADDRNOTAVAIL: no local port left for this destination.
  [/cannot assign requested address|address not available/i, 'client_ports_exhausted'],
  [/connection refused|ECONNREFUSED/i, 'refused'],
  [/timeout awaiting response headers|response header timeout/i, 'headers_timeout'],
  [/i\/o timeout|deadline exceeded|Client\.Timeout|timed? ?out/i, 'connect_timeout'],
  [/connection reset|broken pipe|EOF|ECONNRESET|forcibly closed/i, 'reset'],
];

/** The reason a request that got no response failed; an unknown message counts as a reset. */
export function classifyTransportError(message: string): ConnectFailureReason {
  for (const [pattern, reason] of RULES) if (pattern.test(message)) return reason;
  return 'reset';
}

/** k6's `error_code` 1050: "Request timeout" (https://grafana.com/docs/k6/latest/javascript-api/error-codes/). */
export const K6_REQUEST_TIMEOUT = 1050;
