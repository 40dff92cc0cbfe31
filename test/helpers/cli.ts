/**
 * Running CLI commands in-process: a CliIo whose stdout/stderr are captured as text, so a test
 * checks exit codes and output without spawning a process.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { summarySchema, type Summary } from '../../src/results/schema.js';

export interface CapturedStream {
  stream: PassThrough;
  /** Everything written so far. */
  text: () => string;
}

export function captureStream(): CapturedStream {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

export interface CapturingIo {
  io: CliIo;
  stdout: () => string;
  stderr: () => string;
}

/** A whole CliIo for calling one command's `run(args, io)`: empty env, a signal nobody aborts. */
export function createCapturingIo(overrides: Partial<Omit<CliIo, 'stdout' | 'stderr'>> = {}): CapturingIo {
  const stdout = captureStream();
  const stderr = captureStream();
  return {
    io: { stdout: stdout.stream, stderr: stderr.stream, env: {}, cwd: process.cwd(), signal: new AbortController().signal, ...overrides },
    stdout: stdout.text,
    stderr: stderr.text,
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `streamsoak ARGS` through main(): what is not overridden (env, cwd) is main's own default. The
 * signal defaults to one nobody aborts, so main does not install its SIGINT handlers in a test.
 */
export async function runCli(args: string[], overrides: Partial<Omit<CliIo, 'stdout' | 'stderr'>> = {}): Promise<CliResult> {
  const stdout = captureStream();
  const stderr = captureStream();
  const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream, signal: new AbortController().signal, ...overrides });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/**
 * `streamsoak run ARGS --results DIR --quiet` in-process, then the run's `summary.json` read back
 * and validated: what most tests of a run against a target do. `out` holds stdout and stderr.
 */
export async function runToResults(args: string[], resultsDir: string, cwd: string): Promise<{ code: number; out: string; summary: Summary; outDir: string }> {
  const { code, stdout, stderr } = await runCli(['run', ...args, '--results', resultsDir, '--quiet'], { env: {}, cwd });
  const [runId] = await readdir(resultsDir).catch(() => []);
  if (runId === undefined) throw new Error(`streamsoak run wrote no results (exit ${code}):\n${stdout}\n${stderr}`);
  const outDir = join(resultsDir, runId);
  return { code, out: `${stdout}${stderr}`, summary: summarySchema.parse(JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8'))), outDir };
}
