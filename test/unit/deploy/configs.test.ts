/**
 * Each platform's configuration file parses, points at the entry point that exists, and sets the
 * time limit the adapter claims (the limit /api/health reports, which `doctor` compares with the
 * cut it measures). And no file under deploy/ holds a secret.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { platformServerOptions } from '../../../src/server/hosting.js';
import { formatVercelConfig, VERCEL, VERCEL_FUNCTION } from '../../../deploy/vercel/platform.js';
import { NETLIFY, NETLIFY_PATHS } from '../../../deploy/netlify/platform.js';
import { config as netlifyFunctionConfig } from '../../../deploy/netlify/netlify/functions/streamsoak.js';
import { CLOUDFLARE, CLOUDFLARE_CPU_MS } from '../../../deploy/cloudflare/platform.js';
import { NEXTJS, NEXTJS_MAX_DURATION_SECONDS } from '../../../deploy/nextjs/lib/streamsoak.js';
import * as nextEvents from '../../../deploy/nextjs/app/api/calls/events/route.js';
import * as nextEventsTest from '../../../deploy/nextjs/app/api/calls/events/test/route.js';

const deployDir = fileURLToPath(new URL('../../../deploy/', import.meta.url));
const read = (path: string): string => readFileSync(join(deployDir, path), 'utf8');

describe('Vercel: vercel.json', () => {
  const config = JSON.parse(read('vercel/vercel.json')) as {
    functions: Record<string, { maxDuration: number }>;
    rewrites: { source: string; destination: string }[];
  };

  it('sets maxDuration on the function file to the limit the adapter claims', () => {
    expect(Object.keys(config.functions)).toEqual([VERCEL_FUNCTION]);
    expect(existsSync(join(deployDir, 'vercel', VERCEL_FUNCTION))).toBe(true);
    expect(config.functions[VERCEL_FUNCTION]?.maxDuration).toBe(VERCEL.maxDurationSeconds);
    expect(VERCEL.maxDurationSetBy).toContain('maxDuration');
  });

  it('is exactly what write-config.ts writes from platform.ts', () => {
    expect(read('vercel/vercel.json')).toBe(formatVercelConfig(VERCEL.maxDurationSeconds!));
  });

  it('refuses a maxDuration Vercel does not allow', () => {
    expect(() => formatVercelConfig(0)).toThrow(RangeError);
    expect(() => formatVercelConfig(801)).toThrow(RangeError);
    expect(() => formatVercelConfig(12.5)).toThrow(RangeError);
    expect(JSON.parse(formatVercelConfig(10)).functions[VERCEL_FUNCTION].maxDuration).toBe(10);
  });

  it('rewrites every endpoint of the guide to the function', () => {
    // Vercel's `/:path*` matches any rest of the path.
    const toRegExp = (source: string) => new RegExp(`^${source.replace(':path*', '.*')}$`);
    for (const path of ['/api/calls/events', '/api/calls/events/test', '/api/calls/poll', '/api/calls/emit', '/api/health', '/api/time', '/metrics']) {
      const rule = config.rewrites.find((rewrite) => toRegExp(rewrite.source).test(path));
      expect(rule?.destination, path).toBe('/api/streamsoak');
    }
  });
});

describe('Netlify: netlify.toml', () => {
  const config = parseToml(read('netlify/netlify.toml')) as { functions: { directory: string }; build: { publish: string } };

  it('points the functions directory at the streaming function', () => {
    expect(existsSync(join(deployDir, 'netlify', config.functions.directory, 'streamsoak.ts'))).toBe(true);
    expect(existsSync(join(deployDir, 'netlify', config.build.publish))).toBe(true);
    expect(netlifyFunctionConfig.path).toEqual(NETLIFY_PATHS);
  });

  it('claims the platform’s fixed limit, which netlify.toml cannot change', () => {
    expect(NETLIFY.maxDurationSeconds).toBe(60);
    expect(NETLIFY.maxDurationSetBy).toMatch(/^the platform/);
    // Nothing in the file pretends to set a timeout.
    expect(read('netlify/netlify.toml')).not.toMatch(/^\s*(timeout|maxDuration)\s*=/m);
  });
});

describe('Cloudflare: wrangler.toml', () => {
  const config = parseToml(read('cloudflare/wrangler.toml')) as {
    main: string;
    compatibility_date: string;
    vars: Record<string, unknown>;
    limits: { cpu_ms: number };
  };

  it('points main at the Worker and sets a valid, past compatibility date', () => {
    expect(existsSync(join(deployDir, 'cloudflare', config.main))).toBe(true);
    expect(config.compatibility_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Date.parse(config.compatibility_date)).toBeLessThanOrEqual(Date.now());
  });

  it('sets the CPU-time limit the adapter claims, and no wall-clock limit', () => {
    expect(config.limits.cpu_ms).toBe(CLOUDFLARE_CPU_MS);
    expect(CLOUDFLARE.maxDurationSeconds).toBeNull();
    expect(CLOUDFLARE.maxDurationSetBy).toContain(`cpu_ms = ${CLOUDFLARE_CPU_MS}`);
  });

  it('keeps the secret out of [vars], whose options the adapter accepts', () => {
    expect(config.vars).not.toHaveProperty('JWT_ACCESS_SECRET');
    expect(() => platformServerOptions(CLOUDFLARE, { ...config.vars, JWT_ACCESS_SECRET: 'from-wrangler-secret' })).not.toThrow();
  });
});

describe('Next.js: the route handlers', () => {
  it.each([
    ['app/api/calls/events/route.ts', nextEvents],
    ['app/api/calls/events/test/route.ts', nextEventsTest],
  ])('%s exports the maxDuration, runtime and dynamic the adapter claims', (_file, route) => {
    expect(route.maxDuration).toBe(NEXTJS_MAX_DURATION_SECONDS);
    expect(NEXTJS.maxDurationSeconds).toBe(NEXTJS_MAX_DURATION_SECONDS);
    expect(route.runtime).toBe('nodejs');
    expect(route.dynamic).toBe('force-dynamic');
    expect(typeof route.GET).toBe('function');
  });

  it('writes maxDuration as a literal, which Next.js needs to read it without running the file', () => {
    for (const file of ['app/api/calls/events/route.ts', 'app/api/calls/events/test/route.ts']) {
      expect(read(`nextjs/${file}`)).toMatch(new RegExp(`^export const maxDuration = ${NEXTJS_MAX_DURATION_SECONDS};$`, 'm'));
    }
  });
});

describe('secrets', () => {
  function filesUnder(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
  }

  it('are set in no file of the adapters', () => {
    // Their shared code moved from deploy/shared/ into the library: src/server/hosting.ts.
    const shared = fileURLToPath(new URL('../../../src/server/hosting.ts', import.meta.url));
    const files = [...['vercel', 'netlify', 'cloudflare', 'nextjs', 'vps'].flatMap((platform) => filesUnder(join(deployDir, platform))), shared];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      // An assignment with a value (`JWT_ACCESS_SECRET=abc`, `JWT_ACCESS_SECRET = "abc"`); the
      // systemd comment's `$(openssl rand -hex 32)` generates one on the machine instead.
      const assigned = /JWT_ACCESS_SECRET\s*[=:]\s*["']?(?!\$\()[A-Za-z0-9+/_-]{6,}/.exec(text);
      expect(assigned?.[0], file).toBeUndefined();
    }
  });
});
