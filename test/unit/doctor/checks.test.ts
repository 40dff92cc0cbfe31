/**
 * `doctor` and the diagnosis build their time-limit and idle-timeout findings with one builder: the
 * same cut gets the same title, remedy and profile from a live probe as from a run's records.
 */
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/diagnosis/diagnose.js';
import { analyseHeldStream, type CheckContext } from '../../../src/doctor/checks.js';
import type { StreamProbe } from '../../../src/doctor/probe.js';
import type { CheckId } from '../../../src/doctor/types.js';
import type { ConnectionRecord } from '../../../src/results/schema.js';

const T0 = 1_700_000_000_000;
const TITLES: Record<CheckId, string> = {
  stream: 'Stream',
  headers: 'Headers',
  'test-stream': 'Test stream',
  'held-stream': 'Held stream',
  buffering: 'Buffering',
  cors: 'CORS',
};

/** A stream requested at T0 that the target ended `ageMs` later, with an event a second until `lastByteMs`. */
function probe(url: string, ageMs: number, lastByteMs: number): StreamProbe {
  const events = Array.from({ length: Math.floor(lastByteMs / 1000) }, (_, i) => ({
    receivedAt: T0 + (i + 1) * 1000,
    read: i,
    type: 'message',
    id: String(i + 1),
    data: '{}',
  }));
  return {
    url,
    requestedAt: T0,
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
    openedAt: T0 + 5,
    endedAt: T0 + ageMs,
    end: 'ended',
    events,
    comments: 0,
    reads: events.length + 1,
    lastByteAt: events.at(-1)?.receivedAt ?? T0 + 5,
  };
}

function context(heldProbe: StreamProbe, testProbe: StreamProbe): CheckContext {
  return {
    heldProbe,
    testProbe,
    holdMs: 330_000,
    testMessages: 30,
    timeScale: 1,
    titles: TITLES,
    eventsUrl: heldProbe.url,
    testUrl: testProbe.url,
    origin: undefined,
    token: undefined,
  };
}

/** `count` streams of a run, each requested, then ended by the target `ageMs` later after `lastByteMs` of events. */
function records(count: number, ageMs: number, lastByteMs: number): ConnectionRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const at = T0 + i * 37;
    const events = Math.floor(lastByteMs / 1000);
    return {
      id: `w0-${i}`, client: i, attempt: 1, startedAt: at, openedAt: at + 5, lastByteAt: events > 0 ? at + events * 1000 : at + 5, endedAt: at + ageMs,
      outcome: 'dropped', reason: 'server_closed', status: 200, contentType: 'text/event-stream',
      events, heartbeats: 0, lost: 0, duplicated: 0, eventReads: events, maxEventsPerRead: events > 0 ? 1 : 0,
    };
  });
}

const same = ({ kind, title, remedy, profile }: { kind: string; title: string; remedy: string; profile?: string }) => ({ kind, title, remedy, profile });

describe('the doctor’s limit findings', () => {
  it('name a 10 s cut as the diagnosis does: from the request, as on Vercel Hobby', () => {
    const held = analyseHeldStream(context(probe('http://t/api/calls/events', 10_000, 10_000), probe('http://t/api/calls/events/test', 10_000, 9_000)));
    const [doctorFinding] = held.findings;
    const [runFinding] = diagnose({ records: records(30, 10_000, 10_000) });
    expect(doctorFinding?.title).toBe('Streams are cut 10.0 s after they were requested: a 10.0 s function limit, as on Vercel Hobby');
    expect(same(doctorFinding!)).toEqual(same(runFinding!));
  });

  it("name a cut after 60 s of silence as the diagnosis does: nginx's default proxy_read_timeout", () => {
    const held = analyseHeldStream(context(probe('http://t/api/calls/events', 60_005, 0), probe('http://t/api/calls/events/test', 30_000, 30_000)));
    const [doctorFinding] = held.findings;
    const [runFinding] = diagnose({ records: records(30, 60_005, 0), expectedIntervalMs: 10_000 });
    expect(doctorFinding?.title).toBe("Streams are cut after 60.0 s without a byte: an idle timeout, as nginx's default proxy_read_timeout (60 s)");
    expect(same(doctorFinding!)).toEqual(same(runFinding!));
  });
});
