/**
 * The README's pictures, made by the suite from a real session so they always show the current
 * product: the notebook paused in Experiment 3.a (a waiting on b, b nested under it) in a light
 * and a dark theme, the panel alone at full width. Written to test-results/; with
 * DG_UPDATE_SCREENSHOTS=1 also copied to media/screenshot-{light,dark}.png (README, .vsix), so an
 * ordinary test run leaves the tracked pictures alone.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../harness/paths.mjs';
import { runCommand, screenshot, webview } from '../../harness/workbench.mjs';
import { notebookStoppedAt } from '../lib/notebook-stop.mjs';

async function themed(ctx, theme) {
  const { s } = await notebookStoppedAt(ctx, 'exp3a/a-fired', { theme, viewport: { width: 1500, height: 420 } });
  // The panel alone: no side bar, the editor group holding notebook.py closed.
  await runCommand(s.page, 'View: Toggle Primary Side Bar Visibility');
  const tab = s.page.locator('.tab', { hasText: 'notebook.py' }).first();
  await tab.hover();
  await tab.locator('.codicon-close').click();
  const frame = s.page.locator('iframe.webview.ready');
  await frame.waitFor();
  await webview(s.page).locator('[role="treeitem"]').first().waitFor();
  // Open a's row, as a user would, to show its pending callback and where a was created.
  const a = webview(s.page)
    .locator('[role="treeitem"].row-deferred')
    .filter({ has: webview(s.page).locator('.cell-label', { hasText: /^a$/ }) })
    .first();
  // A row opened only to show its chain lists its details once the user asks: click until they show.
  const details = webview(s.page).locator('[role="treeitem"].row-detail');
  for (let i = 0; i < 2 && (await details.count()) === 0; i++) {
    await a.locator('.twistie').click();
    await s.page.waitForTimeout(300);
  }
  const box = await frame.boundingBox();
  assert.ok(box && box.width > 1000, `the panel is only ${box?.width} px wide`);
  // No hover tooltip from closing the tab over the picture.
  await s.page.mouse.move(box.x + box.width / 2, box.y + box.height - 10);
  await s.page.waitForTimeout(1500);
  const file = await screenshot(s.page, `screenshot-${theme}`, frame);
  if (process.env.DG_UPDATE_SCREENSHOTS === '1') fs.copyFileSync(file, path.join(ROOT, 'media', `screenshot-${theme}.png`));
  ctx.note(
    `${path.relative(ROOT, file)} (${Math.round(box.width)}×${Math.round(box.height)})${process.env.DG_UPDATE_SCREENSHOTS === '1' ? ', copied to media/' : ''}`,
  );
}

export const tests = [
  { name: 'screenshot, light theme', suite: 'e2e', timeoutMs: 180000, run: (ctx) => themed(ctx, 'light') },
  { name: 'screenshot, dark theme', suite: 'e2e', timeoutMs: 180000, run: (ctx) => themed(ctx, 'dark') },
];
