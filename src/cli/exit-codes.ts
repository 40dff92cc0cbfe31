/**
 * Every exit code of the command line, in one table, and the exit code of every error code of
 * `core/errors.ts`. Each outcome a CI job may branch on has its own code, and 1 stays the code of a
 * crash alone: a regression or an unhealthy endpoint that exited 1 could not be told from a bug.
 * README.md's "Exit codes" table restates this one (test/unit/cli/exit-codes.test.ts checks it).
 */
import type { StreamsoakErrorCode } from '../core/errors.js';

export const EXIT = {
  ok: 0,
  /** A bug or an unforeseen failure: the message carries the stack trace. */
  error: 1,
  /**
   * The input cannot be used, so nothing was measured: bad usage, an invalid plan, profile or
   * options, a results folder that cannot be written, or read (missing or corrupt), a tool that is
   * not installed.
   */
  usage: 2,
  /** The run completed but the harness failed during it (a worker process was lost): do not trust its figures. */
  untrustworthy: 3,
  /** `compare`: a metric got worse than the baseline past its limit. */
  regression: 4,
  /** `doctor`: the endpoint has problems (the report names them). */
  problemsFound: 5,
  /** The harness could not run at all (a worker process did not load, nginx did not start): nothing was measured. */
  harnessFailed: 6,
  /** As k6 exits when a threshold failed. */
  thresholdsFailed: 99,
  /** As a shell reports a process ended by SIGINT (128 + 2); results are written first. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A Record, not a switch: a new error code does not type-check until it has its exit code. */
const EXIT_OF_ERROR: Readonly<Record<StreamsoakErrorCode, ExitCode>> = {
  SS_ERR_INVALID_CONFIG: EXIT.usage,
  SS_ERR_INVALID_ARGUMENT: EXIT.usage,
  SS_ERR_USAGE: EXIT.usage,
  // A file the caller named that is not there is bad input too, as `compare` has always said.
  SS_ERR_NOT_FOUND: EXIT.usage,
  SS_ERR_MISSING_TOOL: EXIT.usage,
  SS_ERR_INVALID_RESULTS: EXIT.usage,
  SS_ERR_ABORTED: EXIT.interrupted,
  SS_ERR_HARNESS: EXIT.harnessFailed,
};

export function exitCodeOfError(code: StreamsoakErrorCode): ExitCode {
  return EXIT_OF_ERROR[code];
}
