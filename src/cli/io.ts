/** What a command may touch of the outside world: injected so commands are testable in-process. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on the first SIGINT/SIGTERM: long-running commands finish their records and return 130. */
  signal: AbortSignal;
}

export type Command = (args: string[], io: CliIo) => Promise<number>;

export function println(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}
