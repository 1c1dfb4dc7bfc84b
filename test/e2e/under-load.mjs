#!/usr/bin/env node
/**
 * Runs end-to-end scenarios several times in a row while every core is kept busy by another
 * process (one busy loop per core), to show that the harness steps by the debugger's own events
 * and not by timing: `node test/e2e/under-load.mjs [--runs N] [--only TEXT]` (defaults: 5 runs of
 * the notebook experiments on both Twisted versions). Builds once, then `--no-build` per run.
 * Prints one line per run and exits 1 if any run failed.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../harness/paths.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const runs = Number(option('runs', '5'));
const only = option('only', 'notebook experiments');
const RUNNER = path.join(ROOT, 'test', 'e2e', 'run.mjs');

function e2e(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RUNNER, '--suite', 'e2e', '--only', only, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      out += c;
    });
    child.on('close', (code) => resolve({ code, out }));
  });
}

const hogs = os.cpus().map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const stopHogs = () => {
  for (const h of hogs) h.kill('SIGKILL');
};
process.on('exit', stopHogs);
console.log(
  `${hogs.length} busy loops started (one per core); load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

let failed = 0;
for (let i = 1; i <= runs; i++) {
  const t0 = Date.now();
  const { code, out } = await e2e(i === 1 ? [] : ['--no-build']);
  const summary = out.trim().split('\n').at(-1);
  const load = os.loadavg()[0].toFixed(1);
  console.log(`run ${i}/${runs}: ${code === 0 ? 'green' : 'RED'} — ${summary} (${Math.round((Date.now() - t0) / 1000)} s, load ${load})`);
  if (code !== 0) {
    failed++;
    console.log(
      out
        .split('\n')
        .filter((l) => /✗|Error|error|timed out/.test(l))
        .slice(0, 20)
        .join('\n'),
    );
  }
}
stopHogs();
console.log(`${runs - failed} of ${runs} runs green with every core busy`);
process.exit(failed ? 1 : 0);
