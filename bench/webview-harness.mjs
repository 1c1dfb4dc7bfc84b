// The webview as VS Code loads it, outside VS Code: the bundle built like esbuild.mjs builds it,
// the HTML from renderWebviewHtml (so the real CSP applies) served on loopback, in Debian's
// Chromium with the flags from FIELD-NOTES §5. Used by the benchmark (bench/webview-render.mjs)
// and by the real-browser test (test/unit/webviewChromium.test.ts).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { launchBrowser } from '../test/harness/workbench.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles webview/main.ts and the HTML renderer into `out`; returns renderWebviewHtml. */
async function build(out, minify) {
  await esbuild.build({
    entryPoints: [join(ROOT, 'webview/main.ts')],
    outfile: join(out, 'webview.js'),
    bundle: true,
    minify,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'error',
  });
  await esbuild.build({
    entryPoints: [join(ROOT, 'src/extension/webviewHtml.ts')],
    outfile: join(out, 'html.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'error',
  });
  return (await import(pathToFileURL(join(out, 'html.mjs')).href)).renderWebviewHtml;
}

function listen(out, renderHtml) {
  const codicons = dirname(createRequire(import.meta.url).resolve('@vscode/codicons/dist/codicon.css'));
  const files = {
    '/webview.js': [join(out, 'webview.js'), 'text/javascript'],
    '/webview.css': [join(ROOT, 'media/webview.css'), 'text/css'],
    '/codicons/codicon.css': [join(codicons, 'codicon.css'), 'text/css'],
    '/codicons/codicon.ttf': [join(codicons, 'codicon.ttf'), 'font/ttf'],
  };
  const server = createServer((req, res) => {
    const base = `http://${req.headers.host}`;
    const path = new URL(req.url, base).pathname;
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
    } else if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        renderHtml({
          cspSource: base,
          nonce: randomBytes(16).toString('base64'),
          scriptUri: `${base}/webview.js`,
          styleUri: `${base}/webview.css`,
          codiconsUri: `${base}/codicons/codicon.css`,
        }),
      );
    } else if (files[path]) {
      res.writeHead(200, { 'content-type': files[path][1] });
      res.end(readFileSync(files[path][0]));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Builds, serves and launches: returns `{ url, browser, close }`. Pages opened on `url` run the
 * webview under its CSP; give them `acquireVsCodeApi` with `page.addInitScript` before `goto`.
 */
export async function startWebview({ minify = true } = {}) {
  const out = mkdtempSync(join(tmpdir(), 'dg-webview-'));
  const server = await listen(out, await build(out, minify));
  const browser = await launchBrowser();
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    browser,
    async close() {
      await browser.close();
      server.close();
      rmSync(out, { recursive: true, force: true });
    },
  };
}
