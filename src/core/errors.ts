/**
 * One error hierarchy with stable codes (as undici's `UND_ERR_*`). Failures of the *target* are not
 * errors: they are recorded as data with a reason. These are failures of the caller's input or of
 * streamsoak itself.
 */

export type StreamsoakErrorCode =
  | 'SS_ERR_INVALID_CONFIG'
  | 'SS_ERR_INVALID_ARGUMENT'
  | 'SS_ERR_USAGE'
  | 'SS_ERR_NOT_FOUND'
  | 'SS_ERR_MISSING_TOOL'
  | 'SS_ERR_ABORTED'
  | 'SS_ERR_HARNESS'
  | 'SS_ERR_INVALID_RESULTS';

export class StreamsoakError extends Error {
  readonly code: StreamsoakErrorCode;

  constructor(code: StreamsoakErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamsoakError';
    this.code = code;
  }
}

// The exit code of each code is in src/cli/exit-codes.ts, the one table the CLI maps errors from.

/** Invalid plan, profile or server options: the message names every bad field. Exit code 2. */
export class InvalidConfigError extends StreamsoakError {
  readonly issues: readonly string[];

  constructor(what: string, issues: readonly string[], options?: { cause?: unknown }) {
    super('SS_ERR_INVALID_CONFIG', `invalid ${what}:\n${issues.map((line) => `  - ${line}`).join('\n')}`, options);
    this.name = 'InvalidConfigError';
    this.issues = issues;
  }
}

/** Bad command-line use. Exit code 2. */
export class UsageError extends StreamsoakError {
  constructor(message: string) {
    super('SS_ERR_USAGE', message);
    this.name = 'UsageError';
  }
}

/** A tool streamsoak drives (k6, nginx, prometheus) is not installed. Exit code 2. */
export class MissingToolError extends StreamsoakError {
  constructor(tool: string, howToInstall: string) {
    super('SS_ERR_MISSING_TOOL', `${tool} is not installed: ${howToInstall}`);
    this.name = 'MissingToolError';
  }
}

/**
 * A results file (`summary.json`, `timeline.json`, `connections.ndjson`) that is not valid JSON or
 * does not match its schema: corrupt or written by something else, not a bad plan. The message names
 * the file and every bad field. Exit code 2, as for any input that cannot be used.
 */
export class InvalidResultsError extends StreamsoakError {
  readonly issues: readonly string[];

  constructor(file: string, issues: readonly string[], options?: { cause?: unknown }) {
    super('SS_ERR_INVALID_RESULTS', `invalid ${file}:\n${issues.map((line) => `  - ${line}`).join('\n')}`, options);
    this.name = 'InvalidResultsError';
    this.issues = issues;
  }
}

/**
 * streamsoak's own machinery failed before it could measure anything (a worker process that did
 * not load, an nginx that did not start): neither the caller's input nor the target is to blame.
 * Exit code 6, with the message and no stack trace.
 */
export class HarnessError extends StreamsoakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SS_ERR_HARNESS', message, options);
    this.name = 'HarnessError';
  }
}
