// Loaded by `npm run soak` into the harness and the server (`node --import`): after each major
// garbage collection it appends the V8 heap figures to $SOAK_HEAP_FILE. RSS keeps pages V8 and
// the allocator hold on to; the heap left after a major collection is what the process still
// uses, so the two together tell a leak from a heap that is still sizing itself. It only observes
// (a GC observer and an append per major collection, about one a minute): it forces nothing.
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';

const file = process.env.SOAK_HEAP_FILE;
if (file) {
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      const memory = process.memoryUsage();
      const line = { at: Date.now(), pid: process.pid, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external, arrayBuffers: memory.arrayBuffers, rss: memory.rss };
      try {
        appendFileSync(file, `${JSON.stringify(line)}\n`);
      } catch {
        // The soak has gone and removed its folder: nothing to report to.
      }
    }
  });
  // An observer does not keep the process alive: a finished run still exits.
  observer.observe({ entryTypes: ['gc'] });
}
