import { describe, expect, it, vi } from 'vitest';
import { createSseStream } from '../../../src/server/sse-stream.js';

describe('an SSE response body', () => {
  it('errors the body and reports a slow consumer once unsent bytes pass the cap (web runtimes)', async () => {
    const onClose = vi.fn();
    const { stream, body } = createSseStream({ maxBufferedBytes: 2_048, onClose });
    const chunk = 'x'.repeat(1_000);
    expect(stream.write(chunk)).toBe(true);
    expect(stream.write(chunk)).toBe(true);
    expect(stream.bufferedBytes).toBe(2_000);
    expect(stream.write(chunk)).toBe(false);
    expect(onClose).toHaveBeenCalledExactlyOnceWith('slow_consumer');
    expect(stream.closed).toBe(true);
    expect(stream.write('more')).toBe(false);
    await expect(body.getReader().read()).rejects.toThrow(/slow consumer/);
  });

  it('aborts the transport instead of erroring the body when the runtime offers it (Node)', () => {
    const abortTransport = vi.fn();
    const { stream } = createSseStream({ maxBufferedBytes: 1_024, onClose: () => undefined, abortTransport });
    stream.write('x'.repeat(2_000));
    expect(abortTransport).toHaveBeenCalledOnce();
  });

  it('keeps a consumer that reads, whatever it is sent in total', async () => {
    const onClose = vi.fn();
    const { stream, body } = createSseStream({ maxBufferedBytes: 2_048, onClose });
    const reader = body.getReader();
    for (let i = 0; i < 20; i++) {
      expect(stream.write('y'.repeat(1_000))).toBe(true);
      await reader.read();
    }
    stream.end();
    expect((await reader.read()).done).toBe(true);
    expect(onClose).toHaveBeenCalledExactlyOnceWith('server');
  });

  it('reports the client going away when the body is cancelled', async () => {
    const onClose = vi.fn();
    const { stream, body } = createSseStream({ maxBufferedBytes: 2_048, onClose });
    await body.cancel();
    expect(onClose).toHaveBeenCalledExactlyOnceWith('client');
    expect(stream.write('late')).toBe(false);
  });
});
