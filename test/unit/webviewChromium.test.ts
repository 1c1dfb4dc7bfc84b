// @vitest-environment node
/**
 * The production bundle in a real browser (Debian's Chromium) under the CSP from
 * renderWebviewHtml: it loads with no CSP violation or error, draws the notebook's rows with
 * codicons, keeps hostile text inert, answers real keys and clicks, and its CSS row height is
 * the one the virtualised tree computes with.
 */

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestPage, startWebview } from '../../bench/webview-harness.mjs';
import { packMessage } from '../../src/extension/packing';
import type { PackedMessage } from '../../src/protocol/protocol';
import { ROW_HEIGHT } from '../../webview/treeDom';
import { experiment3a, firedView, header, init, pendingView, SESSION } from './builders';

const XSS = '<img src=x onerror=alert(1)>';
let harness: Awaited<ReturnType<typeof startWebview>>;
let page: Page;
let problems: string[] = [];
let posted: () => Promise<unknown[]>;

beforeAll(async () => {
  harness = await startWebview();
  ({ page, problems, posted } = await openTestPage(harness, { width: 900, height: 500 }));
  const message = init([...experiment3a(), firedView(3, `'${'x'.repeat(1_000_000)}'`, { name: XSS })]);
  await page.evaluate((m) => window.postMessage(m, '*'), message);
  await page.waitForSelector('[data-key="d3"]');
  await page.evaluate(() => document.fonts.ready);
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

describe('the webview in Chromium', { timeout: 30_000 }, () => {
  it('draws the rows, with b nested under a, and hostile text inert', async () => {
    const rows = await page.$$eval('[role="treeitem"].row-deferred', (els) =>
      els.map((el) => [
        el.getAttribute('aria-level'),
        el.querySelector('.cell-label')!.textContent,
        el.querySelector('.cell-result')!.textContent!.slice(0, 12),
      ]),
    );
    expect(rows).toEqual([
      ['1', 'a', '→ #2'],
      ['2', 'b', 'N/A'],
      ['1', XSS, "'xxxxxxxxxxx"],
    ]);
    expect(await page.$$('img')).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.outerHTML.length)).toBeLessThan(60_000);
  });

  it('loads its stylesheet and the codicon font under the CSP', async () => {
    const height = await page.$eval('[data-key="d1"]', (el) => el.getBoundingClientRect().height);
    expect(height).toBe(ROW_HEIGHT);
    expect(await page.evaluate(() => document.fonts.check('16px codicon'))).toBe(true);
    expect(await page.$eval('[data-key="d1"] .twistie', (el) => getComputedStyle(el).fontFamily)).toBe('codicon');
  });

  it('answers real key presses and clicks: End, collapsing and expanding a, opening a location', async () => {
    await page.click('[data-key="d1"] .cell-state');
    await page.keyboard.press('End');
    expect(await page.$eval('[role="tree"]', (el) => el.getAttribute('aria-activedescendant'))).toBe('dg-row-d3');
    // a is open for its chain; a click closes it, another opens it with its details.
    await page.click('[data-key="d1"] .twistie');
    expect(await page.$eval('[data-key="d1"]', (el) => el.getAttribute('aria-expanded'))).toBe('false');
    await page.click('[data-key="d1"] .twistie');
    expect(await page.$eval('[data-key="d1"]', (el) => el.getAttribute('aria-expanded'))).toBe('true');
    await page.click('[data-key="d1.0"] .link');
    expect(await posted()).toContainEqual({ type: 'openLocation', file: '/work/examples/notebook.py', line: 90 });
  });

  it('inflates packed messages with the browser zlib, in arrival order, and rejects bad ones', async () => {
    const many = Array.from({ length: 1500 }, (_, i) => firedView(100 + i, `'row ${i}'`, { name: `crowd[${i}]` }));
    const big = packMessage({
      type: 'delta',
      sessionId: SESSION.id,
      header: header({ fired: 1503 }),
      upserts: [...many, firedView(3, "'from the packed message'")],
      removed: [],
    });
    expect(big.type).toBe('packed');
    const bytes = (big as PackedMessage).deflated;
    expect(bytes.length * 5).toBeLessThan(JSON.stringify(many).length);
    const small = packMessage({
      type: 'delta',
      sessionId: SESSION.id,
      header: header(),
      upserts: [firedView(3, "'from the plain message after it'")],
      removed: [],
    });
    expect(small.type).toBe('delta');
    // Posted in one task: the plain message must wait for the packed one before it.
    await page.evaluate(
      ([packed, plain]) => {
        window.postMessage({ type: 'packed', deflated: new Uint8Array(packed as number[]) }, '*');
        window.postMessage(plain, '*');
      },
      [[...bytes], small] as const,
    );
    await page.waitForSelector('[data-key="d100"]');
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    expect(await page.$eval('[data-key="d3"] .cell-result', (el) => el.textContent)).toBe("'from the plain message after it'");
    await page.evaluate(() => window.postMessage({ type: 'packed', deflated: new Uint8Array([1, 2, 3]) }, '*'));
    await page.waitForFunction(() => /Ignored 1 malformed message/.test(document.body.textContent ?? ''));
  });

  it('draws a why with its codicon, marks an orphan, and keeps a hostile why text inert', async () => {
    const orphan = { kind: 'orphan', text: XSS, ids: [], location: null };
    const hostile = { kind: 'connection', text: XSS, ids: [], location: { file: `/tmp/${XSS}.py`, line: 2, function: XSS } };
    await page.evaluate(
      (m) => window.postMessage(m, '*'),
      init([
        pendingView(7, { name: 'never', blockedBy: orphan, root: orphan }),
        pendingView(8, { name: 'evil', blockedBy: hostile, root: hostile }),
      ]),
    );
    await page.waitForSelector('[data-key="d8"]');
    expect(await page.$$('img')).toEqual([]);
    expect(await page.$eval('[data-key="d8"] .cell-state', (el) => el.textContent)).toBe(`connection ${XSS}, ${XSS}.py:2`);
    const glyph = await page.$eval('[data-key="d7"] .why-icon', (el) => [
      getComputedStyle(el).fontFamily,
      getComputedStyle(el, '::before').content,
    ]);
    expect(glyph[0]).toBe('codicon');
    expect(glyph[1]).not.toMatch(/^(none|normal|"")$/);
    const width = (sel: string) => page.$eval(sel, (el) => el.getBoundingClientRect().width);
    // Wide, the state cell says it (icon and text); narrow, where that column gives way, the mark by the label.
    expect(await width('[data-key="d7"] .why-icon')).toBeGreaterThan(0);
    expect(await width('[data-key="d7"] .orphan-mark')).toBe(0);
    await page.setViewportSize({ width: 400, height: 500 });
    await page.waitForFunction(() => document.querySelector('[data-key="d7"] .orphan-mark')!.getBoundingClientRect().width > 0);
    expect(await width('[data-key="d8"] .orphan-mark')).toBe(0);
    await page.setViewportSize({ width: 900, height: 500 });
  });

  it('reported no CSP violation and no error', async () => {
    expect((await posted()).filter((m) => (m as { violation?: string }).violation)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
