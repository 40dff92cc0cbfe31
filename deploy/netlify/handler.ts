/** The one handler behind every route of the Netlify deployment (see platform.ts). */
import { createPlatformHandler } from '../../src/server/hosting.js';
import { NETLIFY } from './platform.js';

export const netlifyHandler = createPlatformHandler(NETLIFY, () => process.env);
