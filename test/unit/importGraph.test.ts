// The import graph of src/ and webview/, read from the sources: no module may import itself
// through others (a cycle makes the load order decide what is undefined at start-up, and it
// means two modules are really one), and the layering rules hold — src/protocol, src/model and
// src/cli never reach `vscode`, and the webview bundle takes only the protocol and the model's
// view module from src/.
import { describe, expect, it } from 'vitest';
import { cycles, importGraph, reachable, specifiersIn } from './importGraph';

const graph = importGraph(['src', 'webview']);
const filesUnder = (prefix: string) => [...graph.keys()].filter((file) => file.startsWith(prefix));

describe('import graph of src/ and webview/', () => {
  it('is read from the sources: every file, with its relative and bare imports', () => {
    expect(filesUnder('src/extension/').length).toBeGreaterThan(10);
    expect(filesUnder('webview/').length).toBeGreaterThan(5);
    expect(graph.get('src/extension/extension.ts')).toEqual(expect.arrayContaining(['vscode', 'src/extension/sessions.ts']));
    expect(graph.get('src/model/index.ts')).toContain('src/model/sessionModel.ts');
  });

  it('reads every form of import the sources use, and none in comments', () => {
    const source = [
      "import * as vscode from 'vscode';",
      "import type { A } from '../protocol/protocol';",
      'import {\n  b,\n  c,\n} from "./multi";',
      "export { d } from './reexport';",
      "const e = await import('./lazy');",
      "import './side-effect';",
      "// import { no } from 'commented-out';",
      "/* import { no } from 'block-comment'; */",
      "const url = 'http://example.com'; import { f } from './after-url';",
    ].join('\n');
    expect(specifiersIn(source)).toEqual([
      'vscode',
      '../protocol/protocol',
      './multi',
      './reexport',
      './lazy',
      './side-effect',
      './after-url',
    ]);
  });

  it('finds a cycle where there is one', () => {
    const looped = new Map([
      ['a', ['b']],
      ['b', ['c', 'x']],
      ['c', ['a']],
      ['x', []],
    ]);
    expect(cycles(looped)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('has no cycles', () => {
    expect(cycles(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('keeps vscode out of src/protocol, src/model and src/cli, even indirectly', () => {
    const offenders = [...filesUnder('src/protocol/'), ...filesUnder('src/model/'), ...filesUnder('src/cli/')].filter((file) =>
      reachable(graph, file).has('vscode'),
    );
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
