/**
 * Where things live, in one place, so the harness, the e2e suite, `npm start` and `npm test`
 * agree on the same folders.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE = path.join(ROOT, '.cache');
export const RESULTS = path.join(ROOT, 'test-results');
export const VSIX = path.join(ROOT, 'dist', 'deferred-graph.vsix');
export const HELPER_EXTENSION = path.join(ROOT, 'test', 'helper-extension');
export const EXAMPLES = path.join(ROOT, 'examples');
export const SUITE_ENTRY = path.join(ROOT, 'out', 'vscode-suite', 'index.js');

/** Twisted 22.4 + debugpy 1.6 (Debian). */
export const PY_TW22 = '/usr/bin/python3';
/** Twisted 26.4 + debugpy 1.8.22 (venv built by test/run-all.mjs from the local wheelhouse). */
export const PY_TW26 = path.join(CACHE, 'venv-tw26', 'bin', 'python');
