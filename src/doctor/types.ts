/**
 * The shapes `doctor` hands between its parts (the probe's checks, the decision tree, the
 * formatter) and to its callers. They live apart from `doctor.ts` so that the parts depend on
 * these types, never on the module that runs them: no import cycle.
 */
import type { Finding } from '../results/schema.js';

export interface DoctorOptions {
  /** The site's base URL (`https://app.example`: the guide's `/api/calls/events` is used) or the events URL itself. */
  url: string;
  /** Check CORS as a front end on this origin would meet it. */
  origin?: string;
  /** Sent as `Authorization: Bearer`. */
  token?: string;
  /** How long to hold the events stream open to find a time limit (default 330 s: past Vercel Pro's 300 s). */
  holdMs?: number;
  /** The test stream's path (default: the events path + `/test`, as the guide's `/api/calls/events/test`). */
  testPath?: string;
  /** Messages the test stream sends (the guide's is 30, one a second): only for servers configured otherwise. */
  testMessages?: number;
  /** The target runs behind a time-scaled simulator: limits are matched at this scale. */
  timeScale?: number;
  signal?: AbortSignal;
  onStep?: (step: DoctorStep) => void;
}

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type CheckId = 'stream' | 'headers' | 'test-stream' | 'held-stream' | 'buffering' | 'cors';

export interface DoctorCheck {
  id: CheckId;
  title: string;
  status: CheckStatus;
  summary: string;
  details: string[];
  /** What the check found wrong, with the guide's remedy. */
  findings: Finding[];
}

export interface DoctorStep {
  phase: 'start' | 'done';
  id: CheckId;
  title: string;
  status?: CheckStatus;
  summary?: string;
}

export interface DecisionStep {
  question: string;
  answer: string;
}

export interface DoctorResult {
  url: string;
  eventsUrl: string;
  testUrl: string;
  origin?: string;
  startedAt: string;
  durationMs: number;
  holdMs: number;
  /** What the response headers say about the hosting (`server: nginx`, `x-vercel-id`...). */
  platformHints: string[];
  checks: DoctorCheck[];
  findings: Finding[];
  decision: DecisionStep[];
  outcome: string;
  healthy: boolean;
}
