// The folder boundaries of ARCHITECTURE.md, checked on the sources: only src/extension talks to
// VS Code (so the model, protocol and CLI run in plain Node), and the webview depends on nothing
// of the extension but the protocol and the model's one wording of a Deferred (src/model/view.ts).
import { describe, expect, it } from 'vitest';
import { importGraph, specifiersIn } from './importGraph';

/** The imports of `dirs` that break `allowed`, as "file → import" lines. */
function violations(dirs: string[], allowed: (target: string) => boolean): string[] {
  const bad: string[] = [];
  for (const [file, targets] of importGraph(dirs)) for (const t of targets) if (!allowed(t)) bad.push(`${file} → ${t}`);
  return bad;
}

const isVscode = (t: string) => t === 'vscode' || t.startsWith('vscode/');
const WEBVIEW_MAY_IMPORT = (t: string) => t.startsWith('webview/') || t.startsWith('src/protocol/') || t === 'src/model/view.ts';

describe('folder boundaries', () => {
  it('src/protocol, src/model and src/cli never import vscode', () => {
    expect(violations(['src/protocol', 'src/model', 'src/cli'], (t) => !isVscode(t))).toEqual([]);
  });

  it('webview/ imports only webview/, src/protocol/ and src/model/view.ts', () => {
    expect(violations(['webview'], WEBVIEW_MAY_IMPORT)).toEqual([]);
  });

  it('the import reader sees every form the sources use (so the checks above can fail)', () => {
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
    expect(specifiersIn(source)).toEqual(['vscode', '../protocol/protocol', './multi', './reexport', './lazy', './side-effect', './after-url']);
  });
});
