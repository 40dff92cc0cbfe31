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
  | 'SS_ERR_ABORTED';

export class StreamsoakError extends Error {
  readonly code: StreamsoakErrorCode;

  constructor(code: StreamsoakErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamsoakError';
    this.code = code;
  }
}

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
