/**
 * One process's share of a run: the SSE users whose global index `g` has `g % workers === worker`,
 * and the same share of polling users. The coordinator (in this process or through IPC) collects a
 * report each second and stops the worker at the end.
 */
import { createFanOut } from './deliveries.js';
import { startPublisher, type AcceptedMessage } from './publisher.js';
import { createEventReader } from '../core/event-mapping.js';
import { Pool } from 'undici';
import { createCredentialSource } from './auth.js';
import { createConnectionFactory } from './dispatchers.js';
import type { Plan } from './plan.js';
import { PollUser } from './poll-user.js';
import { createRecorder, type Recorder, type WorkerReport } from './recorder.js';
import { nowMs } from './time.js';
import { SseUser } from './sse-user.js';
import { sseStages, targetAt } from './stages.js';

export interface LoadWorkerOptions {
  plan: Plan;
  worker: number;
  workers: number;
  /** Epoch ms at which the run started (shared by every worker so stages line up). */
  startedAt: number;
  localAddresses: string[];
  /**
   * Server clock minus ours, measured once by the coordinator so every worker corrects latency by the
   * same offset; null: no clock reference (latency is not recorded). 0 on the same host.
   */
  clockOffsetMs: number | null;
  /** Report attempts started and opened, so the coordinator can record them if this process dies (forked workers). */
  trackInFlight?: boolean;
  /** A publishing run: the tag of its message ids (core/publish-message.ts). Worker 0 publishes. */
  publishTag?: string;
}

export interface LoadWorker {
  collect(options?: { encode?: boolean }): WorkerReport;
  /**
   * Closes every user (`client_closed`), waits for in-flight polls, returns the last report. Once:
   * a later call returns the same report (a forked worker is stopped, then sees its IPC channel close).
   */
  /**
   * `accepted`: the messages the run published that the target accepted, as the coordinator knows
   * them at the end: each user counts those it missed while it had a stream open.
   */
  stop(options?: { encode?: boolean; accepted?: readonly AcceptedMessage[] }): Promise<WorkerReport>;
}

// How often the ramp is re-evaluated: fine enough for k6-style stages of seconds.
const CONTROL_INTERVAL_MS = 100;

export function startLoadWorker(options: LoadWorkerOptions): LoadWorker {
  const { plan, worker, workers, startedAt } = options;
  const recorder: Recorder = createRecorder(worker, { trackInFlight: options.trackInFlight ?? false });
  const credentials = createCredentialSource(plan);
  const connections = createConnectionFactory({
    origin: plan.target.baseUrl,
    localAddresses: options.localAddresses,
    connectTimeoutMs: plan.timeouts.connectMs,
    headersTimeoutMs: plan.timeouts.headersMs,
    bodyTimeoutMs: plan.timeouts.idleMs,
  });
  // Polls get their own keep-alive pool: they must not wait behind held streams.
  const pollPool = new Pool(plan.target.baseUrl, {
    connections: null,
    pipelining: 1,
    connect: { timeout: plan.timeouts.connectMs },
    headersTimeout: plan.timeouts.pollRequestMs,
    bodyTimeout: plan.timeouts.pollRequestMs,
  });
  let attemptSeq = 0;
  const clockOffsetMs = options.clockOffsetMs;
  // The plan's `events:` mapping is compiled once per worker, not per stream or per event.
  const readEvent = plan.events === undefined ? undefined : createEventReader(plan.events);
  // A publishing run: worker 0 publishes; every worker's users look for the run's message ids.
  const publishTag = plan.publish !== undefined ? options.publishTag : undefined;
  const fanOut = publishTag !== undefined ? createFanOut() : undefined;
  const publisher =
    publishTag !== undefined && worker === 0 ? startPublisher({ plan: plan as Plan & { publish: NonNullable<Plan['publish']> }, tag: publishTag, recorder, startedAt }) : undefined;
  // Every user of the run, ramped down or not: a user's missed deliveries are counted at the end.
  const everyUser: SseUser[] = [];
  const sseContext = {
    plan,
    recorder,
    connections,
    credentials,
    clockOffsetMs,
    readEvent,
    publishTag,
    fanOut,
    nextAttemptId: () => `${worker}-${++attemptSeq}`,
  };
  const stages = sseStages(plan.sse);
  // This shard's users below the ramp's target, in order: `users[k]` is global user
  // `worker + k * workers`. Users start from the bottom and close from the top, so the shard is
  // always a prefix, and each control tick costs the change in the target, not a walk over every user.
  const users: SseUser[] = [];
  let stopping: Promise<WorkerReport> | undefined;

  function control(): void {
    if (stopping) return;
    const target = targetAt(stages, nowMs() - startedAt);
    const share = Math.max(0, Math.ceil((target - worker) / workers));
    // Start the missing users of this shard below the target...
    while (users.length < share) {
      const user = new SseUser(sseContext, worker + users.length * workers);
      users.push(user);
      if (publishTag !== undefined) everyUser.push(user);
      user.start();
    }
    // ...and close those above it (ramp-down): `client_closed`.
    while (users.length > share) void (users.pop() as SseUser).stop();
  }
  control();
  const controlTimer = setInterval(control, CONTROL_INTERVAL_MS);
  controlTimer.unref();

  const pollUsers: PollUser[] = [];
  const pollContext = { plan, recorder, pool: pollPool, credentials, clockOffsetMs };
  for (let g = worker; g < plan.poll.clients; g += workers) {
    const user = new PollUser(pollContext, g);
    pollUsers.push(user);
    // Spread the first polls over one interval so the crowd does not poll in lockstep.
    user.start(startedAt + (g / plan.poll.clients) * plan.poll.intervalMs);
  }

  const withPublished = (report: WorkerReport): WorkerReport => {
    const accepted = publisher?.drainAccepted();
    if (accepted !== undefined && accepted.length > 0) report.accepted = accepted;
    return report;
  };

  return {
    collect: (collectOptions) => withPublished(recorder.collect(collectOptions)),
    stop(stopOptions) {
      stopping ??= (async () => {
        clearInterval(controlTimer);
        // The publisher first: no message goes out to subscribers that are closing.
        await publisher?.stop();
        const closing = users.splice(0).map((user) => user.stop());
        await Promise.all([...closing, ...pollUsers.map((user) => user.stop())]);
        await pollPool.destroy().catch(() => undefined);
        if (publishTag !== undefined) {
          const accepted = stopOptions?.accepted ?? [];
          const missed = everyUser.reduce((sum, user) => sum + (user.deliveries?.missed(accepted) ?? 0), 0);
          if (missed > 0) recorder.count('publish_deliveries_missed', missed);
        }
        const report = withPublished(recorder.collect(stopOptions));
        if (fanOut !== undefined) report.fanOut = fanOut.entries();
        recorder.close();
        return report;
      })();
      return stopping;
    },
  };
}
