/** The guide's diagnostic stream: one JSON message a second for 30 seconds, then it ends. */
import { nextHandler } from '../../../../../lib/streamsoak.js';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const maxDuration = 300;

export async function GET(request: Request): Promise<Response> {
  return nextHandler.fetch(request);
}
