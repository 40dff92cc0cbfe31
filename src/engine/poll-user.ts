/**
 * A virtual polling user, as the troubleshooting guide's fallback does it: `GET pollPath?since=ID`
 * every interval. Polls run on a fixed schedule and every figure is taken from the poll's *intended*
 * start (wrk2's rule): when the server is slow the next poll starts late, and that lateness is
 * measured instead of hidden (no coordinated omission).
 */
import type { Pool } from 'undici';
import { readItem, valueAt } from '../core/event-mapping.js';
import { isEventPayload } from '../core/event-payload.js';
import { statusClass } from '../core/reasons.js';
import { buildPath, type CredentialSource, type Credentials } from './auth.js';
import type { Plan } from './plan.js';
import type { Recorder } from './recorder.js';
import { nowMs } from './time.js';

export interface PollUserContext {
  plan: Plan;
  recorder: Recorder;
  pool: Pool;
  credentials: CredentialSource;
  /** Server clock minus ours, to read `sentAt`; null: no clock reference, so no delivery delay is recorded. */
  clockOffsetMs: number | null;
}

export class PollUser {
  private readonly context: PollUserContext;
  readonly client: number;
  private credentials: Credentials | undefined;
  private cursor: string | undefined;
  private scheduledAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly abort = new AbortController();
  private inFlight: Promise<void> | undefined;
  private started = false;

  constructor(context: PollUserContext, client: number) {
    this.context = context;
    this.client = client;
  }

  /** Starts polling; the first poll is at `firstAt` (epoch ms), then every interval after it. */
  start(firstAt: number): void {
    this.started = true;
    this.context.recorder.pollClients++;
    this.scheduledAt = firstAt;
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.abort.signal.aborted) return;
    if (this.started) this.context.recorder.pollClients--;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.abort.abort(new Error('closed by the plan'));
    await this.inFlight;
  }

  private schedule(): void {
    const { jitterMs } = this.context.plan.poll;
    const intendedAt = this.scheduledAt + (jitterMs > 0 ? (Math.random() * 2 - 1) * jitterMs : 0);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.poll(intendedAt).finally(() => {
        this.inFlight = undefined;
        if (this.abort.signal.aborted) return;
        // The schedule does not move when a poll is late: a late poll is followed at once by the
        // next one, and both count their lateness.
        this.scheduledAt += this.context.plan.poll.intervalMs;
        this.schedule();
      });
    }, Math.max(0, intendedAt - nowMs()));
    this.timer.unref();
  }

  private async poll(intendedAt: number): Promise<void> {
    const { plan, recorder, pool, clockOffsetMs } = this.context;
    this.credentials ??= await this.context.credentials(this.client);
    const first = this.cursor === undefined;
    const mapping = plan.poll.mapping;
    const cursorParam = mapping?.cursorParam ?? 'since';
    const path = buildPath(plan.target.pollPath, plan.target.query, this.credentials.query, first ? {} : { [cursorParam]: this.cursor as string });
    const headers: Record<string, string> = { accept: 'application/json', ...plan.target.headers, ...this.credentials.headers };
    if (plan.target.origin !== undefined) headers.origin = plan.target.origin;
    let status: number | undefined;
    try {
      const response = await pool.request({ path, method: 'GET', headers, signal: this.abort.signal });
      status = response.statusCode;
      const text = await response.body.text();
      const receivedAt = nowMs();
      recorder.count('poll_requests', 1, statusClass(status));
      recorder.trend('poll_request_duration', receivedAt - intendedAt);
      if (status !== 200) return;
      if (mapping !== undefined) {
        this.readMapped(mapping, text, response.headers, first, receivedAt);
        return;
      }
      const cursorHeader = response.headers['x-poll-cursor'];
      let items: unknown;
      try {
        items = JSON.parse(text);
      } catch {
        items = undefined;
      }
      let lastId: string | undefined;
      if (Array.isArray(items)) {
        for (const item of items as unknown[]) {
          if (typeof item !== 'object' || item === null) continue;
          const id = (item as { id?: unknown }).id;
          if (typeof id === 'string' || typeof id === 'number') lastId = String(id);
          // The first poll has no `since`: what it returns happened before this user arrived, so
          // it sets the cursor and is not counted as delivered.
          if (first) continue;
          recorder.count('poll_events');
          // `sentAt` is on the server's clock: on ours the event was scheduled at sentAt − offset.
          if (isEventPayload(item) && clockOffsetMs !== null) recorder.trend('poll_delivery_delay', receivedAt - (item.sentAt - clockOffsetMs));
        }
      }
      const cursor = typeof cursorHeader === 'string' ? cursorHeader : lastId;
      if (cursor !== undefined && cursor !== '') this.cursor = cursor;
      else if (first) this.cursor = '0';
    } catch {
      if (this.abort.signal.aborted) return;
      recorder.count('poll_requests', 1, statusClass(undefined));
    }
  }

  /** Someone else's poll response, read through the plan's `poll.mapping` (core/event-mapping.ts). */
  private readMapped(mapping: PollMapping, text: string, headers: Record<string, string | string[] | undefined>, first: boolean, receivedAt: number): void {
    const { recorder, clockOffsetMs } = this.context;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const items = mapping.events === undefined ? body : valueAt(body, mapping.events);
    const list = Array.isArray(items) ? (items as unknown[]) : [];
    // As for the reference server: the first poll sets the cursor, its events happened before this user came.
    if (!first) {
      for (const item of list) {
        recorder.count('poll_events');
        if (mapping.time === undefined || clockOffsetMs === null) continue;
        const read = readItem(item, { time: mapping.time, timeUnit: mapping.timeUnit });
        if (read?.sentAtMs !== undefined) recorder.trend('poll_delivery_delay', receivedAt - (read.sentAtMs - clockOffsetMs));
      }
    }
    const cursor = cursorOf(mapping.cursorFrom, body, list, headers);
    if (cursor !== undefined && cursor !== '') this.cursor = cursor;
    else if (first) this.cursor = '0';
  }
}

type PollMapping = NonNullable<Plan['poll']['mapping']>;

/** The next cursor: from a header, a field of the response, or a field of its last event. */
function cursorOf(from: string, body: unknown, items: readonly unknown[], headers: Record<string, string | string[] | undefined>): string | undefined {
  let value: unknown;
  if (from.startsWith('header:')) value = headers[from.slice('header:'.length).toLowerCase()];
  else if (from.startsWith('last:')) value = items.length === 0 ? undefined : valueAt(items[items.length - 1], from.slice('last:'.length));
  else value = valueAt(body, from);
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
