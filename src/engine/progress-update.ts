/** What the engine reports once a second for live progress (the CLI renders it: src/cli/progress.ts). */
export interface ProgressUpdate {
  elapsedMs: number;
  durationMs: number;
  sseOpen: number;
  /** SSE clients the ramp asks for now. */
  sseTarget: number;
  pollClients: number;
  /** Over the last interval, by the wall clock (a late interval is not counted as one second). */
  eventsPerSecond: number;
  pollRequestsPerSecond: number;
  /** Cumulative since the start. */
  eventsTotal: number;
  connects: number;
  reconnects: number;
  eventsLost: number;
  drops: Record<string, number>;
  connectFailures: Record<string, number>;
  /** Over the last interval; null when no sample. */
  latencyP99Ms: number | null;
  pollDelayP99Ms: number | null;
  eventLoopDelayP99Ms: number | null;
  cpuPercent: number | null;
  /** The last update, after every client has closed. */
  final: boolean;
}
