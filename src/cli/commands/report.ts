/** `streamsoak report DIR`: rebuilds report.html (and junit.xml) of a results folder. */
import { UsageError } from '../../core/errors.js';
import { writeHtmlReport } from '../../report/html/html-report.js';
import { writeJunit } from '../../report/junit.js';
import { parseArgsOrUsage } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { println, type CliIo } from '../io.js';

const USAGE = `usage: streamsoak report DIR [--no-junit]

Rebuilds DIR/report.html — a self-contained page that works offline — from DIR/summary.json,
DIR/timeline.json and DIR/connections.ndjson, and DIR/junit.xml (one test case per threshold).

options:
  --no-junit   do not rewrite junit.xml
  -h, --help   this help`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseArgsOrUsage({ args, allowPositionals: true, options: { 'no-junit': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }, USAGE);
  if (parsed.values.help) {
    println(io.stdout, USAGE);
    return EXIT.ok;
  }
  if (parsed.positionals.length !== 1) throw new UsageError(`report takes one results folder\n\n${USAGE}`);
  const dir = parsed.positionals[0] as string;
  const report = await writeHtmlReport(dir, { signal: io.signal });
  println(io.stdout, `report: ${report}`);
  if (!parsed.values['no-junit']) println(io.stdout, `junit:  ${await writeJunit(dir)}`);
  return EXIT.ok;
}
