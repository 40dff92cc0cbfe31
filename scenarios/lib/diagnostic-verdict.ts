/**
 * The guide's first check ("Testing SSE in Production"): `/api/calls/events/test` should show one
 * JSON message a second for 30 seconds; "If it stops before 30 seconds, you have a timeout issue".
 * Messages that arrive in bursts instead of one by one mean something between buffers the stream
 * ("Issue 2: Events Not Received").
 */

export interface DiagnosticInput {
  /** The stream opened (200, `text/event-stream`). */
  opened: boolean;
  failureReason?: string;
  /** Receive times of the messages, epoch ms, in order. */
  arrivals: readonly number[];
  openedAt?: number;
  endedAt: number;
  expectedMessages: number;
  expectedIntervalMs: number;
}

export type DiagnosticVerdict = 'ok' | 'cut_short' | 'buffered' | 'no_stream';

export interface DiagnosticResult {
  verdict: DiagnosticVerdict;
  messages: number;
  lastedMs: number;
  /** Gaps between consecutive messages shorter than a quarter of the interval: bytes held back. */
  burstGaps: number;
  advice: string;
}

export function evaluateDiagnostic(input: DiagnosticInput): DiagnosticResult {
  const messages = input.arrivals.length;
  const lastedMs = input.openedAt === undefined ? 0 : input.endedAt - input.openedAt;
  let burstGaps = 0;
  for (let i = 1; i < messages; i++) {
    if ((input.arrivals[i] as number) - (input.arrivals[i - 1] as number) < input.expectedIntervalMs / 4) burstGaps++;
  }
  if (!input.opened) {
    return { verdict: 'no_stream', messages, lastedMs, burstGaps, advice: `no stream opened (${input.failureReason ?? 'unknown'}): check the URL, auth and the browser console's EventSource errors` };
  }
  const expectedMs = input.expectedMessages * input.expectedIntervalMs;
  // A message may land a little early or late; one interval of slack.
  if (messages < input.expectedMessages || lastedMs < expectedMs - input.expectedIntervalMs) {
    return {
      verdict: 'cut_short',
      messages,
      lastedMs,
      burstGaps,
      advice: `the stream ended after ${(lastedMs / 1000).toFixed(1)} s with ${messages} of ${input.expectedMessages} messages: a platform time limit (Vercel Hobby 10 s, Netlify 26 s) or a proxy timeout cut it`,
    };
  }
  if (messages > 1 && burstGaps > (messages - 1) / 2) {
    return {
      verdict: 'buffered',
      messages,
      lastedMs,
      burstGaps,
      advice: 'messages arrived in bursts, not one per interval: a proxy or CDN buffers the stream (X-Accel-Buffering: no for nginx, a cache bypass rule for the CDN)',
    };
  }
  return { verdict: 'ok', messages, lastedMs, burstGaps, advice: 'SSE works end to end here: if events still go missing, check the event emission logic' };
}
