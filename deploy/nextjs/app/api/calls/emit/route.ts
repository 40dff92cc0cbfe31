/** Publishes an event (authenticated; body validated by the reference app). */
import { nextHandler } from '../../../../lib/streamsoak.js';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function POST(request: Request): Promise<Response> {
  return nextHandler.fetch(request);
}

export async function OPTIONS(request: Request): Promise<Response> {
  return nextHandler.fetch(request);
}
