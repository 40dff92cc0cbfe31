/**
 * The doctor's SSE reader: one stream, read on undici's `request`, with the time of every socket
 * read taken before parsing (DESIGN.md, "Latency"). It keeps what the checks need — when the stream
 * opened and ended, each event with its receive time and read, comments (heartbeats), the headers —
 * and stops at the hold bound or when the server ends it.
 */
import { request } from 'undici';
import { parseEventPayload } from '../core/event-payload.js';
import { createSseParser } from '../core/sse-parser.js';

export interface ProbedEvent {
  receivedAt: number;
  /** Index of the socket read that carried the event. */
  read: number;
  type: string;
  id: string;
  data: string;
  /** The payload's scheduled send time, when the target is a streamsoak reference server. */
  sentAt?: number;
}

export interface StreamProbe {
  url: string;
  requestedAt: number;
  /** Set once response headers arrived. */
  status?: number;
  headers: Record<string, string>;
  /** Set when the response was 200 with text/event-stream. */
  openedAt?: number;
  endedAt: number;
  /** `ended`: the target ended the response; `held`: still open at the bound (or when interrupted), we closed it; `error`: no response or a broken one. */
  end: 'ended' | 'held' | 'error';
  /** The caller's signal stopped the probe before its bound (Ctrl-C): our end, never the target's. */
  interrupted?: boolean;
  error?: string;
  /** The first bytes of a response that is not an event stream, to show what answered instead. */
  bodyExcerpt?: string;
  events: ProbedEvent[];
  comments: number;
  reads: number;
  lastByteAt?: number;
}

export interface ProbeOptions {
  method?: 'GET' | 'OPTIONS';
  headers?: Record<string, string>;
  /** Stop reading after this long and report the stream as `held`. */
  holdMs: number;
  signal?: AbortSignal;
}

export async function probeStream(url: string, options: ProbeOptions): Promise<StreamProbe> {
  const probe: StreamProbe = { url, requestedAt: Date.now(), headers: {}, endedAt: 0, end: 'error', events: [], comments: 0, reads: 0 };
  const controller = new AbortController();
  let stoppedByUs = false;
  // Past the parser's caps (a line or an event that never ends) the stream is unreadable: stop.
  let protocolError: string | undefined;
  const stop = (): void => {
    stoppedByUs = true;
    controller.abort();
  };
  const holdTimer = setTimeout(stop, options.holdMs);
  holdTimer.unref();
  // Ctrl-C ends the probe as the bound does: the stream did not end, we stopped reading it.
  const onOuterAbort = (): void => {
    probe.interrupted = true;
    stop();
  };
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  try {
    const response = await request(url, {
      method: options.method ?? 'GET',
      headers: { accept: 'text/event-stream', 'cache-control': 'no-cache', ...options.headers },
      signal: controller.signal,
      // A held stream may be silent for minutes between heartbeats: only the hold bound ends it.
      bodyTimeout: 0,
      headersTimeout: Math.min(options.holdMs, 30_000),
    });
    probe.status = response.statusCode;
    probe.headers = flattenHeaders(response.headers);
    const isStream = response.statusCode === 200 && (probe.headers['content-type'] ?? '').toLowerCase().startsWith('text/event-stream');
    if (!isStream) {
      probe.bodyExcerpt = (await readExcerpt(response.body, 300)).trim();
      probe.end = 'ended';
      probe.endedAt = Date.now();
      return probe;
    }
    probe.openedAt = Date.now();
    let read = 0;
    const parser = createSseParser({
      onProtocolError(message) {
        protocolError = message;
        controller.abort();
      },
      onEvent(event) {
        const payload = parseEventPayload(event.data);
        probe.events.push({
          receivedAt: probe.lastByteAt as number,
          read,
          type: event.type,
          id: event.lastEventId,
          data: event.data,
          ...(payload ? { sentAt: payload.sentAt } : {}),
        });
      },
      onComment() {
        probe.comments++;
      },
    });
    for await (const chunk of response.body) {
      // Receive time once per socket read, before parsing.
      probe.lastByteAt = Date.now();
      read = probe.reads++;
      parser.push(chunk as Uint8Array);
    }
    parser.end();
    probe.end = 'ended';
  } catch (error) {
    if (protocolError !== undefined) {
      probe.end = 'error';
      probe.error = `protocol error: ${protocolError}`;
    } else if (stoppedByUs) {
      probe.end = probe.openedAt === undefined ? 'error' : 'held';
      if (probe.openedAt === undefined) probe.error = probe.interrupted ? 'interrupted before an answer' : `no answer within ${options.holdMs} ms`;
    } else {
      probe.end = 'error';
      probe.error = describeError(error);
    }
  } finally {
    clearTimeout(holdTimer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    if (probe.endedAt === 0) probe.endedAt = Date.now();
  }
  return probe;
}

/** A plain request (the CORS preflight): status and headers. */
export async function probeRequest(
  url: string,
  options: { method: 'OPTIONS' | 'GET'; headers: Record<string, string>; signal?: AbortSignal },
): Promise<{ status?: number; headers: Record<string, string>; error?: string }> {
  try {
    const response = await request(url, { method: options.method, headers: options.headers, headersTimeout: 10_000, bodyTimeout: 10_000, ...(options.signal ? { signal: options.signal } : {}) });
    await response.body.dump({ limit: 64 * 1024 });
    return { status: response.statusCode, headers: flattenHeaders(response.headers) };
  } catch (error) {
    return { headers: {}, error: describeError(error) };
  }
}

/** undici's headers, a repeated field joined with `, ` (RFC 9110 §5.3). */
function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

async function readExcerpt(body: AsyncIterable<unknown> & { destroy(): void }, maxChars: number): Promise<string> {
  let text = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      if (text.length >= maxChars) break;
    }
  } catch {
    // An excerpt is best effort.
  }
  body.destroy();
  return text.slice(0, maxChars);
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = (error as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code;
  return code ? `${error.message} (${code})` : error.message;
}
