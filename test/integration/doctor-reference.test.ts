/**
 * `streamsoak doctor` against the reference server, plain and behind each built-in profile of the
 * simulator (time-scaled): healthy when it is, the right finding when it is not, exit codes 0/1/2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/core/jwt.js';
import { platformProfileSchema, type PlatformProfile } from '../../src/core/platform-profile.js';
import { startPlatformProxy } from '../../src/platform/index.js';
import { formatDoctorReport, runDoctor, type DoctorResult } from '../../src/doctor/doctor.js';
import { startReferenceServer, type RunningServer } from '../../src/server/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const SECRET = 'doctor-integration-secret';
const ORIGIN = 'https://app.example';
let server: RunningServer;
let token: string;

beforeAll(async () => {
  // The guide's test stream is 30 messages a second apart; 5 at 200 ms keeps the suite fast, and the
  // doctor is told so with testMessages.
  server = await startReferenceServer({
    port: 0,
    host: '127.0.0.1',
    jwtSecret: SECRET,
    mode: 'tick',
    tickIntervalMs: 200,
    testStreamMessages: 5,
    testStreamIntervalMs: 200,
    corsOrigins: [ORIGIN],
  });
  token = await signToken({ userId: 'doctor', secret: SECRET });
});
afterAll(async () => {
  await server?.close();
});

async function doctorBehind(profiles: Array<string | PlatformProfile>, timeScale: number, path = ''): Promise<DoctorResult> {
  const proxy = await startPlatformProxy({ upstream: server.url, profiles, timeScale });
  try {
    return await runDoctor({ url: `${proxy.url}/api/calls/events${path}`, token, origin: ORIGIN, holdMs: 2_500, testMessages: 5, timeScale });
  } finally {
    await proxy.close();
  }
}

const problemKinds = (result: DoctorResult): string[] => result.findings.filter((f) => f.severity === 'problem').map((f) => f.kind);

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { env: {} });
}

describe('streamsoak doctor', () => {
  it('reports the reference server healthy, with every check passed', async () => {
    const result = await runDoctor({ url: server.url, token, origin: ORIGIN, holdMs: 2_000, testMessages: 5 });
    expect(result.eventsUrl).toBe(`${server.url}/api/calls/events`);
    expect(result.checks.map((c) => [c.id, c.status])).toEqual([
      ['stream', 'pass'],
      ['headers', 'pass'],
      ['test-stream', 'pass'],
      ['held-stream', 'pass'],
      ['buffering', 'pass'],
      ['cors', 'pass'],
    ]);
    expect(result.findings).toEqual([]);
    expect(result.healthy).toBe(true);
    expect(formatDoctorReport(result)).toContain('Outcome: healthy');
  });

  it.each([
    ['vercel-hobby', 0.1],
    ['netlify', 0.05],
    ['vercel-pro', 0.005],
  ])('finds the time limit of %s (×%d) and names the platform', async (profile, timeScale) => {
    const result = await doctorBehind([profile], timeScale);
    expect(result.healthy).toBe(false);
    expect(problemKinds(result)).toEqual(['time_limit']);
    expect(result.findings[0]?.profile).toBe(profile);
    expect(result.checks.find((c) => c.id === 'held-stream')?.status).toBe('fail');
  });

  it("finds nginx-default's read timeout (×0.02) on a stream without heartbeats as an idle timeout", async () => {
    const result = await doctorBehind(['nginx-default'], 0.02, '?interval=5000&heartbeat=0');
    expect(problemKinds(result)).toEqual(['idle_timeout']);
    expect(result.findings[0]?.profile).toBe('nginx-default');
  });

  it('finds buffering until the end behind cdn-buffering', async () => {
    const result = await doctorBehind(['cdn-buffering'], 1);
    expect(problemKinds(result)).toEqual(['buffering']);
    expect(result.findings[0]?.profile).toBe('cdn-buffering');
  });

  it('finds nothing wrong behind nginx-default when the server sends X-Accel-Buffering: no', async () => {
    const result = await doctorBehind(['nginx-default'], 1);
    expect(problemKinds(result)).toEqual([]);
    expect(result.healthy).toBe(true);
  });

  it('finds a CORS failure behind a layer that strips Access-Control-* headers', async () => {
    const strip = platformProfileSchema.parse({ name: 'cors-strip', description: 'strips CORS', source: 'test', cors: 'strip' });
    const result = await doctorBehind([strip], 1);
    expect(problemKinds(result)).toEqual(['cors']);
    expect(result.decision.at(-1)?.answer).toMatch(/^yes/);
  });

  it('exits 0 when healthy, 5 when problems are found, 2 on bad usage, and prints a readable report', async () => {
    const healthy = await cli(['doctor', server.url, '--token', token, '--hold', '1500ms', '--test-messages', '5']);
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).toContain('Decision tree');
    const proxy = await startPlatformProxy({ upstream: server.url, profiles: ['vercel-hobby'], timeScale: 0.1 });
    try {
      const cut = await cli(['doctor', proxy.url, '--token', token, '--hold', '2s', '--test-messages', '5', '--time-scale', '0.1']);
      expect(cut.code).toBe(5);
      expect(cut.stdout).toMatch(/FAIL {2}Streams are cut .* as on Vercel Hobby/);
      expect(cut.stdout).toMatch(/upgrade to Vercel Pro/);
    } finally {
      await proxy.close();
    }
    expect((await cli(['doctor'])).code).toBe(2);
    expect((await cli(['doctor', 'not a url'])).code).toBe(2);
    expect((await cli(['doctor', server.url, '--hold', 'forever'])).code).toBe(2);
  });
});
