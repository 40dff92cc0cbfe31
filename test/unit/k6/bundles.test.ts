import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'acorn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIO_NAMES, buildScenarios, type BuiltScenario } from '../../../src/k6/build.js';
import { K6_MODULES, isK6Module, listBundleImports } from '../../../src/k6/k6-modules.js';

let outDir: string;
let built: BuiltScenario[];

beforeAll(async () => {
  outDir = await mkdtemp(path.join(os.tmpdir(), 'streamsoak-k6-bundles-'));
  built = await buildScenarios({ outDir, version: '9.9.9-test' });
}, 60_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('k6 bundles', () => {
  it('builds one ES module per scenario', () => {
    expect(built.map((bundle) => bundle.name)).toEqual([...SCENARIO_NAMES]);
  });

  it.each(SCENARIO_NAMES)('%s imports only modules that exist in k6 1.x', async (name) => {
    const source = await readFile(path.join(outDir, `${name}.js`), 'utf8');
    const imports = listBundleImports(source);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((specifier) => !isK6Module(specifier))).toEqual([]);
    // No CommonJS, no dynamic imports, no Node built-ins, no zod: none of them exists in k6.
    expect(source).not.toMatch(/\brequire\(|\bimport\(|["']node:|\bfrom ["']zod["']/);
  });

  // acorn (eslint's parser underneath) stands for "a runtime that knows ES2020 and no later": a
  // bundle with newer syntax (`??=`, static blocks, top-level await) fails here before it fails in k6.
  it.each(SCENARIO_NAMES)('%s is plain ES2020 module syntax, which k6 1.x runs natively', async (name) => {
    const source = await readFile(path.join(outDir, `${name}.js`), 'utf8');
    expect(() => parse(source, { ecmaVersion: 2020, sourceType: 'module', allowAwaitOutsideFunction: false })).not.toThrow();
  });

  it.each(SCENARIO_NAMES)('%s exports options, a default function and handleSummary', async (name) => {
    const source = await readFile(path.join(outDir, `${name}.js`), 'utf8');
    const exported = /export\s*\{([^}]*)\}\s*;?\s*$/.exec(source)?.[1] ?? '';
    const names = exported.split(',').map((part) => part.trim().split(/\s+as\s+/).pop());
    expect(names).toEqual(expect.arrayContaining(['options', 'default', 'handleSummary']));
    expect(source).toContain('"9.9.9-test"');
  });

  it('keeps the extension where it is needed, and stock-k6 scenarios free of it', () => {
    const importsOf = (name: string): string[] => built.find((bundle) => bundle.name === name)?.imports ?? [];
    for (const name of ['sse-soak', 'connection-limit', 'diagnostic']) expect(importsOf(name)).toContain('k6/x/sse');
    for (const name of ['sse-hold', 'polling']) expect(importsOf(name)).not.toContain('k6/x/sse');
  });

  it('reads every kind of import a bundle could hold, and knows which modules k6 has', () => {
    const source = [
      'import { sleep } from "k6";',
      "import http from 'k6/http';",
      'import "k6/x/sse";',
      'export { a } from "k6/metrics";',
      'const m = import("node:fs");',
      'const r = require("undici");',
    ].join('\n');
    expect(listBundleImports(source)).toEqual(['k6', 'k6/http', 'k6/metrics', 'k6/x/sse', 'node:fs', 'undici']);
    expect(K6_MODULES).toContain('k6/execution');
    expect(isK6Module('k6/experimental/webcrypto')).toBe(false);
    expect(isK6Module('fs')).toBe(false);
  });
});
