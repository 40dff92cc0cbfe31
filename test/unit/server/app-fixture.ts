/** Reference apps for in-process server tests: no heartbeats or publisher, closed after each test. */
import { afterEach } from 'vitest';
import { createReferenceApp, type ReferenceApp, type ReferenceServerOptions } from '../../../src/server/index.js';

export const BASE = 'http://api.test';

type AppDeps = Parameters<typeof createReferenceApp>[1];

/** A `makeApp` for one test file; every app it made is closed after each test. */
export function appFactory(jwtSecret: string): (options?: Partial<ReferenceServerOptions>, deps?: AppDeps) => ReferenceApp {
  let apps: ReferenceApp[] = [];
  afterEach(() => {
    for (const app of apps) app.close();
    apps = [];
  });
  return (options = {}, deps) => {
    const app = createReferenceApp({ jwtSecret, heartbeatMs: 0, publishIntervalMs: 0, ...options }, deps);
    apps.push(app);
    return app;
  };
}
