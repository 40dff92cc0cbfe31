/**
 * Turns a zod failure into an `InvalidConfigError` naming every bad field (STYLE.md: validate once,
 * at the boundary). A union's failure is unfolded into the branch that came closest, so
 * `auth: { token: 5 }` reads `auth.token: expected string`, not `auth: Invalid input`. Lines are
 * capped: a garbage value or key 10 MB long must not come back as a 10 MB message.
 */
import type { z } from 'zod';
import { InvalidConfigError } from './errors.js';

const MAX_LINE_CHARS = 300;

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

function formatPath(path: readonly PathKey[]): string {
  return path.length > 0 ? path.map(String).join('.') : '(root)';
}

function cap(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}… (${line.length} characters)` : line;
}

/** The issues of the union branch with the fewest, with their paths made whole. */
function unfoldUnion(issue: Issue & { code: 'invalid_union' }, base: readonly PathKey[]): Array<{ path: PathKey[]; message: string }> {
  const branches = (issue.errors ?? []).filter((branch) => branch.length > 0);
  if (branches.length === 0) return [{ path: [...base], message: issue.message }];
  // Closest: the fewest issues, then the deepest (a branch that got inside the value matched its type).
  const depth = (branch: readonly Issue[]): number => Math.max(...branch.map((inner) => inner.path.length));
  const fewest = Math.min(...branches.map((branch) => branch.length));
  const fewestBranches = branches.filter((branch) => branch.length === fewest);
  const deepest = Math.max(...fewestBranches.map(depth));
  const closest = fewestBranches.filter((branch) => depth(branch) === deepest);
  // `workers: 0` fails both `"auto"` and `>= 1` at the same place: say both.
  const single = closest.every((branch) => branch.length === 1 && formatPath(branch[0]?.path ?? []) === formatPath(closest[0]?.[0]?.path ?? []));
  if (closest.length > 1 && single) {
    const first = closest[0]?.[0] as Issue;
    return [{ path: [...base, ...first.path], message: closest.map((branch) => (branch[0] as Issue).message).join(', or ') }];
  }
  return (closest[0] ?? []).flatMap((inner) => flatten(inner, base));
}

function flatten(issue: Issue, base: readonly PathKey[] = []): Array<{ path: PathKey[]; message: string }> {
  const path = [...base, ...issue.path];
  if (issue.code === 'invalid_union') return unfoldUnion(issue, path);
  // A record's bad key: zod says only "Invalid key in record"; its own issues say why.
  if (issue.code === 'invalid_key' && issue.issues.length > 0) return [{ path, message: `key ${issue.issues.map((inner) => inner.message).join('; ')}` }];
  return [{ path, message: issue.message }];
}

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => flatten(issue)).map(({ path, message }) => cap(`${formatPath(path)}: ${message}`));
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidConfigError(what, formatIssues(result.error));
  return result.data;
}
