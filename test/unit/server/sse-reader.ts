/** Test helper: reads an SSE response body with the core parser until enough events or a deadline. */
import { createSseParser, type SseEvent } from '../../../src/core/sse-parser.js';

export interface SseReadResult {
  events: SseEvent[];
  comments: string[];
  retry: number[];
  /** True when the body ended by itself. */
  ended: boolean;
}

export async function readSse(response: Response, until: { events?: number; comments?: number; timeoutMs: number }): Promise<SseReadResult> {
  const result: SseReadResult = { events: [], comments: [], retry: [], ended: false };
  const parser = createSseParser({
    onEvent: (event) => result.events.push(event),
    onComment: (text) => result.comments.push(text),
    onRetry: (ms) => result.retry.push(ms),
  });
  if (!response.body) throw new Error('no body');
  const reader = response.body.getReader();
  const deadline = Date.now() + until.timeoutMs;
  const enough = (): boolean =>
    (until.events !== undefined && result.events.length >= until.events) || (until.comments !== undefined && result.comments.length >= until.comments);
  try {
    while (!enough()) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const next = await Promise.race([
        reader.read(),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), left);
        }),
      ]);
      clearTimeout(timer);
      if (next === 'timeout') break;
      if (next.done) {
        result.ended = true;
        parser.end();
        break;
      }
      parser.push(next.value);
    }
  } finally {
    if (!result.ended) await reader.cancel().catch(() => undefined);
  }
  return result;
}

export function payloadOf(event: SseEvent): { seq: number; sentAt: number; stream: string; [key: string]: unknown } {
  return JSON.parse(event.data) as { seq: number; sentAt: number; stream: string };
}
