/**
 * Reads a polling response: the guide's fallback returns a JSON array of events
 * (`events.forEach(onEvent)`); the reference server's items are `{ id, type, seq, sentAt, stream }`.
 * Items may also nest the payload in `data` (another server's shape), as an object or a JSON string.
 */
import { isEventPayload, parseEventPayload, type EventPayload } from '../../src/core/event-payload.js';

export interface PolledEvent {
  /** The cursor to send back as `since`, when the item has one. */
  id?: string;
  payload?: EventPayload;
}

/** The events of a body, or `undefined` when it is not a JSON array (nor `{ events: [...] }`). */
export function parsePollBody(body: string): PolledEvent[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  const items = Array.isArray(value) ? value : isRecord(value) && Array.isArray(value.events) ? value.events : undefined;
  if (items === undefined) return undefined;
  return items.map((item: unknown) => {
    if (!isRecord(item)) return {};
    const id = typeof item.id === 'string' || typeof item.id === 'number' ? String(item.id) : undefined;
    const payload = isEventPayload(item)
      ? item
      : isEventPayload(item.data)
        ? item.data
        : typeof item.data === 'string'
          ? parseEventPayload(item.data)
          : undefined;
    return { ...(id === undefined ? {} : { id }), ...(payload === undefined ? {} : { payload }) };
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
