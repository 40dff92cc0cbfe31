/**
 * The harness as the publisher (a plan's `publish:`, issue 15). Message k is meant to be sent at
 * `startedAt + k / rate` — an open-model schedule, as wrk2 stamps the intended send time — and is
 * sent then whatever happened to the messages before it, so a slow publish endpoint shows as a
 * long `publish_request_duration`, never as a schedule that quietly slowed down (no coordinated
 * omission). Each message carries its id (core/publish-message.ts); the subscribers take the
 * latency from it. Runs in worker 0, beside its subscribers; the messages the target accepted are
 * handed to the coordinator with each report, for the count of deliveries missed.
 */
import { Pool } from 'undici';
import { renderPublishBody, type AcceptedMessage, type PublishedMessage } from '../core/publish-message.js';
import { reasonForStatus } from '../core/reasons.js';
import { publisherHeaders } from './auth.js';
import { classifyConnectError } from './classify-error.js';
import type { Plan } from './plan.js';
import type { Recorder } from './recorder.js';
import { nowMs } from './time.js';

export type { AcceptedMessage } from '../core/publish-message.js';

export interface Publisher {
  /** Messages accepted since the last call. */
  drainAccepted(): AcceptedMessage[];
  /** Stops the schedule and waits for the requests in flight (each is bounded by the publish timeout). */
  stop(): Promise<void>;
}

/**
 * Publishing ends this long before the run does, so the last messages can reach subscribers that
 * are still open: a message published as the plan closes every stream was never deliverable.
 */
export const PUBLISH_TAIL_MS = 1_000;

/** How long after the ramp-up the first message waits, at least, for the last streams to open. */
const PUBLISH_SETTLE_MS = 500;

/** Requests in flight at most: past this the target is not keeping up, and a message is a failure, not a queue. */
const MAX_IN_FLIGHT = 256;

export interface PublisherOptions {
  plan: Plan & { publish: NonNullable<Plan['publish']> };
  /** The run's tag, in every message id. */
  tag: string;
  recorder: Recorder;
  startedAt: number;
}

export function startPublisher(options: PublisherOptions): Publisher {
  const { plan, tag, recorder, startedAt } = options;
  const publish = plan.publish;
  const url = new URL(publish.url);
  // Minting a token is async (WebCrypto); the first message is due one interval in, long after.
  const headersReady = publisherHeaders(plan).then((auth) => ({ 'content-type': 'application/json', ...auth, ...publish.headers }));
  const pool = new Pool(url.origin, { connections: 16, headersTimeout: publish.timeoutMs, bodyTimeout: publish.timeoutMs });
  const path = `${url.pathname}${url.search}`;
  const intervalMs = 1_000 / publish.rate;
  // The first message goes once the ramp-up is over and the streams it opened have had time to
  // open: a message published to subscribers still connecting is one they were never open for.
  const firstAt = startedAt + plan.sse.rampUpMs + Math.max(intervalMs, PUBLISH_SETTLE_MS);
  const stopAt = startedAt + plan.duration - PUBLISH_TAIL_MS;
  const user = publish.user ?? 'broadcast';
  let accepted: AcceptedMessage[] = [];
  const inFlight = new Set<Promise<void>>();
  let next = 1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const send = (message: PublishedMessage): void => {
    if (inFlight.size >= MAX_IN_FLIGHT) {
      recorder.count('publish_requests');
      recorder.count('publish_failures', 1, 'client_backlog');
      return;
    }
    const body = renderPublishBody(publish.body, tag, message, user);
    const request = (async () => {
      recorder.count('publish_requests');
      try {
        const response = await pool.request({ path, method: publish.method, headers: await headersReady, body });
        // The body is read and dropped: a publish answer is a status, and an unread body holds the socket.
        await response.body.dump();
        const at = nowMs();
        recorder.trend('publish_request_duration', at - message.intendedAtMs);
        if (response.statusCode >= 200 && response.statusCode < 300) accepted.push([message.seq, at]);
        else recorder.count('publish_failures', 1, reasonForStatus(response.statusCode));
      } catch (error) {
        recorder.trend('publish_request_duration', nowMs() - message.intendedAtMs);
        recorder.count('publish_failures', 1, classifyConnectError(error));
      }
    })();
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  };

  const intendedAt = (seq: number): number => firstAt + (seq - 1) * intervalMs;
  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    const now = nowMs();
    // Every message whose time has come goes now, each stamped with the time it was meant for.
    for (let intendedAtMs = intendedAt(next); intendedAtMs <= now && intendedAtMs < stopAt; intendedAtMs = intendedAt(next)) {
      send({ seq: next, intendedAtMs });
      next++;
    }
    const due = intendedAt(next);
    if (due < stopAt) {
      timer = setTimeout(tick, Math.max(0, due - nowMs()));
      timer.unref();
    }
  };
  tick();

  return {
    drainAccepted() {
      const drained = accepted;
      accepted = [];
      return drained;
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await Promise.allSettled([...inFlight]);
      await pool.close().catch(() => undefined);
    },
  };
}
