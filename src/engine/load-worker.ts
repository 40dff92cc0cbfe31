/**
 * One process's share of a run: the SSE users whose global index `g` has `g % workers === worker`,
 * and the same share of polling users. The coordinator (in this process or through IPC) collects a
 * report each second and stops the worker at the end.
 */
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
}

export interface LoadWorker {
  collect(options?: { encode?: boolean }): WorkerReport;
  /**
   * Closes every user (`client_closed`), waits for in-flight polls, returns the last report. Once:
   * a later call returns the same report (a forked worker is stopped, then sees its IPC channel close).
   */
  stop(options?: { encode?: boolean }): Promise<WorkerReport>;
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
  const sseContext = { plan, recorder, connections, credentials, clockOffsetMs, readEvent, nextAttemptId: () => `${worker}-${++attemptSeq}` };
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

  return {
    collect: (collectOptions) => recorder.collect(collectOptions),
    stop(stopOptions) {
      stopping ??= (async () => {
        clearInterval(controlTimer);
        const closing = users.splice(0).map((user) => user.stop());
        await Promise.all([...closing, ...pollUsers.map((user) => user.stop())]);
        await pollPool.destroy().catch(() => undefined);
        const report = recorder.collect(stopOptions);
        recorder.close();
        return report;
      })();
      return stopping;
    },
  };
}
