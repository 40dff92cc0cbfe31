/**
 * Rewrites vercel.json from platform.ts: `npx tsx deploy/vercel/write-config.ts`. One source for the
 * time limit, so the config Vercel reads and the limit /api/health reports cannot drift apart (a
 * unit test checks the committed file too).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatVercelConfig, VERCEL_MAX_DURATION_SECONDS } from './platform.js';

writeFileSync(fileURLToPath(new URL('vercel.json', import.meta.url)), formatVercelConfig(VERCEL_MAX_DURATION_SECONDS));
