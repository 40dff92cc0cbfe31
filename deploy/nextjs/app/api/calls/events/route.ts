/**
 * The guide's `app/api/calls/events/route.ts`: the user's SSE stream, served by the reference app.
 * Route segment config must be literals (Next.js reads it without running the file).
 */
import { nextHandler } from '../../../../lib/streamsoak.js';

export const runtime = 'nodejs';
// Never prerender or cache a stream.
export const dynamic = 'force-dynamic';
// Seconds one stream may last on Vercel (Hobby and Pro allow 300; Pro up to 800 with Fluid compute).
export const maxDuration = 300;

export async function GET(request: Request): Promise<Response> {
  return nextHandler.fetch(request);
}

/** CORS preflight (a cross-origin fetch with an Authorization header sends one). */
export async function OPTIONS(request: Request): Promise<Response> {
  return nextHandler.fetch(request);
}
