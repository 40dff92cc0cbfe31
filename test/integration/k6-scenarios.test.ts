/**
 * The k6 scenario bundles, run against RECORDED responses of the real reference server.
 *
 * ┌───────────────────────────────────────────────────────────────────────────────────────────┐
 * │ k6 is NOT installed here and is NOT what runs these bundles: fixtures/k6-stand-in.ts is a │
 * │ small stand-in for the k6 modules they import. It replays bytes recorded from the real    │
 * │ reference server the way xk6-sse reads them, and records what the script does. The real   │
 * │ k6 runs in k6-run.test.ts whenever `k6` is on PATH.                                       │
 * └───────────────────────────────────────────────────────────────────────────────────────────┘
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseEventPayload } from '../../src/core/event-payload.js';
import { signToken } from '../../src/core/jwt.js';
import { createSseParser } from '../../src/core/sse-parser.js';
import { buildScenarios } from '../../src/k6/build.js';
import { summarySchema } from '../../src/results/schema.js';
import { startReferenceServer, type RunningServer } from '../../src/server/index.js';
import { recordResponse } from './fixtures/record-response.js';
import { createStandIn, loadBundle, summarizeSamples, type RecordedResponse, type StandIn } from './fixtures/k6-stand-in.js';

const SECRET = 'k6-scenarios-test-secret';

let server: RunningServer;
let bundleDir: string;
let token: string;
let stream: RecordedResponse;
let dropped: RecordedResponse;
let unauthorized: RecordedResponse;
let testStream: RecordedResponse;
let polls: RecordedResponse[];

function bundle(name: string): string {
  return path.join(bundleDir, `${name}.js`);
}

const sum = (standIn: StandIn, metric: string, tags: Record<string, string> = {}): number =>
  standIn.samples
    .filter((s) => s.metric === metric && Object.entries(tags).every(([k, v]) => s.tags[k] === v))
    .reduce((total, s) => total + s.value, 0);
const values = (standIn: StandIn, metric: string): number[] => standIn.samples.filter((s) => s.metric === metric).map((s) => s.value);

beforeAll(async () => {
  bundleDir = await mkdtemp(path.join(os.tmpdir(), 'streamsoak-k6-'));
  await buildScenarios({ outDir: bundleDir, version: '0.0.0-test' });
  server = await startReferenceServer({
    port: 0,
    host: '127.0.0.1',
    jwtSecret: SECRET,
    tickIntervalMs: 100,
    heartbeatMs: 250,
    publishIntervalMs: 100,
    testStreamMessages: 5,
    // Messages far enough apart that a busy test machine does not merge two into one read.
    testStreamIntervalMs: 250,
  });
  token = await signToken({ userId: 'k6-1', secret: SECRET });
  const auth = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
  // A live tick stream: events every 100 ms, heartbeats every 250 ms, read for 1.2 s.
  stream = await recordResponse(`${server.url}/api/calls/events?interval=100`, { headers: auth, maxMs: 1_200 });
  // A stream the server ends (as a platform time limit would) 600 ms after it opened.
  dropped = await recordResponse(`${server.url}/api/calls/events?interval=100`, {
    headers: auth,
    maxMs: 5_000,
    onHeaders: () => setTimeout(() => server.dropAllStreams(), 600),
  });
  unauthorized = await recordResponse(`${server.url}/api/calls/events`, { headers: { Accept: 'text/event-stream' }, maxMs: 2_000 });
  testStream = await recordResponse(`${server.url}/api/calls/events/test`, { headers: { Accept: 'text/event-stream' }, maxMs: 5_000 });
  // Polls of one user: the first makes the user active (the bus publishes to active users), the
  // second, 450 ms later, collects what was published meanwhile.
  const pollAuth = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  const first = await recordResponse(`${server.url}/api/calls/poll`, { headers: pollAuth, maxMs: 2_000 });
  await new Promise((resolve) => setTimeout(resolve, 450));
  const second = await recordResponse(`${server.url}/api/calls/poll`, { headers: pollAuth, maxMs: 2_000 });
  polls = [first, second];
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the recordings (sanity: they come from a working reference server)', () => {
  it('holds a live stream with events and heartbeats, a dropped stream, a 401 and the test stream', () => {
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.chunks.length).toBeGreaterThan(3);
    expect(dropped.status).toBe(200);
    expect(dropped.end.kind).toBe('eof');
    expect(dropped.end.atMs - dropped.headersAtMs).toBeGreaterThanOrEqual(500);
    expect(dropped.end.atMs - dropped.headersAtMs).toBeLessThan(4_000);
    expect(unauthorized.status).toBe(401);
    expect(testStream.status).toBe(200);
    expect(polls.map((p) => p.status)).toEqual([200, 200]);
  });
});

describe('sse-soak (xk6-sse), loaded with the stand-in', () => {
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    TARGET: server.url,
    TOKEN: token,
    VUS: '3',
    DURATION: '10s',
    SSE_PATH: '/api/calls/events?interval=100',
    STREAMSOAK_RESULTS_DIR: '/results/k6-run',
    STREAMSOAK_TESTID: 'scenario-test',
    ...extra,
  });

  it('exports a constant-vus scenario and the plan’s thresholds, with a marker per reason', async () => {
    const scenario = await loadBundle(bundle('sse-soak'), createStandIn(), env({ DURATION: '2m' }));
    expect(scenario.options.scenarios?.sse_soak).toMatchObject({ executor: 'constant-vus', vus: 3, duration: '120s' });
    expect(scenario.options.thresholds).toMatchObject({
      sse_event_latency: ['p(95)<500'],
      sse_events_lost: ['count==0'],
      // streamsoak's "under 1% of attempts failed", on the Rate that measures it in k6.
      sse_connect_failure_ratio: ['rate<0.01'],
      'sse_drops{reason:server_closed}': ['count>=0'],
      'sse_connect_failures{reason:http_401}': ['count>=0'],
    });
    expect(scenario.options.summaryTrendStats).toEqual(expect.arrayContaining(['p(95)', 'p(99)', 'max', 'avg', 'count']));
  });

  it('ramps with ramping-vus when RAMP is set, and takes thresholds from STREAMSOAK_THRESHOLDS', async () => {
    const scenario = await loadBundle(
      bundle('sse-soak'),
      createStandIn(),
      env({ RAMP: '30s', DURATION: '90s', STREAMSOAK_THRESHOLDS: '{"sse_event_latency":["p(99)<250"]}' }),
    );
    expect(scenario.options.scenarios?.sse_soak).toMatchObject({
      executor: 'ramping-vus',
      stages: [
        { duration: '30s', target: 3 },
        { duration: '60s', target: 3 },
      ],
    });
    expect(scenario.options.thresholds?.sse_event_latency).toEqual(['p(99)<250']);
  });

  it('measures every recorded event, heartbeat and latency, and closes the stream at the run’s end', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const startedAt = stream.headersAtMs - 20;
    // The run ends halfway through the recording: the VU must close at the next block after that.
    const deadline = stream.headersAtMs + 600;
    const standIn = createStandIn({ sseResponder: () => stream, scenarioStartTime: deadline - 10_000 });
    vi.setSystemTime(startedAt);
    const scenario = await loadBundle(bundle('sse-soak'), standIn, env());
    scenario.default(scenario.setup?.());

    const [request] = standIn.sseRequests;
    expect(request?.url).toBe(`${server.url}/api/calls/events?interval=100`);
    expect(request?.params.headers).toMatchObject({ Authorization: `Bearer ${token}`, Accept: 'text/event-stream' });
    expect(request?.params.headers?.['Last-Event-ID']).toBeUndefined();

    // What xk6-sse handed the script: the ground truth the metrics must match.
    const dispatched = standIn.sseDispatched;
    const events = dispatched.filter((d) => d.event.data !== '' || d.event.name !== '');
    const heartbeats = dispatched.filter((d) => d.event.data === '' && d.event.name === '' && d.event.comment !== '');
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(heartbeats.length).toBeGreaterThanOrEqual(1);
    // Closed at the first block at or after the deadline, not before, not later.
    expect(dispatched.at(-1)?.atMs).toBeGreaterThanOrEqual(deadline);
    expect(dispatched.slice(0, -1).every((d) => d.atMs < deadline)).toBe(true);

    expect(sum(standIn, 'sse_connects')).toBe(1);
    expect(values(standIn, 'sse_connect_time')).toEqual([stream.headersAtMs - startedAt]);
    expect(sum(standIn, 'sse_events')).toBe(events.length);
    expect(sum(standIn, 'sse_heartbeats')).toBe(heartbeats.length);
    expect(values(standIn, 'sse_time_to_first_event')).toEqual([(events[0]?.atMs ?? 0) - startedAt]);
    const expectedLatencies = events.map((d) => d.atMs - (parseEventPayload(d.event.data)?.sentAt ?? Number.NaN));
    expect(values(standIn, 'sse_event_latency')).toEqual(expectedLatencies);
    expect(expectedLatencies.every((ms) => ms >= 0 && ms < 1_000)).toBe(true);
    expect(sum(standIn, 'sse_events_lost')).toBe(0);
    expect(sum(standIn, 'sse_drops', { reason: 'client_closed' })).toBe(1);
    expect(sum(standIn, 'sse_drops')).toBe(1);
    // The plan ended it: no lifetime sample ("open → drop not asked for by the client").
    expect(values(standIn, 'sse_connection_lifetime')).toEqual([]);
    expect(sum(standIn, 'sse_reconnects')).toBe(0);

    // xk6-sse's reading agrees with the spec parser on the same bytes.
    const specEvents: string[] = [];
    const parser = createSseParser({ onEvent: (event) => specEvents.push(event.data) });
    for (const chunk of stream.chunks) parser.push(chunk.text);
    expect(events.map((d) => d.event.data)).toEqual(specEvents.slice(0, events.length));
  });

  it('reads the target’s own events through EVENT_TIME/EVENT_SEQ as streamsoak run reads events:, with the same figures', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const standIn = createStandIn({ sseResponder: () => stream, scenarioStartTime: stream.headersAtMs + 600 - 10_000 });
    vi.setSystemTime(stream.headersAtMs - 20);
    // The reference server's payload, mapped by hand to its fields: a mapping must agree with the built-in reading.
    const scenario = await loadBundle(bundle('sse-soak'), standIn, env({ EVENT_TIME: '/sentAt', EVENT_SEQ: '/seq', EVENT_STREAM: '/stream' }));
    scenario.default(scenario.setup?.());
    const events = standIn.sseDispatched.filter((d) => d.event.data !== '' || d.event.name !== '');
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(values(standIn, 'sse_event_latency')).toEqual(events.map((d) => d.atMs - (parseEventPayload(d.event.data)?.sentAt ?? Number.NaN)));
    expect(sum(standIn, 'sse_events_lost')).toBe(0);
    // ...and it is the mapping that is read, not the built-in payload: point the time at another field.
    const other = createStandIn({ sseResponder: () => stream, scenarioStartTime: stream.headersAtMs + 600 - 10_000 });
    const misread = await loadBundle(bundle('sse-soak'), other, env({ EVENT_TIME: '/seq', EVENT_TIME_UNIT: 'ms' }));
    misread.default(misread.setup?.());
    const otherEvents = other.sseDispatched.filter((d) => d.event.data !== '' || d.event.name !== '');
    expect(values(other, 'sse_event_latency')).toEqual(otherEvents.map((d) => d.atMs - (parseEventPayload(d.event.data)?.seq ?? Number.NaN)));
    // A mapping that cannot be used stops the scenario at init, naming the variable.
    await expect(loadBundle(bundle('sse-soak'), createStandIn(), env({ EVENT_TIME: 'ts' }))).rejects.toThrow(/EVENT_TIME: a JSON pointer/);
  });

  it('reconnects with the Last-Event-ID of the last event it saw, and counts the reconnect', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const standIn = createStandIn({ sseResponder: () => dropped, scenarioStartTime: dropped.headersAtMs });
    vi.setSystemTime(dropped.headersAtMs - 5);
    const scenario = await loadBundle(bundle('sse-soak'), standIn, env({ DURATION: '60s', RECONNECT_DELAY: '2s' }));
    scenario.default(scenario.setup?.());

    const dispatchedEvents = standIn.sseDispatched.filter((d) => d.event.data !== '');
    const lastId = [...standIn.sseDispatched].reverse().find((d) => d.event.id !== '')?.event.id;
    expect(lastId).toBeDefined();
    // The server ended the stream: a drop on the target's side, with its lifetime.
    expect(sum(standIn, 'sse_drops', { reason: 'server_closed' })).toBe(1);
    expect(values(standIn, 'sse_connection_lifetime')).toEqual([dropped.end.atMs - dropped.headersAtMs]);
    expect(sum(standIn, 'sse_events')).toBe(dispatchedEvents.length);
    // EventSource waits the reconnection time before it tries again.
    expect(standIn.sleepsS).toEqual([2]);

    // The reconnect: record what the real server answers to that Last-Event-ID, replay it.
    vi.useRealTimers();
    const resumed = await recordResponse(`${server.url}/api/calls/events?interval=100`, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream', 'Last-Event-ID': lastId ?? '' },
      maxMs: 500,
    });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(resumed.headersAtMs - 5);
    standIn.sseResponder = () => resumed;
    const before = standIn.sseDispatched.length;
    scenario.default(scenario.setup?.());

    expect(standIn.sseRequests[1]?.params.headers?.['Last-Event-ID']).toBe(lastId);
    expect(sum(standIn, 'sse_reconnects')).toBe(1);
    expect(sum(standIn, 'sse_connects')).toBe(2);
    // The resumed stream continues the same sequence: what the tracker calls lost or duplicated
    // is exactly what the sequence numbers say.
    const seqs = standIn.sseDispatched
      .slice(0, before)
      .concat(standIn.sseDispatched.slice(before))
      .map((d) => parseEventPayload(d.event.data))
      .filter((p) => p !== undefined);
    let highest = 0;
    let lost = 0;
    let duplicated = 0;
    for (const payload of seqs) {
      if (payload.seq <= highest) duplicated++;
      else {
        lost += payload.seq - highest - 1;
        highest = payload.seq;
      }
    }
    expect(new Set(seqs.map((p) => p.stream)).size).toBe(1);
    expect(sum(standIn, 'sse_events_lost')).toBe(lost);
    expect(sum(standIn, 'sse_events_duplicated')).toBe(duplicated);
  });

  it('records a 401 as a connect failure and no connection', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const standIn = createStandIn({ sseResponder: () => unauthorized, scenarioStartTime: unauthorized.headersAtMs });
    vi.setSystemTime(unauthorized.headersAtMs - 5);
    const scenario = await loadBundle(bundle('sse-soak'), standIn, env({ TOKEN: '' }));
    scenario.default(scenario.setup?.());
    expect(standIn.sseRequests[0]?.params.headers?.Authorization).toBeUndefined();
    expect(sum(standIn, 'sse_connect_failures', { reason: 'http_401' })).toBe(1);
    expect(sum(standIn, 'sse_connects')).toBe(0);
    expect(sum(standIn, 'sse_drops')).toBe(0);
  });

  it('records a refused connection (no response at all) as `refused`', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = Date.now();
    const refused: RecordedResponse = {
      status: 0,
      headers: {},
      headersAtMs: now,
      chunks: [],
      end: { kind: 'eof', atMs: now + 1 },
      error: 'dial tcp 127.0.0.1:1: connect: connection refused',
    };
    const standIn = createStandIn({ sseResponder: () => refused, scenarioStartTime: now });
    const scenario = await loadBundle(bundle('sse-soak'), standIn, env());
    scenario.default(scenario.setup?.());
    expect(sum(standIn, 'sse_connect_failures', { reason: 'refused' })).toBe(1);
  });

  it('closes the client after a read error (or the VU would hang) and records a reset', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const reset: RecordedResponse = { ...dropped, end: { kind: 'error', atMs: dropped.end.atMs, message: 'read tcp 127.0.0.1:1: connection reset by peer' } };
    const standIn = createStandIn({ sseResponder: () => reset, scenarioStartTime: reset.headersAtMs });
    vi.setSystemTime(reset.headersAtMs - 5);
    const scenario = await loadBundle(bundle('sse-soak'), standIn, env());
    scenario.default(scenario.setup?.());
    expect(sum(standIn, 'sse_drops', { reason: 'reset' })).toBe(1);
  });

  it('writes a summary.json that the summary schema accepts, with the breakdown by reason', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const standIn = createStandIn({ sseResponder: () => stream, scenarioStartTime: stream.headersAtMs - 9_500 });
    vi.setSystemTime(stream.headersAtMs - 5);
    const scenario = await loadBundle(bundle('sse-soak'), standIn, env());
    const setupData = scenario.setup?.();
    scenario.default(setupData);
    // k6 hands setup()'s result to handleSummary as `setup_data`.
    const outputs = scenario.handleSummary({ ...summarizeSamples(standIn, scenario.options, 10_000), setup_data: setupData });
    const file = outputs['/results/k6-run/summary.json'];
    expect(file).toBeDefined();
    const summary = summarySchema.parse(JSON.parse(file ?? '{}'));
    expect(summary).toMatchObject({ engine: 'k6', runId: 'k6-run', testid: 'scenario-test', durationMs: 10_000, tool: { version: '0.0.0-test' } });
    // The event interval the diagnosis reads comes from the tick query, as the Node engine's does.
    expect(summary.target).toEqual({ baseUrl: server.url, ssePath: '/api/calls/events?interval=100', expectedIntervalMs: 100 });
    expect(summary.metrics.sse_events?.values.count).toBe(sum(standIn, 'sse_events'));
    expect(summary.metrics.sse_event_latency?.contains).toBe('time');
    expect(summary.clock).toEqual({ method: 'same-host', offsetMs: 0 });
    expect(summary.breakdown.sse_drops).toEqual({ client_closed: 1 });
    // The markers that make k6 keep submetrics are not thresholds of the run.
    expect(summary.thresholds.map((t) => `${t.metric}: ${t.expression}`).sort()).toEqual([
      'sse_connect_failures: rate<0.01',
      'sse_event_latency: p(95)<500',
      'sse_events_lost: count==0',
    ]);
    expect(summary.thresholdsPassed).toBe(true);
    // The share of attempts that failed, as the Node engine writes it; the k6-only helper is gone.
    expect(summary.metrics.sse_connect_failures?.values.rate).toBe(0);
    expect(summary.metrics.sse_connect_failure_ratio).toBeUndefined();
    expect(outputs.stdout).toContain('sse_event_latency');
  });
});

describe('sse-hold (stock k6 http.get), loaded with the stand-in', () => {
  const env = { TARGET: '', TOKEN: '', VUS: '2', DURATION: '30s' };

  it('counts the events of a body the server ended, its lifetime, and no latency (it cannot see any)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const standIn = createStandIn({ httpResponder: () => dropped, scenarioStartTime: dropped.headersAtMs });
    vi.setSystemTime(dropped.headersAtMs - 3);
    const scenario = await loadBundle(bundle('sse-hold'), standIn, { ...env, TARGET: server.url, TOKEN: token });
    scenario.default(scenario.setup?.());

    const expected = { events: 0, heartbeats: 0 };
    const parser = createSseParser({ onEvent: () => expected.events++, onComment: () => expected.heartbeats++ });
    for (const chunk of dropped.chunks) parser.push(chunk.text);
    parser.end();
    expect(expected.events).toBeGreaterThan(2);
    expect(standIn.httpRequests[0]?.params.timeout).toBeGreaterThan(25_000);
    expect(sum(standIn, 'sse_connects')).toBe(1);
    expect(sum(standIn, 'sse_events')).toBe(expected.events);
    expect(sum(standIn, 'sse_heartbeats')).toBe(expected.heartbeats);
    expect(sum(standIn, 'sse_drops', { reason: 'server_closed' })).toBe(1);
    expect(values(standIn, 'sse_connection_lifetime')).toEqual([dropped.end.atMs - dropped.headersAtMs]);
    expect(values(standIn, 'sse_event_latency')).toEqual([]);
  });

  it('counts a request that outlived the run (k6 request timeout) as held to the end', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const standIn = createStandIn({ httpResponder: () => ({ timeoutAtMs: start + 30_000 }), scenarioStartTime: start });
    const scenario = await loadBundle(bundle('sse-hold'), standIn, { ...env, TARGET: server.url });
    scenario.default(scenario.setup?.());
    expect(sum(standIn, 'sse_drops', { reason: 'client_closed' })).toBe(1);
    expect(sum(standIn, 'sse_connect_failures')).toBe(0);
  });
});

describe('polling, loaded with the stand-in', () => {
  it('refuses to start without TARGET, naming the setting', async () => {
    await expect(loadBundle(bundle('polling'), createStandIn(), { VUS: '1' })).rejects.toThrow(/TARGET must be the base URL/);
  });

  it('polls on an arrival-rate schedule, follows the cursor and measures delivery from sentAt', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const [first, second] = polls as [RecordedResponse, RecordedResponse];
    let next = 0;
    const standIn = createStandIn({ httpResponder: () => polls[Math.min(next++, 1)] as RecordedResponse, scenarioStartTime: first.headersAtMs });
    const scenario = await loadBundle(bundle('polling'), standIn, { TARGET: server.url, TOKEN: token, VUS: '20', DURATION: '1m' });
    expect(scenario.options.scenarios?.polling).toMatchObject({ executor: 'constant-arrival-rate', rate: 20, timeUnit: '3s', duration: '60s', preAllocatedVUs: 20 });
    expect(scenario.options.thresholds).toMatchObject({ poll_delivery_delay: ['p(95)<6000'], 'poll_requests{status:2xx}': ['count>=0'] });

    vi.setSystemTime(first.headersAtMs - 2);
    scenario.default(scenario.setup?.());
    vi.setSystemTime(second.headersAtMs - 2);
    scenario.default(scenario.setup?.());

    const body = JSON.parse(second.chunks.map((c) => c.text).join('')) as Array<{ id: string; sentAt: number }>;
    expect(body.length).toBeGreaterThan(0);
    expect(standIn.httpRequests.map((r) => r.url)).toEqual([`${server.url}/api/calls/poll`, `${server.url}/api/calls/poll`]);
    expect(sum(standIn, 'poll_requests', { status: '2xx' })).toBe(2);
    expect(values(standIn, 'poll_request_duration')).toEqual([first.end.atMs - first.headersAtMs + 2, second.end.atMs - second.headersAtMs + 2]);
    const firstBody = JSON.parse(first.chunks.map((c) => c.text).join('') || '[]') as unknown[];
    expect(sum(standIn, 'poll_events')).toBe(firstBody.length + body.length);
    expect(values(standIn, 'poll_delivery_delay')).toEqual(body.map((e) => second.end.atMs - e.sentAt));
    expect(values(standIn, 'poll_clients').every((v) => v === 20)).toBe(true);

    // The third poll asks only for what came after the last event it got.
    standIn.httpResponder = () => second;
    scenario.default(scenario.setup?.());
    expect(standIn.httpRequests[2]?.url).toBe(`${server.url}/api/calls/poll?since=${encodeURIComponent(body.at(-1)?.id ?? '')}`);
  });
});

describe('diagnostic, loaded with the stand-in', () => {
  const env = (): Record<string, string> => ({ TARGET: server.url, EXPECT_MESSAGES: '5', EXPECT_INTERVAL: '250ms' });

  it('passes on the reference server’s test stream: every message, one by one, for the whole time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const standIn = createStandIn({ sseResponder: () => testStream });
    vi.setSystemTime(testStream.headersAtMs - 2);
    const scenario = await loadBundle(bundle('diagnostic'), standIn, env());
    expect(scenario.options.scenarios?.diagnostic).toMatchObject({ executor: 'shared-iterations', vus: 1, iterations: 1 });
    expect(scenario.options.thresholds?.checks).toEqual(['rate==1']);
    scenario.default(scenario.setup?.());
    expect(standIn.sseRequests[0]?.url).toBe(`${server.url}/api/calls/events/test`);
    expect(standIn.checks).toEqual([
      { name: 'the test stream opened', ok: true },
      { name: 'the test stream lasted 1.25 s', ok: true },
      { name: 'messages arrived one by one (not buffered)', ok: true },
    ]);
    expect(sum(standIn, 'sse_events')).toBe(5);
    expect(sum(standIn, 'sse_drops', { reason: 'server_closed' })).toBe(1);
  });

  it('fails the duration check when the stream is cut after two messages (a platform limit)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // The same recording, cut where a platform limit would cut it: after the second message.
    let seen = 0;
    const cutAt = testStream.chunks.findIndex((chunk) => (seen += (chunk.text.match(/^data:/gm) ?? []).length) >= 2);
    const cut: RecordedResponse = {
      ...testStream,
      chunks: testStream.chunks.slice(0, cutAt + 1),
      end: { kind: 'eof', atMs: (testStream.chunks[cutAt]?.atMs ?? 0) + 1 },
    };
    const standIn = createStandIn({ sseResponder: () => cut });
    vi.setSystemTime(cut.headersAtMs - 2);
    const scenario = await loadBundle(bundle('diagnostic'), standIn, env());
    scenario.default(scenario.setup?.());
    expect(standIn.checks.find((c) => c.name.startsWith('the test stream lasted'))?.ok).toBe(false);
    expect(standIn.logs.length + standIn.checks.length).toBeGreaterThan(0);
  });
});

describe('connection-limit, loaded with the stand-in', () => {
  it('ramps VUs to the target, holds the peak, and classifies a refusal', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const standIn = createStandIn({ sseResponder: () => unauthorized, scenarioStartTime: unauthorized.headersAtMs });
    vi.setSystemTime(unauthorized.headersAtMs - 5);
    const scenario = await loadBundle(bundle('connection-limit'), standIn, { TARGET: server.url, VUS: '500', DURATION: '2m', HOLD: '20s' });
    expect(scenario.options.scenarios?.connection_limit).toMatchObject({
      executor: 'ramping-vus',
      stages: [
        { duration: '100s', target: 500 },
        { duration: '20s', target: 500 },
      ],
    });
    expect(scenario.options.thresholds?.sse_connect_failures).toEqual([{ threshold: 'count==0', abortOnFail: false, delayAbortEval: '1s' }]);
    scenario.default(scenario.setup?.());
    expect(sum(standIn, 'sse_connect_failures', { reason: 'http_401' })).toBe(1);
    expect(standIn.sleepsS).toEqual([3]);
  });
});
