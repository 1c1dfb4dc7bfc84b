/**
 * A program whose callbacks raise (examples/callback_error.py, no breakpoints): the failure is
 * shown when it happens — "order 2" and "order 3" turn failed with the ValueError while the
 * program still runs, well before order 2's errback handles it — then order 2 recovers to 0 and
 * order 3, collected with its Failure unhandled, is flagged.
 */
import assert from 'node:assert/strict';
import { screenshot } from '../../harness/workbench.mjs';
import { poll } from '../lib/dap-log.mjs';
import { pyLaunch, sampleWhile, startDebugging } from '../lib/debug.mjs';
import { readRows, showGraph, waitForGraph } from '../lib/graph.mjs';

const DELAY_S = 3;
const CONFIG = pyLaunch('Callback error (e2e)', 'callback_error.py', { env: { EXAMPLE_DELAY: String(DELAY_S) } });
const FAILED_LINE = 'order 2 and order 3 have failed';
const HANDLED_LINE = 'Errback: the order could not be read';

const row = (rows, label) => rows.find((r) => r.label === label);
/** What Python says for the order the callback could not parse, as the row must read it. */
const FAILURE_TEXT = {
  'order 2': "ValueError: invalid literal for int() with base 10: 'two'",
  'order 3': "ValueError: invalid literal for int() with base 10: 'three'",
};
const failedWithValueError = (r) => r?.status === 'failed' && r.result === FAILURE_TEXT[r.label];

export const tests = [
  {
    name: 'a callback raises: the failure shows when it happens',
    suite: 'e2e',
    timeoutMs: 180000,
    async run(ctx) {
      const s = await ctx.session({ launch: [CONFIG] });
      await showGraph(s);
      await startDebugging(s, CONFIG.name);
      await waitForGraph(
        s,
        (rows) => ['order 1', 'order 2', 'order 3'].filter((l) => row(rows, l)?.status !== 'pending').map((l) => `${l} not pending`),
        { timeoutMs: 30000, what: 'three pending orders' },
      );
      const samples = await sampleWhile(
        async () => {
          const rows = await readRows(s);
          return failedWithValueError(row(rows, 'order 2')) && failedWithValueError(row(rows, 'order 3'));
        },
        () => s.dap.output().includes(HANDLED_LINE) || s.dap.ended(),
        { everyMs: 50, timeoutMs: 60000 },
      );
      const failedAt = s.dap.entries().find((e) => e.event === 'output' && e.body?.output?.includes(FAILED_LINE))?.t;
      assert.ok(failedAt, `the program never printed "${FAILED_LINE}"`);
      const shown = samples.find((x) => x.value);
      assert.ok(shown, 'the failures were not shown before the errback handled order 2');
      ctx.note(`failure shown ${shown.t - failedAt} ms after the program printed it (errback ${DELAY_S} s later)`);
      assert.ok(shown.t - failedAt < 2000, `the failure took ${shown.t - failedAt} ms to show`);
      await screenshot(s.page, 'callback-failure-failed');

      await waitForGraph(
        s,
        (rows) => {
          const problems = [];
          const o1 = row(rows, 'order 1');
          const o2 = row(rows, 'order 2');
          const o3 = row(rows, 'order 3');
          if (o1?.status !== 'fired' || o1.result !== '2') problems.push(`order 1: ${o1?.status} ${o1?.result}`);
          if (o2?.status !== 'fired' || o2.result !== '0') problems.push(`order 2 not recovered to 0: ${o2?.status} ${o2?.result}`);
          if (!failedWithValueError(o3)) problems.push(`order 3: ${o3?.status} ${o3?.result}`);
          return problems;
        },
        { timeoutMs: 20000, what: 'order 2 handled' },
      );
      await poll(() => s.dap.ended(), 30000, 'the program to exit');
      await waitForGraph(
        s,
        (rows) => (row(rows, 'order 3')?.unhandled ? [] : ['order 3 is not flagged as collected with an unhandled failure']),
        { timeoutMs: 10000, what: 'unhandled failure flag' },
      );
      await screenshot(s.page, 'callback-failure-end');
    },
  },
];
