/**
 * The checker the notebook scenario relies on must be able to fail: given Python's expectation at
 * Experiment 3.a (a waiting on b), it accepts the right rows and names each wrong one — a wrong
 * result, N/A instead of a value, a wrong callback count, a missing "waiting on", b not nested.
 */
import assert from 'node:assert/strict';
import { compareStop } from '../lib/expected.mjs';

const expected = {
  marker: 'exp3a/a-fired',
  deferreds: [
    { names: ['a'], result: { kind: 'deferred', targetNames: ['b'] }, callbacks: 1, waitingOn: ['b'] },
    { names: ['b'], result: { kind: 'none', text: 'N/A' }, callbacks: 1, waitingOn: null },
  ],
};
const good = () => [
  { index: 0, id: 1, level: 1, collected: true, label: 'a', state: 'fired · collected', result: '3', callbacks: '0' },
  { index: 1, id: 3, level: 1, collected: false, label: 'a', state: 'waiting on b (#4)', result: '→ #4', callbacks: '1' },
  { index: 2, id: 4, level: 2, collected: false, label: 'b', state: 'pending', result: 'N/A', callbacks: '1' },
];
const mutate = (i, change) => good().map((r, j) => (j === i ? { ...r, ...change } : r));

export const tests = [
  {
    name: 'comparator: accepts the right view, names each wrong one',
    suite: 'e2e',
    async run(ctx) {
      assert.deepEqual(compareStop(expected, good()), []);
      const cases = [
        [mutate(2, { result: '4' }), /b\.result/],
        [mutate(1, { result: '→ #9' }), /a\.result/],
        [mutate(2, { callbacks: '0' }), /b callbacks/],
        [mutate(1, { state: 'pending' }), /a state/],
        [mutate(2, { level: 1 }), /b is not nested under a/],
        [good().slice(0, 2), /no row for b/],
        [mutate(1, { collected: true }), /no row for a/],
      ];
      for (const [rows, problem] of cases) {
        const problems = compareStop(expected, rows);
        assert.ok(
          problems.some((p) => problem.test(p)),
          `expected a problem matching ${problem}, got ${JSON.stringify(problems)}`,
        );
      }
      const value = {
        marker: 'x',
        deferreds: [{ names: ['join'], result: { kind: 'value', text: `[${'(True, 0), '.repeat(40)}]` }, callbacks: 0, waitingOn: null }],
      };
      const cut = [
        {
          index: 0,
          id: 5,
          level: 1,
          collected: false,
          label: 'join',
          state: 'fired',
          result: `${value.deferreds[0].result.text.slice(0, 200)}…`,
          callbacks: '0',
        },
      ];
      assert.deepEqual(compareStop(value, cut), [], 'a repr cut by the view with an ellipsis is still the same value');
      const failure = {
        marker: 'x',
        deferreds: [
          {
            names: ['d'],
            result: { kind: 'failure', excType: 'ValueError', message: 'boom', text: 'ValueError: boom' },
            callbacks: 0,
            waitingOn: null,
          },
        ],
      };
      const failedRow = (result) => [{ index: 0, id: 7, level: 1, collected: false, label: 'd', state: 'failed', result, callbacks: '0' }];
      assert.deepEqual(compareStop(failure, failedRow('ValueError: boom')), [], 'a Failure reads Type: message');
      for (const wrong of ['<twisted.python.failure.Failure builtins.ValueError: boom>', 'ValueError', 'ValueError: other']) {
        assert.ok(
          compareStop(failure, failedRow(wrong)).some((p) => /d\.result/.test(p)),
          `a Failure shown as ${JSON.stringify(wrong)} was accepted`,
        );
      }
      ctx.note(`${cases.length + 3} wrong views rejected`);
    },
  },
];
