/**
 * Why a connection attempt failed or an open stream ended: one enum shared by the Node engine, the k6
 * scenarios and the reports (DESIGN.md, "Measurement contracts"). Each reason is attributed to the
 * side that caused it, so a limit of the harness is never reported as a limit of the target.
 */

export const CONNECT_FAILURE_REASONS = [
  'refused',
  'reset',
  'connect_timeout',
  'headers_timeout',
  'http_401',
  'http_429',
  'http_4xx',
  'http_5xx',
  'http_204',
  'bad_content_type',
  'client_fd_limit',
  'client_ports_exhausted',
  'client_worker_lost',
] as const;

/**
 * `protocol_error`: the target sent what no event stream may (a line or an event past the harness's
 * caps), so the harness ended it rather than buffer without bound. `client_worker_lost`: the harness
 * process holding the attempt died, so how it ended is unknown (also a connect failure when it had
 * not opened yet).
 */
export const DROP_REASONS = ['server_closed', 'reset', 'idle_timeout', 'protocol_error', 'client_closed', 'client_worker_lost'] as const;

export type ConnectFailureReason = (typeof CONNECT_FAILURE_REASONS)[number];
export type DropReason = (typeof DROP_REASONS)[number];
export type Reason = ConnectFailureReason | DropReason;

/** Who caused it: the target (server, proxy, platform), the harness itself, or the plan's own end. */
export type ReasonSide = 'target' | 'harness' | 'plan';

const HARNESS_REASONS: ReadonlySet<Reason> = new Set<Reason>(['client_fd_limit', 'client_ports_exhausted', 'client_worker_lost']);

export function reasonSide(reason: Reason): ReasonSide {
  if (reason === 'client_closed') return 'plan';
  return HARNESS_REASONS.has(reason) ? 'harness' : 'target';
}

export function isConnectFailureReason(value: string): value is ConnectFailureReason {
  return (CONNECT_FAILURE_REASONS as readonly string[]).includes(value);
}

export function isDropReason(value: string): value is DropReason {
  return (DROP_REASONS as readonly string[]).includes(value);
}

/** The connect-failure reason of an HTTP status that does not open a stream (anything but 200). */
export function reasonForStatus(status: number): ConnectFailureReason {
  if (status === 204) return 'http_204';
  if (status === 401) return 'http_401';
  if (status === 429) return 'http_429';
  if (status >= 500) return 'http_5xx';
  return 'http_4xx';
}

/** Polling status classes used as the `status` label of `poll_requests`. */
export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'error';

export function statusClass(status: number | undefined): StatusClass {
  if (status === undefined || status < 200 || status >= 600) return 'error';
  return `${Math.floor(status / 100)}xx` as StatusClass;
}
