/**
 * Expected Deferred statuses from real Python: runs test/e2e/python/expected_status.py on a
 * script with the same interpreter the debug session uses, and compares one stop's expectations
 * with the rows the view shows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../harness/paths.mjs';
import { run } from '../../harness/proc.mjs';
import { sameText } from './graph.mjs';

const TRACER = path.join(ROOT, 'test', 'e2e', 'python', 'expected_status.py');

/** One record per `# BREAK` line reached, in execution order. */
export async function expectedStops(python, script, args = []) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dg-expected-')), 'expected.json');
  await run(python, [TRACER, out, script, ...args], { quiet: true, cwd: path.dirname(script) });
  return JSON.parse(fs.readFileSync(out, 'utf8'));
}

/** The live (not collected) row shown under one of the Deferred's names. */
function rowFor(rows, names) {
  return rows.find((r) => names.includes(r.label) && !r.collected);
}

/**
 * Problems between one stop's expectations and the view's rows (empty when they agree):
 * result or N/A, callback count, "waiting on" with the awaited Deferred nested under the waiter.
 */
export function compareStop(expected, rows) {
  const problems = [];
  for (const d of expected.deferreds) {
    const name = d.names[0];
    const row = rowFor(rows, d.names);
    if (!row) {
      problems.push(`no row for ${name}`);
      continue;
    }
    const r = d.result;
    if (r.kind === 'none' || r.kind === 'value') {
      if (!sameText(row.result, r.text))
        problems.push(`${name}.result: view ${JSON.stringify(row.result)}, Python ${JSON.stringify(r.text)}`);
    } else if (r.kind === 'deferred') {
      const target = rowFor(rows, r.targetNames);
      if (!target || row.result !== `→ #${target.id}`)
        problems.push(
          `${name}.result: view ${JSON.stringify(row.result)}, Python: the Deferred ${r.targetNames[0] ?? '?'}${target ? ` (#${target.id})` : ''}`,
        );
    } else if (!sameText(row.result, r.text)) {
      problems.push(`${name}.result: view ${JSON.stringify(row.result)}, Python Failure ${JSON.stringify(r.text)}`);
    }
    if (row.callbacks !== String(d.callbacks)) problems.push(`${name} callbacks: view ${row.callbacks}, Python ${d.callbacks}`);
    if (d.waitingOn) {
      const target = rowFor(rows, d.waitingOn);
      if (!row.state.includes(`waiting on ${d.waitingOn[0]}`))
        problems.push(`${name} state: view ${JSON.stringify(row.state)}, Python: waiting on ${d.waitingOn[0]}`);
      if (!target || target.level !== row.level + 1 || target.index < row.index)
        problems.push(`${d.waitingOn[0]} is not nested under ${name}`);
    } else if (row.status === 'waiting') {
      problems.push(`${name} state: view ${JSON.stringify(row.state)}, Python: not waiting`);
    }
  }
  return problems;
}
