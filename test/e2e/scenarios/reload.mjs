/**
 * Reload the window mid-session (paused in Experiment 3.a, a waiting on b): the Deferred Graph
 * panel comes back by itself (the webview serializer) and shows the same state — a and b with
 * the results and callback counts real Python has there, b nested under a.
 */
import assert from 'node:assert/strict';
import { runCommand, screenshot, webview } from '../../harness/workbench.mjs';
import { compareStop } from '../lib/expected.mjs';
import { headerText, waitForGraph } from '../lib/graph.mjs';
import { notebookStoppedAt } from '../lib/notebook-stop.mjs';

export const tests = [
  {
    name: 'reload the window mid-session: the panel comes back with its state',
    suite: 'e2e',
    timeoutMs: 180000,
    async run(ctx) {
      const { s, expected } = await notebookStoppedAt(ctx, 'exp3a/a-fired');
      const before = await headerText(s);
      await runCommand(s.page, 'Developer: Reload Window');
      await s.page.waitForLoadState('load');
      await s.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60000 });
      // Nobody runs "Show Deferred Graph" again: the restored panel must render the tree itself.
      await webview(s.page).locator('[role="tree"]').waitFor({ state: 'attached', timeout: 30000 });
      try {
        await waitForGraph(s, (rows) => compareStop(expected, rows), { timeoutMs: 20000, what: 'state after reload' });
      } catch (err) {
        err.message += `\nheader after reload: ${(await headerText(s)).replace(/\s+/g, ' ')}`;
        throw err;
      }
      const after = await headerText(s);
      ctx.note(`header before: ${before.replace(/\s+/g, ' ').slice(0, 120)}`);
      ctx.note(`header after:  ${after.replace(/\s+/g, ' ').slice(0, 120)}`);
      assert.ok(after.includes('Notebook (e2e)'), 'the restored panel does not name the session');
      await screenshot(s.page, 'reload-restored');
    },
  },
];
