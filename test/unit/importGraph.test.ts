// The import graph of src/ and webview/, read from the sources: no module may import itself
// through others (a cycle makes the load order decide what is undefined at start-up, and it
// means two modules are really one), and the layering rules hold — src/protocol, src/model and
// src/cli never reach `vscode`, and the webview bundle takes only the protocol and the model's
// view module from src/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');

/** Every import of a module: `import … from`, `export … from`, side-effect `import '…'`, `import('…')`. */
const IMPORT_PATTERNS = [
  /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [path] : [];
  });
}

/** A relative specifier as the file it names (root-relative), the way the bundler resolves it. */
function resolveSpecifier(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return relative(ROOT, candidate);
    } catch {
      // try the next spelling
    }
  }
  throw new Error(`${relative(ROOT, from)}: cannot resolve ${specifier}`);
}

/** Root-relative file → what it imports: files for relative specifiers, else the bare name. */
function importGraph(dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of dirs.flatMap((dir) => sourceFiles(join(ROOT, dir)))) {
    const text = readFileSync(file, 'utf8');
    const targets = new Set<string>();
    for (const pattern of IMPORT_PATTERNS) {
      for (const match of text.matchAll(pattern)) {
        const specifier = match[1];
        targets.add(specifier.startsWith('.') ? resolveSpecifier(file, specifier) : specifier);
      }
    }
    graph.set(relative(ROOT, file), [...targets].sort());
  }
  return graph;
}

/** Each cycle found by a depth-first walk, as the path that closes it (first node repeated). */
function cycles(graph: Map<string, string[]>): string[][] {
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
function reachable(graph: Map<string, string[]>, start: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(graph.get(start) ?? [])];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    stack.push(...(graph.get(node) ?? []));
  }
  return seen;
}

const graph = importGraph(['src', 'webview']);
const filesUnder = (prefix: string) => [...graph.keys()].filter((file) => file.startsWith(prefix));

describe('import graph of src/ and webview/', () => {
  it('is read from the sources: every file, with its relative and bare imports', () => {
    expect(filesUnder('src/extension/').length).toBeGreaterThan(10);
    expect(filesUnder('webview/').length).toBeGreaterThan(5);
    expect(graph.get('src/extension/extension.ts')).toEqual(expect.arrayContaining(['vscode', 'src/extension/sessions.ts']));
    expect(graph.get('src/model/index.ts')).toContain('src/model/sessionModel.ts');
  });

  it('finds a cycle where there is one', () => {
    const looped = new Map([['a', ['b']], ['b', ['c', 'x']], ['c', ['a']], ['x', []]]);
    expect(cycles(looped)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('has no cycles', () => {
    expect(cycles(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('keeps vscode out of src/protocol, src/model and src/cli, even indirectly', () => {
    const offenders = [...filesUnder('src/protocol/'), ...filesUnder('src/model/'), ...filesUnder('src/cli/')]
      .filter((file) => reachable(graph, file).has('vscode'));
    expect(offenders).toEqual([]);
  });

  it('lets the webview take only src/protocol and src/model/view.ts from src/', () => {
    const allowed = (target: string) =>
      target.startsWith('webview/') || target.startsWith('src/protocol/') || target === 'src/model/view.ts';
    const outside = filesUnder('webview/').flatMap((file) =>
      (graph.get(file) ?? []).filter((target) => !allowed(target)).map((target) => `${file} → ${target}`),
    );
    expect(outside).toEqual([]);
  });
});
