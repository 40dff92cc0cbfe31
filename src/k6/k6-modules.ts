/**
 * The modules a k6 1.x script may import: k6's built-in modules
 * (grafana.com/docs/k6/latest/javascript-api/) and the one extension streamsoak uses, xk6-sse. A
 * bundle that imports anything else (a Node built-in, an npm package left external) would fail
 * when k6 loads it, so the build and its test check every import against this list.
 */

export const K6_BUILTIN_MODULES = [
  'k6',
  'k6/browser',
  'k6/crypto',
  'k6/data',
  'k6/encoding',
  'k6/execution',
  'k6/experimental/csv',
  'k6/experimental/fs',
  'k6/experimental/redis',
  'k6/experimental/streams',
  'k6/html',
  'k6/http',
  'k6/metrics',
  'k6/net/grpc',
  'k6/secrets',
  'k6/timers',
  'k6/websockets',
  'k6/ws',
] as const;

/** Extensions: k6 ≥ 1.2 resolves them automatically on local runs; images built with xk6 carry them. */
export const K6_EXTENSION_MODULES = ['k6/x/sse'] as const;

export const K6_MODULES: readonly string[] = [...K6_BUILTIN_MODULES, ...K6_EXTENSION_MODULES];

export function isK6Module(specifier: string): boolean {
  return K6_MODULES.includes(specifier);
}

/**
 * The specifiers a bundle imports: static `import ... from "x"`, bare `import "x"`, `export ... from
 * "x"`, dynamic `import("x")` and `require("x")`. Read from the text, so it checks what k6 will see.
 */
export function listBundleImports(source: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /^\s*import\s+(?:[\w$*{}\s,]+?\s+from\s+)?["']([^"']+)["']/gm,
    /^\s*export\s+[\w$*{}\s,]+?\s+from\s+["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.add(match[1] as string);
  return [...found].sort();
}
