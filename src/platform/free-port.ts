/**
 * A port that was free on 127.0.0.1 a moment ago: listen on port 0, read the port, close. For
 * programs that must be started with a port number (nginx, Prometheus, `streamsoak serve`); a
 * server started in-process listens on port 0 itself.
 */
import { createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
