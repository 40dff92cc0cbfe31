/**
 * Globals the shared core refers to that k6 may lack. `createSseParser` builds a `TextDecoder` only
 * when it is fed bytes; scenarios feed it strings (k6 hands bodies over as strings), so it never
 * runs in k6. `TextDecoder` became a k6 global only in recent releases.
 */
declare global {
  var TextDecoder: {
    new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): {
      decode(input?: Uint8Array, options?: { stream?: boolean }): string;
    };
  };
  /** k6's console: log, info, warn, error, debug (printed with the VU's log level). */
  var console: {
    log(...args: unknown[]): void;
    info(...args: unknown[]): void;
    warn(...args: unknown[]): void;
    error(...args: unknown[]): void;
    debug(...args: unknown[]): void;
  };
  /** The streamsoak version, injected by `streamsoak k6 build` (esbuild `define`). */
  const STREAMSOAK_VERSION: string;
}

export {};
