/**
 * How the target's clock relates to this machine's, so latency from `sentAt` (stamped by the
 * server's clock) means something on a remote target. On loopback the clocks are one. Otherwise the
 * reference server's `GET /api/time` is read a few times and the fastest round trip wins
 * (NTP's idea: the server read its clock about halfway through the round trip).
 */
export interface ClockEstimate {
  method: 'same-host' | 'api-time' | 'unknown';
  /** Server clock minus client clock, ms: a server `sentAt` is `sentAt - offsetMs` on this clock. */
  offsetMs: number;
  /** Half the round trip of the sample used: the offset is right to within this. */
  uncertaintyMs?: number;
}

export interface TimeSample {
  /** Client clock before the request and after the response, epoch ms. */
  sentAt: number;
  receivedAt: number;
  status: number;
  body: string;
}

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|localhost|\[::1\])$/i;

export function isLoopbackUrl(baseUrl: string): boolean {
  const host = /^https?:\/\/(\[[^\]]+\]|[^/:]+)/i.exec(baseUrl)?.[1] ?? '';
  return LOOPBACK.test(host);
}

export function estimateClock(baseUrl: string, fetchTime: () => TimeSample, samples = 5): ClockEstimate {
  if (isLoopbackUrl(baseUrl)) return { method: 'same-host', offsetMs: 0 };
  let best: ClockEstimate | undefined;
  let bestRtt = Number.POSITIVE_INFINITY;
  for (let i = 0; i < samples; i++) {
    const sample = fetchTime();
    if (sample.status !== 200) continue;
    let serverNow: unknown;
    try {
      serverNow = (JSON.parse(sample.body) as { now?: unknown }).now;
    } catch {
      continue;
    }
    if (typeof serverNow !== 'number' || !Number.isFinite(serverNow)) continue;
    const rtt = sample.receivedAt - sample.sentAt;
    if (rtt < bestRtt) {
      bestRtt = rtt;
      best = { method: 'api-time', offsetMs: Math.round(serverNow - (sample.sentAt + sample.receivedAt) / 2), uncertaintyMs: rtt / 2 };
    }
  }
  return best ?? { method: 'unknown', offsetMs: 0 };
}
