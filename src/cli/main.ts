/**
 * The command line: the only place that reads argv, prints, and decides exit codes (STYLE.md).
 * Each command lives in `commands/` and is loaded on demand, so `streamsoak token` does not pay for
 * the engine's start-up.
 */
import { StreamsoakError } from '../core/errors.js';
import { EXIT, exitCodeOfError } from './exit-codes.js';
import { println, type CliIo, type Command } from './io.js';

interface CommandEntry {
  summary: string;
  load: () => Promise<{ run: Command }>;
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  demo: { summary: 'reference server behind a simulated platform, a short SSE + polling run, the diagnosis', load: () => import('./commands/demo.js') },
  serve: { summary: 'run the reference server', load: () => import('./commands/serve.js') },
  proxy: { summary: 'run the platform simulator in front of an upstream', load: () => import('./commands/proxy.js') },
  run: { summary: 'run a load plan with the Node engine', load: () => import('./commands/run.js') },
  doctor: { summary: "diagnose one SSE endpoint with the guide's checks", load: () => import('./commands/doctor.js') },
  report: { summary: 'rebuild the HTML report of a results folder', load: () => import('./commands/report.js') },
  compare: { summary: 'compare a run with a baseline; exit 4 on regression', load: () => import('./commands/compare.js') },
  plan: { summary: 'capacity planning from measured runs and expected users', load: () => import('./commands/plan.js') },
  k6: { summary: 'k6 build | k6 run NAME: bundle the scenarios, run one with k6', load: () => import('./commands/k6.js') },
  dashboards: { summary: 'write the Grafana dashboards and provisioning', load: () => import('./commands/dashboards.js') },
  token: { summary: 'mint a JWT for a user id from JWT_ACCESS_SECRET', load: () => import('./commands/token.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return ['usage: streamsoak <command> [options]', '', 'commands:', ...lines, '', 'streamsoak <command> --help for its options.'].join('\n');
}

export async function main(argv: string[], overrides: Partial<CliIo> = {}): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts === 1) {
      controller.abort(new Error('interrupted'));
      return;
    }
    // A second Ctrl-C means "now": the first one is already writing what it has.
    process.exit(EXIT.interrupted);
  };
  const ownSignals = overrides.signal === undefined;
  if (ownSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
    ...overrides,
  };

  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      println(io.stdout, usage());
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === '--version' || name === '-v') {
      const { VERSION } = await import('../version.js');
      println(io.stdout, VERSION);
      return EXIT.ok;
    }
    const entry = COMMANDS[name];
    if (!entry) {
      println(io.stderr, `streamsoak: unknown command "${name}"\n\n${usage()}`);
      return EXIT.usage;
    }
    const { run } = await entry.load();
    return await run(rest, io);
  } catch (error) {
    return reportError(error, io);
  } finally {
    if (ownSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

/**
 * A typed error is an outcome with its own exit code (exit-codes.ts) and a message meant for the
 * user; anything else is a bug, shown with its stack trace.
 */
export function reportError(error: unknown, io: Pick<CliIo, 'stderr'>): number {
  if (error instanceof StreamsoakError) {
    println(io.stderr, `streamsoak: ${error.message}`);
    return exitCodeOfError(error.code);
  }
  println(io.stderr, `streamsoak: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return EXIT.error;
}
