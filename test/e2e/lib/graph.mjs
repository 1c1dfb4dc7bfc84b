/**
 * Reading the Deferred Graph webview's DOM (the panel's iframe, then its active frame): the
 * deferred rows with their label, state, result and callback-count cells, nesting level and
 * status, and the header counts. Everything a test asserts on comes from what a user sees.
 */
import { runCommand, webview } from '../../harness/workbench.mjs';
import { poll } from './dap-log.mjs';

export const SHOW_COMMAND = 'Show Deferred Graph';

/** Runs "Show Deferred Graph" from the command palette and waits for the tree to exist. */
export async function showGraph(session) {
  await runCommand(session.page, SHOW_COMMAND);
  await webview(session.page).locator('[role="tree"]').waitFor({ state: 'attached', timeout: 30000 });
}

/**
 * The rendered rows in tree order, read in one go (one frame's DOM): `rows`, the Deferred rows
 * with their cells, and `groups`, the collapsed "×N" rows (identical Deferreds shown as one)
 * with how many each stands for and its first member's label and status.
 */
export async function readTree(session) {
  try {
    return await webview(session.page)
      .locator('[role="tree"]')
      .evaluate((tree) => {
        const text = (el, cls) => el.querySelector(cls)?.textContent ?? '';
        const byIndex = (a, b) => Number(a.dataset.index) - Number(b.dataset.index);
        const rows = [...tree.querySelectorAll('[role="treeitem"].row-deferred')].sort(byIndex).map((el) => ({
          index: Number(el.dataset.index),
          id: Number(el.dataset.id),
          status: el.dataset.status,
          level: Number(el.getAttribute('aria-level')),
          collected: el.classList.contains('collected'),
          label: text(el, '.cell-label'),
          meta: text(el, '.cell-meta'),
          state: text(el, '.cell-state'),
          result: text(el, '.cell-result'),
          callbacks: text(el, '.cell-callbacks'),
          unhandled: Boolean(el.querySelector('.badge.unhandled')),
          // The kind of what it waits for (its why's icon), and the orphan's warning shown.
          why: el.querySelector('.cell-state')?.dataset.why ?? '',
          orphan: el.querySelector('.orphan-mark')?.hidden === false,
        }));
        const groups = [...tree.querySelectorAll('[role="treeitem"].row-group')].sort(byIndex).map((el) => {
          const m = /^×(\d+) (.*)$/.exec(text(el, '.cell-label'));
          return {
            count: m ? Number(m[1]) : 0,
            label: m ? m[2] : '',
            status: el.dataset.status,
            expanded: el.getAttribute('aria-expanded') === 'true',
          };
        });
        return { rows, groups };
      });
  } catch {
    return { rows: [], groups: [] };
  }
}

/** The rendered Deferred rows, in tree order. */
export async function readRows(session) {
  return (await readTree(session)).rows;
}

/** The header's text (session, counts, dropped events, notices). */
export async function headerText(session) {
  return webview(session.page)
    .locator('header.header')
    .innerText({ timeout: 5000 })
    .catch(() => '');
}

/**
 * Polls the rows until `check(rows)` returns an empty list of problems; on timeout, fails with
 * the last problems and the rows seen, so a wrong view reads as a diff.
 */
export async function waitForGraph(session, check, { timeoutMs = 15000, what = 'graph' } = {}) {
  let problems = [];
  let rows = [];
  try {
    return await poll(
      async () => {
        rows = await readRows(session);
        problems = check(rows);
        return problems.length === 0 ? rows : null;
      },
      timeoutMs,
      what,
    );
  } catch {
    const seen = rows
      .map((r) => `  ${'  '.repeat(r.level - 1)}${r.label} | ${r.state} | ${r.result} | ${r.callbacks}${r.collected ? ' (collected)' : ''}`)
      .join('\n');
    throw new Error(`${what}: ${problems.join('; ')}\nrows seen:\n${seen}`);
  }
}

/** A row's text equals the expected text, or is its prefix cut with an ellipsis by the view. */
export function sameText(cell, expected) {
  if (cell === expected) return true;
  return cell.endsWith('…') && expected.startsWith(cell.slice(0, -1));
}

/** Picks the debug session whose name contains `text` in the header's session picker. */
export async function selectSession(session, text) {
  const picker = webview(session.page).locator('select.session-picker');
  const value = await poll(
    async () => {
      const options = await picker.locator('option').evaluateAll((els) => els.map((o) => ({ value: o.value, text: o.textContent })));
      return options.find((o) => o.text.includes(text))?.value ?? null;
    },
    30000,
    `a session named like "${text}" in the picker`,
  );
  await picker.selectOption(value);
}

/** The session picker's current text (the session whose graph is shown). */
export async function shownSession(session) {
  const picker = webview(session.page).locator('select.session-picker');
  return picker.evaluate((el) => el.selectedOptions[0]?.textContent ?? '').catch(() => '');
}
