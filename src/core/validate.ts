/**
 * Turns a zod failure into an `InvalidConfigError` naming every bad field (STYLE.md: validate once,
 * at the boundary).
 */
import type { z } from 'zod';
import { InvalidConfigError } from './errors.js';

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidConfigError(what, formatIssues(result.error));
  return result.data;
}
