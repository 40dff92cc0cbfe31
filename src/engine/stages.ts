/**
 * How many SSE clients should be open at a moment of the run, k6 `ramping-vus` style: from 0, the
 * count moves linearly to each stage's `target` over its `duration`, then holds the last target.
 */
import type { Stage } from './plan.js';

export function targetAt(stages: readonly Stage[], elapsedMs: number): number {
  let from = 0;
  let stageStart = 0;
  for (const stage of stages) {
    const stageEnd = stageStart + stage.duration;
    if (elapsedMs < stageEnd) {
      const progress = stage.duration === 0 ? 1 : (elapsedMs - stageStart) / stage.duration;
      return Math.round(from + (stage.target - from) * Math.max(0, progress));
    }
    from = stage.target;
    stageStart = stageEnd;
  }
  return from;
}

/** The stages a plan's `sse` section stands for: its own, or `clients` reached over `rampUpMs`. */
export function sseStages(sse: { clients: number; stages?: Stage[] | undefined; rampUpMs: number }): Stage[] {
  if (sse.stages) return sse.stages;
  return [{ duration: sse.rampUpMs, target: sse.clients }];
}
