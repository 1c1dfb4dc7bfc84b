#!/usr/bin/env node
/**
 * `npm test`: installs what is missing (Debian packages, node_modules, the Twisted 26.4 venv,
 * code-server), then runs every suite — the style and boundary gate (Biome; ruff and mypy),
 * type check, vitest, the Python suites on Twisted 22.4 and 26.4 (with the fast real-world
 * programs), the VS Code
 * API suite in code-server and the end-to-end scenarios — and ends with a summary table and the
 * line "N passed, N failed" (the sum). Exit code 1 when anything failed.
 *
 * Each suite's full output goes to the console as it runs and to test-results/logs/.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RESULTS, ROOT } from './harness/paths.mjs';
import { ensureAll } from './harness/setup.mjs';

const LOGS = path.join(RESULTS, 'logs');

/** Runs a command with output streamed to the console and saved; resolves {code, output}. */
function tee(name, cmd, args) {
  fs.mkdirSync(LOGS, { recursive: true });
  const log = fs.createWriteStream(path.join(LOGS, `${name}.log`));
  return new Promise((resolve) => {
    // NO_COLOR, not FORCE_COLOR=0: pytest turns colour *on* for any FORCE_COLOR value.
    const env = { ...process.env, NO_COLOR: '1', PY_COLORS: '0' };
    delete env.FORCE_COLOR;
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
      log.write(chunk);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      output += String(err);
      resolve({ code: 127, output });
    });
    child.on('close', (code) => {
      log.end();
      resolve({ code: code ?? 1, output });
    });
  });
}

/** "12 passed, 1 failed, 2 errors" → counts (pytest and vitest wording). */
function countsIn(raw) {
  const text = raw.replace(/\x1b\[[0-9;]*m/g, '');
  const n = (re) => [...text.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
  return { passed: n(/(\d+) passed/g), failed: n(/(\d+) failed/g) + n(/(\d+) errors?\b/g) };
}

/** A command that is one check: 1 passed or 1 failed. */
async function single(name, cmd, args) {
  const { code } = await tee(name, cmd, args);
  return [{ name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 }];
}

async function vitest() {
  const json = path.join(RESULTS, 'vitest.json');
  fs.rmSync(json, { force: true });
  const { code } = await tee('vitest', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${json}`]);
  if (!fs.existsSync(json)) return [{ name: 'vitest', passed: 0, failed: 1, note: `no report (exit ${code})` }];
  const r = JSON.parse(fs.readFileSync(json, 'utf8'));
  const failed = r.numFailedTests + (code !== 0 && r.numFailedTests === 0 ? 1 : 0);
  return [{ name: 'vitest', passed: r.numPassedTests, failed, note: `${r.testResults?.length ?? '?'} files` }];
}

/**
 * One row per Twisted version, from run-both.sh's own summary lines: the Python suites, or with
 * `-m realworld` the long real-world workloads and Twisted's wider suites.
 */
async function python(name = 'python', extra = []) {
  const { code, output } = await tee(name, 'bash', ['test/python/run-both.sh', ...extra]);
  const summary = (output.split('=== summary').pop() ?? '').replace(/\x1b\[[0-9;]*m/g, '');
  const rows = summary
    .split('\n')
    .filter((l) => /^(ok|FAIL|MISSING)\s/.test(l))
    .map((line) => {
      const version = /Twisted ([\w.]+)/.exec(line)?.[1] ?? '?';
      const c = countsIn(line.split('): ').pop() ?? '');
      if (/^(FAIL|MISSING)/.test(line) && c.failed === 0) c.failed = 1;
      return { name: `${name}, Twisted ${version}`, ...c };
    });
  return rows.length ? rows : [{ name, passed: 0, failed: 1, note: `no summary (exit ${code})` }];
}

/** The VS Code API suite and the e2e scenarios in one code-server run of test/e2e/run.mjs. */
async function vscodeAndE2e() {
  const file = path.join(RESULTS, 'e2e-summary.json');
  fs.rmSync(file, { force: true });
  const { code } = await tee('e2e', process.execPath, ['test/e2e/run.mjs', '--suite', 'all']);
  if (!fs.existsSync(file)) return [{ name: 'VS Code suite + e2e', passed: 0, failed: 1, note: `no summary (exit ${code})` }];
  const { bySuite } = JSON.parse(fs.readFileSync(file, 'utf8'));
  const label = { vscode: 'VS Code API suite (code-server)', e2e: 'end-to-end scenarios (code-server)' };
  return ['vscode', 'e2e'].map((s) => ({ name: label[s], ...(bySuite[s] ?? { passed: 0, failed: 1 }) }));
}

const STEPS = [
  [
    'lint',
    async () => [
      ...(await single('format + lint, TypeScript (Biome)', 'npx', ['biome', 'ci', '--error-on-warnings', '.'])),
      ...(await single('format + lint + types, Python (ruff, mypy)', 'bash', ['test/python/lint.sh'])),
    ],
  ],
  ['typecheck', () => single('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json'])],
  ['vitest', vitest],
  ['python', () => python()],
  // The long real-world set (`npm run test:realworld`): a Scrapy crawl and autobahn (22.4, where
  // Debian has them) and Twisted's wider suites, each under the runtime as plainly (~1 minute).
  ['realworld', () => python('real-world set', ['-m', 'realworld'])],
  ['vscode+e2e', vscodeAndE2e],
];

const rows = [];
const started = Date.now();
try {
  await ensureAll();
} catch (err) {
  // Nothing can run without its set-up: stop at once with what to do, not after a table of failures.
  console.error(`\nnpm test cannot set up: ${err.message}`);
  process.exit(1);
}
for (const [name, step] of STEPS) {
  console.log(`\n════════ ${name} ════════`);
  const t0 = Date.now();
  const result = await step();
  for (const r of result) rows.push({ ...r, ms: Date.now() - t0 });
}

const width = Math.max(...rows.map((r) => r.name.length));
console.log('\n════════ summary ════════');
console.log(`${'suite'.padEnd(width)}  passed  failed   time`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(width)}  ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${`${Math.round(r.ms / 1000)}s`.padStart(5)}${r.failed ? '  ✗' : ''}${r.note ? `  (${r.note})` : ''}`,
  );
}
const passed = rows.reduce((s, r) => s + r.passed, 0);
const failed = rows.reduce((s, r) => s + r.failed, 0);
console.log(`total time ${Math.round((Date.now() - started) / 1000)} s; logs in test-results/logs/`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
