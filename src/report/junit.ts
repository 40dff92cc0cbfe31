/**
 * `junit.xml`: one test case per threshold, so a CI system that reads JUnit (GitHub Actions test
 * reporters, GitLab, Jenkins) shows each threshold as a passed or failed test. A failure names the
 * expression and the value it compared.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RESULT_FILES, type Summary } from '../results/schema.js';
import { readSummary } from '../results/reader.js';

/**
 * Escapes text for XML 1.0 attributes and content. Characters XML 1.0 cannot carry at all (most
 * C0 controls, lone surrogates) are replaced, since an error message from a target may hold them.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[char] as string);
}

function formatActual(actual: number | null): string {
  if (actual === null) return 'no value';
  return Number.isInteger(actual) ? String(actual) : String(Number(actual.toPrecision(6)));
}

export function formatJunit(summary: Summary): string {
  const cases = summary.thresholds;
  const failures = cases.filter((threshold) => !threshold.ok).length;
  const seconds = (summary.durationMs / 1000).toFixed(3);
  const suiteName = `streamsoak thresholds (${summary.runId})`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="streamsoak" tests="${cases.length}" failures="${failures}" errors="0" time="${seconds}">`,
    `  <testsuite name="${escapeXml(suiteName)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds}" timestamp="${escapeXml(
      summary.startedAt.replace(/Z$/, ''),
    )}">`,
    '    <properties>',
    `      <property name="runId" value="${escapeXml(summary.runId)}"/>`,
    `      <property name="engine" value="${escapeXml(summary.engine)}"/>`,
    `      <property name="target" value="${escapeXml(summary.target.baseUrl)}"/>`,
    '    </properties>',
  ];
  for (const threshold of cases) {
    const name = `${threshold.metric}: ${threshold.expression}`;
    const open = `    <testcase classname="streamsoak.thresholds.${escapeXml(threshold.metric)}" name="${escapeXml(name)}" time="0">`;
    if (threshold.ok) {
      lines.push(`${open}</testcase>`);
      continue;
    }
    const message = `${threshold.metric} ${threshold.expression} failed: actual ${formatActual(threshold.actual)}`;
    const detail = [
      `metric:     ${threshold.metric}`,
      `expression: ${threshold.expression}`,
      `actual:     ${formatActual(threshold.actual)}`,
      threshold.abortOnFail ? 'abortOnFail: the run was stopped when this threshold failed' : '',
    ]
      .filter(Boolean)
      .join('\n');
    lines.push(open, `      <failure message="${escapeXml(message)}" type="threshold">${escapeXml(detail)}</failure>`, '    </testcase>');
  }
  if (summary.interrupted) lines.push('    <system-out>The run was interrupted before its planned end.</system-out>');
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

/**
 * Writes `junit.xml` into a results folder from its `summary.json` (or from `summary`, when the
 * caller has just written it), and returns its path.
 */
export async function writeJunit(outDir: string, summary?: Summary): Promise<string> {
  const file = path.join(outDir, RESULT_FILES.junit);
  await writeFile(file, formatJunit(summary ?? (await readSummary(outDir))));
  return file;
}
