/** The one handler behind every route of the Vercel deployment (see platform.ts). */
import { createPlatformHandler } from '../../src/server/hosting.js';
import { VERCEL } from './platform.js';

export const vercelHandler = createPlatformHandler(VERCEL, () => process.env);
