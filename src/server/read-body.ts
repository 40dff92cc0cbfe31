/**
 * Reads a request body up to a byte limit without ever holding more than the limit: a client that
 * sends (or claims to send) more gets 413 before the rest is read, whether it sent a Content-Length
 * or a chunked body that never ends. A body cut off mid-way (the client left, or the Node runner's
 * requestTimeout ended a body that trickled too slowly) is reported, not thrown.
 */

export type BodyResult = { ok: true; text: string } | { ok: false; status: 413 | 400 };

export async function readBodyLimited(request: Request, maxBytes: number): Promise<BodyResult> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) return { ok: false, status: 413 };
  if (request.body === null) return { ok: true, text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let read: ReadableStreamReadResult<Uint8Array>;
    try {
      read = await reader.read();
    } catch {
      return { ok: false, status: 400 };
    }
    if (read.done) break;
    total += read.value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, status: 413 };
    }
    chunks.push(read.value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, text: new TextDecoder().decode(bytes) };
}
