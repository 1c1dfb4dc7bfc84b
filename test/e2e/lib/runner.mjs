/**
 * A deliberately small test runner for the end-to-end suites (playwright-core has none): tests
 * run one after another, each with a time limit; every workbench a test opens is closed after it,
 * with a screenshot of each open page when it failed; results go to the console and to
 * test-results/e2e-summary.json for `npm test`'s table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RESULTS } from '../../harness/paths.mjs';
import { openSession } from './session.mjs';

/** What a test gets: `session(options)` opens a workbench that is closed for it afterwards. */
class Context {
  constructor(test) {
    this.test = test;
    this.sessions = [];
    this.notes = [];
  }

  async session(options) {
    const s = await openSession({ name: this.test.name.replace(/[^\w.-]+/g, '-'), ...options });
    this.sessions.push(s);
    return s;
  }

  /** A line in the test's report (measured figures, what was compared). */
  note(text) {
    this.notes.push(text);
    console.log(`    · ${text}`);
  }

  async cleanup(failed) {
    for (const [i, s] of this.sessions.entries()) {
      if (failed) {
        const file = path.join(RESULTS, `FAILED-${this.test.name.replace(/[^\w.-]+/g, '-')}-${i}.png`);
        await s.page.screenshot({ path: file }).catch(() => {});
      }
      await s.close().catch(() => {});
    }
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
    }),
  ]);
}

/**
 * @param {{name:string, suite:string, timeoutMs?:number, run:(ctx:Context)=>Promise<void>}[]} tests
 * @returns {Promise<{name:string, suite:string, ok:boolean, ms:number, error?:string, notes:string[]}[]>}
 */
export async function runTests(tests) {
  const results = [];
  for (const test of tests) {
    const ctx = new Context(test);
    const started = Date.now();
    console.log(`\n▶ [${test.suite}] ${test.name}`);
    let error;
    let sub;
    try {
      sub = await withTimeout(test.run(ctx), test.timeoutMs ?? 180000, test.name);
    } catch (err) {
      error = err;
    }
    await ctx.cleanup(Boolean(error) || (Array.isArray(sub) && sub.some((r) => !r.ok)));
    const ms = Date.now() - started;
    if (!error && Array.isArray(sub)) {
      // A test that runs a whole suite elsewhere (the VS Code API suite) reports each of its tests.
      for (const r of sub) {
        results.push({
          name: `${test.name} › ${r.name}`,
          suite: test.suite,
          ok: r.ok,
          ms: r.ms ?? 0,
          notes: [],
          ...(r.ok ? {} : { error: r.error ?? 'failed' }),
        });
        console.log(`${r.ok ? '✓' : '✗'} ${test.name} › ${r.name}${r.ok ? '' : `\n${indent(String(r.error))}`}`);
      }
      continue;
    }
    const result = { name: test.name, suite: test.suite, ok: !error, ms, notes: ctx.notes };
    if (error) result.error = String(error.stack || error);
    console.log(
      error ? `✗ ${test.name} (${(ms / 1000).toFixed(1)} s)\n${indent(result.error)}` : `✓ ${test.name} (${(ms / 1000).toFixed(1)} s)`,
    );
    results.push(result);
  }
  return results;
}

function indent(text) {
  return text
    .split('\n')
    .slice(0, 30)
    .map((l) => `    ${l}`)
    .join('\n');
}

/** Prints the summary and writes test-results/e2e-summary.json; returns the failure count. */
export function summarize(results, extraFailures = []) {
  fs.mkdirSync(RESULTS, { recursive: true });
  const bySuite = {};
  for (const r of results) {
    bySuite[r.suite] ??= { passed: 0, failed: 0 };
    bySuite[r.suite][r.ok ? 'passed' : 'failed'] += 1;
  }
  for (const f of extraFailures) {
    bySuite[f.suite] ??= { passed: 0, failed: 0 };
    bySuite[f.suite].failed += 1;
  }
  fs.writeFileSync(path.join(RESULTS, 'e2e-summary.json'), JSON.stringify({ bySuite, results, extraFailures }, null, 2));
  console.log('\n──────── end-to-end summary ────────');
  for (const r of results) console.log(`${r.ok ? '✓' : '✗'} [${r.suite}] ${r.name}${r.ok ? '' : `: ${r.error.split('\n')[0]}`}`);
  for (const f of extraFailures) console.log(`✗ [${f.suite}] ${f.name}: ${f.error.split('\n')[0]}`);
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed + extraFailures.length;
  console.log(`${passed} passed, ${failed} failed`);
  return failed;
}
