/**
 * The dependency rule of docs/architecture.md ("The dependency rule"), checked on the imports as
 * written in every file under src/ and scenarios/: no import cycle between files, no import from a
 * lower floor to a higher one, and the few narrower rules the page states. Every violation is
 * reported in one message, so a refactor sees the whole list at once.
 *
 * The imports are read with TypeScript's own parser (the text, not the type checker): comments and
 * strings that mention `import` are not imports, and `import type` is told apart from a value
 * import. Only `import type` / `export type` count as type-only: under `verbatimModuleSyntax`
 * `import { type X }` is kept as `import {} from`, a runtime import that esbuild would bundle.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One import as written: repo-relative POSIX paths, or the bare specifier (`zod`, `node:fs`). */
interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
}

interface ImportGraph {
  /** Every file read (repo-relative): an import of a path not in here names no file. */
  files: ReadonlySet<string>;
  edges: readonly ImportEdge[];
}

/** docs/architecture.md's floors: a folder of src/ (or a file at its top) may import its own floor's files and lower ones. */
const FLOORS: Readonly<Record<string, number>> = {
  core: 1,
  'version.ts': 1,
  results: 2,
  metrics: 3,
  engine: 4,
  server: 4,
  platform: 4,
  diagnosis: 4,
  k6: 4,
  dashboards: 4,
  doctor: 5,
  report: 5,
  cli: 6,
  'index.ts': 6,
};

/**
 * Imports between two different folders of one floor, `from -> to`. None exists today (checked: k6
 * imports only core; doctor and report both use diagnosis, a floor below, not each other), so none
 * is allowed: a new one is a design decision, to be made here and on the page, not by accident.
 */
const SAME_FLOOR_ALLOWED: ReadonlySet<string> = new Set<string>([]);

/** "engine/ never imports server/, platform/, diagnosis/, doctor/, report/ or cli/". */
const NEVER_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  engine: ['server', 'platform', 'diagnosis', 'doctor', 'report', 'cli'],
};

/** "server/ and platform/ import only core/ and results/" (besides their own files). */
const IMPORTS_ONLY: Readonly<Record<string, readonly string[]>> = {
  server: ['core', 'results'],
  platform: ['core', 'results'],
};

/** "core/ imports nothing from node:* or npm except zod": it is bundled into k6 scripts. */
const CORE_PACKAGES: ReadonlySet<string> = new Set(['zod']);

/** What scenarios/ may import type-only from src/ beyond src/core/: the summary's schema (no zod reaches a bundle). */
const SCENARIO_TYPE_IMPORTS: ReadonlySet<string> = new Set(['src/results/schema.ts']);

/** `src/<folder>/…` → folder, `src/<file>.ts` → file, `scenarios/…` → `scenarios`. */
function areaOf(file: string): string {
  const [top, second] = file.split('/');
  return top === 'scenarios' ? 'scenarios' : (second ?? '');
}

function checkImportGraph(graph: ImportGraph): string[] {
  const violations: string[] = [];
  for (const edge of graph.edges) {
    const message = checkEdge(edge, graph.files);
    if (message !== undefined) violations.push(`${edge.from} imports ${edge.to}${edge.typeOnly ? ' (type-only)' : ''}: ${message}`);
  }
  for (const cycle of findCycles(graph)) violations.push(`import cycle: ${cycle.join(' → ')}`);
  return violations;
}

function checkEdge(edge: ImportEdge, files: ReadonlySet<string>): string | undefined {
  const fromArea = areaOf(edge.from);
  const bare = !edge.to.startsWith('src/') && !edge.to.startsWith('scenarios/');
  if (bare) {
    if (fromArea === 'core' && edge.from.startsWith('src/') && !CORE_PACKAGES.has(edge.to)) return 'src/core/ imports nothing from node:* or npm except zod';
    return undefined;
  }
  if (!files.has(edge.to)) return 'no such file';
  const toArea = areaOf(edge.to);
  if (fromArea === 'scenarios') {
    if (toArea === 'scenarios' || edge.to.startsWith('src/core/')) return undefined;
    if (edge.typeOnly && SCENARIO_TYPE_IMPORTS.has(edge.to)) return undefined;
    return 'scenarios/ import only src/core/ (and types from src/results/schema.ts)';
  }
  if (toArea === 'scenarios') return 'src/ never imports scenarios/ (k6 scripts: src/k6/build.ts bundles them by path)';
  if (fromArea === toArea) return undefined;
  const fromFloor = FLOORS[fromArea];
  const toFloor = FLOORS[toArea];
  if (fromFloor === undefined) return `src/${fromArea} is on no floor of docs/architecture.md (add it there and to FLOORS)`;
  if (toFloor === undefined) return `src/${toArea} is on no floor of docs/architecture.md (add it there and to FLOORS)`;
  if (NEVER_IMPORTS[fromArea]?.includes(toArea)) return `${fromArea}/ never imports ${NEVER_IMPORTS[fromArea]?.join('/, ')}/`;
  const only = IMPORTS_ONLY[fromArea];
  if (only !== undefined && !only.includes(toArea)) return `${fromArea}/ imports only ${only.join('/ and ')}/`;
  if (toFloor > fromFloor) return `upward: ${fromArea} is on floor ${fromFloor}, ${toArea} on floor ${toFloor}`;
  if (toFloor === fromFloor && !SAME_FLOOR_ALLOWED.has(`${fromArea} -> ${toArea}`)) {
    return `${fromArea} and ${toArea} are both on floor ${fromFloor}, and ${fromArea} -> ${toArea} is not in SAME_FLOOR_ALLOWED`;
  }
  return undefined;
}

/** Each strongly connected group of files (Tarjan), as one cycle through it: `a → b → a`. */
function findCycles(graph: ImportGraph): string[][] {
  const next = new Map<string, string[]>();
  for (const edge of graph.edges) {
    if (!graph.files.has(edge.to)) continue;
    const list = next.get(edge.from) ?? [];
    if (!list.includes(edge.to)) list.push(edge.to);
    next.set(edge.from, list);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let counter = 0;
  const connect = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const to of next.get(file) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(file, Math.min(low.get(file) as number, low.get(to) as number));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file) as number, index.get(to) as number));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      group.push(member);
    } while (member !== file);
    if (group.length > 1 || next.get(file)?.includes(file)) groups.push(group);
  };
  for (const file of [...graph.files].sort()) if (!index.has(file)) connect(file);
  return groups.map((group) => cycleThrough(group, next));
}

/** The shortest way from the group's first file (by name) back to itself, staying inside the group. */
function cycleThrough(group: string[], next: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(group);
  const start = [...group].sort()[0] as string;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const to of next.get(file) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const between: string[] = [];
        for (let at: string | undefined = file; at !== undefined && at !== start; at = cameFrom.get(at)) between.unshift(at);
        return [start, ...between, start];
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, file);
        queue.push(to);
      }
    }
  }
  return [...group, group[0] as string];
}

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listSources(relative));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(relative);
  }
  return out;
}

/** Every import, re-export, dynamic `import()` and `import('…')` type of the files under `dirs`. */
function readImportGraph(dirs: readonly string[]): ImportGraph {
  const files = dirs.flatMap(listSources).sort();
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const add = (specifier: string, typeOnly: boolean): void => {
      const to = specifier.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts') : specifier;
      edges.push({ from: file, to, typeOnly });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        add(node.moduleSpecifier.text, node.importClause?.isTypeOnly === true);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
        add(node.moduleSpecifier.text, node.isTypeOnly);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [argument] = node.arguments;
        if (argument !== undefined && ts.isStringLiteralLike(argument)) add(argument.text, false);
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        add(node.argument.literal.text, true);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { files: new Set(files), edges };
}

describe('the dependency rule (docs/architecture.md)', () => {
  it('holds for every import under src/ and scenarios/', () => {
    const graph = readImportGraph(['src', 'scenarios']);
    // The reader found the tree, and the imports in it: a vacuous pass would say nothing.
    expect(graph.files.size).toBeGreaterThan(100);
    expect(graph.edges.some((edge) => edge.from === 'src/index.ts' && edge.to === 'src/engine/index.ts')).toBe(true);
    expect(graph.edges.some((edge) => edge.from === 'scenarios/lib/summary.ts' && edge.to === 'src/results/schema.ts' && edge.typeOnly)).toBe(true);
    const violations = checkImportGraph(graph);
    expect(violations, `\n${violations.join('\n')}\n`).toEqual([]);
  });

  it('reports every kind of violation of a made-up tree, all in one list', () => {
    const files = [
      'src/core/a.ts',
      'src/core/b.ts',
      'src/results/schema.ts',
      'src/results/x.ts',
      'src/results/y.ts',
      'src/metrics/m.ts',
      'src/engine/e.ts',
      'src/server/s.ts',
      'src/k6/build.ts',
      'src/dashboards/d.ts',
      'src/report/r.ts',
      'src/cli/main.ts',
      'src/index.ts',
      'src/rooms/new.ts',
      'scenarios/lib/ok.ts',
      'scenarios/lib/bad.ts',
    ];
    const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({ from, to, typeOnly });
    const fine = [
      edge('src/index.ts', 'src/report/r.ts'),
      edge('src/cli/main.ts', 'src/report/r.ts'),
      edge('src/report/r.ts', 'src/engine/e.ts'),
      edge('src/engine/e.ts', 'src/metrics/m.ts'),
      edge('src/server/s.ts', 'src/results/x.ts'),
      edge('src/core/a.ts', 'zod'),
      edge('src/core/a.ts', 'src/core/b.ts'),
      edge('src/engine/e.ts', 'undici'),
      edge('scenarios/lib/ok.ts', 'src/core/a.ts'),
      edge('scenarios/lib/ok.ts', 'src/results/schema.ts', true),
      edge('scenarios/lib/ok.ts', 'k6/http'),
    ];
    expect(checkImportGraph({ files: new Set(files), edges: fine })).toEqual([]);

    const bad = [
      edge('src/core/b.ts', 'src/engine/e.ts'),
      edge('src/core/b.ts', 'node:fs'),
      edge('src/results/x.ts', 'src/results/y.ts'),
      edge('src/results/y.ts', 'src/results/x.ts', true),
      edge('src/k6/build.ts', 'src/dashboards/d.ts'),
      edge('src/engine/e.ts', 'src/server/s.ts'),
      edge('src/server/s.ts', 'src/metrics/m.ts'),
      edge('src/cli/main.ts', 'src/index.ts'),
      edge('src/rooms/new.ts', 'src/core/a.ts'),
      edge('src/report/r.ts', 'scenarios/lib/ok.ts'),
      edge('src/report/r.ts', 'src/report/gone.ts'),
      edge('scenarios/lib/bad.ts', 'src/engine/e.ts', true),
      edge('scenarios/lib/bad.ts', 'src/results/schema.ts'),
    ];
    const violations = checkImportGraph({ files: new Set(files), edges: [...fine, ...bad] });
    expect(violations).toEqual([
      'src/core/b.ts imports src/engine/e.ts: upward: core is on floor 1, engine on floor 4',
      'src/core/b.ts imports node:fs: src/core/ imports nothing from node:* or npm except zod',
      'src/k6/build.ts imports src/dashboards/d.ts: k6 and dashboards are both on floor 4, and k6 -> dashboards is not in SAME_FLOOR_ALLOWED',
      'src/engine/e.ts imports src/server/s.ts: engine/ never imports server/, platform/, diagnosis/, doctor/, report/, cli/',
      'src/server/s.ts imports src/metrics/m.ts: server/ imports only core/ and results/',
      'src/cli/main.ts imports src/index.ts: cli and index.ts are both on floor 6, and cli -> index.ts is not in SAME_FLOOR_ALLOWED',
      'src/rooms/new.ts imports src/core/a.ts: src/rooms is on no floor of docs/architecture.md (add it there and to FLOORS)',
      'src/report/r.ts imports scenarios/lib/ok.ts: src/ never imports scenarios/ (k6 scripts: src/k6/build.ts bundles them by path)',
      'src/report/r.ts imports src/report/gone.ts: no such file',
      'scenarios/lib/bad.ts imports src/engine/e.ts (type-only): scenarios/ import only src/core/ (and types from src/results/schema.ts)',
      'scenarios/lib/bad.ts imports src/results/schema.ts: scenarios/ import only src/core/ (and types from src/results/schema.ts)',
      'import cycle: src/results/x.ts → src/results/y.ts → src/results/x.ts',
    ]);
  });

  it('names a longer cycle file by file, type-only links included', () => {
    const files = ['src/doctor/a.ts', 'src/doctor/b.ts', 'src/doctor/c.ts', 'src/doctor/d.ts'];
    const edges: ImportEdge[] = [
      { from: 'src/doctor/a.ts', to: 'src/doctor/b.ts', typeOnly: false },
      { from: 'src/doctor/b.ts', to: 'src/doctor/c.ts', typeOnly: true },
      { from: 'src/doctor/c.ts', to: 'src/doctor/a.ts', typeOnly: true },
      { from: 'src/doctor/c.ts', to: 'src/doctor/d.ts', typeOnly: false },
    ];
    expect(checkImportGraph({ files: new Set(files), edges })).toEqual(['import cycle: src/doctor/a.ts → src/doctor/b.ts → src/doctor/c.ts → src/doctor/a.ts']);
  });
});
