// Bundles the VS Code API suite for the two hosts: out/vscode-suite/index.js (required by the
// code-server test helper extension) and out/vscode-suite/electron.js (@vscode/test-electron).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

await esbuild.build({
  entryPoints: { index: path.join(here, 'index.ts'), electron: path.join(here, 'electron.ts') },
  outdir: path.join(root, 'out', 'vscode-suite'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'es2022',
  sourcemap: 'inline',
  external: ['vscode'],
  logLevel: 'info',
});
