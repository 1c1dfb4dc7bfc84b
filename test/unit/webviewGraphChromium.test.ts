// @vitest-environment node
/**
 * The graph view of the production bundle in a real browser (Debian's Chromium) under the
 * webview's CSP: the layout runs in its Blob worker, nodes and the "waits on" edge are drawn,
 * a DeferredList's 15 identical members collapse into ×15 and expand, a thread job's wait is a
 * root node of its own, a wheel zooms and a drag pans, the PNG export rasterises (data: image)
 * with the root node in the SVG, and nothing violates the CSP.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestPage, startWebview } from '../../bench/webview-harness.mjs';
import type { DeferredView } from '../../src/protocol/protocol';
import { middleCut } from '../../webview/format';
import { experiment3a, init, pendingView } from './builders';

let harness: Awaited<ReturnType<typeof startWebview>>;
let page: Page;
let problems: string[] = [];
let posted: () => Promise<unknown[]>;

const job = {
  kind: 'thread',
  text: 'fetch(url) · running on worker 1',
  ids: [30],
  location: { file: '/jobs.py', line: 12, function: 'fetch' },
};

function deferreds(): DeferredView[] {
  const members = Array.from({ length: 15 }, (_, i) => 10 + i);
  return [
    ...experiment3a(),
    pendingView(3, { name: 'installations', type: 'DeferredList', members }),
    ...members.map((id, i) =>
      pendingView(id, { label: `installation for Customer ${i + 1}`, created: { file: '/tale.py', line: 30, function: 'install' } }),
    ),
    pendingView(30, { name: 'job', blockedBy: { ...job, ids: [] }, root: job }),
  ];
}

beforeAll(async () => {
  harness = await startWebview();
  ({ page, problems, posted } = await openTestPage(harness, { width: 900, height: 1400 }));
  await page.evaluate((m) => window.postMessage(m, '*'), init(deferreds()));
  await page.waitForSelector('[data-key="d1"]');
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

describe('the graph view in Chromium', { timeout: 30_000 }, () => {
  it('lays out in the worker and draws a → b "waits on" for the selected Deferred', async () => {
    await page.click('[data-key="d1"] .cell-state');
    await page.click('.mode-graph');
    await page.waitForSelector('g.node[data-deferred-id="2"]');
    expect(await page.$eval('.graph', (el) => el.getAttribute('data-layout'))).toBe('worker');
    expect(await page.$$eval('g.node', (els) => els.map((e) => e.getAttribute('data-deferred-id')))).toEqual(['1', '2']);
    expect(await page.$eval('g.edge .edge-label', (el) => el.textContent)).toBe('waits on');
    expect(await page.$eval('.graph', (el) => el.getAttribute('aria-activedescendant'))).toBe('dg-node-d1');
  });

  it('shows the DeferredList with its 15 members as ×15, and expands it', async () => {
    await page.click('.graph-tools input[type="checkbox"]');
    await page.waitForSelector('g.node[data-deferred-id="10"] .node-badge');
    expect(await page.$eval('g.node[data-deferred-id="10"] .node-badge', (el) => el.textContent)).toBe('×15');
    await page.dispatchEvent('g.node[data-deferred-id="10"] .node-box', 'dblclick');
    // join, its 15 members, a and b, the job and its thread.
    await page.waitForSelector('.graph[data-nodes="20"]');
    // Nodes out of view are not in the DOM: fit the graph to see all of them.
    await page.click('button[aria-label="Fit the graph to the view (0)"]');
    await page.waitForSelector('g.node[data-deferred-id="24"]');
    const labels = await page.$$eval('g.node .node-label', (els) => els.map((e) => e.textContent));
    expect(labels).toContain(middleCut('installation for Customer 15', 26));
    expect(labels).toContain(middleCut('installation for Customer 14', 26));
    expect(new Set(labels).size).toBe(labels.length);
    expect(await page.$eval('g.node[data-root-of="30"]', (el) => el.getAttribute('data-root-kind'))).toBe('thread');
  });

  it('zooms with the wheel and pans with a drag', async () => {
    const transform = () => page.$eval('.graph-viewport', (el) => el.getAttribute('transform'));
    const before = await transform();
    await page.mouse.move(450, 400);
    await page.mouse.wheel(0, -200);
    await page.waitForFunction((t) => document.querySelector('.graph-viewport')!.getAttribute('transform') !== t, before);
    const zoomed = await transform();
    await page.mouse.move(880, 1390);
    await page.mouse.down();
    await page.mouse.move(800, 1300, { steps: 4 });
    await page.mouse.up();
    expect(await transform()).not.toBe(zoomed);
  });

  it('exports a PNG through a data: image, and an SVG with the nodes as text', async () => {
    await page.click('button[aria-label="Export the graph as PNG"]');
    await page.waitForFunction(() =>
      (window as unknown as { __posted: Array<{ type?: string; format?: string }> }).__posted.some(
        (m) => m.type === 'exportImage' && m.format === 'png',
      ),
    );
    await page.click('button[aria-label="Export the graph as SVG"]');
    const exports = (await posted()) as Array<{ type?: string; format?: string; data?: string }>;
    const png = exports.find((m) => m.format === 'png')!;
    expect(Buffer.from(png.data!, 'base64').subarray(1, 4).toString()).toBe('PNG');
    const svg = exports.find((m) => m.format === 'svg')!.data!;
    expect(svg).toContain('waits on');
    expect(svg).toContain('node-root node-thread');
    expect(svg).toContain('fired by');
    expect(svg).not.toContain('<img');
  });

  it('reported no CSP violation and no error', async () => {
    expect((await posted()).filter((m) => (m as { violation?: string }).violation)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
