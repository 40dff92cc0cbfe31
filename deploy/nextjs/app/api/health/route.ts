/** Active connections of this instance, uptime, and the platform's limits as the adapter states them. */
import { nextHandler } from '../../../lib/streamsoak.js';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  return nextHandler.fetch(request);
}
