/**
 * The end of every command that makes a results folder (`run`, `demo`, `k6 run`): the finalize step
 * (src/report/finalize.ts), then the findings on the terminal. Here, not in one of the commands, so
 * no command imports another.
 */
import { finalizeResults, type FinalizeOptions } from '../report/finalize.js';
import { println, type CliIo } from './io.js';

/** Diagnosis, report.html and junit.xml (src/report/finalize.ts), then the findings on the terminal. */
export async function finalizeAndPrintFindings(outDir: string, io: CliIo, options: FinalizeOptions = {}): Promise<void> {
  // Not given io.signal: after a Ctrl-C it is already aborted, and an interrupted run still gets
  // its report (a second Ctrl-C exits at once: src/cli/main.ts).
  const { findings, reportPath } = await finalizeResults(outDir, options);
  if (findings.length === 0) println(io.stdout, 'diagnosis: no problem found');
  else {
    println(io.stdout, 'diagnosis:');
    for (const finding of findings) {
      println(io.stdout, `  [${finding.severity}] ${finding.title}`);
      println(io.stdout, `    evidence: ${finding.evidence}`);
      println(io.stdout, `    remedy:   ${finding.remedy}`);
    }
  }
  println(io.stdout, `report: ${reportPath}`);
}
