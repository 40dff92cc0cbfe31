/**
 * When a virtual user tries again after an attempt ends. Pure, so the rules are tested under fake
 * time and random numbers.
 */
import type { Reason } from '../core/reasons.js';
import type { ReconnectPolicy } from './plan.js';
import type { AttemptOutcome } from './sse-attempt.js';

export interface ReconnectState {
  /** The server's last `retry:` value, if it sent one. */
  serverRetryMs: number | undefined;
  /** Attempts in a row that did not open a stream (backoff grows with it). */
  failuresInRow: number;
}

/** Milliseconds to wait before the next attempt, or `undefined` to stop this user. */
export function nextReconnectDelayMs(
  policy: ReconnectPolicy,
  outcome: AttemptOutcome,
  reason: Reason,
  state: ReconnectState,
  random: () => number = Math.random,
): number | undefined {
  if (outcome === 'closed' || reason === 'client_closed') return undefined;
  switch (policy.policy) {
    case 'none':
      return undefined;
    case 'browser': {
      // EventSource fails the connection for good on a non-200 status (204 included) or a wrong
      // content type; on a network error or the end of the stream it "reestablishes the
      // connection" after the reconnection time: the server's `retry`, else the UA default (3 s).
      if (outcome === 'failed' && (reason.startsWith('http_') || reason === 'bad_content_type')) return undefined;
      return (state.serverRetryMs ?? policy.defaultRetryMs) + random() * policy.jitterMs;
    }
    case 'backoff': {
      // A client error will not fix itself, and 204 is the server asking us to stop.
      if (reason === 'http_204' || reason === 'http_401' || reason === 'http_4xx') return undefined;
      const exponent = Math.max(0, state.failuresInRow - 1);
      return Math.min(policy.maxMs, policy.initialMs * policy.factor ** exponent) + random() * policy.jitterMs;
    }
  }
}
