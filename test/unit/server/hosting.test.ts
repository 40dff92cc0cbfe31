import { afterEach, describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../src/core/errors.js';
import {
  createPlatformHandler,
  platformServerOptions,
  type HostingAdapter,
  type PlatformHandler,
} from '../../../src/server/hosting.js';

const serverless: HostingAdapter = { name: 'lambda-like', sharedMemory: false, maxDurationSeconds: 10, maxDurationSetBy: 'test' };
const longLived: HostingAdapter = { name: 'box', sharedMemory: true, maxDurationSeconds: null, maxDurationSetBy: 'test' };

function issuesOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected an InvalidConfigError');
}

describe('platformServerOptions', () => {
  it('takes the secret from JWT_ACCESS_SECRET and labels the profile with the platform', () => {
    expect(platformServerOptions(serverless, { JWT_ACCESS_SECRET: 's3cret' })).toEqual({
      jwtSecret: 's3cret',
      mode: 'tick',
      profile: 'lambda-like',
    });
  });

  it('reads the other options from STREAMSOAK_SERVER_OPTIONS as a JSON string or, in a Worker, an object', () => {
    const fromString = platformServerOptions(serverless, {
      JWT_ACCESS_SECRET: 's',
      STREAMSOAK_SERVER_OPTIONS: '{"corsOrigins":["https://app.example.com"],"heartbeatMs":5000}',
    });
    expect(fromString).toMatchObject({ corsOrigins: ['https://app.example.com'], heartbeatMs: 5000 });
    const fromObject = platformServerOptions(serverless, { JWT_ACCESS_SECRET: 's', STREAMSOAK_SERVER_OPTIONS: { heartbeatMs: 7000 } });
    expect(fromObject).toMatchObject({ heartbeatMs: 7000 });
  });

  it('names every problem of the environment at once', () => {
    const issues = issuesOf(() =>
      platformServerOptions(serverless, { STREAMSOAK_SERVER_OPTIONS: '{"jwtSecret":"x","port":1,"mode":"bus"}' }),
    );
    expect(issues).toEqual([
      expect.stringMatching(/^JWT_ACCESS_SECRET: required/),
      expect.stringMatching(/^STREAMSOAK_SERVER_OPTIONS\.jwtSecret: not settable/),
      expect.stringMatching(/^STREAMSOAK_SERVER_OPTIONS\.port: not settable/),
      expect.stringMatching(/^STREAMSOAK_SERVER_OPTIONS\.mode: lambda-like shares no memory/),
    ]);
  });

  it('rejects options that are not a JSON object', () => {
    expect(issuesOf(() => platformServerOptions(serverless, { JWT_ACCESS_SECRET: 's', STREAMSOAK_SERVER_OPTIONS: '{nope' }))).toEqual([
      'STREAMSOAK_SERVER_OPTIONS: not valid JSON',
    ]);
    expect(issuesOf(() => platformServerOptions(serverless, { JWT_ACCESS_SECRET: 's', STREAMSOAK_SERVER_OPTIONS: '[1]' }))).toEqual([
      'STREAMSOAK_SERVER_OPTIONS: must be a JSON object of server options',
    ]);
  });

  it('lets a platform with one long-lived process serve bus mode', () => {
    expect(platformServerOptions(longLived, { JWT_ACCESS_SECRET: 's', STREAMSOAK_SERVER_OPTIONS: '{"mode":"bus"}' })).toMatchObject({
      mode: 'bus',
    });
  });
});

describe('createPlatformHandler', () => {
  let handler: PlatformHandler | undefined;
  afterEach(() => handler?.close());

  it('answers 500 naming the missing variable when the deployment has no secret', async () => {
    handler = createPlatformHandler(serverless, () => ({}));
    const response = await handler.fetch(new Request('http://127.0.0.1/api/health'));
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('invalid_config');
    expect(body.message).toContain('JWT_ACCESS_SECRET');
    expect(handler.app).toBeUndefined();
  });

  it('creates the app on the first request, with the environment that request brings', async () => {
    const seen: unknown[] = [];
    handler = createPlatformHandler(serverless, (env) => {
      seen.push(env);
      return env ?? {};
    });
    expect(handler.app).toBeUndefined();
    const response = await handler.fetch(new Request('http://127.0.0.1/api/health'), { JWT_ACCESS_SECRET: 's' });
    expect(response.status).toBe(200);
    expect(handler.app?.options.mode).toBe('tick');
    expect(seen).toEqual([{ JWT_ACCESS_SECRET: 's' }]);
    // Later requests reuse the app.
    await handler.fetch(new Request('http://127.0.0.1/api/time'), { JWT_ACCESS_SECRET: 'other' });
    expect(seen).toHaveLength(1);
  });

  it('passes bus mode requests through where one process serves every request', async () => {
    handler = createPlatformHandler(longLived, () => ({ JWT_ACCESS_SECRET: 's' }));
    // No token: the app itself answers 401, which shows the request reached it.
    const response = await handler.fetch(new Request('http://127.0.0.1/api/calls/events?mode=bus'));
    expect(response.status).toBe(401);
  });

  it('gives each request its own app where requests own their timers, and still streams', async () => {
    const isolated: HostingAdapter = { ...serverless, appPerRequest: true };
    let created = 0;
    handler = createPlatformHandler(isolated, () => {
      created++;
      return { JWT_ACCESS_SECRET: 's', STREAMSOAK_SERVER_OPTIONS: { testStreamMessages: 2, testStreamIntervalMs: 10 } };
    });
    const stream = await handler.fetch(new Request('http://127.0.0.1/api/calls/events/test'));
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // The whole test stream arrives and ends: the per-request app is closed only after its end.
    const text = await stream.text();
    expect(text.match(/^data: /gm)).toHaveLength(2);
    await handler.fetch(new Request('http://127.0.0.1/api/time'));
    expect(created).toBe(2);
    expect(handler.app).toBeUndefined();
  });
});
