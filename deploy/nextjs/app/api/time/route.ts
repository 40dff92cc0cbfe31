/** The server clock, for clock-offset estimation by remote clients. */
import { nextHandler } from '../../../lib/streamsoak.js';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  return nextHandler.fetch(request);
}
