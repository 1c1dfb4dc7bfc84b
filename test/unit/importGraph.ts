// The import graph of the TypeScript sources, read from the files themselves: what
// importGraph.test.ts checks (no cycles, the folder boundaries). A regular expression over comment-stripped source is enough here: the
// project writes only static `import … from '…'`, `export … from '…'` and `import('…')`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

const SPECIFIER =
  /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]/g;

/** Every module specifier a source text imports or re-exports, in order. */
export function specifiersIn(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  return [...code.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Every .ts file below `dir` (relative to the repo root), sorted. */
export function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(join(ROOT, d))) {
      const rel = join(d, name);
      if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
      else if (/\.ts$/.test(name) && !/\.d\.ts$/.test(name)) out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

/** A relative specifier as the file it names (repo-relative), the way the bundler resolves it. */
export function resolveSpecifier(fromFile: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const base = join(dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (/\.ts$/.test(candidate) && existsSync(join(ROOT, candidate))) return relative(ROOT, join(ROOT, candidate));
  }
  throw new Error(`${fromFile}: cannot resolve ${spec}`);
}

/** Repo-relative file → what it imports (files for relative specifiers, else the bare name), sorted. */
export function importGraph(dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of dirs.flatMap(sourcesUnder)) {
    const targets = specifiersIn(readFileSync(join(ROOT, file), 'utf8')).map((s) => resolveSpecifier(file, s));
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** Each cycle found by a depth-first walk, as the path that closes it (first node repeated). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string) => {
    const open = path.indexOf(node);
    if (open >= 0) {
      found.push([...path.slice(open), node]);
      return;
    }
    if (done.has(node) || !graph.has(node)) return;
    path.push(node);
    for (const next of graph.get(node) ?? []) visit(next);
    path.pop();
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) visit(node);
  return found;
}

/** Everything `start` reaches, itself excluded. */
export function reachable(graph: Map<string, string[]>, start: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(graph.get(start) ?? [])];
  while (stack.length > 0) {
    const node = stack.pop() as string;
    if (seen.has(node)) continue;
    seen.add(node);
    stack.push(...(graph.get(node) ?? []));
  }
  return seen;
}
