/**
 * The `machine` section of a summary: the host the load came from, so a figure can be read against
 * the machine that produced it. One function for both engines: a Node run names its Node version,
 * a k6 run is described by the wrapper that starts k6 (a k6 script cannot find out).
 */
import os from 'node:os';
import type { SummaryInput } from './schema.js';

export function describeMachine(runtime: string): SummaryInput['machine'] & { hostname: string; totalMemoryBytes: number } {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    arch: os.arch(),
    cpus: cpus.length,
    ...(cpus[0]?.model ? { cpuModel: cpus[0].model } : {}),
    totalMemoryBytes: os.totalmem(),
    runtime,
  };
}
