/**
 * Plans from garbage (issue 9, part 5). Property-generated invalid plans, flags and profile files
 * must end as exit 2 with a message naming the field — never a stack trace, never exit 1, never a
 * request to the target. Every generated plan points at a counting server on 127.0.0.1, and the
 * suite ends by checking that it was never contacted. What counts as invalid is decided here, by
 * the plan's documented rules (durations `500ms|30s|5m|1h`, at most 24 h; counts up to 1,000,000;
 * http(s) URLs; paths from "/"; one-line header values), not by asking the code under test.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../src/core/errors.js';
import { parsePlan } from '../../src/engine/plan.js';
import { runCli, type CliResult } from '../helpers/cli.js';

let server: Server;
let requests = 0;
let baseUrl = '';
let dir = '';

beforeAll(async () => {
  // The target every garbage plan names: it counts whatever reaches it (nothing should).
  server = createServer((request, response) => {
    requests++;
    response.writeHead(500).end();
  });
  server.on('connection', () => requests++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'streamsoak-garbage-'));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Valid starting points: each mutation below breaks exactly the field it names.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = readonly (string | number)[];

function basePlans(): Record<string, Json>[] {
  return [
    {
      name: 'garbage-base-a',
      target: { baseUrl, ssePath: '/api/calls/events', pollPath: '/api/calls/poll', timePath: '/api/time', query: { mode: 'tick' }, origin: 'https://app.example.com', headers: { 'x-run': 'garbage' } },
      auth: { secret: 'secret', userPrefix: 'u-', sendAs: 'header' },
      sse: { clients: 2, reconnect: { policy: 'backoff', initialMs: '1s', maxMs: '5s', factor: 2, jitterMs: 0 }, rampUpMs: '1s' },
      poll: { clients: 1, intervalMs: '3s', jitterMs: 0 },
      duration: '1s',
      thresholds: { sse_event_latency: ['p(95)<500'] },
      bailout: { drops: 10, connectFailures: 10 },
      workers: 1,
      clock: 'same-host',
      timeouts: { connectMs: '5s', headersMs: '5s', idleMs: '30s', pollRequestMs: '5s' },
    },
    {
      target: { baseUrl },
      auth: { token: 'static-token', sendAs: 'query' },
      sse: { stages: [{ duration: '1s', target: 2 }], reconnect: { policy: 'browser', defaultRetryMs: '3s', jitterMs: '1s' } },
      duration: 1000,
      workers: 'auto',
      localAddresses: ['127.0.0.1'],
    },
    {
      // A user's own endpoint: the events URL itself, path and query included.
      target: { url: `${baseUrl}/sub/room1?x=1`, pollPath: '/poll?room=1' },
      events: { time: '/meta/createdAt', timeUnit: 'auto', seq: 'id', seqPattern: '^\\d+:(?<seq>\\d+)$', stream: '/room' },
      sse: { clients: 1 },
      poll: { clients: 1, mapping: { events: '/data/items', time: '/createdAt', cursorParam: 'after', cursorFrom: 'header:x-next-cursor' } },
      duration: '1s',
      workers: 1,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Garbage by kind of field.

/** A duration as the plan documents it: a bare number (ms) or `<n>(ms|s|m|h)` parts. */
const DURATION = /^\s*(\d+(\.\d+)?|(\d+(\.\d+)?(ms|s|m|h))+)\s*$/;
const notObject = fc.oneof(fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }));
const wrongTypeForString = fc.oneof(fc.integer(), fc.double({ noNaN: true }), notObject, fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }));
const wrongTypeForNumber = fc.oneof(fc.string({ maxLength: 12 }), notObject, fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }));
const deepNesting = fc.integer({ min: 50, max: 400 }).map((depth) => {
  let value: Json = 'bottom';
  for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { deeper: value };
  return value;
});
const hugeString = fc.constantFrom(200_000, 1_000_000).map((length) => 'x'.repeat(length));
const nested = fc.oneof(deepNesting, hugeString);

const badDuration = (minMs: number) =>
  fc.oneof(
    fc.constantFrom('10 parsecs', '-5s', '', '   ', '5 s', '1e3s', 'NaN', 'Infinity', '1d', 's', '5sec', 'P1D', '-1', '1h-1s', '25h', '9'.repeat(400), '1s'.repeat(100_000)),
    fc.string({ maxLength: 20 }).filter((text) => !DURATION.test(text)),
    fc.constantFrom(-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, 1e300, 86_400_001, 2 ** 53),
    // Below the field's minimum (0 is a valid wait, not a valid timeout).
    ...(minMs > 0 ? [fc.constantFrom(0, '0s', `${minMs - 1}ms`)] : []),
    notObject,
    fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
    nested,
  );
const badCount = (max: number, min = 0) =>
  fc.oneof(
    fc.constantFrom(-1, 1.5, max + 1, 1e300, Number.NaN, Number.POSITIVE_INFINITY, -0.001),
    ...(min > 0 ? [fc.integer({ min: -1000, max: min - 1 })] : []),
    ...(max < 2 ** 31 - 2 ? [fc.integer({ min: max + 1 })] : []),
    wrongTypeForNumber,
    nested,
  );
const badUrl = fc.oneof(
  fc.constantFrom('ftp://127.0.0.1/', 'not a url', '', '127.0.0.1:8080', 'http//127.0.0.1', 'javascript:alert(1)', 'file:///etc/passwd', 'ws://127.0.0.1', 'http://', 'http://[::1', 'gopher://127.0.0.1'),
  fc.string({ maxLength: 20 }).filter((text) => !/^\s*https?:/i.test(text)),
  wrongTypeForString,
  nested,
);
// The events URL a user has (issue 15): what parses as a URL but cannot be a target is garbage too —
// credentials (never sent), a fragment (never sent), a port past 65535, a space, a path on a bare origin.
const urlPart = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const badTargetUrl = fc.oneof(
  badUrl,
  fc.constantFrom('http://127.0.0.1:70000/sub', 'http://127.0.0.1:8080/a b', 'http://127.0.0.1:8080/\tx', 'https://[::1]:99999/', 'http://:8080/x'),
  fc.tuple(urlPart, urlPart, fc.integer({ min: 1, max: 65_535 })).map(([user, password, port]) => `http://${user}:${password}@127.0.0.1:${port}/events`),
  fc.tuple(fc.integer({ min: 1, max: 65_535 }), urlPart).map(([port, fragment]) => `http://127.0.0.1:${port}/events?x=1#${fragment}`),
  fc.integer({ min: 65_536, max: 10_000_000 }).map((port) => `http://127.0.0.1:${port}/events`),
);
const badOrigin = fc.oneof(badTargetUrl, fc.constantFrom('http://127.0.0.1:9/sub/room1', 'http://127.0.0.1:9/?x=1', 'https://[::1]:9/events'));
const badPath = fc.oneof(fc.string({ maxLength: 20 }).filter((text) => !text.startsWith('/')), wrongTypeForString, nested);
const badEnum = (allowed: readonly string[]) => fc.oneof(fc.string({ maxLength: 12 }).filter((text) => !allowed.includes(text)), wrongTypeForString, nested);
const oneLineBreaker = fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\r', '\n', '\0', '\r\n'), fc.string({ maxLength: 8 })).map((parts) => parts.join(''));
const badHeaderValue = fc.oneof(oneLineBreaker, wrongTypeForString);
// A huge string is still a string: only deep nesting is garbage for string fields.
const badNonEmptyString = fc.oneof(fc.constant(''), wrongTypeForString, deepNesting);
const badLoopbacks = fc.oneof(
  fc.constantFrom(['10.0.0.1'], ['8.8.8.8'], [], ['localhost'], ['127.0.0.1', '192.168.1.1'], ['::2'], { count: 0 }, { count: 255 }, { count: 1.5 }, { count: 2, more: 1 }, 'localhost'),
  notObject.filter((value) => !Array.isArray(value) || value.length === 0 || value.some((item) => typeof item !== 'string')),
);

interface Field {
  path: Path;
  garbage: fc.Arbitrary<unknown>;
}

/** The garbage each field of a base plan can take (only fields the base has). */
function fieldsOf(plan: Record<string, Json>): Field[] {
  const all: Field[] = [
    { path: ['name'], garbage: badNonEmptyString },
    { path: ['target', 'baseUrl'], garbage: badOrigin },
    { path: ['target', 'url'], garbage: badTargetUrl },
    // The `events:` mapping (issue 15): JSON pointers, the words it allows, regexes with their captures.
    { path: ['events', 'time'], garbage: fc.oneof(fc.string({ maxLength: 12 }).filter((text) => text !== '' && !text.startsWith('/')), fc.constantFrom('/a~2', 'x'.repeat(600)), wrongTypeForString) },
    { path: ['poll', 'mapping', 'events'], garbage: fc.oneof(fc.string({ maxLength: 12 }).filter((text) => !text.startsWith('/')), fc.constantFrom('/a~2', 'data'), wrongTypeForString) },
    { path: ['poll', 'mapping', 'cursorParam'], garbage: fc.oneof(fc.constantFrom('', 'a b', 'x&y=1', 'é', 'a'.repeat(65)), wrongTypeForString) },
    { path: ['poll', 'mapping', 'cursorFrom'], garbage: fc.oneof(fc.constantFrom('header:', 'header:a b', 'next', 'last:id', ''), wrongTypeForString) },
    { path: ['events', 'timeUnit'], garbage: badEnum(['auto', 's', 'ms', 'us', 'ns', 'iso']) },
    { path: ['events', 'seq'], garbage: fc.oneof(fc.string({ maxLength: 12 }).filter((text) => text !== '' && text !== 'id' && !text.startsWith('/')), wrongTypeForString) },
    { path: ['events', 'seqPattern'], garbage: fc.oneof(fc.constantFrom('(?<seq>\\d+', '(\\d+)', '[', '(?<other>x)', 'a'.repeat(600)), wrongTypeForString) },
    { path: ['events', 'stream'], garbage: fc.oneof(fc.string({ maxLength: 12 }).filter((text) => !['', 'id', 'event'].includes(text) && !text.startsWith('/')), wrongTypeForString) },
    { path: ['target', 'ssePath'], garbage: badPath },
    { path: ['target', 'pollPath'], garbage: badPath },
    { path: ['target', 'timePath'], garbage: badPath },
    { path: ['target', 'query', 'mode'], garbage: fc.oneof(fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue(), { maxKeys: 2 }), deepNesting) },
    { path: ['target', 'origin'], garbage: fc.oneof(badHeaderValue, fc.constant('')) },
    { path: ['target', 'headers', 'x-run'], garbage: badHeaderValue },
    { path: ['auth', 'secret'], garbage: badNonEmptyString },
    { path: ['auth', 'token'], garbage: fc.oneof(badNonEmptyString, oneLineBreaker) },
    { path: ['auth', 'userPrefix'], garbage: wrongTypeForString },
    { path: ['auth', 'sendAs'], garbage: badEnum(['header', 'cookie', 'query']) },
    { path: ['sse', 'clients'], garbage: badCount(1_000_000) },
    { path: ['sse', 'rampUpMs'], garbage: badDuration(0) },
    { path: ['sse', 'stages', 0, 'duration'], garbage: badDuration(0) },
    { path: ['sse', 'stages', 0, 'target'], garbage: badCount(1_000_000) },
    { path: ['sse', 'reconnect', 'policy'], garbage: badEnum(['browser', 'none', 'backoff']) },
    { path: ['sse', 'reconnect', 'initialMs'], garbage: badDuration(1) },
    { path: ['sse', 'reconnect', 'maxMs'], garbage: badDuration(1) },
    { path: ['sse', 'reconnect', 'factor'], garbage: fc.oneof(fc.constantFrom(0.5, 0, -2, Number.NaN, Number.POSITIVE_INFINITY), wrongTypeForNumber) },
    { path: ['sse', 'reconnect', 'jitterMs'], garbage: badDuration(0) },
    { path: ['sse', 'reconnect', 'defaultRetryMs'], garbage: badDuration(0) },
    { path: ['poll', 'clients'], garbage: badCount(1_000_000) },
    { path: ['poll', 'intervalMs'], garbage: badDuration(10) },
    { path: ['poll', 'jitterMs'], garbage: badDuration(0) },
    { path: ['duration'], garbage: badDuration(1) },
    { path: ['thresholds', 'sse_event_latency', 0], garbage: fc.oneof(fc.constantFrom('p(95)<<1', 'p95<1', 'count=0', '', 'p(101)<1', 'avg<', '<5'), wrongTypeForString) },
    { path: ['bailout', 'drops'], garbage: badCount(Number.MAX_SAFE_INTEGER, 1) },
    { path: ['bailout', 'connectFailures'], garbage: badCount(Number.MAX_SAFE_INTEGER, 1) },
    { path: ['workers'], garbage: fc.oneof(fc.constantFrom(0, 65, -1, 1.5, 'many', 'AUTO', '2'), wrongTypeForNumber.filter((value) => value !== 'auto')) },
    { path: ['clock'], garbage: badEnum(['auto', 'same-host', 'api-time', 'date-header', 'none']) },
    { path: ['localAddresses'], garbage: badLoopbacks },
    { path: ['timeouts', 'connectMs'], garbage: badDuration(1) },
    { path: ['timeouts', 'headersMs'], garbage: badDuration(1) },
    { path: ['timeouts', 'idleMs'], garbage: badDuration(0) },
    { path: ['timeouts', 'pollRequestMs'], garbage: badDuration(1) },
  ];
  return all.filter((field) => getAt(plan, field.path) !== undefined);
}

/** Objects that take no unknown key (`.strict()`): an extra key there is garbage. */
function strictObjectsOf(plan: Record<string, Json>): Path[] {
  const candidates: Path[] = [[], ['target'], ['events'], ['poll', 'mapping'], ['auth'], ['sse'], ['sse', 'reconnect'], ['sse', 'stages', 0], ['poll'], ['bailout'], ['timeouts']];
  return candidates.filter((path) => {
    const value = getAt(plan, path);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  });
}

function getAt(value: unknown, path: Path): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

function setAt(value: unknown, path: Path, replacement: unknown): void {
  const parent = getAt(value, path.slice(0, -1)) as Record<string | number, unknown>;
  // defineProperty: a key such as `__proto__` must become an own key, as JSON.parse makes it.
  Object.defineProperty(parent, path.at(-1) as string | number, { value: replacement, enumerable: true, writable: true, configurable: true });
}

interface Mutation {
  /** The field the message must name. */
  path: Path;
  /** For an unknown key: the key, which the message must also name. */
  key?: string;
  apply: (plan: Record<string, Json>) => void;
}

const knownKeys = new Set(['name', 'target', 'auth', 'sse', 'poll', 'duration', 'thresholds', 'bailout', 'workers', 'clock', 'localAddresses', 'timeouts', 'baseUrl', 'ssePath', 'pollPath', 'timePath', 'query', 'url', 'mapping', 'cursorParam', 'cursorFrom', 'events', 'time', 'timeUnit', 'seq', 'seqPattern', 'stream', 'streamPattern', 'dataPattern', 'origin', 'headers', 'token', 'secret', 'userPrefix', 'sendAs', 'clients', 'stages', 'reconnect', 'rampUpMs', 'policy', 'defaultRetryMs', 'jitterMs', 'initialMs', 'maxMs', 'factor', 'target', 'intervalMs', 'connectFailures', 'drops', 'connectMs', 'headersMs', 'idleMs', 'pollRequestMs', 'count']);
const unknownKey = fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/), fc.constantFrom('__proto__', 'constructor', 'durationMs', 'Target', 'sse ')).filter((key) => !knownKeys.has(key));

function mutationsOf(plan: Record<string, Json>): fc.Arbitrary<Mutation> {
  const replaced = fc.constantFrom(...fieldsOf(plan)).chain((field) =>
    field.garbage.map((garbage): Mutation => ({ path: field.path, apply: (target) => setAt(target, field.path, garbage) })),
  );
  const added = fc.tuple(fc.constantFrom(...strictObjectsOf(plan)), unknownKey, fc.jsonValue()).map(
    ([path, key, value]): Mutation => ({ path, key, apply: (target) => setAt(target, [...path, key], value) }),
  );
  return fc.oneof({ arbitrary: replaced, weight: 4 }, { arbitrary: added, weight: 1 });
}

/** A base plan with one to three mutations on unrelated fields (none inside another). */
const garbagePlan = fc
  .integer({ min: 0, max: 2 })
  .chain((which) => {
    const base = basePlans()[which] as Record<string, Json>;
    return fc.uniqueArray(mutationsOf(base), { minLength: 1, maxLength: 3, selector: (mutation) => mutation.path.slice(0, 2).join('.') }).map((mutations) => ({ which, mutations }));
  })
  .map(({ which, mutations }) => {
    // The reconnect policy picks the schema of its siblings: garbage there hides theirs.
    const policy = mutations.find((mutation) => mutation.path.join('.') === 'sse.reconnect.policy' && mutation.key === undefined);
    const kept = policy ? mutations.filter((mutation) => mutation === policy || mutation.path.slice(0, 2).join('.') !== 'sse.reconnect') : mutations;
    const plan = basePlans()[which] as Record<string, Json>;
    for (const mutation of kept) mutation.apply(plan);
    // A counterexample holding a 1 MB string is printed shortened, so the failure stays readable.
    const shown = (): string => `${JSON.stringify({ plan, mutated: kept.map((mutation) => `${mutation.path.join('.')}${mutation.key ? `+${mutation.key}` : ''}`) }).slice(0, 3_000)}…`;
    return { plan, mutations: kept, [fc.toStringMethod]: shown };
  });

// ---------------------------------------------------------------------------------------------
// What a good refusal looks like.

/** The `path: message` lines of an InvalidConfigError, from the error or from stderr. */
function issueLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('  - '))
    .map((line) => line.slice(4));
}

/** The line names the field: its path is the field, inside it, or (for a union) its parent object. */
function namesField(lines: readonly string[], mutation: Mutation): boolean {
  const field = mutation.path.length === 0 ? '(root)' : mutation.path.join('.');
  return lines.some((line) => {
    const named = line.startsWith(`${field}:`) || line.startsWith(`${field}.`) || (mutation.path.length > 1 && line.startsWith(`${mutation.path.slice(0, -1).join('.')}:`));
    return named && (mutation.key === undefined || line.includes(mutation.key));
  });
}

function expectNoStackTrace(stderr: string): void {
  // The usage text that follows a usage error lists exit codes ("1 unexpected error"): not ours.
  const usageAt = stderr.indexOf('\nusage: ');
  const text = usageAt >= 0 ? stderr.slice(0, usageAt) : stderr;
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toMatch(/TypeError|ZodError|RangeError|ReferenceError|unexpected error/);
}

function refusalOf(input: unknown): InvalidConfigError {
  try {
    parsePlan(input);
  } catch (error) {
    if (error instanceof InvalidConfigError) return error;
    throw new Error(`parsePlan threw ${String(error)}, not InvalidConfigError`, { cause: error });
  }
  throw new Error(`parsePlan accepted garbage: ${JSON.stringify(input).slice(0, 500)}`);
}

let fileCount = 0;
async function planFile(content: string, extension = 'yaml'): Promise<string> {
  const file = join(dir, `plan-${++fileCount}.${extension}`);
  await writeFile(file, content);
  return file;
}

/** `streamsoak ARGS` in-process, with a safety stop: an accepted plan would run, not hang the suite. */
async function cli(args: string[]): Promise<CliResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('the garbage was accepted')), 5_000);
  try {
    return await runCli(args, { signal: controller.signal, env: {} });
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------

describe('plans from garbage', () => {
  it('starts from plans that are valid, so each mutation is what makes a plan invalid', () => {
    for (const plan of basePlans()) expect(() => parsePlan(plan)).not.toThrow();
  });

  it('refuses arbitrary JSON values with InvalidConfigError naming a field', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const error = refusalOf(value);
        expect(error.issues.length).toBeGreaterThan(0);
        for (const line of error.issues) expect(line).toMatch(/^[^:\s][^:]*: \S/);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses mutated plans naming every mutated field, in bounded messages', () => {
    fc.assert(
      fc.property(garbagePlan, ({ plan, mutations }) => {
        const error = refusalOf(plan);
        for (const mutation of mutations) {
          if (!namesField(error.issues, mutation)) throw new Error(`no line names ${mutation.path.join('.') || '(root)'}${mutation.key ? ` (key ${mutation.key})` : ''}:\n${error.message.slice(0, 2_000)}`);
        }
        expect(error.message.length).toBeLessThan(10_000);
      }),
      { numRuns: 400 },
    );
  });

  it('exits 2 from `streamsoak run PLAN` naming the field, with no stack trace and no request sent', async () => {
    const results = join(dir, 'results');
    await fc.assert(
      fc.asyncProperty(garbagePlan, fc.boolean(), async ({ plan, mutations }, asYaml) => {
        // YAML keeps NaN and Infinity (.nan, .inf); JSON would turn them into null.
        const file = await planFile(asYaml ? toYaml(plan) : JSON.stringify(plan), asYaml ? 'yaml' : 'json');
        const { code, stdout, stderr } = await cli(['run', file, '--results', results, '--quiet']);
        expect(code, stderr).toBe(2);
        expectNoStackTrace(stderr);
        expect(stdout).toBe('');
        const lines = issueLines(stderr);
        for (const mutation of mutations) {
          if (!namesField(lines, mutation)) throw new Error(`stderr names no ${mutation.path.join('.') || '(root)'}:\n${stderr.slice(0, 2_000)}`);
        }
      }),
      { numRuns: 60 },
    );
    expect(requests).toBe(0);
  });

  it('exits 2 on files that are not a plan at all: broken YAML, scalars, bombs, deep nesting, binary', async () => {
    const fixed = [
      'target: [',
      'target:\n\tbaseUrl: x',
      'a: 1\na: 2',
      'key: "unterminated',
      '{{{{',
      '- just\n- a\n- list',
      'just a string',
      '42',
      '~',
      '',
      `a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`).join('\n')}`,
      `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`,
      `target: !!binary ${'%'.repeat(10)}\nduration: 1s`,
      `target: !custom {baseUrl: ${baseUrl}}`,
    ];
    const randomText = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.array(fc.constantFrom('{', '}', '[', ']', ':', '-', ' ', '\n', '"', "'", '&a', '*a', '!!', '#', '|', '>', 'key', '1'), { maxLength: 60 }).map((parts) => parts.join('')),
    );
    const results = join(dir, 'results');
    const check = async (text: string): Promise<void> => {
      const file = await planFile(text);
      const { code, stderr } = await cli(['run', file, '--results', results, '--quiet']);
      expect(code, `${JSON.stringify(text.slice(0, 200))}\n${stderr}`).toBe(2);
      expectNoStackTrace(stderr);
      // The file itself is the field here, or the plan's own fields when it parsed to an object.
      expect(stderr).toMatch(/plan|target|duration|\(root\)|must hold an object/);
      expect(stderr.length).toBeLessThan(10_000);
    };
    for (const text of fixed) await check(text);
    await fc.assert(fc.asyncProperty(randomText, check), { numRuns: 60 });
    expect(requests).toBe(0);
  });
});

describe('flags from garbage', () => {
  const FIELD_OF_FLAG: Readonly<Record<string, string>> = {
    '--sse': 'sse.clients',
    '--poll': 'poll.clients',
    '--workers': 'workers',
    '--duration': 'duration',
    '--ramp-up': 'sse.rampUpMs',
    '--poll-interval': 'poll.intervalMs',
    '--url': 'target.url',
    '--sse-path': 'target.ssePath',
    '--poll-path': 'target.pollPath',
    '--clock': 'clock',
    '--reconnect': 'sse.reconnect',
    '--send-as': 'auth.sendAs',
    '--origin': 'target.origin',
    '--query': '--query',
    '--threshold': 'thresholds',
    '--idle-timeout': 'timeouts.idleMs',
  };
  const flagGarbage = fc.oneof(
    fc.tuple(fc.constantFrom('--sse', '--poll', '--workers'), fc.oneof(fc.constantFrom('abc', '-1', '1.5', '1e3', '0x10', '', ' ', 'NaN', 'Infinity', '9'.repeat(30), '2000000'), fc.string({ maxLength: 10 }).filter((text) => !/^\s*\d+\s*$/.test(text)))),
    fc.tuple(fc.constantFrom('--duration', '--ramp-up', '--poll-interval', '--idle-timeout'), fc.oneof(fc.constantFrom('-5s', '10 parsecs', 'forever', '25h', '', '1e9', '9'.repeat(400)), fc.string({ maxLength: 10 }).filter((text) => !DURATION.test(text)))),
    fc.tuple(fc.constantFrom('--clock', '--reconnect', '--send-as'), fc.string({ maxLength: 10 }).filter((text) => !['auto', 'same-host', 'api-time', 'date-header', 'none', 'browser', 'backoff', 'header', 'cookie', 'query'].includes(text))),
    fc.tuple(fc.constant('--url'), fc.oneof(fc.constantFrom('not a url', 'ftp://127.0.0.1', '', '127.0.0.1'), badTargetUrl.filter((value): value is string => typeof value === 'string' && value.length < 1_000))),
    fc.tuple(fc.constantFrom('--sse-path', '--poll-path'), fc.string({ maxLength: 12 }).filter((text) => !text.startsWith('/'))),
    fc.tuple(fc.constant('--origin'), oneLineBreaker),
    fc.tuple(fc.constant('--query'), fc.constantFrom('novalue', '=x', '')),
    fc.tuple(fc.constant('--threshold'), fc.constantFrom('no-equals', 'sse_drops=count=0', 'made_up=count<1', '=p(95)<1')),
  );

  it('exits 2 naming the flag (or the plan field it sets) for garbage values, in either spelling', async () => {
    const results = join(dir, 'results');
    await fc.assert(
      fc.asyncProperty(flagGarbage, fc.boolean(), async ([flag, value], joined) => {
        const base = ['run', '--url', baseUrl, '--sse', '1', '--duration', '1s', '--workers', '1', '--results', results, '--quiet'];
        const { code, stderr } = await cli([...base, ...(joined ? [`${flag}=${value}`] : [flag, value])]);
        expect(code, stderr).toBe(2);
        expectNoStackTrace(stderr);
        const field = FIELD_OF_FLAG[flag] as string;
        expect(stderr.includes(flag) || stderr.includes(field), `${flag} ${JSON.stringify(value)}:\n${stderr}`).toBe(true);
      }),
      { numRuns: 80 },
    );
    expect(requests).toBe(0);
  });

  it('exits 2 naming an unknown flag', async () => {
    const known = new Set(['url', 'sse-path', 'poll-path', 'sse', 'ramp-up', 'poll', 'poll-interval', 'duration', 'token', 'secret', 'mint', 'send-as', 'origin', 'query', 'reconnect', 'threshold', 'workers', 'clock', 'results', 'run-id', 'out', 'quiet', 'help', 'idle-timeout']);
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[a-z][a-z-]{0,12}$/).filter((name) => !known.has(name)), async (name) => {
        const { code, stderr } = await cli(['run', '--url', baseUrl, '--sse', '1', '--duration', '1s', `--${name}`]);
        expect(code, stderr).toBe(2);
        expect(stderr).toContain(`--${name}`);
        expectNoStackTrace(stderr);
      }),
      { numRuns: 30 },
    );
    const clients = await cli(['run', '--url', baseUrl, '--clients', 'abc', '--duration', '1s']);
    expect(clients.code).toBe(2);
    expect(clients.stderr).toContain('--clients');
    expect(requests).toBe(0);
  });
});

describe('profile files from garbage', () => {
  const baseProfile = (): Record<string, Json> => ({
    name: 'garbage-base',
    description: 'a valid custom profile',
    source: 'this test',
    maxDurationMs: 1_000,
    idleTimeoutMs: 500,
    buffering: { untilBytes: 4096 },
    honourAccelBuffering: true,
    maxConnections: 10,
    refusal: { status: 503, body: '', headers: {} },
    cors: { allowOrigin: 'https://app.example.com', allowCredentials: false },
    stripResponseHeaders: ['x-accel-buffering'],
  });
  const badMs = fc.oneof(fc.constantFrom(0, -1, 1.5, 1e300, 2 ** 40, Number.NaN, '1000', '1s', null, true, []), deepNesting);
  const profileFields: Field[] = [
    { path: ['name'], garbage: fc.oneof(fc.constantFrom('', 'Vercel', '-x', 'a b', 'a_b', 'é'), wrongTypeForString) },
    { path: ['description'], garbage: badNonEmptyString },
    { path: ['source'], garbage: badNonEmptyString },
    { path: ['maxDurationMs'], garbage: badMs },
    { path: ['idleTimeoutMs'], garbage: badMs },
    { path: ['buffering'], garbage: fc.constantFrom('sometimes', { untilBytes: 0 }, { untilBytes: -5 }, { untilBytes: 1, extra: 1 }, { bytes: 10 }, 42, null, []) },
    { path: ['honourAccelBuffering'], garbage: fc.constantFrom('yes', 1, null, 'true') },
    { path: ['maxConnections'], garbage: fc.constantFrom(0, -1, 1.5, 'ten', null, 1e300) },
    { path: ['refusal', 'status'], garbage: fc.constantFrom(200, 399, 600, '503', null, 503.5) },
    { path: ['refusal', 'headers'], garbage: fc.constantFrom('x', [1], { a: 1 }) },
    { path: ['cors'], garbage: fc.constantFrom('reflect', { allowOrigin: '' }, { allowOrigin: 'x', allowCredentials: 'yes' }, { origin: '*' }, 5) },
    { path: ['stripResponseHeaders'], garbage: fc.constantFrom([''], 'x-a', [5], [null], {}) },
  ];
  const mutation = fc.oneof(
    { arbitrary: fc.constantFrom(...profileFields).chain((field) => field.garbage.map((garbage) => ({ path: field.path, key: undefined as string | undefined, garbage }))), weight: 4 },
    { arbitrary: unknownKey.filter((key) => !(key in baseProfile())).map((key) => ({ path: [] as Path, key: key as string | undefined, garbage: 1 as unknown })), weight: 1 },
  );

  it('exits 2 from `streamsoak proxy --profile-file` naming the field, in each file shape', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, fc.constantFrom('one', 'list', 'wrapped'), fc.boolean(), async (change, shape, asYaml) => {
        const profile = baseProfile();
        setAt(profile, change.key === undefined ? change.path : [...change.path, change.key], change.garbage);
        const content = shape === 'one' ? profile : shape === 'list' ? [profile] : { profiles: [profile] };
        const file = await planFile(asYaml ? toYaml(content) : JSON.stringify(content), asYaml ? 'yaml' : 'json');
        const { code, stdout, stderr } = await cli(['proxy', '--upstream', baseUrl, '--profile-file', file, '--port', '0', '--host', '127.0.0.1']);
        expect(code, `${stdout}\n${stderr}`).toBe(2);
        expectNoStackTrace(stderr);
        const prefix = shape === 'one' ? [] : shape === 'list' ? [0] : ['profiles', 0];
        const named = namesField(issueLines(stderr), { path: [...prefix, ...change.path], ...(change.key === undefined ? {} : { key: change.key }), apply: () => undefined });
        if (!named) throw new Error(`stderr names no ${[...prefix, ...change.path].join('.')}${change.key ? ` (key ${change.key})` : ''}:\n${stderr}`);
      }),
      { numRuns: 60 },
    );
    expect(requests).toBe(0);
  });
});
