/**
 * One process's share of a run: the SSE users whose global index `g` has `g % workers === worker`,
 * and the same share of polling users. The coordinator (in this process or through IPC) collects a
 * report each second and stops the worker at the end.
 */
import { Pool } from 'undici';
import { createCredentialSource } from './auth.js';
import { createConnectionFactory } from './dispatchers.js';
import type { Plan } from './plan.js';
import { PollUser } from './poll-user.js';
import { createRecorder, type Recorder, type WorkerReport } from './recorder.js';
import { nowMs } from './sse-attempt.js';
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
}

export interface LoadWorker {
  collect(options?: { encode?: boolean }): WorkerReport;
  /** Closes every user (`client_closed`), waits for in-flight polls, returns the last report. */
  stop(options?: { encode?: boolean }): Promise<WorkerReport>;
}

// How often the ramp is re-evaluated: fine enough for k6-style stages of seconds.
const CONTROL_INTERVAL_MS = 100;

export function startLoadWorker(options: LoadWorkerOptions): LoadWorker {
  const { plan, worker, workers, startedAt } = options;
  const recorder: Recorder = createRecorder(worker);
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
  const sseContext = { plan, recorder, connections, credentials, clockOffsetMs, nextAttemptId: () => `${worker}-${++attemptSeq}` };
  const stages = sseStages(plan.sse);
  const users = new Map<number, SseUser>();
  let stopped = false;

  function control(): void {
    if (stopped) return;
    const target = targetAt(stages, nowMs() - startedAt);
    // Start the missing users of this shard below the target...
    for (let g = worker; g < target; g += workers) {
      if (!users.has(g)) {
        const user = new SseUser(sseContext, g);
        users.set(g, user);
        user.start();
      }
    }
    // ...and close those above it (ramp-down): `client_closed`.
    for (const [g, user] of users) {
      if (g >= target) {
        void user.stop();
        users.delete(g);
      }
    }
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
    async stop(stopOptions) {
      stopped = true;
      clearInterval(controlTimer);
      const closing = [...users.values()].map((user) => user.stop());
      users.clear();
      await Promise.all([...closing, ...pollUsers.map((user) => user.stop())]);
      await pollPool.destroy().catch(() => undefined);
      const report = recorder.collect(stopOptions);
      recorder.close();
      return report;
    },
  };
}
