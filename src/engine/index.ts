/**
 * The Node load engine's face: what the CLI and `src/index.ts` import. The coordinator loop is in
 * run-plan.ts, the summary assembly in run-summary.ts, the outputs' interface in run-observer.ts; the
 * plan's schema in plan.ts. Nothing is defined here, so no file of the engine needs to import its
 * face (which would make a cycle).
 */
export { runPlan, createRunId, resolveWorkerCount, CONNECTIONS_PER_WORKER } from './run-plan.js';
export type { RunPlanOptions, RunOutcome } from './run-plan.js';
export type { RunObserver, RunWindow, RunTotals } from './run-observer.js';
export { planSchema, parsePlan, loadPlanFile, readPlanFile, maxSseClients, MAX_RUN_DURATION_MS } from './plan.js';
export type { Plan, PlanInput } from './plan.js';
export type { ProgressUpdate } from './progress-update.js';
