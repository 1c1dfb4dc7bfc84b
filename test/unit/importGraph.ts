// The import graph of the TypeScript sources, read from the files themselves: what the boundary
// and cycle tests check. A regular expression over comment-stripped source is enough here: the
// project writes only static `import … from '…'`, `export … from '…'` and `import('…')`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

const SPECIFIER = /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]/g;

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

/** A relative specifier resolved to a repo-relative .ts file; a package name stays as it is. */
export function resolveSpecifier(fromFile: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const base = join(dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (/\.ts$/.test(candidate) && existsSync(join(ROOT, candidate))) return relative(ROOT, join(ROOT, candidate));
  }
  return base;
}

/** file → the files and packages it imports (resolved). */
export function importGraph(dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of dirs.flatMap(sourcesUnder)) {
    graph.set(file, specifiersIn(readFileSync(join(ROOT, file), 'utf8')).map((s) => resolveSpecifier(file, s)));
  }
  return graph;
}
