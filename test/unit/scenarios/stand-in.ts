/**
 * ============================================================================================
 *  THIS IS NOT K6. It is a small stand-in for the k6 modules the scenario bundles import
 *  (`k6`, `k6/http`, `k6/metrics`, `k6/execution`, `k6/crypto`, `k6/encoding`, `k6/x/sse`), so the
 *  bundles' own logic can run under vitest on a machine where k6 cannot be installed. It records
 *  what a script does (metric samples, checks, requests, sleeps) and replays RECORDED responses of
 *  the real reference server. It does not reproduce k6's scheduler, its HTTP client, its metric
 *  aggregation or xk6-sse's networking; test/integration/k6-run.test.ts runs the real k6 when it is
 *  on PATH.
 * ============================================================================================
 *
 * The `k6/x/sse` stand-in reads recorded bytes the way xk6-sse's reader does (sse.go, readEvents):
 * lines cut at LF, an event dispatched at every "\n" line with `{ id, name, data, comment }`, the
 * `id` not carried over, unknown lines reported as `unknown event: <line>`, `open` fired for any
 * status, and a read error that waits for `client.close()`.
 */
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { transform } from 'esbuild';
import { vi } from 'vitest';
import type { K6SummaryData } from '../../../scenarios/lib/summary.js';
import { compareThreshold, parseThresholdExpression } from '../../../src/core/thresholds.js';

export interface RecordedChunk {
  /** Epoch ms at which the recorder's socket read returned this text. */
  atMs: number;
  text: string;
}

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  /** Epoch ms at which the response headers arrived. */
  headersAtMs: number;
  chunks: RecordedChunk[];
  /** How the body ended: the server closed it, or a read error (reset). */
  end: { kind: 'eof'; atMs: number } | { kind: 'error'; atMs: number; message: string };
  /** Set for a request that got no response at all (k6 reports it as `error`, status 0). */
  error?: string;
}

export interface Sample {
  metric: string;
  type: 'counter' | 'gauge' | 'trend' | 'rate';
  isTime: boolean;
  value: number;
  tags: Record<string, string>;
}

export interface StandInRequest {
  url: string;
  params: { headers?: Record<string, string>; tags?: Record<string, string>; timeout?: string | number; method?: string };
}

export interface StandIn {
  readonly samples: Sample[];
  readonly checks: Array<{ name: string; ok: boolean }>;
  readonly sleepsS: number[];
  readonly logs: string[];
  readonly sseRequests: StandInRequest[];
  /** Every block the `k6/x/sse` stand-in dispatched to the script, with its (recorded) time. */
  readonly sseDispatched: Array<{ atMs: number; event: { id: string; name: string; data: string; comment: string } }>;
  readonly httpRequests: StandInRequest[];
  /** The custom metrics the script created, by name. */
  readonly declared: Map<string, { type: Sample['type']; isTime: boolean }>;
  /** Answers `sse.open` (k6/x/sse) with a recorded response. */
  sseResponder: (request: StandInRequest) => RecordedResponse;
  /** Answers `http.get` (k6/http) with a recorded response: its whole body at its end, as k6 does. */
  httpResponder: (request: StandInRequest) => RecordedResponse | { timeoutAtMs: number };
  vuId: number;
  scenarioStartTime: number;
  /** The stand-in modules by specifier. */
  readonly modules: Record<string, unknown>;
}

export function createStandIn(init: Partial<Pick<StandIn, 'sseResponder' | 'httpResponder' | 'vuId' | 'scenarioStartTime'>> = {}): StandIn {
  const standIn: StandIn = {
    samples: [],
    checks: [],
    sleepsS: [],
    logs: [],
    sseRequests: [],
    sseDispatched: [],
    httpRequests: [],
    declared: new Map(),
    sseResponder:
      init.sseResponder ??
      (() => {
        throw new Error('stand-in: no SSE response recorded for this request');
      }),
    httpResponder:
      init.httpResponder ??
      (() => {
        throw new Error('stand-in: no HTTP response recorded for this request');
      }),
    vuId: init.vuId ?? 1,
    scenarioStartTime: init.scenarioStartTime ?? Date.now(),
    modules: {},
  };

  const metric = (type: Sample['type']) =>
    class {
      readonly name: string;
      readonly isTime: boolean;
      constructor(name: string, isTime = false) {
        this.name = name;
        this.isTime = isTime;
        standIn.declared.set(name, { type, isTime });
      }
      add(value: number, tags: Record<string, string> = {}): void {
        standIn.samples.push({ metric: this.name, type, isTime: this.isTime, value, tags });
      }
    };

  const setClock = (atMs: number): void => {
    vi.setSystemTime(atMs);
  };

  const sseOpen = (url: string, params: StandInRequest['params'] | null, setup: (client: unknown) => void) => {
    const request = { url, params: params ?? {} };
    standIn.sseRequests.push(request);
    const recorded = standIn.sseResponder(request);
    if (recorded.error !== undefined) {
      // sse.go: the error reaches handlers registered... none yet (setup has not run); `open` returns it.
      setClock(recorded.end.atMs);
      return { url, status: 0, headers: {}, error: recorded.error };
    }
    const handlers: Record<string, Array<(arg?: unknown) => void>> = {};
    let closed = false;
    const client = {
      on(event: string, handler: (arg?: unknown) => void) {
        (handlers[event] ??= []).push(handler);
      },
      close() {
        closed = true;
      },
    };
    const emit = (event: string, arg?: unknown): void => {
      for (const handler of handlers[event] ?? []) handler(arg);
    };
    setup(client);
    setClock(recorded.headersAtMs);
    emit('open');

    let pending = '';
    let event = { id: '', name: '', data: '', comment: '' };
    let data = '';
    feed: for (const chunk of recorded.chunks) {
      setClock(chunk.atMs);
      pending += chunk.text;
      let lf: number;
      while (!closed && (lf = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, lf + 1);
        pending = pending.slice(lf + 1);
        const strip = (prefix: number): string => line.slice(prefix, -1);
        if (line.startsWith('id: ')) event.id = strip(4);
        else if (line.startsWith('id:')) event.id = strip(3);
        else if (line.startsWith(': ')) event.comment = strip(2);
        else if (line.startsWith(':')) event.comment = strip(1);
        else if (line.startsWith('event: ')) event.name = strip(7);
        else if (line.startsWith('event:')) event.name = strip(6);
        else if (line.startsWith('data: ')) data += line.slice(6);
        else if (line.startsWith('data:')) data += line.slice(5);
        else if (line.startsWith('retry:')) {
          // xk6-sse ignores retry.
        } else if (line === '\n') {
          event.data = data.replace(/[\r\n]+$/, '');
          standIn.sseDispatched.push({ atMs: chunk.atMs, event: { ...event } });
          emit('event', event);
          event = { id: '', name: '', data: '', comment: '' };
          data = '';
        } else emit('error', { error: () => `unknown event: ${line}` });
      }
      if (closed) break feed;
    }
    if (!closed) {
      setClock(recorded.end.atMs);
      if (recorded.end.kind === 'error') {
        const message = recorded.end.message;
        emit('error', { error: () => message });
        // sse.go: after a read error the control loop waits for close() or the VU's end.
        if (!closed) throw new Error('stand-in: after a read error the script did not call client.close(); real k6 would hang this VU');
      }
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(recorded.headers)) headers[canonicalHeader(key)] = value;
    return { url, status: recorded.status, headers, error: '' };
  };

  const httpGet = (url: string, params: StandInRequest['params'] = {}) => {
    const request = { url, params };
    standIn.httpRequests.push(request);
    const recorded = standIn.httpResponder(request);
    const zeroTimings = { blocked: 0, connecting: 0, tls_handshaking: 0, sending: 0, waiting: 0, receiving: 0, duration: 0 };
    if ('timeoutAtMs' in recorded) {
      setClock(recorded.timeoutAtMs);
      return { status: 0, body: null, headers: {}, error: 'request timeout', error_code: 1050, timings: zeroTimings };
    }
    const startedAt = Date.now();
    setClock(recorded.end.atMs);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(recorded.headers)) headers[canonicalHeader(key)] = value;
    const waiting = Math.max(0, recorded.headersAtMs - startedAt);
    return {
      status: recorded.status,
      body: recorded.chunks.map((chunk) => chunk.text).join(''),
      headers,
      error: recorded.error ?? '',
      error_code: recorded.error === undefined ? 0 : 1000,
      timings: { ...zeroTimings, waiting, duration: Math.max(0, recorded.end.atMs - startedAt) },
    };
  };

  const esm = (value: Record<string, unknown>): Record<string, unknown> => ({ __esModule: true, ...value });
  Object.assign(standIn.modules, {
    k6: esm({
      check(value: unknown, sets: Record<string, (v: unknown) => boolean>) {
        let all = true;
        for (const [name, fn] of Object.entries(sets)) {
          const ok = Boolean(fn(value));
          standIn.checks.push({ name, ok });
          standIn.samples.push({ metric: 'checks', type: 'rate', isTime: false, value: ok ? 1 : 0, tags: { check: name } });
          all &&= ok;
        }
        return all;
      },
      sleep(seconds: number) {
        standIn.sleepsS.push(seconds);
        vi.setSystemTime(Date.now() + seconds * 1000);
      },
      fail(message?: string) {
        throw new Error(message);
      },
    }),
    'k6/metrics': esm({ Counter: metric('counter'), Gauge: metric('gauge'), Trend: metric('trend'), Rate: metric('rate') }),
    'k6/execution': esm({
      default: {
        get vu() {
          return { idInTest: standIn.vuId, idInInstance: standIn.vuId, iterationInScenario: 0 };
        },
        get scenario() {
          return { name: 'stand-in', startTime: standIn.scenarioStartTime, iterationInTest: 0 };
        },
      },
    }),
    'k6/crypto': esm({
      hmac(algorithm: string, secret: string, data: string, encoding: string) {
        if (encoding !== 'base64rawurl') throw new Error(`stand-in: encoding ${encoding} not implemented`);
        return createHmac(algorithm, secret).update(data).digest('base64url');
      },
    }),
    'k6/encoding': esm({
      b64encode(input: string, variant: string) {
        if (variant !== 'rawurl') throw new Error(`stand-in: variant ${variant} not implemented`);
        return Buffer.from(input, 'utf8').toString('base64url');
      },
    }),
    'k6/http': esm({ default: { get: httpGet }, get: httpGet }),
    'k6/x/sse': esm({ default: { open: sseOpen }, open: sseOpen }),
  });
  return standIn;
}

/** Go's canonical header names, as xk6-sse and k6/http hand them over (`content-type` → `Content-Type`). */
function canonicalHeader(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

export interface LoadedScenario {
  options: { scenarios?: Record<string, Record<string, unknown>>; thresholds?: Record<string, unknown[]>; summaryTrendStats?: string[] };
  /** Only the scenarios that measure latency export it (clock estimate). */
  setup?: () => unknown;
  default: (data?: unknown) => void;
  handleSummary: (data: K6SummaryData) => Record<string, string>;
}

/**
 * Loads a built bundle with the stand-in modules and the given `__ENV`. The bundle's text is
 * converted from ESM to CommonJS by esbuild (only the module syntax changes) so its imports can be
 * answered by the stand-in; every load is a fresh module, as every k6 VU is.
 */
export async function loadBundle(file: string, standIn: StandIn, env: Record<string, string>): Promise<LoadedScenario> {
  const source = await readFile(file, 'utf8');
  const { code } = await transform(source, { format: 'cjs', loader: 'js', target: 'es2020' });
  const module = { exports: {} as Record<string, unknown> };
  const require = (specifier: string): unknown => {
    const found = standIn.modules[specifier];
    if (found === undefined) throw new Error(`stand-in: the bundle imports ${specifier}, which the stand-in does not provide`);
    return found;
  };
  new Function('require', 'module', 'exports', '__ENV', '__VU', code)(require, module, module.exports, env, standIn.vuId);
  return module.exports as unknown as LoadedScenario;
}

/**
 * NOT k6's aggregation either: a plain summary of the recorded samples in the shape k6 hands to
 * `handleSummary` (counters `count`/`rate`, trends percentiles by nearest rank, submetrics for the
 * tags the thresholds name, thresholds of the simple form `stat OP number`).
 */
export function summarizeSamples(standIn: StandIn, options: LoadedScenario['options'], durationMs: number): K6SummaryData {
  const metrics: K6SummaryData['metrics'] = {};
  const byKey = new Map<string, Sample[]>();
  for (const sample of standIn.samples) {
    const list = byKey.get(sample.metric) ?? [];
    list.push(sample);
    byKey.set(sample.metric, list);
  }
  for (const key of Object.keys(options.thresholds ?? {})) {
    const sub = /^([^{]+)\{([^:}]+):([^}]*)\}$/.exec(key);
    if (sub === null) continue;
    const [, parent, tag, value] = sub as unknown as [string, string, string, string];
    byKey.set(key, (byKey.get(parent) ?? []).filter((sample) => sample.tags[tag] === value));
    if (!byKey.has(parent)) byKey.set(parent, []);
  }
  for (const key of Object.keys(options.thresholds ?? {})) if (!byKey.has(key)) byKey.set(key, []);
  const stats = options.summaryTrendStats ?? ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];
  for (const [key, samples] of byKey) {
    const parentName = key.replace(/\{.*$/, '');
    // Since k6 v0.38 a metric that has thresholds is in the summary even without samples.
    const first = samples[0] ?? standIn.declared.get(parentName);
    if (first === undefined) continue;
    const values = samples.map((sample) => sample.value);
    const count = values.length;
    let result: Record<string, number>;
    if (first.type === 'counter') {
      const total = values.reduce((a, b) => a + b, 0);
      result = { count: total, rate: durationMs > 0 ? total / (durationMs / 1000) : 0 };
    } else if (first.type === 'gauge') {
      result = { value: values.at(-1) ?? 0, min: Math.min(...values), max: Math.max(...values) };
    } else if (first.type === 'rate') {
      const passes = values.filter((v) => v !== 0).length;
      result = { rate: count === 0 ? 0 : passes / count, passes, fails: count - passes };
    } else {
      const sorted = [...values].sort((a, b) => a - b);
      const pct = (p: number): number => (count === 0 ? 0 : (sorted[Math.min(count - 1, Math.ceil((p / 100) * count) - 1)] as number));
      result = {};
      for (const stat of stats) {
        const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
        if (p) result[stat] = pct(Number(p[1]));
        else if (stat === 'avg') result.avg = count === 0 ? 0 : values.reduce((a, b) => a + b, 0) / count;
        else if (stat === 'min') result.min = count === 0 ? 0 : (sorted[0] as number);
        else if (stat === 'max') result.max = count === 0 ? 0 : (sorted[count - 1] as number);
        else if (stat === 'med') result.med = pct(50);
        else if (stat === 'count') result.count = count;
      }
    }
    const thresholds: Record<string, { ok: boolean }> = {};
    for (const item of options.thresholds?.[key] ?? []) {
      const expression = typeof item === 'string' ? item : (item as { threshold: string }).threshold;
      thresholds[expression] = { ok: evaluateThreshold(expression, result) };
    }
    metrics[key] = {
      type: first.type,
      contains: first.isTime ? 'time' : 'default',
      values: result,
      ...(Object.keys(thresholds).length > 0 ? { thresholds } : {}),
    };
  }
  return { metrics, state: { testRunDurationMs: durationMs }, options: { summaryTrendStats: stats } };
}

function evaluateThreshold(expression: string, values: Record<string, number>): boolean {
  const parsed = parseThresholdExpression(expression);
  if (typeof parsed === 'string') throw new Error(`stand-in: ${parsed}`);
  return compareThreshold(values[parsed.aggregation] ?? 0, parsed.operator, parsed.value);
}
