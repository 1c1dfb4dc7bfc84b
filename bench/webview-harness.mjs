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
import { webviewBuildOptions } from '../esbuild.webview.mjs';
import { launchBrowser } from '../test/harness/workbench.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles webview/main.ts and the HTML renderer into `out`; returns renderWebviewHtml. */
async function build(out, minify) {
  await esbuild.build({ ...(await webviewBuildOptions({ outfile: join(out, 'webview.js'), minify })), logLevel: 'error' });
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

/**
 * A page of the harness's webview for a test: VS Code's API stood in for (every message the
 * webview posts, and every CSP violation, lands in `window.__posted`), console errors and page
 * errors collected in `problems`; resolves once the webview has said `ready`.
 */
export async function openTestPage(harness, viewport) {
  const page = await harness.browser.newPage({ viewport });
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.addInitScript(() => {
    const posted = [];
    window.__posted = posted;
    window.acquireVsCodeApi = () => ({ postMessage: (m) => posted.push(m), getState: () => undefined, setState: () => undefined });
    document.addEventListener('securitypolicyviolation', (e) => posted.push({ violation: e.violatedDirective }));
  });
  await page.goto(harness.url);
  await page.waitForFunction(() => window.__posted.some((m) => m.type === 'ready'));
  return { page, problems, posted: () => page.evaluate(() => window.__posted) };
}
