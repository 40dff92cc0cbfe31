/** `formatDoctorReport`: the doctor's result as the text the CLI prints. Plain text, 100 columns. */
import { formatSeconds } from '../diagnosis/signatures.js';
import type { CheckStatus, DoctorResult } from './types.js';

const MARK: Record<CheckStatus, string> = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function formatDoctorReport(result: DoctorResult): string {
  const lines: string[] = [];
  lines.push(`streamsoak doctor — ${result.eventsUrl}`);
  lines.push(`  test stream ${result.testUrl}; held for up to ${formatSeconds(result.holdMs)}${result.origin ? `; origin ${result.origin}` : ''}`);
  if (result.platformHints.length > 0) lines.push(`  hosting hints: ${result.platformHints.join(', ')}`);
  lines.push('');

  lines.push('Checks');
  const width = Math.max(...result.checks.map((c) => c.title.length));
  for (const check of result.checks) {
    lines.push(`  ${MARK[check.status]}  ${check.title.padEnd(width)}  ${check.summary}`);
    for (const detail of check.details) lines.push(`  ${' '.repeat(6 + width)}  ${detail}`);
  }
  lines.push('');

  const problems = result.findings.filter((f) => f.severity !== 'info');
  lines.push(problems.length === 0 ? 'Findings: none' : 'Findings');
  for (const finding of problems) {
    lines.push(`  ${finding.severity === 'problem' ? 'FAIL' : 'WARN'}  ${finding.title}`);
    lines.push(...wrap(`evidence: ${finding.evidence}`, '        '));
    lines.push(...wrap(`remedy:   ${finding.remedy}`, '        '));
  }
  lines.push('');

  lines.push("Decision tree (the guide's, answered by measurement)");
  for (const step of result.decision) lines.push(`  ${step.question}`, `    → ${step.answer}`);
  lines.push('');
  lines.push(result.healthy ? 'Outcome: healthy' : 'Outcome: problems found');
  for (const line of result.outcome.split('\n')) lines.push(...wrap(line, '  '));
  lines.push('', `(${formatSeconds(result.durationMs)} in all)`);
  return lines.join('\n');
}

function wrap(text: string, indent: string, width = 100): string[] {
  const words = text.split(' ');
  const out: string[] = [];
  let line = indent;
  for (const word of words) {
    if (line.length + word.length + 1 > width && line.trim().length > 0) {
      out.push(line.trimEnd());
      line = `${indent}  `;
    }
    line += `${word} `;
  }
  if (line.trim().length > 0) out.push(line.trimEnd());
  return out;
}
