import { EXIT, println, type CliIo } from '../io.js';

// Not built yet: the issue that brings `streamsoak demo` replaces this file.
export async function run(_args: string[], io: CliIo): Promise<number> {
  println(io.stderr, 'streamsoak demo: not implemented yet');
  return EXIT.error;
}
