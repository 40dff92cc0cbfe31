/**
 * `streamsoak k6 build`: bundles each scenario (scenarios/*.ts) with esbuild into one ES module per
 * scenario, `dist/k6/<name>.js`, that k6 runs as is. `k6` and `k6/*` stay imports (k6 provides
 * them); the shared core (parser, reasons, metric names) is inlined.
 *
 * Target ES2020: k6's runtime (Sobek, k6 ≥ 0.53) runs ES modules and ES2020 syntax natively
 * (optional chaining, `??`, object spread, classes, async functions); esbuild lowers anything newer.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { isK6Module, listBundleImports } from './k6-modules.js';

export const SCENARIO_NAMES = ['sse-soak', 'sse-hold', 'polling', 'connection-limit', 'diagnostic'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export function isScenarioName(value: string): value is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(value);
}

/** The package root: this file is src/k6/build.ts or dist/k6/build.js, two levels below it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_SCENARIOS_DIR = path.join(PACKAGE_ROOT, 'scenarios');
export const DEFAULT_BUNDLE_DIR = path.join(PACKAGE_ROOT, 'dist', 'k6');

export const K6_ESBUILD_TARGET = 'es2020';

export interface BuildScenariosOptions {
  outDir?: string;
  scenariosDir?: string;
  names?: readonly ScenarioName[];
  /** Written into each bundle's summary.json as `tool.version`. */
  version: string;
  /** Inline source maps: k6 then reports errors at TypeScript lines. */
  sourcemap?: boolean;
}

export interface BuiltScenario {
  name: ScenarioName;
  file: string;
  bytes: number;
  /** Every module the bundle imports; all of them exist in k6 1.x (the build fails otherwise). */
  imports: string[];
}

export async function buildScenarios(options: BuildScenariosOptions): Promise<BuiltScenario[]> {
  const scenariosDir = options.scenariosDir ?? DEFAULT_SCENARIOS_DIR;
  const outDir = options.outDir ?? DEFAULT_BUNDLE_DIR;
  const names = options.names ?? SCENARIO_NAMES;
  await build({
    entryPoints: names.map((name) => path.join(scenariosDir, `${name}.ts`)),
    outdir: outDir,
    entryNames: '[name]',
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: K6_ESBUILD_TARGET,
    external: ['k6', 'k6/*'],
    define: { STREAMSOAK_VERSION: JSON.stringify(options.version) },
    sourcemap: options.sourcemap ? 'inline' : false,
    // k6 prints stack traces from the bundle: keep names and lines readable.
    minify: false,
    legalComments: 'none',
    logLevel: 'silent',
    write: true,
  });
  const built: BuiltScenario[] = [];
  for (const name of names) {
    const file = path.join(outDir, `${name}.js`);
    const source = await readFile(file, 'utf8');
    const imports = listBundleImports(source);
    const unknown = imports.filter((specifier) => !isK6Module(specifier));
    if (unknown.length > 0) {
      throw new Error(`${name}.js imports modules k6 does not have: ${unknown.join(', ')} (bundle them or drop them)`);
    }
    built.push({ name, file, bytes: Buffer.byteLength(source), imports });
  }
  return built;
}
