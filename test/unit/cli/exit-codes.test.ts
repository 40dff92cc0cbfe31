import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeOfError } from '../../../src/cli/exit-codes.js';
import { reportError } from '../../../src/cli/main.js';
import { HarnessError, InvalidConfigError, InvalidResultsError, MissingToolError, StreamsoakError, UsageError } from '../../../src/core/errors.js';
import { captureStream } from '../../helpers/cli.js';

function report(error: unknown): { code: number; stderr: string } {
  const stderr = captureStream();
  const code = reportError(error, { stderr: stderr.stream });
  return { code, stderr: stderr.text() };
}

describe('the exit-code table', () => {
  it('gives every outcome its own code', () => {
    const codes = Object.values(EXIT);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('is the table README.md documents, row for row', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Exit codes'));
    const documented = [...section.slice(0, section.indexOf('\n## ', 1)).matchAll(/^\| (\d+) \|/gm)].map((match) => Number(match[1]));
    expect(documented).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });
});

describe('reportError', () => {
  it.each([
    ['an invalid plan', new InvalidConfigError('plan', ['duration: required']), EXIT.usage],
    ['bad usage', new UsageError('--sse many: expected a non-negative whole number'), EXIT.usage],
    ['a missing tool', new MissingToolError('k6', 'install it'), EXIT.usage],
    ['a missing results folder', new StreamsoakError('SS_ERR_NOT_FOUND', 'no results folder or summary.json at x'), EXIT.usage],
    ['a corrupt results file', new InvalidResultsError('r/summary.json', ['runId: expected string']), EXIT.usage],
    ['an interruption', new StreamsoakError('SS_ERR_ABORTED', 'interrupted'), EXIT.interrupted],
    ['a harness that could not run', new HarnessError('worker 3 did not load'), EXIT.harnessFailed],
  ])('exits with the code of %s, printing the message without a stack trace', (_, error, code) => {
    const result = report(error);
    expect(result.code).toBe(code);
    expect(exitCodeOfError(error.code)).toBe(code);
    expect(result.stderr).toBe(`streamsoak: ${error.message}\n`);
  });

  it('keeps 1, with the stack trace, for what no one foresaw', () => {
    const result = report(new TypeError('cannot read properties of undefined'));
    expect(result.code).toBe(EXIT.error);
    expect(result.stderr).toMatch(/^streamsoak: unexpected error: TypeError: cannot read properties of undefined\n\s+at /);
  });

  it('names the file and every bad field of a corrupt results file', () => {
    const error = new InvalidResultsError('r/summary.json', ['runId: expected string', 'metrics: required']);
    expect(error.code).toBe('SS_ERR_INVALID_RESULTS');
    expect(error.message).toBe('invalid r/summary.json:\n  - runId: expected string\n  - metrics: required');
  });
});
