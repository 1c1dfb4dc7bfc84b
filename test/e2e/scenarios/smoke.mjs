/**
 * The smallest proof: the packaged extension installs into a real VS Code (code-server), its
 * command is in the command palette, it stays dormant until used, and the panel opens with an
 * empty state that says what to do.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { paletteEntries, screenshot, webview } from '../../harness/workbench.mjs';
import { headerText, showGraph } from '../lib/graph.mjs';

export const tests = [
  {
    name: 'smoke: .vsix installs, palette shows Show Deferred Graph, panel opens',
    suite: 'e2e',
    async run(ctx) {
      const s = await ctx.session({});
      const product = s.cs.installed.find((x) => x.id === 'deferred-graph.deferred-graph');
      assert.ok(product, 'the .vsix was not installed');
      assert.ok(fs.existsSync(path.join(product.dir, 'dist', 'extension.js')), 'installed extension has no dist/extension.js');
      const entries = await paletteEntries(s.page, 'Show Deferred Graph');
      assert.ok(
        entries.some((e) => /Show Deferred Graph/.test(e)),
        `palette entries: ${JSON.stringify(entries)}`,
      );
      await showGraph(s);
      const tree = webview(s.page).locator('[role="tree"]');
      assert.equal(await tree.getAttribute('aria-label'), 'Deferreds');
      ctx.note(`header: ${(await headerText(s)).replace(/\s+/g, ' ').slice(0, 160)}`);
      await screenshot(s.page, 'smoke-empty-panel');
    },
  },
];
