/**
 * The Netlify Function (v2 signature: `(request, context) => Response`). Returning a `Response`
 * whose body is a stream is how a v2 function streams: Netlify forwards each chunk as it comes.
 * `config.path` routes the guide's endpoints here instead of /.netlify/functions/streamsoak.
 */
import { netlifyHandler } from '../../handler.js';
import { NETLIFY_PATHS } from '../../platform.js';

/** The part of Netlify's `Context` the adapter could use; declared here to need no Netlify package. */
export interface NetlifyContext {
  readonly requestId?: string;
}

export default async function streamsoak(request: Request, _context?: NetlifyContext): Promise<Response> {
  return netlifyHandler.fetch(request);
}

export const config = { path: NETLIFY_PATHS };
