/**
 * The tale's example 5 without breakpoints: 15 customers served by a Cooperator with 5 slots and a
 * short delay. While the program runs the view updates live (samples of the webview taken before
 * the debuggee exits differ, installations fire one after another), never more than 5
 * installations are pending at once, and at the end all 15 have fired.
 */
import assert from 'node:assert/strict';
import { screenshot } from '../../harness/workbench.mjs';
import { poll } from '../lib/dap-log.mjs';
import { pyLaunch, sampleWhile, startDebugging } from '../lib/debug.mjs';
import { readTree, showGraph } from '../lib/graph.mjs';

const CUSTOMERS = 15;
const SLOTS = 5;
const INSTALL = /^installation for Customer (\d+)$/;
const CONFIG = pyLaunch('Tale 5 (e2e)', 'tale5_cooperator.py', { args: [String(CUSTOMERS)], env: { TALE_DELAY: '0.8' } });

/**
 * Installations as the tree shows them: one row each, or several identical ones as one "×N"
 * row (fired installations of the same shape collapse), counted as the N they stand for.
 */
function installations({ rows, groups }) {
  const found = rows.filter((r) => INSTALL.test(r.label));
  const grouped = groups.filter((g) => INSTALL.test(g.label) && !g.expanded);
  const count = (status) => grouped.filter((g) => g.status === status).reduce((n, g) => n + g.count, 0);
  return {
    total: found.length + grouped.reduce((n, g) => n + g.count, 0),
    // A collected Deferred can no longer fire: it is not an installation in progress.
    pending: found.filter((r) => r.status !== 'fired' && r.status !== 'failed' && !r.collected).length + count('pending'),
    fired: found.filter((r) => r.status === 'fired').length + count('fired'),
    detail: [
      ...found.map((r) => `${r.label}: ${r.status} ${r.state} ${r.result} ${r.callbacks}`),
      ...grouped.map((g) => `×${g.count} ${g.label}: ${g.status}`),
    ].join('\n'),
  };
}

export const tests = [
  {
    name: 'tale example 5: live updates, at most 5 installations pending, all fired',
    suite: 'e2e',
    timeoutMs: 240000,
    async run(ctx) {
      // Tall enough that the virtualised tree renders every row of the run.
      const s = await ctx.session({ launch: [CONFIG], viewport: { width: 1600, height: 2200 } });
      await showGraph(s);
      await startDebugging(s, CONFIG.name);
      const samples = await sampleWhile(
        async () => installations(await readTree(s)),
        () => s.dap.ended(),
        { timeoutMs: 120000 },
      );
      const live = samples.filter((x) => x.value.total > 0);
      const distinct = new Set(live.map((x) => `${x.value.pending}/${x.value.fired}`));
      ctx.note(`${samples.length} samples while running; distinct (pending/fired) states: ${[...distinct].join(' ')}`);
      assert.ok(
        distinct.size >= 3,
        `the view did not update live while the program ran (states seen: ${[...distinct].join(', ') || 'none'})`,
      );
      const maxPending = Math.max(...live.map((x) => x.value.pending));
      ctx.note(`most installations pending at once: ${maxPending}`);
      const worst = live.find((x) => x.value.pending === maxPending);
      assert.ok(maxPending <= SLOTS, `${maxPending} installations pending at once, more than the ${SLOTS} slots:\n${worst.value.detail}`);
      assert.ok(maxPending >= 1, 'never saw an installation pending');
      assert.ok(
        live.some((x) => x.value.fired > 0 && x.value.fired < CUSTOMERS),
        'never saw a partly finished day',
      );
      await screenshot(s.page, 'tale5-running');

      assert.equal(s.dap.exitCode(), 0, `tale 5 exited with ${s.dap.exitCode()}`);
      // After the exit the view keeps the session's final state.
      let final;
      await poll(
        async () => {
          final = installations(await readTree(s));
          return final.fired === CUSTOMERS;
        },
        10000,
        'all installations fired',
      ).catch(() => {});
      ctx.note(`at the end: ${final.fired}/${final.total} installations fired`);
      assert.equal(final.fired, CUSTOMERS, `${final.fired} of ${CUSTOMERS} installations fired at the end:\n${final.detail}`);
      assert.equal(final.total, CUSTOMERS, `${final.total} installation rows at the end`);
      assert.equal(final.fired, CUSTOMERS, `${final.fired} of ${CUSTOMERS} installations fired`);
      await screenshot(s.page, 'tale5-end');
    },
  },
];
