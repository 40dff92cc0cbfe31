/** Loopback ports for tests that must name a port before the process that listens on it starts. */
export { freePort } from '../../src/platform/free-port.js';
