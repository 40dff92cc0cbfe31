/**
 * The Vercel Function (Node.js runtime): a web-standard `fetch` export, which Vercel calls with a
 * `Request` and streams the returned `Response` body as it is produced. vercel.json rewrites the
 * guide's paths (/api/calls/events, /api/calls/events/test, /api/health, ...) here.
 */
import { vercelHandler } from '../handler.js';

export default {
  fetch(request: Request): Promise<Response> {
    return vercelHandler.fetch(request);
  },
};
