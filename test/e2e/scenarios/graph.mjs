/**
 * The graph view and the tree that reads at any depth, in the real VS Code, in both themes:
 * the notebook's Experiment 3.a as a graph (a → b, "waits on") and "Show in Deferred Graph"
 * from the Variables view selecting b's row; tale 3's DeferredList with its 15 members
 * collapsed (×15) and expanded, in both views; a 50-link chain as one tree row and as a
 * graph; the panel at 300 px; the roots of waits of a real program (timer, thread job, process,
 * connection, lock, queue) as nodes of their own with "fired by"/"held by" edges, and its
 * orphan marked; its session, ended, kept until "Clear ended". Every wait is for a DOM change or a DAP event the step caused.
 * Screenshots land in test-results/graph-*.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { EXAMPLES, PY_TW22, ROOT } from '../../harness/paths.mjs';
import { runCommand, screenshot, webview } from '../../harness/workbench.mjs';
import { breakMarkers, continueRun, pyLaunch, setBreakpoints, startDebugging } from '../lib/debug.mjs';
import { showGraph } from '../lib/graph.mjs';
import { notebookStoppedAt } from '../lib/notebook-stop.mjs';

const CHAIN = path.join(ROOT, 'test', 'e2e', 'python', 'chain50.py');
const ROOTS = path.join(ROOT, 'test', 'e2e', 'python', 'roots.py');

async function shot(ctx, s, name) {
  const frame = s.page.locator('iframe.webview.ready');
  const box = await frame.boundingBox();
  const file = await screenshot(s.page, name, frame);
  ctx.note(`${path.relative(ROOT, file)} (${Math.round(box?.width ?? 0)}×${Math.round(box?.height ?? 0)})`);
  return box;
}

/** Switches the panel to the graph with the header toggle and waits for `selector` to be drawn. */
async function toGraph(s, selector) {
  const w = webview(s.page);
  await w.locator('.mode-graph').click();
  await w.locator(selector).first().waitFor({ timeout: 20000 });
}

/** Stops `program` at the line of its `# BREAK name` marker (or `line`) with the panel open. */
async function stoppedIn(ctx, { program, files = [], marker, line, theme, viewport, env = {}, launch = {} }) {
  const config = { ...pyLaunch(`Graph (e2e) ${program}`, program, { env }), ...launch };
  const s = await ctx.session({ python: PY_TW22, theme, viewport, launch: [config], files });
  const source = files.find((f) => path.basename(f) === program) ?? path.join(EXAMPLES, program);
  const at = line ?? breakMarkers(source).find((m) => m.name === marker).line;
  await setBreakpoints(s, program, [at]);
  await startDebugging(s, config.name);
  const stop = await s.dap.waitForStop(1);
  assert.equal(stop.frame.line, at);
  await showGraph(s);
  return s;
}

async function notebookGraph(ctx, theme) {
  const { s } = await notebookStoppedAt(ctx, 'exp3a/a-fired', { theme, viewport: { width: 1500, height: 640 } });
  const w = webview(s.page);
  const a = w.locator('[role="treeitem"].row-deferred').filter({ has: w.locator('.cell-label', { hasText: /^a$/ }) });
  const aId = await a.first().getAttribute('data-id');
  await a.first().locator('.cell-state').click();
  await toGraph(s, `g.node[data-deferred-id="${aId}"]`);
  const edge = w.locator(`g.edge[data-from="d${aId}"]`);
  await edge.waitFor();
  assert.equal(await edge.locator('.edge-label').textContent(), 'waits on');
  const bId = (await edge.getAttribute('data-to')).slice(1);
  assert.match(await w.locator(`g.node[data-deferred-id="${bId}"]`).getAttribute('aria-label'), /^b, /);
  await shot(ctx, s, `graph-3a-${theme}`);
  if (theme !== 'light') return;
  // "Show in Deferred Graph" on b in the Variables view selects b's node (and row).
  await runCommand(s.page, 'View: Show Run and Debug');
  const locals = s.page.locator('.debug-view-content .monaco-list-row', { hasText: /^Locals$/ }).first();
  await locals.waitFor();
  if ((await locals.getAttribute('aria-expanded')) !== 'true') await locals.click();
  const variable = s.page.locator('.debug-view-content .monaco-list-row[aria-label^="b, value <Deferred"]');
  await variable.first().click({ button: 'right' });
  // The menu's first entry is ours (group "navigation"): ↓ highlights it, Enter runs it.
  await s.page.locator('.context-view .action-label', { hasText: 'Show in Deferred Graph' }).waitFor();
  await s.page.keyboard.press('ArrowDown');
  await s.page.locator('.context-view .action-item.focused', { hasText: 'Show in Deferred Graph' }).waitFor();
  await s.page.keyboard.press('Enter');
  await w.locator(`g.node.selected[data-deferred-id="${bId}"]`).waitFor({ timeout: 20000 });
  await w.locator('.mode-tree').click();
  await w.locator(`[role="treeitem"].selected[data-id="${bId}"]`).waitFor({ timeout: 10000 });
  await shot(ctx, s, 'graph-show-variable-light');
}

async function tale3(ctx, theme) {
  const source = path.join(EXAMPLES, 'tale3_deferlater.py');
  const line =
    (await import('node:fs'))
      .readFileSync(source, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('mark("scheduled")')) + 1;
  const s = await stoppedIn(ctx, {
    program: 'tale3_deferlater.py',
    line,
    theme,
    viewport: { width: 1400, height: 760 },
    env: { TALE_DELAY: '30' },
  });
  const w = webview(s.page);
  const group = w.locator('[role="treeitem"].row-group');
  await group.first().waitFor({ timeout: 20000 });
  // Named after the paused frame's list (`work`), the label() name in the tooltip.
  assert.match(await group.first().locator('.cell-label').textContent(), /^×15 work\[0\]$/);
  await shot(ctx, s, `graph-tale3-tree-collapsed-${theme}`);
  await group.first().locator('.twistie').click();
  await w.locator('[role="treeitem"].row-deferred .cell-label', { hasText: /^work\[14\]$/ }).waitFor();
  await shot(ctx, s, `graph-tale3-tree-expanded-${theme}`);
  await group.first().locator('.twistie').click();
  await w.locator('[role="treeitem"].row-group[aria-expanded="false"]').waitFor();
  await toGraph(s, 'g.node-group .node-badge');
  assert.equal(await w.locator('g.node .node-badge', { hasText: '×15' }).count(), 1);
  assert.equal(await w.locator('g.edge-memberOf').count(), 1);
  await shot(ctx, s, `graph-tale3-graph-collapsed-${theme}`);
  await w.locator('g.node-group .node-box').dblclick();
  // Each member with the deferLater timer that fires it: 1 + 15 × 2 nodes.
  await w.locator('.graph[data-nodes="31"]').waitFor();
  await w.locator('button[aria-label="Fit the graph to the view (0)"]').click();
  await shot(ctx, s, `graph-tale3-graph-expanded-${theme}`);
}

async function chain(ctx, theme) {
  const s = await stoppedIn(ctx, { program: 'chain50.py', files: [CHAIN], marker: 'chain', theme, viewport: { width: 1400, height: 700 } });
  const w = webview(s.page);
  const row = w.locator('[role="treeitem"].row-chain');
  await row.waitFor({ timeout: 20000 });
  assert.match(await row.locator('.cell-label').getAttribute('title'), /^chain of 50 · root: links\[49\], pending$/);
  await shot(ctx, s, `graph-chain50-tree-${theme}`);
  await row.locator('.cell-state').click();
  await toGraph(s, 'g.node');
  // The 50 links, and what holds the last one: the module's list (a root node, "held by").
  await w.locator('.graph[data-nodes="51"]').waitFor();
  const holder = w.locator('g.node[data-root-kind="unknown"]');
  assert.equal(await holder.locator('.node-label').textContent(), '__main__.links[49]');
  assert.equal(await w.locator(`g.edge[data-to="${await holder.getAttribute('data-key')}"] .edge-label`).textContent(), 'held by');
  await shot(ctx, s, `graph-chain50-graph-${theme}`);
  if (theme !== 'light') return;
  // The panel at 300 px: the workbench narrowed until the panel's frame is that wide.
  await w.locator('.mode-tree').click();
  await runCommand(s.page, 'View: Toggle Primary Side Bar Visibility');
  const frame = s.page.locator('iframe.webview.ready');
  // Both editor groups shrink with the window: narrow it step by step until the panel is ~300 px.
  let box = await frame.boundingBox();
  for (let step = 0; step < 4 && Math.abs(box.width - 300) > 30; step++) {
    const size = s.page.viewportSize();
    const before = box.width;
    const width = Math.round(size.width - ((box.width - 300) * (size.width - 48)) / box.width);
    await s.page.setViewportSize({ width, height: size.height });
    await s.page.waitForFunction(
      (w) => Math.abs(document.querySelector('iframe.webview.ready').getBoundingClientRect().width - w) > 2,
      before,
      { timeout: 10000 },
    );
    box = await frame.boundingBox();
  }
  box = await shot(ctx, s, 'graph-panel-300px-light');
  assert.ok(box.width <= 340, `the panel is ${box.width} px wide`);
  // The header reads in a few lines at this width, not word by word.
  const headerHeight = await w.locator('header.header').evaluate((el) => el.getBoundingClientRect().height);
  assert.ok(headerHeight < 140, `the header is ${headerHeight} px tall at 300 px`);
}

/** Each root kind roots.py makes, with the edge word from its Deferred to it. */
const ROOT_EDGES = { timer: 'fired by', thread: 'fired by', process: 'fired by', connection: 'held by', lock: 'held by', queue: 'held by' };

async function roots(ctx, theme) {
  // Twisted forks the child process: debugpy would make the fork a debug session of its own.
  const s = await stoppedIn(ctx, {
    program: 'roots.py',
    files: [ROOTS],
    marker: 'roots',
    theme,
    viewport: { width: 1500, height: 900 },
    launch: { subProcess: false },
  });
  const w = webview(s.page);
  await w.locator('[role="treeitem"].row-deferred').first().waitFor({ timeout: 20000 });
  await toGraph(s, 'g.node');
  const whole = w.locator('.graph-tools input[type="checkbox"]');
  if (!(await whole.isChecked())) await whole.check();
  // Every root drawn (Twisted's own Deferreds may add nodes: their count is not asserted).
  for (const kind of Object.keys(ROOT_EDGES)) await w.locator(`g.node[data-root-kind="${kind}"]`).waitFor({ timeout: 20000 });
  await w.locator('button[aria-label="Fit the graph to the view (0)"]').click();
  for (const [kind, word] of Object.entries(ROOT_EDGES)) {
    const node = w.locator(`g.node[data-root-kind="${kind}"]`);
    assert.equal(await node.count(), 1, kind);
    assert.equal(await node.getAttribute('data-deferred-id'), null);
    const of = await node.getAttribute('data-root-of');
    // Its Deferred is the stopped frame's waits[...] entry of that kind.
    const label = await w.locator(`g.node[data-deferred-id="${of}"]`).getAttribute('aria-label');
    assert.ok(label.startsWith(`waits['${kind}'], `), `${kind}: ${label}`);
    assert.ok((await node.getAttribute('aria-label')).startsWith(`${kind} `), await node.getAttribute('aria-label'));
    assert.equal(await w.locator(`g.edge[data-to="r${of}"] .edge-label`).textContent(), word);
  }
  assert.match(await w.locator('g.node[data-root-kind="process"]').getAttribute('aria-label'), /sleep 30 · pid \d+/);
  const orphan = w.locator('g.node.orphan');
  assert.equal(await orphan.count(), 1);
  assert.equal(await orphan.locator('.node-badge').textContent(), 'orphan');
  await shot(ctx, s, `graph-roots-${theme}`);
  if (theme !== 'light') return;
  // The timer's location (the deferLater call) opens in the editor, at its line.
  const timerLine =
    fs
      .readFileSync(ROOTS, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('"timer": task.deferLater')) + 1;
  await w.locator('g.node[data-root-kind="timer"] .node-location').click();
  await s.page
    .locator('.statusbar-item', { hasText: new RegExp(`Ln ${timerLine}, Col`) })
    .first()
    .waitFor({ timeout: 20000 });
  // The program ends: its session is kept, marked ended, until "Clear ended" forgets it.
  await continueRun(s, 1);
  await s.dap.waitForEnd();
  await w.locator('.session-state', { hasText: /^ended$/ }).waitFor({ timeout: 20000 });
  await w.locator('button.clear-ended').click();
  await w.locator('.session-name', { hasText: /^No session$/ }).waitFor({ timeout: 20000 });
  assert.equal(await w.locator('button.clear-ended').isHidden(), true);
}

export const tests = [
  {
    name: 'graph: notebook 3.a, light (and Show in Deferred Graph)',
    suite: 'e2e',
    timeoutMs: 240000,
    run: (ctx) => notebookGraph(ctx, 'light'),
  },
  { name: 'graph: notebook 3.a, dark', suite: 'e2e', timeoutMs: 240000, run: (ctx) => notebookGraph(ctx, 'dark') },
  { name: 'graph: tale 3 DeferredList ×15, light', suite: 'e2e', timeoutMs: 240000, run: (ctx) => tale3(ctx, 'light') },
  { name: 'graph: tale 3 DeferredList ×15, dark', suite: 'e2e', timeoutMs: 240000, run: (ctx) => tale3(ctx, 'dark') },
  { name: 'graph: 50-link chain, light (and the panel at 300 px)', suite: 'e2e', timeoutMs: 240000, run: (ctx) => chain(ctx, 'light') },
  { name: 'graph: 50-link chain, dark', suite: 'e2e', timeoutMs: 240000, run: (ctx) => chain(ctx, 'dark') },
  { name: 'graph: roots of waits, light', suite: 'e2e', timeoutMs: 240000, run: (ctx) => roots(ctx, 'light') },
  { name: 'graph: roots of waits, dark', suite: 'e2e', timeoutMs: 240000, run: (ctx) => roots(ctx, 'dark') },
];
