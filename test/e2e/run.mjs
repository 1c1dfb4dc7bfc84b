#!/usr/bin/env node
/**
 * `npm run test:e2e` / `npm run test:vscode`: builds, packages the .vsix, installs code-server if
 * needed, then runs the VS Code API suite (`--suite vscode`), the end-to-end scenarios
 * (`--suite e2e`) or both (`--suite all`, the default) against the packaged extension in a real
 * VS Code driven by Chromium. `--only TEXT` runs the tests whose name contains TEXT.
 * Ends with a summary and the line "N passed, N failed"; exit code 1 on any failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RESULTS, ROOT } from '../harness/paths.mjs';
import { run } from '../harness/proc.mjs';
import { ensureAll, packageVsix } from '../harness/setup.mjs';
import { runTests, summarize } from './lib/runner.mjs';

const SCENARIOS = [
  'comparator',
  'package',
  'smoke',
  'vscode-suite',
  'notebook',
  'tale5',
  'poetry',
  'callback-failure',
  'reload',
  'screenshots',
  'graph',
  'why',
];

function parseArgs(argv) {
  const args = { suite: 'all', only: null, build: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--suite') args.suite = argv[++i];
    else if (argv[i] === '--only') args.only = argv[++i];
    else if (argv[i] === '--no-build') args.build = false;
    else throw new Error(`unknown argument ${argv[i]} (use --suite vscode|e2e|all, --only TEXT, --no-build)`);
  }
  if (!['vscode', 'e2e', 'all'].includes(args.suite)) throw new Error(`--suite must be vscode, e2e or all, not ${args.suite}`);
  return args;
}

async function loadTests(args) {
  const tests = [];
  for (const name of SCENARIOS) {
    const file = path.join(ROOT, 'test', 'e2e', 'scenarios', `${name}.mjs`);
    if (!fs.existsSync(file)) continue;
    const mod = await import(file);
    tests.push(...mod.tests);
  }
  return tests.filter((t) => (args.suite === 'all' || t.suite === args.suite) && (!args.only || t.name.includes(args.only)));
}

/** Build steps; a failure here is reported as a failed test of each selected suite. */
async function prepare(args) {
  await ensureAll();
  if (!args.build) return;
  console.log('▶ npm run package (production build + vsce)');
  await packageVsix();
  if (args.suite !== 'e2e') {
    console.log('▶ build the VS Code API suite');
    await run(process.execPath, [path.join(ROOT, 'test', 'vscode-suite', 'build.mjs')], { cwd: ROOT });
  }
}

const args = parseArgs(process.argv.slice(2));
fs.mkdirSync(RESULTS, { recursive: true });
const tests = await loadTests(args);
let failed;
try {
  await prepare(args);
  failed = summarize(await runTests(tests));
} catch (err) {
  console.error(`\nbuild/setup failed: ${err.stack || err}`);
  const suites = args.suite === 'all' ? ['vscode', 'e2e'] : [args.suite];
  failed = summarize(
    [],
    suites.map((suite) => ({ suite, name: 'build and setup', error: String(err.message || err) })),
  );
}
process.exit(failed ? 1 : 0);
