#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark in turn and leaves their RESULTS-*.md files in bench/.
 * Benchmarks are measurements, not tests: a run prints figures; targets are compared in the
 * result files and the README, never asserted.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PY_TW22, ROOT } from '../test/harness/paths.mjs';

const node = (file, ...args) => [process.execPath, ['--expose-gc', path.join('bench', file), ...args]];
const BENCHES = [
  // Runs both Twisted versions itself, with and without debugpy.
  ['Python runtime overhead (Twisted 22.4 and 26.4)', PY_TW22, [path.join('bench', 'python', 'deferred_micro.py')]],
  // A real workload: a Scrapy crawl, plain and under the runtime (Debian's Scrapy: Twisted 22.4).
  ['Scrapy crawl CPU time (Twisted 22.4)', PY_TW22, [path.join('bench', 'python', 'scrapy_crawl.py')]],
  ['chain model throughput', ...node('model-throughput.mjs')],
  ['webview rendering', ...node('webview-render.mjs')],
  ['end-to-end latency in VS Code', ...node('e2e-latency.mjs')],
];

let failed = 0;
for (const [name, cmd, args] of BENCHES) {
  const script = args.find((a) => a.startsWith('bench'));
  if (!fs.existsSync(path.join(ROOT, script))) {
    console.log(`\n▶ ${name}: ${script} not found, skipped`);
    continue;
  }
  console.log(`\n▶ ${name}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    failed += 1;
    console.log(`✗ ${name} exited with ${r.status}`);
  }
}
process.exit(failed ? 1 : 0);
