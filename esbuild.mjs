// One esbuild config, one output per artifact: the extension host bundle, the webview bundle
// and the CLI. Type checking is separate (`npm run typecheck`).

import { copyFileSync, mkdirSync, watchFile } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';
import { webviewBuildOptions } from './esbuild.webview.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  target: 'es2022',
};

const builds = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    external: ['vscode'],
  },
  await webviewBuildOptions({ minify: production, sourcemap: common.sourcemap }),
  {
    ...common,
    entryPoints: ['src/cli/cli.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
  },
];

/**
 * Static webview assets shipped beside the bundles (the .vsix carries dist/, not node_modules):
 * the stylesheet and the codicon font with its CSS (which loads ./codicon.ttf relatively).
 */
function copyAssets() {
  const codicons = dirname(createRequire(import.meta.url).resolve('@vscode/codicons/dist/codicon.css'));
  mkdirSync('dist/codicons', { recursive: true });
  for (const file of ['codicon.css', 'codicon.ttf']) copyFileSync(join(codicons, file), join('dist/codicons', file));
  copyFileSync('media/webview.css', 'dist/webview.css');
}

copyAssets();

if (watch) {
  watchFile('media/webview.css', { interval: 500 }, copyAssets);
  for (const options of builds) {
    const context = await esbuild.context(options);
    await context.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
