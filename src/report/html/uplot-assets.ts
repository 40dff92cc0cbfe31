/**
 * uPlot's script and stylesheet, read from node_modules at run time so report.html can inline them
 * and work offline (no CDN). Resolved through `createRequire`, because the dist/ build is tsc only
 * and copies no assets: the same lookup works from src/ under vitest and from dist/.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface UplotAssets {
  script: string;
  css: string;
  version: string;
}

let cached: UplotAssets | undefined;

export function loadUplotAssets(): UplotAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const script = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const version = /uPlot \(v([\d.]+)\)/.exec(script)?.[1] ?? 'unknown';
  cached = {
    // Inlined inside <script>/<style>: a closing tag in the text would end the element early.
    script: script.replace(/<\/(script)/gi, '<\\/$1'),
    css: css.replace(/<\/(style)/gi, '<\\/$1'),
    version,
  };
  return cached;
}
