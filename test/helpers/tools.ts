/**
 * The real programs the integration tests drive (Debian packages on this machine), and the skip
 * rule of the house: a test that needs a missing program skips and says why, never passes silently.
 */
import { existsSync } from 'node:fs';
import { findNchanModule, findNginx } from '../../src/platform/nginx.js';

export interface Tool {
  path: string;
  /** How to get it, for the skip message. */
  install: string;
}

export const CHROMIUM: Tool = { path: '/usr/bin/chromium', install: 'apt-get install chromium' };
/** Where src/platform's startNginx finds nginx, so a test skips exactly when the library could not run it. */
export const NGINX: Tool = { path: (await findNginx()) ?? '/usr/sbin/nginx', install: 'apt-get install nginx' };
/** nginx's pub/sub module, where startNginx({ template: 'nchan' }) loads it from. */
export const NCHAN: Tool = { path: (await findNchanModule()) ?? '/usr/lib/nginx/modules/ngx_nchan_module.so', install: 'apt-get install libnginx-mod-nchan' };
export const OPENSSL: Tool = { path: '/usr/bin/openssl', install: 'apt-get install openssl' };
export const PROMETHEUS: Tool = { path: '/usr/bin/prometheus', install: 'apt-get install prometheus' };
export const PROMTOOL: Tool = { path: '/usr/bin/promtool', install: 'apt-get install prometheus' };
export const DOCKER_COMPOSE: Tool = { path: '/usr/bin/docker-compose', install: 'apt-get install docker-compose' };

/**
 * True when every tool is installed. Otherwise warns `WHAT: skipped, PATH is not installed
 * (INSTALL)` once, for the caller's `describe.skipIf(!has...)`.
 */
export function hasTools(what: string, ...tools: Tool[]): boolean {
  const missing = tools.filter((tool) => !existsSync(tool.path));
  if (missing.length > 0) {
    console.warn(`${what}: skipped, ${missing.map((tool) => `${tool.path} is not installed (${tool.install})`).join('; ')}`);
  }
  return missing.length === 0;
}
