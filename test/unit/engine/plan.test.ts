import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../src/core/errors.js';
import { loadPlanFile, maxSseClients, parsePlan } from '../../../src/engine/plan.js';

const minimal = { target: { baseUrl: 'http://127.0.0.1:8080' }, sse: { clients: 10 }, duration: '30s' };

function issuesOf(input: unknown): readonly string[] {
  try {
    parsePlan(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return (error as InvalidConfigError).issues;
  }
  throw new Error('the plan was accepted');
}

describe('parsePlan', () => {
  it('fills the documented defaults', () => {
    const plan = parsePlan(minimal);
    expect(plan.duration).toBe(30_000);
    expect(plan.target.ssePath).toBe('/api/calls/events');
    expect(plan.target.pollPath).toBe('/api/calls/poll');
    expect(plan.sse.reconnect).toEqual({ policy: 'browser', defaultRetryMs: 3_000, jitterMs: 1_000 });
    expect(plan.poll.intervalMs).toBe(3_000);
    expect(plan.workers).toBe('auto');
    expect(plan.timeouts).toEqual({ connectMs: 10_000, headersMs: 10_000, idleMs: 90_000, pollRequestMs: 10_000 });
  });

  it('accepts k6-style stages, duration strings, per-user token minting and k6 thresholds', () => {
    const plan = parsePlan({
      target: { baseUrl: 'http://127.0.0.1:8080', query: { mode: 'tick', interval: 1000 }, origin: 'https://app.example.com' },
      auth: { secret: 's', sendAs: 'query' },
      sse: { stages: [{ duration: '10s', target: 100 }, { duration: '1m', target: 250 }], reconnect: { policy: 'backoff' } },
      poll: { clients: 5, intervalMs: '2s', jitterMs: 100 },
      duration: '5m',
      thresholds: { sse_event_latency: ['p(95)<500'], 'sse_drops{reason:server_closed}': [{ threshold: 'count==0', abortOnFail: true }] },
      localAddresses: { count: 3 },
    });
    expect(plan.sse.stages).toEqual([{ duration: 10_000, target: 100 }, { duration: 60_000, target: 250 }]);
    expect(plan.target.query).toEqual({ mode: 'tick', interval: '1000' });
    expect(plan.auth).toEqual({ secret: 's', userPrefix: 'user-', sendAs: 'query' });
    expect(plan.sse.reconnect).toMatchObject({ policy: 'backoff', initialMs: 1_000, maxMs: 30_000, factor: 2 });
    expect(plan.poll.intervalMs).toBe(2_000);
    expect(maxSseClients(plan)).toBe(250);
  });

  it('names every bad field at once', () => {
    const issues = issuesOf({
      target: { baseUrl: 'ftp://example.com', ssePath: 'events' },
      sse: { clients: -1, reconnect: { policy: 'sometimes' } },
      poll: { intervalMs: 'soon' },
      duration: '25h',
      thresholds: { sse_drops: ['count=0'], sse_latency: ['p(95)<1'] },
      workers: 0,
      localAddresses: ['10.0.0.1'],
      surprise: true,
    });
    const text = issues.join('\n');
    for (const field of ['target.baseUrl', 'target.ssePath', 'sse.clients', 'sse.reconnect', 'poll.intervalMs', 'duration', 'thresholds.sse_drops.0', 'thresholds.sse_latency', 'workers', 'localAddresses']) {
      expect(text).toContain(field);
    }
    expect(text).toMatch(/surprise/);
  });

  it('requires a duration and refuses runs longer than 24 hours', () => {
    expect(issuesOf({ target: minimal.target, sse: minimal.sse }).join()).toContain('duration');
    expect(issuesOf({ ...minimal, duration: '24h1s' }).join()).toMatch(/at most/);
    expect(parsePlan({ ...minimal, duration: '24h' }).duration).toBe(86_400_000);
  });

  it('refuses a plan without clients', () => {
    expect(issuesOf({ target: minimal.target, duration: '1s' }).join()).toMatch(/no clients/);
  });
});

describe('the target URL (issue 15: the URL a user has)', () => {
  it('takes the events URL itself: its origin is the target, its path and query the SSE request', () => {
    const plan = parsePlan({ ...minimal, target: { url: 'http://127.0.0.1:18900/sub/room1?x=1' } });
    expect(plan.target.baseUrl).toBe('http://127.0.0.1:18900');
    expect(plan.target.ssePath).toBe('/sub/room1?x=1');
    // Nothing said where polling lives: the reference server's path, as before.
    expect(plan.target.pollPath).toBe('/api/calls/poll');
  });

  it("reads a bare origin, in either field, as the reference server's paths", () => {
    for (const target of [{ url: 'http://127.0.0.1:8080' }, { url: 'http://127.0.0.1:8080/' }, { baseUrl: 'http://127.0.0.1:8080/' }]) {
      const plan = parsePlan({ ...minimal, target });
      expect(plan.target.baseUrl).toBe('http://127.0.0.1:8080');
      expect(plan.target.ssePath).toBe('/api/calls/events');
    }
    const paths = parsePlan({ ...minimal, target: { url: 'https://[::1]:8443', ssePath: '/sse', pollPath: '/poll?room=1' } });
    expect(paths.target).toMatchObject({ baseUrl: 'https://[::1]:8443', ssePath: '/sse', pollPath: '/poll?room=1' });
  });

  it.each([
    ['ftp://127.0.0.1/events', /the scheme must be http or https, not ftp/],
    ['http://user:secret@127.0.0.1:8080/events', /credentials in the URL are not sent/],
    ['http://127.0.0.1:8080/events#top', /#fragment, which is never sent/],
    ['http://127.0.0.1:70000/events', /the port must be from 1 to 65535/],
    ['http://[::1/events', /is not a URL/],
    ['http://', /is not a URL/],
    ['127.0.0.1:8080/events', /the scheme must be http or https|is not a URL/],
    ['http://127.0.0.1:8080/a b', /spaces or control characters/],
    ['http://127.0.0.1:8080/\nevents', /spaces or control characters/],
  ])('refuses %j naming target.url and what is allowed', (url, message) => {
    const issues = issuesOf({ ...minimal, target: { url } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^target\.url: /);
    expect(issues[0]).toMatch(message);
    // The credentials themselves are never echoed back.
    expect(issues[0]).not.toContain('secret');
  });

  it('refuses a baseUrl with a path, and a target with no URL, both URLs or two events paths', () => {
    expect(issuesOf({ ...minimal, target: { baseUrl: 'http://127.0.0.1:8080/sub/room1' } })).toEqual([
      'target.baseUrl: an origin without a path or query (http://host:port); give the events URL itself as target.url (--url)',
    ]);
    expect(issuesOf({ ...minimal, target: {} })[0]).toMatch(/^target\.url: required/);
    expect(issuesOf({ ...minimal, target: { url: 'http://127.0.0.1:1', baseUrl: 'http://127.0.0.1:1' } })[0]).toMatch(/^target\.baseUrl: give target\.url or target\.baseUrl, not both/);
    expect(issuesOf({ ...minimal, target: { url: 'http://127.0.0.1:1/sub', ssePath: '/other' } })[0]).toMatch(/^target\.ssePath: target\.url already names the events path \(\/sub\)/);
  });
});

describe('loadPlanFile', () => {
  it('reads YAML and JSON, and reports a file it cannot parse as invalid config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-'));
    try {
      await writeFile(join(dir, 'plan.yaml'), 'target:\n  baseUrl: http://127.0.0.1:1\nsse:\n  clients: 3\nduration: 10s\n');
      await writeFile(join(dir, 'plan.json'), JSON.stringify(minimal));
      await writeFile(join(dir, 'broken.yaml'), 'target: [unclosed\n');
      expect((await loadPlanFile(join(dir, 'plan.yaml'))).sse.clients).toBe(3);
      expect((await loadPlanFile(join(dir, 'plan.json'))).duration).toBe(30_000);
      await expect(loadPlanFile(join(dir, 'broken.yaml'))).rejects.toBeInstanceOf(InvalidConfigError);
      await expect(loadPlanFile(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
