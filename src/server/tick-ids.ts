/**
 * Tick mode's stream names and event ids, designed so that a server with no memory of a stream
 * (a serverless host where every invocation starts fresh, or a restarted process) can resume it
 * after `Last-Event-ID` without duplicates and with loss still visible.
 *
 * The stream name carries its own schedule: `t-<start>-<interval>-<nonce>` (base 36), and each event
 * id is `<stream>:<seq>`. Tick `k` of a stream is nominally due at `start + k × interval`, so on
 * reconnect the server knows which ticks fell due while the client was away and sends them (with
 * their scheduled `sentAt`, so their latency shows the outage), bounded by `replayBufferSize`; past
 * the bound the sequence jumps, which clients count as lost events.
 */

export interface TickStreamRef {
  stream: string;
  startMs: number;
  intervalMs: number;
}

export interface TickResume extends TickStreamRef {
  /** Last sequence number the client received. */
  lastSeq: number;
}

/** The tick intervals a stream may have: the option, the `interval` query and a resumed id all keep to it. */
export const MIN_TICK_INTERVAL_MS = 10;
export const MAX_TICK_INTERVAL_MS = 60_000;

const STREAM = /^t-([0-9a-z]{1,11})-([0-9a-z]{1,6})-[0-9a-z]{1,12}$/;

export function createTickStreamRef(startMs: number, intervalMs: number, random: () => number = Math.random): TickStreamRef {
  const nonce = Math.floor(random() * 36 ** 8)
    .toString(36)
    .padStart(8, '0');
  return { stream: `t-${Math.max(0, Math.floor(startMs)).toString(36)}-${intervalMs.toString(36)}-${nonce}`, startMs: Math.floor(startMs), intervalMs };
}

export function formatTickId(stream: string, seq: number): string {
  return `${stream}:${seq}`;
}

/** The stream and sequence a `Last-Event-ID` of tick mode names; undefined for anything else. */
export function parseTickId(lastEventId: string): TickResume | undefined {
  const colon = lastEventId.lastIndexOf(':');
  if (colon === -1) return undefined;
  const stream = lastEventId.slice(0, colon);
  const seqText = lastEventId.slice(colon + 1);
  if (!/^\d{1,15}$/.test(seqText)) return undefined;
  const match = STREAM.exec(stream);
  if (!match) return undefined;
  const startMs = Number.parseInt(match[1] as string, 36);
  const intervalMs = Number.parseInt(match[2] as string, 36);
  if (!Number.isSafeInteger(startMs) || intervalMs < MIN_TICK_INTERVAL_MS || intervalMs > MAX_TICK_INTERVAL_MS) return undefined;
  return { stream, startMs, intervalMs, lastSeq: Number(seqText) };
}

export interface MissedTicks {
  /** Sequence numbers (with their scheduled times) to send now, oldest first. */
  replay: Array<{ seq: number; sentAt: number }>;
  /** The sequence number the stream continues from (the next tick gets this + 1). */
  continueAfter: number;
}

/** The ticks that fell due since `lastSeq`, at most `limit` of them (the newest). */
export function missedTicks(resume: TickResume, nowMs: number, limit: number): MissedTicks {
  const due = Math.floor((nowMs - resume.startMs) / resume.intervalMs);
  if (due <= resume.lastSeq) return { replay: [], continueAfter: resume.lastSeq };
  const from = Math.max(resume.lastSeq + 1, due - limit + 1);
  const replay: Array<{ seq: number; sentAt: number }> = [];
  for (let seq = from; seq <= due; seq++) replay.push({ seq, sentAt: resume.startMs + seq * resume.intervalMs });
  return { replay, continueAfter: due };
}
