/**
 * Driving the code-server workbench with playwright-core and Debian's Chromium, the way a user
 * does: the command palette, quick open, keyboard shortcuts, and the webview's DOM through its
 * two nested iframes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { RESULTS } from './paths.mjs';

/** Flags without which Chromium keeps trying the closed network here (FIELD-NOTES §5). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function launchBrowser({ headless = true } = {}) {
  return chromium.launch({ executablePath: process.env.DG_CHROMIUM ?? '/usr/bin/chromium', headless, args: CHROMIUM_ARGS });
}

/** Opens the workbench and waits until the explorer shows the folder and extensions are up. */
export async function openWorkbench(browser, url, { width = 1400, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60000 });
  await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 60000 });
  return page;
}

/**
 * Opens the command palette (F1) filtered to `text` and waits for a row containing `rowText`.
 * Retries for a while: right after start-up the extensions' commands may not be registered yet.
 */
async function paletteWith(page, text, rowText, { click = false, timeoutMs = 30000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const input = page.locator('.quick-input-widget input.input');
    await page.keyboard.press(attempt % 2 ? 'Control+Shift+P' : 'F1');
    if (!(await input.isVisible())) {
      // Keyboard focus can sit where F1 does nothing (after a debugger stop, say): give it back to
      // the workbench by clicking a neutral spot, the status bar, and press again.
      await page
        .locator('.part.statusbar')
        .click({ position: { x: 600, y: 5 } })
        .catch(() => {});
      await page.keyboard.press('F1');
    }
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      // The palette can close again at once when something else takes focus (the editor revealing
      // a debugger stop): then try again.
      await input.fill(`>${text}`, { timeout: 3000 });
    } catch {
      if (Date.now() > deadline) throw new Error(`the command palette does not open (looking for "${rowText}")`);
      continue;
    }
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: rowText }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 3000 });
      // Run it with a click, not Enter: if focus was stolen meanwhile, Enter would go to the
      // editor (a newline in the user's file); a click on a closed palette just fails and we retry.
      if (click) await row.click({ timeout: 2000 });
      return;
    } catch (_err) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`command palette has no "${rowText}" after ${timeoutMs / 1000} s`);
      await page.waitForTimeout(500);
    }
  }
}

/** Runs a command by its title from the command palette (F1), as a user would. */
export async function runCommand(page, title) {
  await paletteWith(page, title, title, { click: true });
  // The palette closes, or turns into the command's own quick pick (whose input has no '>').
  await page.waitForFunction(() => {
    const w = document.querySelector('.quick-input-widget');
    const i = w?.querySelector('input.input');
    return !w || getComputedStyle(w).display === 'none' || !i?.value.startsWith('>');
  });
}

/** The command palette entries matching `text` once one contains `expect` (the smoke test). */
export async function paletteEntries(page, text, expect = text) {
  await paletteWith(page, text, expect);
  const labels = await page.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts();
  await page.keyboard.press('Escape');
  return labels.map((l) => l.replace(/\s+/g, ' ').trim());
}

/** Opens a workspace file through quick open (Ctrl+P). */
export async function openFile(page, relPath) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(relPath);
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: path.basename(relPath) })
    .first()
    .waitFor();
  await page.keyboard.press('Enter');
  await page
    .locator(`.tab[data-resource-name="${path.basename(relPath)}"], .tab:has-text("${path.basename(relPath)}")`)
    .first()
    .waitFor();
  await page.locator('.editor-instance .monaco-editor').first().waitFor();
}

/** Puts the cursor on a 1-based line of the active editor (Ctrl+G) and toggles a breakpoint (F9). */
export async function toggleBreakpoint(page, line) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  // F9 acts on the cursor's line: make sure the cursor got there first.
  await page
    .locator('.statusbar-item', { hasText: new RegExp(`Ln ${line}, Col`) })
    .first()
    .waitFor({ timeout: 5000 });
  await page.keyboard.press('F9');
  // Wait for the breakpoint the key press made (its glyph beside that line number), so a loaded
  // machine cannot start debugging before every breakpoint exists.
  await page.waitForFunction(
    (n) => {
      const number = [...document.querySelectorAll('.editor-instance .margin-view-overlays .line-numbers')].find(
        (e) => e.textContent.trim() === String(n),
      );
      const top = number?.parentElement?.style.top;
      return (
        !!top &&
        [
          ...document.querySelectorAll('.editor-instance .codicon-debug-breakpoint, .editor-instance .codicon-debug-breakpoint-unverified'),
        ].some((g) => g.style.top === top || g.parentElement?.style.top === top)
      );
    },
    line,
    { timeout: 10000 },
  );
}

/** The Deferred Graph webview's document (the panel's iframe, then its active frame). */
export function webview(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** Saves a screenshot under test-results/ and returns its path. */
export async function screenshot(page, name, locator) {
  fs.mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}.png`);
  await (locator ?? page).screenshot({ path: file });
  return file;
}
