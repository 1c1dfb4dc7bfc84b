/**
 * The notebook's experiments under the real debugger: a breakpoint on every `# BREAK` line of
 * examples/notebook.py, "Show Deferred Graph" from the command palette at the first stop, and at
 * every stop the rows for a, b, d, deferreds[i] and join equal what Python's status() says there
 * (computed by real Python in the same interpreter) — including Experiment 3.a's "a waiting on b"
 * nesting and b.result turning None. Runs on both Twisted versions.
 */

import assert from 'node:assert/strict';
import path from 'node:path';
import { EXAMPLES, PY_TW22, PY_TW26 } from '../../harness/paths.mjs';
import { screenshot } from '../../harness/workbench.mjs';
import { breakMarkers, continueRun, pyLaunch, setBreakpoints, startDebugging } from '../lib/debug.mjs';
import { compareStop, expectedStops } from '../lib/expected.mjs';
import { showGraph, waitForGraph } from '../lib/graph.mjs';

const SCRIPT = 'notebook.py';
const CONFIG = pyLaunch('Notebook (e2e)', SCRIPT);
/** Stops whose view is kept as a screenshot (the notebook's interesting moments). */
const SHOTS = new Set(['exp3a/a-fired', 'exp3a/b-fired', 'exp4/joined']);

async function notebook(ctx, python, twisted) {
  const expected = await expectedStops(python, path.join(EXAMPLES, SCRIPT));
  assert.ok(expected.length >= 10, `the notebook reached only ${expected.length} BREAK lines in plain Python`);
  assert.ok(
    expected.some((e) => e.deferreds.some((d) => d.waitingOn)),
    'Python never showed a Deferred waiting on another',
  );
  const s = await ctx.session({ python, launch: [CONFIG] });
  const lines = breakMarkers(path.join(EXAMPLES, SCRIPT)).map((m) => m.line);
  await setBreakpoints(s, SCRIPT, lines);
  await startDebugging(s, CONFIG.name);
  for (const [i, exp] of expected.entries()) {
    const stop = await s.dap.waitForStop(i + 1);
    if (i === 0) assert.deepEqual(s.dap.breakpointLines(stop.frame.path), lines, 'the breakpoints VS Code sent are not the BREAK lines');
    assert.equal(
      stop.frame.line,
      exp.line,
      `stop ${i + 1} is at line ${stop.frame.line}, Python reached ${exp.marker} at line ${exp.line}`,
    );
    if (i === 0) await showGraph(s);
    const t0 = Date.now();
    await waitForGraph(s, (rows) => compareStop(exp, rows), { what: `stop ${i + 1} (${exp.marker}, line ${exp.line})` });
    ctx.note(
      `${exp.marker}: ${exp.deferreds.map((d) => `${d.names[0]}=(${d.result.text ?? d.result.kind}, ${d.callbacks})`).join(' ')} — matched in ${Date.now() - t0} ms`,
    );
    if (SHOTS.has(exp.marker)) await screenshot(s.page, `notebook-tw${twisted}-${exp.marker.replace(/\W+/g, '-')}`);
    await continueRun(s, i + 1);
  }
  await s.dap.waitForEnd();
  assert.equal(s.dap.stops().length, expected.length, 'the debugger stopped more often than Python reached BREAK lines');
  // The program printed its own status() at each BREAK line: as many as Python's tracer saw.
  const printed = s.dap
    .output()
    .split('\n')
    .filter((l) => /^exp[\w/-]+: status\(/.test(l));
  assert.ok(printed.length >= expected.length, `the program printed ${printed.length} status lines`);
}

export const tests = [
  { name: 'notebook experiments, Twisted 22.4', suite: 'e2e', timeoutMs: 300000, run: (ctx) => notebook(ctx, PY_TW22, '22') },
  { name: 'notebook experiments, Twisted 26.4', suite: 'e2e', timeoutMs: 300000, run: (ctx) => notebook(ctx, PY_TW26, '26') },
];
