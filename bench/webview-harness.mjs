// The webview as VS Code loads it, outside VS Code: the bundle built like esbuild.mjs builds it,
// the HTML from renderWebviewHtml (so the real CSP applies) served on loopback, in Debian's
// Chromium with the flags from FIELD-NOTES §5. Used by the benchmark (bench/webview-render.mjs)
// and by the real-browser test (test/unit/webviewChromium.test.ts).

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { webviewBuildOptions } from '../esbuild.webview.mjs';
import { launchBrowser } from '../test/harness/workbench.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Bundles `source`'s webview/main.ts and HTML renderer into `out`; returns renderWebviewHtml.
 * `source` is this tree, or another checkout to compare with (`--against`); one from before the
 * graph view has no layout worker and is bundled as it was then.
 */
async function build(out, minify, source) {
  const outfile = join(out, 'webview.js');
  const options = existsSync(join(source, 'webview/layoutWorker.ts'))
    ? { ...(await webviewBuildOptions({ outfile, minify })), entryPoints: [join(source, 'webview/main.ts')] }
    : {
        entryPoints: [join(source, 'webview/main.ts')],
        outfile,
        bundle: true,
        minify,
        platform: 'browser',
        format: 'iife',
        target: 'es2022',
      };
  if (source !== ROOT && options.define) {
    // The worker of the other tree, not this one's.
    const worker = await esbuild.build({
      ...options,
      entryPoints: [join(source, 'webview/layoutWorker.ts')],
      outfile: undefined,
      define: {},
      write: false,
    });
    options.define = { __DG_LAYOUT_WORKER__: JSON.stringify(worker.outputFiles[0].text) };
  }
  await esbuild.build({ ...options, logLevel: 'error' });
  await esbuild.build({
    entryPoints: [join(source, 'src/extension/webviewHtml.ts')],
    outfile: join(out, 'html.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'error',
  });
  return (await import(pathToFileURL(join(out, 'html.mjs')).href)).renderWebviewHtml;
}

function listen(out, renderHtml, source) {
  const codicons = dirname(createRequire(import.meta.url).resolve('@vscode/codicons/dist/codicon.css'));
  const files = {
    '/webview.js': [join(out, 'webview.js'), 'text/javascript'],
    '/webview.css': [join(source, 'media/webview.css'), 'text/css'],
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
 * Builds, serves and launches: returns `{ url, urls, browser, close }`. Pages opened on `url` run
 * the webview under its CSP; give them `acquireVsCodeApi` with `page.addInitScript` before
 * `goto`. `also` are other checkouts served beside this one (`urls[i + 1]`), to compare bundles
 * within one run on one browser.
 */
export async function startWebview({ minify = true, also = [] } = {}) {
  const out = mkdtempSync(join(tmpdir(), 'dg-webview-'));
  const servers = [];
  for (const [i, source] of [ROOT, ...also].entries()) {
    const dir = join(out, String(i));
    servers.push(await listen(dir, await build(dir, minify, source), source));
  }
  const browser = await launchBrowser();
  const urls = servers.map((server) => `http://127.0.0.1:${server.address().port}/`);
  return {
    url: urls[0],
    urls,
    browser,
    async close() {
      await browser.close();
      for (const server of servers) server.close();
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
