/**
 * "Why is this pending?" in the real VS Code, at a breakpoint: the poetry client's poems rooted
 * in their connections (with the address), tale 3's customers each rooted in its deferLater
 * timer, and the classic orphan (a callback returned a Deferred nothing will ever fire) marked
 * as the bug it is, counted in the header and kept by "Only stuck" while a Deferred due to a
 * timer is not. Light theme on Twisted 22.4, dark on 26.4; every wait is for a DAP event or a
 * DOM change the step caused. Screenshots: test-results/why-*.png.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { EXAMPLES, PY_TW22, PY_TW26, ROOT } from '../../harness/paths.mjs';
import { freePort } from '../../harness/proc.mjs';
import { screenshot, webview } from '../../harness/workbench.mjs';
import { lineOf, pyLaunch, setBreakpoints, startDebugging, stoppedAt } from '../lib/debug.mjs';
import { readTree, selectSession, showGraph, waitForGraph } from '../lib/graph.mjs';

const ORPHAN = path.join(ROOT, 'test', 'e2e', 'python', 'orphan.py');
const PYTHONS = { light: [PY_TW22, '22'], dark: [PY_TW26, '26'] };

/** The panel alone in a picture, the mouse off it (no tooltip in the shot). */
async function shot(ctx, s, name) {
  const frame = s.page.locator('iframe.webview.ready');
  const box = await frame.boundingBox();
  await s.page.mouse.move(box.x + box.width - 4, box.y + box.height - 4);
  const file = await screenshot(s.page, name, frame);
  ctx.note(`${path.relative(ROOT, file)} (${Math.round(box.width)}×${Math.round(box.height)})`);
}

/** The Deferred row whose label is exactly `label`. */
function row(s, label) {
  const w = webview(s.page);
  return w
    .locator('[role="treeitem"].row-deferred')
    .filter({ has: w.locator('.cell-label', { hasText: new RegExp(`^${label.replace(/[[\]().*+?]/g, '\\$&')}$`) }) });
}

/**
 * Opens a row's details: a row that nests others shows them already open, so it is closed and
 * opened again; each click waits for the state it causes.
 */
async function openDetails(s, label) {
  const r = row(s, label).first();
  const key = await r.getAttribute('data-key');
  const details = webview(s.page).locator(`[role="treeitem"].row-detail[data-key^="${key}."]`);
  for (let i = 0; i < 2 && (await details.count()) === 0; i++) {
    const was = await r.getAttribute('aria-expanded');
    await r.locator('.twistie').click();
    await webview(s.page)
      .locator(`[role="treeitem"][data-key="${key}"][aria-expanded="${was === 'true' ? 'false' : 'true'}"]`)
      .waitFor();
  }
  await details.first().waitFor();
  return details;
}

/** The text of the detail line of `label` that starts with `start`, once it is drawn. */
async function detailLine(s, label, start) {
  const details = await openDetails(s, label);
  const line = details.filter({ hasText: new RegExp(`^${start.replace(/[[\]().*+?]/g, '\\$&')}`) }).first();
  await line.waitFor();
  return line.textContent();
}

async function orphan(ctx, theme) {
  const [python, tw] = PYTHONS[theme];
  const s = await stoppedAt(ctx, {
    program: 'orphan.py',
    line: lineOf(ORPHAN, '# BREAK stuck'),
    session: { python, theme, files: [ORPHAN], viewport: { width: 2600, height: 560 } },
  });
  const rows = await waitForGraph(
    s,
    (all) => {
      const by = (label) => all.find((r) => r.label === label);
      const problems = [];
      const profile = by('profile');
      const says = {
        user: `waiting on profile (#${profile?.id}) → orphan — nothing can ever fire it`,
        profile: 'orphan — nothing can ever fire it',
      };
      for (const [label, state] of Object.entries(says)) {
        const r = by(label);
        if (!r?.orphan || r.why !== 'orphan' || r.state !== state) problems.push(`${label} is not marked orphan: ${JSON.stringify(r)}`);
      }
      const report = by('report');
      if (!report || report.orphan || report.why !== 'timer' || !/^timer in \d+(\.\d+)? s · deferLater/.test(report.state))
        problems.push(`report does not wait on its timer: ${JSON.stringify(report)}`);
      return problems;
    },
    { timeoutMs: 30000, what: 'the orphan and its waiter marked, the timer not' },
  );
  ctx.note(rows.map((r) => `${r.label}: ${r.state}`).join(' | '));
  const w = webview(s.page);
  const count = w.locator('[data-count="orphans"]');
  assert.equal(await count.textContent(), '1 orphan');
  assert.match(await count.getAttribute('class'), /\balarm\b/);
  assert.doesNotMatch(await w.locator('[data-count="unhandled"]').getAttribute('class'), /\balarm\b/);
  const profileId = await row(s, 'profile').first().getAttribute('data-id');
  const userId = await row(s, 'user').first().getAttribute('data-id');
  assert.equal(await detailLine(s, 'user', 'path '), `path user (#${userId}) → profile (#${profileId})`);
  assert.equal(await detailLine(s, 'user', 'waits for '), `waits for waiting on profile (#${profileId})`);
  await shot(ctx, s, `why-orphan-tw${tw}-${theme}`);

  // Only stuck: the orphan and what waits on it, not the Deferred a timer will fire.
  await w.locator('.only-stuck input').click();
  await waitForGraph(
    s,
    (all) => {
      const labels = all.map((r) => r.label).join(', ');
      return labels === 'user, profile' ? [] : [`only stuck shows ${labels}`];
    },
    { what: 'only stuck: user and profile' },
  );
  assert.match(await w.locator('.only-stuck').getAttribute('title'), /10 s/);
  await shot(ctx, s, `why-orphan-stuck-tw${tw}-${theme}`);
}

async function tale3(ctx, theme) {
  const [python, tw] = PYTHONS[theme];
  const source = path.join(EXAMPLES, 'tale3_deferlater.py');
  const s = await stoppedAt(ctx, {
    program: 'tale3_deferlater.py',
    line: lineOf(source, 'mark("scheduled")'),
    env: { TALE_DELAY: '30' },
    session: { python, theme, viewport: { width: 2600, height: 760 } },
  });
  const w = webview(s.page);
  const group = w.locator('[role="treeitem"].row-group').first();
  await group.waitFor({ timeout: 30000 });
  await group.locator('.twistie').click();
  const onDone = lineOf(source, 'def on_done');
  const timer = new RegExp(`^timer in \\d+(\\.\\d+)? s · deferLater\\(.*on_done\\), tale3_deferlater\\.py:${onDone}$`);
  const rows = await waitForGraph(
    s,
    (all) => {
      const work = all.filter((r) => /^work\[\d+\]$/.test(r.label));
      if (work.length !== 15) return [`${work.length} of 15 customers' rows`];
      return work.filter((r) => r.why !== 'timer' || !timer.test(r.state)).map((r) => `${r.label}: ${r.why} ${r.state}`);
    },
    { timeoutMs: 30000, what: "each customer's Deferred rooted in its deferLater timer" },
  );
  ctx.note(`work[3]: ${rows.find((r) => r.label === 'work[3]').state}`);
  const waits = await detailLine(s, 'work[3]', 'waits for ');
  assert.match(waits.replace(/^waits for /, ''), timer);
  await shot(ctx, s, `why-tale3-tw${tw}-${theme}`);
}

async function poetry(ctx, theme) {
  const [python, tw] = PYTHONS[theme];
  const port = String(await freePort());
  const server = pyLaunch('Poetry server (why)', 'poetry_server.py', {
    args: ['--port', port, '--num-bytes', '40', '--delay', '0.1', '--serve', '2'],
  });
  const client = pyLaunch('Poetry client (why)', 'poetry_client.py', { args: ['--wait', '30', port, `127.0.0.1:${port}`] });
  const s = await ctx.session({
    python,
    theme,
    viewport: { width: 2600, height: 560 },
    launch: [server, client],
    compounds: [{ name: 'Poetry (why)', configurations: [server.name, client.name] }],
  });
  const line = lineOf(path.join(EXAMPLES, 'poetry_client.py'), 'self.poem += data');
  await setBreakpoints(s, 'poetry_client.py', [line]);
  await startDebugging(s, 'Poetry (why)');
  const stop = await s.dap.waitForStop(1, 90000);
  assert.equal(stop.frame.line, line);
  await showGraph(s);
  await selectSession(s, 'client');
  const address = new RegExp(`^connection PoetryClientFactory → 127\\.0\\.0\\.1:${port} · (connected|connecting)$`);
  const rows = await waitForGraph(
    s,
    (all) =>
      ['poem 1', 'poem 2'].flatMap((label) => {
        const r = all.find((x) => x.label === label);
        return r && r.why === 'connection' && address.test(r.state) ? [] : [`${label}: ${r ? `${r.why} ${r.state}` : 'missing'}`];
      }),
    { timeoutMs: 30000, what: 'each poem rooted in its connection, with the address' },
  );
  ctx.note(rows.map((r) => `${r.label}: ${r.state}`).join(' | '));
  assert.equal((await readTree(s)).rows.filter((r) => r.orphan).length, 0, 'a poem marked orphan');
  await shot(ctx, s, `why-poetry-tw${tw}-${theme}`);
}

export const tests = [];
for (const theme of ['light', 'dark']) {
  const tw = PYTHONS[theme][1] === '22' ? '22.4' : '26.4';
  tests.push(
    {
      name: `why: orphan marked and only stuck, Twisted ${tw}, ${theme}`,
      suite: 'e2e',
      timeoutMs: 240000,
      run: (ctx) => orphan(ctx, theme),
    },
    {
      name: `why: tale 3 rooted in deferLater timers, Twisted ${tw}, ${theme}`,
      suite: 'e2e',
      timeoutMs: 240000,
      run: (ctx) => tale3(ctx, theme),
    },
    {
      name: `why: poetry client rooted in connections, Twisted ${tw}, ${theme}`,
      suite: 'e2e',
      timeoutMs: 240000,
      run: (ctx) => poetry(ctx, theme),
    },
  );
}
