/**
 * A MetricsSink that sends the engine's snapshots to a Prometheus remote-write endpoint, in k6's
 * naming (remote-write-series.ts), so Grafana dashboards read Node-engine and k6 runs alike.
 *
 * The run comes first: `push` never awaits, never throws and does O(series) work; sending happens
 * in the background, one request at a time, each bounded by a timeout. Snapshots that arrive while a
 * request is in flight wait in a bounded buffer (oldest dropped). A failed push is not retried (its
 * samples are lost, as with k6's output); it is reported once through `onError`, then only counted.
 */
import { InvalidConfigError } from '../core/errors.js';
import type { MetricsSink, MetricsSnapshot } from './snapshot.js';
import { formatRemoteWriteBody, type RemoteWriteSeries } from './remote-write-proto.js';
import { mergeSeries, snapshotToSeries } from './remote-write-series.js';

export interface RemoteWriteSinkOptions {
  /** The receiver, e.g. `http://127.0.0.1:9090/api/v1/write` (k6: `K6_PROMETHEUS_RW_SERVER_URL`). */
  url: string;
  testid: string;
  engine?: 'node' | 'k6';
  /** k6's `scenario` tag; default `default`, k6's name for a script's only scenario. */
  scenario?: string;
  /** Extra labels on every series, as k6's `--tag name=value` (low cardinality only). */
  labels?: Readonly<Record<string, string>>;
  /** How often to send, in snapshot time (k6: `K6_PROMETHEUS_RW_PUSH_INTERVAL`, default 5 s). */
  pushIntervalMs?: number;
  /** Per-request timeout; default the push interval, so requests never pile up. */
  timeoutMs?: number;
  /** Snapshots kept while the endpoint is busy or down; older ones are dropped. Default 120. */
  maxBufferedSnapshots?: number;
  /** Extra headers, e.g. Authorization for a hosted receiver. */
  headers?: Readonly<Record<string, string>>;
  /** Called once, with the first failure; later failures are only counted. */
  onError?: (error: Error) => void;
  /** Aborting stops periodic pushes and cancels the request in flight; close() still sends once. */
  signal?: AbortSignal;
}

export interface RemoteWriteSink extends MetricsSink {
  /** Requests sent (successful or not). */
  readonly pushes: number;
  /** Requests that failed (network error, timeout or a non-2xx answer). */
  readonly failures: number;
  /** Snapshots dropped because the buffer was full while the endpoint was busy or down. */
  readonly droppedSnapshots: number;
}

export const DEFAULT_PUSH_INTERVAL_MS = 5000;
const DEFAULT_MAX_BUFFERED_SNAPSHOTS = 120;
const ERROR_BODY_MAX_CHARS = 300;

// From the remote-write 1.0 spec: senders "MUST" send these headers.
const REMOTE_WRITE_HEADERS = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
  'User-Agent': 'streamsoak-remote-write',
} as const;

/**
 * Hosted receivers take basic auth, often written into the URL (`https://user:key@host/push`).
 * fetch refuses URLs with credentials, and error messages must not show them: move them into an
 * Authorization header.
 */
function splitCredentials(url: string): { url: string; authorization?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (parsed.username === '' && parsed.password === '') return { url };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

// Prometheus' data model: "Label names may contain ASCII letters, numbers, as well as underscores.
// They must match the regex [a-zA-Z_][a-zA-Z0-9_]*. Label names beginning with __ are reserved."
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function createRemoteWriteSink(options: RemoteWriteSinkOptions): RemoteWriteSink {
  const badLabels = Object.keys(options.labels ?? {}).filter((name) => !LABEL_NAME.test(name) || name.startsWith('__'));
  if (badLabels.length > 0) {
    throw new InvalidConfigError(
      'remote-write labels',
      badLabels.map((name) => `"${name}": a label name matches [a-zA-Z_][a-zA-Z0-9_]* and does not start with __`),
    );
  }
  const pushIntervalMs = options.pushIntervalMs ?? DEFAULT_PUSH_INTERVAL_MS;
  const timeoutMs = options.timeoutMs ?? Math.max(pushIntervalMs, 1000);
  const maxBuffered = options.maxBufferedSnapshots ?? DEFAULT_MAX_BUFFERED_SNAPSHOTS;
  const labelOptions = { scenario: options.scenario ?? 'default', extraLabels: options.labels ?? {} };
  const target = splitCredentials(options.url);
  const shownUrl = target.url;
  const headers: Record<string, string> = {
    ...(target.authorization === undefined ? {} : { Authorization: target.authorization }),
    ...options.headers,
    ...REMOTE_WRITE_HEADERS,
  };

  let buffered: RemoteWriteSeries[][] = [];
  // Snapshots arrive about once a second, a few ms early or late: a push is due within this much of
  // its time, so a 1 s interval does not skip every other snapshot.
  const slackMs = pushIntervalMs / 10;
  let nextFlushAt: number | undefined;
  let inFlight: Promise<void> | undefined;
  let deferred = false;
  let lastSnapshotAt: number | undefined;
  let pushes = 0;
  let failures = 0;
  let droppedSnapshots = 0;
  let reported = false;
  let closed = false;

  const inflightController = new AbortController();
  const onAbort = (): void => inflightController.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });

  function fail(error: Error): void {
    failures += 1;
    if (reported) return;
    reported = true;
    try {
      options.onError?.(error);
    } catch {
      // A throwing callback must not turn into an unhandled rejection in the run.
    }
  }

  async function send(body: Uint8Array<ArrayBuffer>, cancellable: boolean): Promise<void> {
    pushes += 1;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = cancellable ? AbortSignal.any([timeout, inflightController.signal]) : timeout;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers,
        body,
        signal,
      });
      // Read the body either way so the keep-alive socket is released.
      const text = await response.text();
      if (!response.ok) {
        fail(new Error(`remote write to ${shownUrl} answered ${response.status}: ${text.slice(0, ERROR_BODY_MAX_CHARS).trim()}`));
      }
    } catch (error) {
      const cause = toError(error);
      const detail = cause.cause instanceof Error ? ` (${cause.cause.message})` : '';
      fail(new Error(`remote write to ${shownUrl} failed: ${cause.message}${detail}`, { cause }));
    }
  }

  /**
   * Sends everything buffered. One request at a time keeps samples in order per series (Prometheus
   * rejects out-of-order samples): a push due while one is in flight goes when that one ends.
   */
  function flush(cancellable: boolean): void {
    if (inFlight !== undefined) {
      deferred = true;
      return;
    }
    deferred = false;
    if (buffered.length === 0) return;
    const series = mergeSeries(buffered);
    buffered = [];
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = formatRemoteWriteBody(series);
    } catch (error) {
      fail(toError(error));
      return;
    }
    inFlight = send(body, cancellable).finally(() => {
      inFlight = undefined;
      if (deferred && !closed && options.signal?.aborted !== true) flush(true);
    });
  }

  return {
    name: 'prometheus-rw',
    get pushes() {
      return pushes;
    },
    get failures() {
      return failures;
    },
    get droppedSnapshots() {
      return droppedSnapshots;
    },
    push(snapshot: MetricsSnapshot): void {
      if (closed) return;
      // Prometheus rejects a sample at or before the last one of its series: skip a repeated time.
      if (lastSnapshotAt !== undefined && snapshot.at <= lastSnapshotAt) return;
      lastSnapshotAt = snapshot.at;
      try {
        const labelled = { ...snapshot, testid: options.testid, engine: options.engine ?? snapshot.engine };
        buffered.push(snapshotToSeries(labelled, labelOptions));
        if (buffered.length > maxBuffered) {
          droppedSnapshots += buffered.length - maxBuffered;
          buffered = buffered.slice(buffered.length - maxBuffered);
        }
        nextFlushAt ??= snapshot.at + pushIntervalMs;
        if (options.signal?.aborted !== true && snapshot.at >= nextFlushAt - slackMs) {
          // Keep to the schedule; after a long gap, start a new one from now.
          nextFlushAt = snapshot.at - nextFlushAt > pushIntervalMs ? snapshot.at + pushIntervalMs : nextFlushAt + pushIntervalMs;
          flush(true);
        }
      } catch (error) {
        fail(toError(error));
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      options.signal?.removeEventListener('abort', onAbort);
      // Wait for the request in flight (bounded by its timeout), then send the rest once, not
      // cancellable by the run's signal: the final numbers are the ones users look at.
      if (inFlight !== undefined) await inFlight;
      flush(false);
      if (inFlight !== undefined) await inFlight;
    },
  };
}
