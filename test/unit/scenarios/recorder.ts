/**
 * Records real HTTP responses (status, headers, body chunks with the time each socket read
 * returned) from a server on loopback, for the k6 stand-in to replay into the scenario bundles.
 */
import type { RecordedResponse } from './stand-in.js';

export interface RecordOptions {
  headers?: Record<string, string>;
  /** Stop reading (abort) after this long; the recording then ends as if the server had closed. */
  maxMs: number;
  /** Called once the headers are in: e.g. to make the server drop the stream a little later. */
  onHeaders?: () => void;
}

export async function recordResponse(url: string, options: RecordOptions): Promise<RecordedResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.maxMs);
  const response = await fetch(url, { headers: options.headers ?? {}, signal: controller.signal });
  const headersAtMs = Date.now();
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  options.onHeaders?.();
  const chunks: RecordedResponse['chunks'] = [];
  const decoder = new TextDecoder();
  let end: RecordedResponse['end'] = { kind: 'eof', atMs: headersAtMs };
  try {
    const reader = response.body?.getReader();
    for (;;) {
      if (reader === undefined) break;
      const { done, value } = await reader.read();
      const atMs = Date.now();
      if (done) {
        end = { kind: 'eof', atMs };
        break;
      }
      const text = decoder.decode(value, { stream: true });
      if (text.length > 0) chunks.push({ atMs, text });
    }
  } catch (error) {
    // Our own abort: the recording simply stops here.
    if (!controller.signal.aborted) end = { kind: 'error', atMs: Date.now(), message: error instanceof Error ? error.message : String(error) };
    else end = { kind: 'eof', atMs: Date.now() };
  } finally {
    clearTimeout(timer);
  }
  return { status: response.status, headers, headersAtMs, chunks, end };
}
