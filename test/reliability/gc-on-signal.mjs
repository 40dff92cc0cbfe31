// Preloaded into the server child of the reliability tests (with --expose-gc): SIGUSR2 runs a full
// garbage collection, so a test can tell memory still held from garbage V8 has not collected yet.
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
});
