/** Loopback ports for tests that must name a port before the process that listens on it starts. */
import { createServer } from 'node:net';

/**
 * A port that was free on 127.0.0.1 a moment ago: listen on port 0, read the port, close. For
 * programs started with a port number (nginx, Prometheus, `streamsoak serve`); a server started
 * in-process listens on port 0 itself.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
