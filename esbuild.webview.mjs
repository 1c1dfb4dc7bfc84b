// How the webview bundle is built, shared by esbuild.mjs and the browser harness
// (bench/webview-harness.mjs), so the tests load exactly what ships. The graph layout worker is
// bundled first and inlined into the webview bundle as a string (`__DG_LAYOUT_WORKER__`): the
// webview starts it from a Blob URL (CSP `worker-src blob:`), because a worker cannot be
// started from a webview resource URL.

import { join } from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = import.meta.dirname;

/** esbuild options for dist/webview.js (or `outfile`), with the worker's source defined in. */
export async function webviewBuildOptions({ outfile = 'dist/webview.js', minify = false, sourcemap = false } = {}) {
  const worker = await esbuild.build({
    entryPoints: [join(ROOT, 'webview/layoutWorker.ts')],
    bundle: true,
    write: false,
    minify,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'error',
  });
  return {
    entryPoints: [join(ROOT, 'webview/main.ts')],
    outfile,
    bundle: true,
    minify,
    sourcemap,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'info',
    define: { __DG_LAYOUT_WORKER__: JSON.stringify(worker.outputFiles[0].text) },
  };
}
