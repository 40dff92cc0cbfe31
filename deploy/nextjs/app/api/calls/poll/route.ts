/**
 * The polling fallback. It reads the bus mode's per-user buffer, which lives in one instance's
 * memory: on a serverless host it answers, but only with what that instance saw.
 */
import { nextHandler } from '../../../../lib/streamsoak.js';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  return nextHandler.fetch(request);
}
