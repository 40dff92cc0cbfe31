/**
 * The Worker: `export default { fetch(request, env, ctx) }`. Its environment arrives with each
 * request (`[vars]` from wrangler.toml, secrets from `wrangler secret put JWT_ACCESS_SECRET`), and a
 * Worker may not start timers in its global scope, so the app is created on the first request.
 * /metrics answers 501 here: prom-client needs Node's modules (deploy with `nodejs_compat` to try).
 */
import { createPlatformHandler, type PlatformEnv } from '../../src/server/hosting.js';
import { CLOUDFLARE } from './platform.js';

export const cloudflareHandler = createPlatformHandler(CLOUDFLARE, (env) => env ?? {});

export default {
  fetch(request: Request, env: PlatformEnv, _ctx?: unknown): Promise<Response> {
    return cloudflareHandler.fetch(request, env);
  },
};
